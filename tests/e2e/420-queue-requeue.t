#!/bin/sh
# snf-queue requeue: the domain's backoff is cleared (queue/state next=0,
# fails=0) and the messages selected are due now, so the next ordinary
# pass delivers them; held messages stay held. release without -H or -m:
# the same, plus an ETRN-like request, so that the running snf-send
# service delivers at once a domain that was in a long backoff.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
echo 1h >"$R/control/backoff_min"
echo 2h >"$R/control/backoff_max"
now() { date +%s; }

# --- requeue -----------------------------------------------------------------
# The primary answers 450 to every RCPT: both messages are deferred for
# an hour (their mtime); then it is down: the domain backs off an hour.
start_fake f450 --rcpt-code 450 || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
i1=$(put "$R" m1 s1@origin.test alice@example.com)
i2=$(put "$R" m2 s2@other.test bob@example.com carol@example.com)
i3=$(put "$R" m3 s2@other.test bob@example.com)
sq "$R" hold -i "$i3"
send1 "$R"
is "$(nlog "$T/f450" '^RCPT TO:')" 3 "the primary deferred the 3 recipients (450)"
t=$(now)
a=$(( $(mtime "$(item "$R" "$i1")") - t ))
b=$(( $(mtime "$(item "$R" "$i2")") - t ))
[ "$a" -ge 3000 ] && [ "$b" -ge 3000 ]
ok $? "both messages are due in about an hour (${a}s, ${b}s)"
primary "$R" 127.0.0.1:1
send1 "$R" example.com
is "$(state_get "$R" state),$(state_get "$R" fails)" "down,1" "then the primary is down: state=down fails=1"
n=$(( $(state_get "$R" next) - $(now) ))
[ "$n" -ge 2000 ]
ok $? "the next attempt is about an hour away (${n}s)"

start_fake fs || echo "# fakesmtp did not start"
F=$T/fs
primary "$R" "127.0.0.1:$FPORT"
send1 "$R"
is "$(nlog "$F" '^connect$'),$(queue_count "$R" example.com)" "0,2" \
    "the primary is back, but an ordinary pass respects the backoff: nothing sent"

before=$(snap "$R")
sq "$R" requeue -n
out_is "$(per would-requeue example.com -- "$i1" "$i2")" \
    "requeue -n: would-requeue for the two waiting messages, not the held one"
is "$(snap "$R")" "$before" "requeue -n changed nothing (items, state)"

sq "$R" requeue
out_is "$(per requeued example.com -- "$i1" "$i2")" "requeue: requeued ID example.com, each"
is "$(state_get "$R" next),$(state_get "$R" fails),$(state_get "$R" tried)" "0,0,0" \
    "queue/state/example.com: next=0 fails=0 tried=0"
is "$(state_get "$R" state)" down "  the state itself is still down"
t=$(now)
[ "$(mtime "$(item "$R" "$i1")")" -le "$t" ] && [ "$(mtime "$(item "$R" "$i2")")" -le "$t" ]
ok $? "both messages are due now"
is "$(snf-queue -d "$R" status -v example.com | cut -f1,3,6)" \
    "$(printf '%s\n' "$i1" "$i2" | sort | while read -r i; do tl "$i" queued 0; done
    tl "$i3" held 0)" "status -v: next attempt in 0 s; the held message still held"
is "$(snf-queue -d "$R" status example.com | cut -f9)" 0 "status: next attempt in 0 s"
[ ! -e "$R/queue/etrn/example.com" ]
ok $? "requeue asks for no ETRN"
is "$(where "$R" "$i3")" hold/example.com "requeue leaves the held message held"

send1 "$R"
is "$(nmsgs "$F"),$(queue_count "$R" example.com)" "2,0" \
    "the next ordinary pass delivers both"
is "$(state_get "$R" state)" up "state=up"

sq "$R" requeue -s nobody@nowhere.test
out_is "" "requeue with no match: no line, exit 0"

# --- release: the service is running --------------------------------------------
sq "$R" unhold -i "$i3"
i4=$(put "$R" m4 s1@origin.test alice@example.com)
primary "$R" 127.0.0.1:1
send1 "$R" example.com
n=$(( $(state_get "$R" next) - $(now) ))
is "$(state_get "$R" state)" down "the primary is down again"
[ "$n" -ge 2000 ]
ok $? "  the domain backs off about an hour (${n}s)"
start_fake fs2 || echo "# fakesmtp did not start"
F2=$T/fs2
primary "$R" "127.0.0.1:$FPORT"
: >"$SENDLOG"
start_send "$R"
sleep 2
is "$(nlog "$F2" '^connect$'),$(queue_count "$R" example.com)" "0,2" \
    "the service runs and respects the backoff: both wait"

before=$(snap "$R")
sq "$R" release -n example.com
out_is "$(per would-release example.com -- "$i3" "$i4")" "release -n: would-release, each"
is "$(snap "$R")" "$before" "release -n changed nothing"
[ ! -e "$R/queue/etrn/example.com" ]
ok $? "  and asked for no ETRN"

sq "$R" release example.com
out_is "$(per released example.com -- "$i3" "$i4")" "release example.com: released ID example.com, each"
wait_is 10 0 queue_count "$R" example.com
ok $? "the service delivers them at once"
is "$(nmsgs "$F2"),$(nlog "$F2" '^connect$')" "2,1" "two messages over one connection"
for m in m3 m4; do
	cmp -s "$(fake_msg "$F2" $m)" "$T/msg.$m"
	ok $? "$m delivered as queued"
done
grep -q '^snf-send\[[0-9]*\]: etrn domain=example.com$' "$SENDLOG"
ok $? "service log: etrn domain=example.com (the request release left)"
wait_is 5 up state_get "$R" state
ok $? "state=up"
stop_pid "$SEND_PID"
ok $? "the service stops on SIGTERM"

done_testing
