#!/bin/sh
# snf-send, the rest of the contract: the server's SIZE limit, a primary
# that refuses the greeting (the next one is used), a primary that is
# ourselves (a loop), a held domain, damaged queue files, and SIGTERM in
# the middle of a slow delivery.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"

# --- SIZE: a message over the server's limit is returned, not sent -------------
start_fake size --size 2000 || echo "# fakesmtp did not start"
Z=$T/size
primary "$R" "127.0.0.1:$FPORT"
{
	printf 'Subject: too big\n\n'
	i=0
	while [ $i -lt 40 ]; do
		echo "a line of seventy-something characters, to make the message bigger: $i"
		i=$((i + 1))
	done
} >"$T/big"
printf 'Subject: small enough\n\nsmall\n' >"$T/small"
mail_in "$R" sender@origin.test alice@example.com "$T/big"
ok $? "a 3 KB message accepted"
mail_in "$R" sender@origin.test bob@example.com "$T/small"
ok $? "a small message accepted"
big=$(qitem_env "$(grep -l 'Subject: too big' "$R"/queue/mail/example.com/*)" | sed -n 's/^L //p')
send1 "$R" example.com
is "$(nmsgs "$Z")" 1 "the primary (SIZE 2000) got one message"
grep -q '^Subject: small enough' "$Z/msg.1" 2>/dev/null
ok $? "the small one"
is "$(nlog "$Z" '^MAIL FROM:')" 1 "the big one was never offered (one MAIL)"
is "$(nlog "$Z" '^MAIL FROM:<sender@origin.test> SIZE='"$(wc -c <"$Z/msg.1" | tr -d ' ')"'$')" 1 \
    "MAIL FROM with SIZE= the exact size of the message"
is "$(queue_count "$R" example.com)" 0 "neither is left for example.com"
is "$(queue_count "$R" origin.test)" 1 "a report is queued for the sender"
qitem_body "$(qitem_for "$R" origin.test)" 2>/dev/null | tr -d '\r' >"$T/rep"
grep -qx 'Final-Recipient: rfc822; alice@example.com' "$T/rep" &&
    grep -qx 'Action: failed' "$T/rep" && grep -qx 'Status: 5.3.4' "$T/rep"
ok $? "report: alice, Action: failed, Status: 5.3.4"
grep -qx "Diagnostic-Code: smtp; 552 5.3.4 message size $big exceeds the limit of 127.0.0.1 (2000)" "$T/rep"
ok $? "report: Diagnostic-Code: smtp; 552 5.3.4 message size $big exceeds the limit ... (2000)"
grep -q '^Subject: too big' "$T/rep"
ok $? "report: the original attached"
empty_queue "$R"
stop_pid "$FPID" 5

# --- a greeting of 554: the next primary is used ------------------------------
start_fake refuse --greet 554 || echo "# fakesmtp did not start"
p1=$FPORT
start_fake second || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$p1" "127.0.0.1:$FPORT"
printf 'Subject: second host\n\nsecond\n' >"$T/d"
mail_in "$R" sender@origin.test alice@example.com "$T/d"
ok $? "a message accepted"
send1 "$R" example.com
is "$(nlog "$T/refuse" '^connect$')" 1 "the first primary was tried (and greeted with 554)"
is "$(nmsgs "$T/second")" 1 "the second primary got the message"
is "$(queue_count "$R")" 0 "the queue is empty, no report"
is "$(state_get "$R" state)" up "state=up"
rm -rf "$R/queue/state"

# --- a primary that greets with our own name: a loop ------------------------------
start_fake loop --name mx.test.invalid || echo "# fakesmtp did not start"
L=$T/loop
primary "$R" "127.0.0.1:$FPORT"
mail_in "$R" sender@origin.test alice@example.com "$T/d"
ok $? "a message accepted"
send1 "$R" example.com
is "$(nlog "$L" '^connect$')" 1 "the server was reached"
is "$(nlog "$L" '^MAIL')" 0 "nothing was sent to it (no MAIL)"
is "$(nmsgs "$L")" 0 "nothing delivered"
is "$(queue_count "$R" example.com)" 1 "the message is kept"
is "$(queue_count "$R" origin.test)" 0 "and not returned to the sender"
is "$(state_get "$R" state)" down "state=down"
state_get "$R" error | grep -q 'loops back to myself'
ok $? "error=... loops back to myself ($(state_get "$R" error))"
grep -q 'down domain=example.com .*loops\\sback\\sto\\smyself' "$T/send1.log"
ok $? "log: down domain=example.com ... loops back to myself"
empty_queue "$R"
rm -rf "$R/queue/state"

# the names in control/mxnames are this host too
echo backup.test.invalid >"$R/control/mxnames"
start_fake loop2 --name backup.test.invalid || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
mail_in "$R" sender@origin.test alice@example.com "$T/d"
ok $? "a message accepted"
send1 "$R" example.com
is "$(nlog "$T/loop2" '^MAIL'),$(nmsgs "$T/loop2"),$(queue_count "$R" example.com)" "0,0,1" \
    "a server greeting as a name in control/mxnames: nothing sent, the message kept"
state_get "$R" error | grep -q 'loops back to myself'
ok $? "error=... loops back to myself ($(state_get "$R" error))"
empty_queue "$R"
rm -rf "$R/queue/state" "$R/control/mxnames"

# --- EHLO refused: HELO ---------------------------------------------------------
start_fake helo --no-ehlo --size 100000 || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
mail_in "$R" sender@origin.test alice@example.com "$T/d"
ok $? "a message accepted"
send1 "$R" example.com
is "$(session_shape "$T/helo" | tr '\n' '|')" \
    "connect|EHLO mx.test.invalid|HELO mx.test.invalid|MAIL FROM:<sender@origin.test> RCPT TO:<alice@example.com> DATA|QUIT|" \
    "EHLO refused: HELO, then plain MAIL (no SIZE=), RCPT, DATA"
is "$(nmsgs "$T/helo"),$(queue_count "$R")" "1,0" "delivered"
rm -rf "$R/queue/state"

# --- exit status ------------------------------------------------------------------
snf-send -d "$R" -x 2>/dev/null
is "$?" 100 "an unknown option: exit 100"
snf-send -d "$R" example.com 2>/dev/null
is "$?" 100 "a domain without -1: exit 100"
snf-send -d "$R" -1 'bad domain!' 2>/dev/null
is "$?" 100 "a bad domain name: exit 100"
snf-send -d "$T/nonexistent" -1 2>/dev/null
is "$?" 111 "a root folder that cannot be opened: exit 111"

# --- a held domain delivers nothing ------------------------------------------------
start_fake held || echo "# fakesmtp did not start"
H=$T/held
primary "$R" "127.0.0.1:$FPORT"
touch "$R/domains/example.com/hold"
mail_in "$R" sender@origin.test alice@example.com "$T/d"
ok $? "a message accepted for the held domain"
send1 "$R" example.com
send1 "$R"
echo 1 >"$R/control/backoff_min"
start_send "$R"
sleep 2
stop_pid "$SEND_PID" 10
is "$(nlog "$H" '^connect$'),$(queue_count "$R" example.com)" "0,1" \
    "held: neither one-shot passes nor the service connect; the message stays"
rm -f "$R/domains/example.com/hold"
send1 "$R" example.com
is "$(nmsgs "$H"),$(queue_count "$R")" "1,0" "hold removed: delivered"

# --- damaged queue files -------------------------------------------------------------
# oldest first: a damaged envelope, a damaged body, then a good message
printf 'Subject: damaged envelope\n\nenvelope\n' >"$T/dmg2"
printf 'Subject: damaged body\n\nDAMAGE-ME in the body\n' >"$T/dmg"
printf 'Subject: good one\n\ngood\n' >"$T/good"
mail_in "$R" sender@origin.test alice@example.com "$T/dmg2"
ok $? "message (to be damaged in its envelope) accepted"
next_second	# items go oldest first (by id, which starts with the arrival time)
mail_in "$R" sender@origin.test alice@example.com "$T/dmg"
ok $? "message (to be damaged in its body) accepted"
next_second
mail_in "$R" sender@origin.test bob@example.com "$T/good"
ok $? "a good message accepted"
b=$(grep -l 'DAMAGE-ME' "$R"/queue/mail/example.com/*)
e=$(grep -l 'Subject: damaged envelope' "$R"/queue/mail/example.com/*)
python3 - "$b" "$e" <<'EOF'
import sys
b, e = sys.argv[1], sys.argv[2]
d = bytearray(open(b, "rb").read())
i = d.index(b"DAMAGE-ME")
d[i] ^= 0x20                      # D -> d, in the stored message
open(b, "wb").write(d)
d = bytearray(open(e, "rb").read())
i = d.rindex(b"T alice@example.com")
d[i + 2] ^= 0x02                  # a -> c, in the envelope
open(e, "wb").write(d)
EOF
cp "$b" "$T/b.copy"
cp "$e" "$T/e.copy"
bid=${b##*/}
eid=${e##*/}
: >"$H/log"
send1 "$R" example.com
is "$?" 0 "a pass over damaged items: exit 0"
! grep -q 'AMAGE-ME\|Subject: damaged' "$H"/msg.[0-9]* 2>/dev/null
ok $? "neither damaged message was delivered"
cmp -s "$b" "$T/b.copy" && cmp -s "$e" "$T/e.copy"
ok $? "both damaged items stay in place, unchanged"
grep -q "warning queue/mail/example.com/$eid damaged (Bad message): left in the queue untouched" "$T/send1.log"
ok $? "log: warning queue/mail/example.com/ID damaged (envelope)"
grep -q "warning queue/mail/example.com/$bid damaged (Bad message): left in the queue untouched" "$T/send1.log"
rc=$?
ok $rc "log: warning queue/mail/example.com/ID damaged (body)"
[ $rc -eq 0 ] || show "$T/send1.log"
! grep -q "id=$bid .*may.sbe.sdelivered.stwice" "$T/send1.log"
ok $? "log: the damaged message is not said to be perhaps delivered"
is "$(grep -l 'Subject: good one' "$H"/msg.[0-9]* 2>/dev/null | wc -l | tr -d ' ')" \
    1 "the good message queued after them is delivered in the same pass"
is "$(state_get "$R" state)" up "a damaged file does not mark the domain down"
is "$(queue_count "$R" origin.test)" 0 "no report for a damaged file"
send1 "$R" example.com
! grep -q 'AMAGE-ME\|Subject: damaged' "$H"/msg.[0-9]* 2>/dev/null
ok $? "another pass: still not delivered"
[ -f "$b" ] && [ -f "$e" ]
ok $? "both damaged items are still in the queue"
empty_queue "$R"
rm -rf "$R/queue/state"
stop_pid "$FPID" 5
# --- SIGTERM during a slow delivery ----------------------------------------------
# smtp-sink waits 3 s before its reply to the final dot: the service, told
# to stop, finishes the message in flight, starts no other, and exits.
if ! command -v smtp-sink >/dev/null 2>&1; then
	skip "SIGTERM during a slow delivery" "no smtp-sink (Postfix) installed"
else
	SP=$(free_port)
	mkdir -p "$T/sink"
	chmod 755 "$T"
	chmod 777 "$T/sink"
	u=
	[ "$(id -u)" -eq 0 ] && u="-u nobody"
	smtp-sink $u -d "$T/sink/" -W .:3 "127.0.0.1:$SP" 10 2>>"$T/sink.err" &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_for 5 python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$SP"
	ok $? "smtp-sink listens"
	primary "$R" "127.0.0.1:$SP"
	for i in 1 2 3; do
		printf 'Subject: slow %s\nMessage-ID: <slow.%s@origin.test>\n\nslow\n' $i $i >"$T/s$i"
		mail_in "$R" sender@origin.test alice@example.com "$T/s$i"
	done
	queue_files "$R" | sed 's,.*/,,' >"$T/slow.ids"
	is "$(wc -l <"$T/slow.ids" | tr -d ' ')" 3 "3 messages queued"
	: >"$SENDLOG"
	start_send "$R"
	wait_conn 10 "$SP"
	ok $? "the service connects to smtp-sink"
	sleep 1	# the first message is sent, its reply 2 s away
	t0=$(date +%s)
	stop_pid "$SEND_PID" 15
	ok $? "the service ends on SIGTERM"
	el=$(( $(date +%s) - t0 ))
	[ $el -le 5 ]
	ok $? "within the time of the message in flight (${el}s)"
	grep -q 'stop: waiting for 1 deliveries to finish' "$SENDLOG"
	ok $? "log: stop: waiting for 1 deliveries to finish"
	nd=$(grep -c '^snf-send\[[0-9]*\]: delivered ' "$SENDLOG" | tr -d ' ')
	ns=$(ls "$T/sink" | wc -l | tr -d ' ')
	nq=$(queue_count "$R")
	is "$nd,$ns,$nq" "1,1,2" "the message in flight was finished (delivered 1), the other 2 stay queued"
	! grep -q 'deferred\|may\\sbe\\sdelivered\\stwice' "$SENDLOG"
	ok $? "log: nothing deferred, nothing broken off"
	is "$(tmp_count "$R")" 0 "queue/tmp is empty"
	# the rest, with a fast server
	start_fake rest || echo "# fakesmtp did not start"
	primary "$R" "127.0.0.1:$FPORT"
	send1 "$R" example.com
	cat "$T"/sink/* "$T"/rest/msg.[0-9]* 2>/dev/null | tr -d '\r' | grep '^Message-ID:' | sort >"$T/slow.got"
	printf 'Message-ID: <slow.%s@origin.test>\n' 1 2 3 >"$T/slow.want"
	cmp -s "$T/slow.got" "$T/slow.want"
	ok $? "all 3 delivered, each exactly once: nothing lost"
	is "$(queue_count "$R")" 0 "the queue is empty"
fi

done_testing
