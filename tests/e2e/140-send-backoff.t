#!/bin/sh
# snf-send's backoff is per domain, not per message: with the primary down
# and 30 messages waiting, the service makes one connection attempt per
# interval, and records the domain's state in queue/state/example.com;
# when the primary returns, the next attempt delivers everything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
echo 4 >"$R/control/backoff_min"
echo 4 >"$R/control/backoff_max"
echo 1 >"$R/control/timeout_greeting"
echo 1 >"$R/control/timeout_connect"

queue_many "$R" 30 backoff
ok $? "30 messages accepted by snf-smtpd"
is "$(queue_count "$R" example.com)" 30 "30 items queued"

# a primary that accepts connections and never says a word; backoff 4 s
start_fake silent --silent || echo "# fakesmtp did not start"
S=$T/silent
P=$FPORT
primary "$R" "127.0.0.1:$P"

start=$(date +%s)
start_send "$R"
sleep 12
stop_pid "$SEND_PID" 10
ok $? "the service stops on SIGTERM"
elapsed=$(( $(date +%s) - start ))
n=$(nlog "$S" '^connect$')
# attempts come every 1 s (greeting timeout) + 3 to 5 s (backoff 4 s with
# its spread): at most elapsed / 4 + 1; never one per message, nor one
# per wake-up of the service (at least 1 s apart)
[ "$n" -ge 2 ] && [ "$n" -le $((elapsed / 4 + 1)) ]
ok $? "$n connection attempts in ${elapsed}s for 30 messages (one per interval)"
[ "$n" -ge 2 ] || show "$SENDLOG"
is "$(grep -c '^snf-send\[[0-9]*\]: down domain=example.com ' "$SENDLOG" | tr -d ' ')" "$n" \
    "one 'down' log line per attempt"
is "$(nlog "$S" '^EHLO')" 0 "no EHLO was ever sent (no greeting)"
is "$(queue_count "$R" example.com)" 30 "all 30 still queued"
is "$(state_get "$R" state)" down "queue/state/example.com: state=down"
is "$(state_get "$R" fails)" "$n" "fails=$n (one per attempt)"
state_get "$R" error | grep -q 'timeout waiting for a reply'
ok $? "error=... timeout waiting for a reply ($(state_get "$R" error))"
is "$(state_get "$R" count)" 30 "count=30"
since=$(state_get "$R" since)
[ -n "$since" ] && [ "$since" -ge "$start" ] && [ "$since" -le $((start + 3)) ]
ok $? "since= the first failure"
is "$(state_get "$R" bytes)" "$(cat "$R"/queue/mail/example.com/* | wc -c | tr -d ' ')" \
    "bytes= the size of the 30 items"

# --- the primary returns on the same port ----------------------------------
stop_pid "$FPID" 5
start_fake back --port "$P" || echo "# fakesmtp did not start on port $P"
B=$T/back
: >"$SENDLOG"
start_send "$R"
wait_is 20 0 queue_count "$R" example.com
ok $? "once the backoff passed, the service delivers all 30"
is "$(nmsgs "$B")" 30 "the primary stored 30 messages"
is "$(nlog "$B" '^connect$')" 1 "over one connection"
is "$(grep -h '^Message-ID:' "$B"/msg.[0-9]* 2>/dev/null | sort -u | wc -l | tr -d ' ')" 30 \
    "30 different messages"
wait_is 5 up state_get "$R" state
ok $? "state=up"
is "$(state_get "$R" fails)" 0 "fails=0"
wait_is 5 0 state_get "$R" count	# written when the delivery ends
ok $? "count=0"
stop_pid "$SEND_PID" 10
ok $? "the service stops on SIGTERM"

# --- one-shot passes respect the backoff; a named domain does not -----------
stop_pid "$FPID" 5
primary "$R" 127.0.0.1:1
echo 10m >"$R/control/backoff_min"
echo 1h >"$R/control/backoff_max"
printf 'Subject: later\n\nlater\n' >"$T/d"
mail_in "$R" sender@origin.test alice@example.com "$T/d"
ok $? "one more message accepted"
send1 "$R"
grep -q 'down domain=example.com fails=1 retry=' "$T/send1.log"
ok $? "pass: the domain was up, so it is tried, and goes down"
retry=$(sed -n 's/.*down domain=example.com fails=1 retry=\([0-9]*\)s.*/\1/p' "$T/send1.log")
[ -n "$retry" ] && [ "$retry" -ge 450 ] && [ "$retry" -le 750 ]
ok $? "retry in 10 minutes, give or take a quarter (${retry}s)"
send1 "$R"
! grep -q 'domain=example.com' "$T/send1.log"
ok $? "pass: in backoff, the domain is not tried"
is "$(state_get "$R" fails)" 1 "fails=1 still"
send1 "$R" example.com
grep -q 'down domain=example.com fails=2 retry=' "$T/send1.log"
ok $? "pass for example.com: tried now, whatever the backoff (fails=2)"
retry=$(sed -n 's/.*down domain=example.com fails=2 retry=\([0-9]*\)s.*/\1/p' "$T/send1.log")
[ -n "$retry" ] && [ "$retry" -ge 900 ] && [ "$retry" -le 1500 ]
ok $? "the interval doubles: 20 minutes, give or take a quarter (${retry}s)"

done_testing
