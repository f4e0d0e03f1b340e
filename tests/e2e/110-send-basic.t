#!/bin/sh
# snf-send, the basic promise: mail accepted while the primary is down is
# held, then delivered when it returns: byte for byte what the sender
# sent (after snf-smtpd's Received: field), each message once, a
# message for several recipients as one copy, several messages over one
# connection; by a one-shot pass and by the service.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1	# nothing listens there: the primary is down

# --- messages with awkward lines ------------------------------------------
# swaks sends a --data file with CR LF line ends, dot-stuffed, plus a final
# CR LF: the file has no final newline, crlf() gives the bytes expected.
long=$(python3 -c 'print("L" * 990)')
mkmsg() {	# mkmsg N FILE
	cat >"$2" <<EOF
From: Sender <sender@origin.test>
To: alice@example.com
Subject: basic $1
Message-ID: <basic.$1@origin.test>
X-Folded: first part
	second part, folded

.a line that starts with a period
..two periods
.
a line with only a period above, and a tab	and trailing spaces   
$long
${long}xyz
..
last line of message $1
EOF
	printf '%s' "$(cat "$2")" >"$2.t" && mv "$2.t" "$2"	# no final LF
}
for n in 1 2 3 4; do
	mkmsg $n "$T/data.$n"
	crlf "$T/data.$n" >"$T/want.$n"
done
mail_in "$R" sender@origin.test alice@example.com "$T/data.1"
ok $? "message 1 (to alice) accepted while the primary is down"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com,carol@example.com \
    "$T/data.2"
ok $? "message 2 (to alice, bob and carol) accepted"
mail_in "$R" sender@origin.test bob@example.com "$T/data.3"
ok $? "message 3 (to bob) accepted"
is "$(queue_count "$R" example.com)" 3 "three items queued"

send1 "$R" example.com
is "$?" 0 "one-shot pass with the primary down: exit 0"
is "$(queue_count "$R" example.com)" 3 "the primary is down: all three stay queued"
is "$(state_get "$R" state)" down "queue/state/example.com: state=down"
grep -q 'down domain=example.com fails=1 .*error=connect\\sto\\s127.0.0.1\\sport\\s1:' \
    "$T/send1.log"
ok $? "log: down domain=example.com fails=1 ... error=connect to 127.0.0.1 port 1"

# --- the primary returns --------------------------------------------------
start_fake fs1 || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$?" 0 "one-shot pass with the primary back: exit 0"
F=$T/fs1
is "$(nmsgs "$F")" 3 "the primary stored exactly 3 messages"
is "$(nlog "$F" '^MAIL FROM:')" 3 "exactly 3 MAIL commands"
is "$(nlog "$F" '^RCPT TO:')" 5 "exactly 5 RCPT commands (1 + 3 + 1)"
is "$(nlog "$F" '^connect$')" 1 "all three over one connection"
is "$(nlog "$F" '^QUIT$')" 1 "one QUIT, at the end"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" "the queue is empty, queue/tmp too"
is "$(state_get "$R" state)" up "queue/state/example.com: state=up"
is "$(grep -c '^snf-send\[[0-9]*\]: delivered id=' "$T/send1.log" | tr -d ' ')" 5 \
    "log: 5 delivered lines (one per recipient)"

# find each message by its Subject, and compare it whole
for n in 1 2 3; do
	m=$(grep -l "^Subject: basic $n" "$F"/msg.[0-9]* 2>/dev/null)
	is "$(echo "$m" | grep -c .)" 1 "message $n arrived exactly once"
	[ -n "$m" ] || continue
	head -n 1 "$m" | grep -q '^Received: from client.test (\[127.0.0.1\])'
	ok $? "message $n: snf-smtpd's Received: field comes first"
	strip_received "$m" >"$T/got.$n"
	cmp "$T/got.$n" "$T/want.$n" >/dev/null
	rc=$?
	ok $rc "message $n: byte for byte what swaks sent, after the Received: field"
	[ $rc -eq 0 ] && continue
	cmp "$T/got.$n" "$T/want.$n" | sed 's/^/#   /'
done
m2=$(grep -l "^Subject: basic 2" "$F"/msg.[0-9]* 2>/dev/null | head -n 1)
is "$(cat "$m2.env" 2>/dev/null)" "$(printf '%s\n' 'MAIL FROM:<sender@origin.test>' \
    'RCPT TO:<alice@example.com>' 'RCPT TO:<bob@example.com>' \
    'RCPT TO:<carol@example.com>')" \
    "message 2: one transaction, one MAIL and its three RCPTs"
# the log, command by command: EHLO, the three transactions (in the
# order of the ids, which need not be the order of arrival within a
# second), QUIT
is "$(session_shape "$F" | tr '\n' '|')" \
    "connect|EHLO mx.test.invalid|MAIL FROM:<sender@origin.test> RCPT TO:<alice@example.com> DATA|MAIL FROM:<sender@origin.test> RCPT TO:<alice@example.com> RCPT TO:<bob@example.com> RCPT TO:<carol@example.com> DATA|MAIL FROM:<sender@origin.test> RCPT TO:<bob@example.com> DATA|QUIT|" \
    "the session: EHLO, three transactions, each MAIL RCPT... DATA, QUIT"

send1 "$R" example.com
is "$(nlog "$F" '^MAIL FROM:')" 3 "a second pass sends nothing again"

# --- the service ------------------------------------------------------------
# down first: the service backs off (1 s to 2 s); the primary comes back on
# a port chosen now, and the service delivers without being asked.
echo 1 >"$R/control/backoff_min"
echo 2 >"$R/control/backoff_max"
P=$(free_port)
primary "$R" "127.0.0.1:$P"
: >"$SENDLOG"
start_send "$R"
mail_in "$R" sender@origin.test alice@example.com "$T/data.4"
ok $? "message 4 accepted while the service runs and the primary is down"
wait_for 10 grep -q 'down domain=example.com' "$SENDLOG"
ok $? "the service tried, and marked example.com down"
is "$(queue_count "$R" example.com)" 1 "message 4 waits in the queue"
start_fake fs2 --port "$P" || echo "# fakesmtp did not start on port $P"
wait_is 20 0 queue_count "$R" example.com
ok $? "the service delivers message 4 once the primary is back"
is "$(nmsgs "$T/fs2")" 1 "the primary got exactly one message"
m=$T/fs2/msg.1
strip_received "$m" >"$T/got.4" 2>/dev/null
cmp -s "$T/got.4" "$T/want.4"
ok $? "message 4: byte for byte what swaks sent, after the Received: field"

# with the primary up, a new message goes at once (snf-queue pokes
# queue/trigger); several recipients, one copy
start=$(date +%s)
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/data.1"
ok $? "message 5 (alice and bob) accepted while the service runs"
wait_is 15 2 nmsgs "$T/fs2"
ok $? "the service delivers it without waiting for its minute"
is "$(cat "$T/fs2/msg.2.env" 2>/dev/null)" "$(printf '%s\n' \
    'MAIL FROM:<sender@origin.test>' 'RCPT TO:<alice@example.com>' \
    'RCPT TO:<bob@example.com>')" "message 5: one copy for both recipients"
wait_is 5 0 queue_count "$R"
ok $? "the queue is empty"
is "$(tmp_count "$R")" 0 "queue/tmp is empty"
stop_pid "$SEND_PID" 15
ok $? "the service stops on SIGTERM"
is "$STOP_RC" 0 "the service stopped by a signal exits 0"
grep -q 'stopped' "$SENDLOG"
ok $? "log: stopped"
is "$(nmsgs "$T/fs2"),$(nlog "$T/fs2" '^MAIL FROM:')" "2,2" \
    "nothing delivered twice by the service"

# --- stored line ends: no bare CR or LF leaves this host ------------------------
# (snf-smtpd never stores one; snf-queue takes what it is given)
printf 'Subject: raw\n\nbare LF\nbare CR\rhere\r\n.dot after a bare LF\nend\r\n.\r\nno final line end' \
    >"$T/raw"
qinject "$R" "$T/raw" 'b"Fsender@origin.test\0Talice@example.com\0\0"' >"$T/qi"
is "$(tail -n 1 "$T/qi")" "exit 0" "a message with bare LF and CR queued by snf-queue"
send1 "$R" example.com
is "$(nmsgs "$T/fs2")" 3 "delivered"
printf 'Subject: raw\r\n\r\nbare LF\r\nbare CR here\r\n.dot after a bare LF\r\nend\r\n.\r\nno final line end\r\n' \
    >"$T/raw.want"
cmp -s "$T/fs2/msg.3" "$T/raw.want"
ok $? "bare LF sent as CR LF, bare CR as a space, dots stuffed, a final CR LF added"

done_testing
