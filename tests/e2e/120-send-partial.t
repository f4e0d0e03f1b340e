#!/bin/sh
# snf-send with a primary that refuses some recipients: the accepted ones
# are delivered, the refused ones get a delivery report (RFC 3464) to the
# sender, which is itself delivered; the deferred ones stay queued alone.
# No report to <>, none under NOTIFY=NEVER, headers only under RET=HDRS;
# the DSN parameters go on to a primary that offers DSN, and only then.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1

printf '%s\n' 'From: sender@origin.test' 'Subject: partly refused' \
    'Message-ID: <partial.1@origin.test>' '' 'the body of the partly refused message' \
    >"$T/data.1"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/data.1"
ok $? "a message for alice and bob is accepted while the primary is down"
send1 "$R" example.com
is "$(queue_count "$R" example.com)" 1 "it waits in the queue"

start_fake fs --reject bob@example.com --defer carol@example.com ||
    echo "# fakesmtp did not start"
F=$T/fs
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$?" 0 "delivery pass: exit 0"
is "$(nmsgs "$F")" 1 "the primary stored one message"
is "$(cat "$F/msg.1.env" 2>/dev/null)" "$(printf '%s\n' \
    'MAIL FROM:<sender@origin.test>' 'RCPT TO:<alice@example.com>')" \
    "it went to alice (bob was refused)"
is "$(queue_count "$R" example.com)" 0 "the item left the queue"
grep -q '^snf-send\[[0-9]*\]: bounced id=[0-9.a-f]* to=<bob@example.com> relay=127.0.0.1\[127.0.0.1\] reply=550\\s5.1.1\\s<bob@example.com>:\\sno\\ssuch\\suser tls=none$' \
    "$T/send1.log"
ok $? "log: bounced ... to=<bob@example.com> ... reply=550 5.1.1 ..."
grep -q '^snf-send\[[0-9]*\]: report to=<sender@origin.test> action=failed rcpts=1 ids=' \
    "$T/send1.log"
ok $? "log: report to=<sender@origin.test> action=failed rcpts=1"

# --- the report in the queue ------------------------------------------------
is "$(queue_count "$R" origin.test)" 1 "one report queued in queue/mail/origin.test"
rep=$(qitem_for "$R" origin.test)
qitem_env "$rep" >"$T/rep.env" 2>/dev/null
grep -qx 'S ' "$T/rep.env"
ok $? "report envelope: the null sender (\"S \")"
is "$(grep '^T ' "$T/rep.env")" "T sender@origin.test" "report envelope: to the sender alone"
qitem_body "$rep" >"$T/rep" 2>/dev/null
tr -d '\r' <"$T/rep" >"$T/rep.lf"
hdr() {	# the header section of the report, LF line ends
	sed -n '1,/^$/p' "$T/rep.lf"
}
hdr | grep -q '^From: Mail Delivery System <MAILER-DAEMON@mx.test.invalid>$'
ok $? "report: From: Mail Delivery System <MAILER-DAEMON@mx.test.invalid>"
hdr | grep -q '^To: <sender@origin.test>$'
ok $? "report: To: <sender@origin.test>"
hdr | grep -q '^Auto-Submitted: auto-replied$'
ok $? "report: Auto-Submitted: auto-replied"
hdr | grep -q '^Content-Type: multipart/report; report-type=delivery-status;'
ok $? "report: Content-Type: multipart/report; report-type=delivery-status"
grep -q '^Content-Type: message/delivery-status$' "$T/rep.lf"
ok $? "report: a message/delivery-status part"
grep -q '^Reporting-MTA: dns; mx.test.invalid$' "$T/rep.lf"
ok $? "report: Reporting-MTA: dns; mx.test.invalid"
grep -q '^Arrival-Date: ' "$T/rep.lf"
ok $? "report: Arrival-Date"
is "$(grep -c '^Final-Recipient:' "$T/rep.lf" | tr -d ' ')" 1 \
    "report: one recipient block (alice was delivered)"
grep -qx 'Final-Recipient: rfc822; bob@example.com' "$T/rep.lf"
ok $? "report: Final-Recipient: rfc822; bob@example.com"
grep -qx 'Action: failed' "$T/rep.lf"
ok $? "report: Action: failed"
grep -qx 'Status: 5.1.1' "$T/rep.lf"
ok $? "report: Status: 5.1.1"
grep -qx 'Remote-MTA: dns; 127.0.0.1' "$T/rep.lf"
ok $? "report: Remote-MTA: dns; 127.0.0.1"
grep -qx 'Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: no such user' "$T/rep.lf"
ok $? "report: Diagnostic-Code: smtp; 550 5.1.1 <bob@example.com>: no such user"
grep -qx 'Content-Type: message/rfc822' "$T/rep.lf"
ok $? "report: the message attached as message/rfc822"
grep -q '^Subject: partly refused$' "$T/rep.lf" &&
    grep -q '^Message-ID: <partial.1@origin.test>$' "$T/rep.lf"
ok $? "report: the original header attached"
grep -q '^the body of the partly refused message$' "$T/rep.lf"
ok $? "report: the original body attached (no RET=HDRS)"
is "$(grep -c '^--' "$T/rep.lf" | tr -d ' ')" 4 \
    "report: three parts and the closing boundary"

# --- the report is delivered by control/routes -----------------------------
start_fake origin || echo "# fakesmtp for origin.test did not start"
O=$T/origin
echo "origin.test 127.0.0.1:$FPORT" >"$R/control/routes"
send1 "$R" origin.test
is "$(nmsgs "$O")" 1 "the report is delivered to origin.test's server"
is "$(cat "$O/msg.1.env" 2>/dev/null)" "$(printf '%s\n' 'MAIL FROM:<>' \
    'RCPT TO:<sender@origin.test>')" "with MAIL FROM:<> to the sender"
grep -q '^Final-Recipient: rfc822; bob@example.com' "$O/msg.1" 2>/dev/null
ok $? "what arrives is the report"
is "$(queue_count "$R")" 0 "the queue is empty"

# --- a deferred recipient stays queued alone, under the same id -----------
printf '%s\n' 'Subject: partly deferred' '' 'deferred body' >"$T/data.2"
mail_in "$R" sender@origin.test alice@example.com,carol@example.com "$T/data.2"
ok $? "a message for alice and carol is accepted"
item=$(qitem_for "$R" example.com)
send1 "$R" example.com
is "$(nmsgs "$F")" 2 "alice's copy is delivered"
is "$(sed -n 2,9p "$F/msg.2.env" 2>/dev/null)" 'RCPT TO:<alice@example.com>' \
    "to alice only (carol was deferred)"
is "$(queue_files "$R")" "$item" "the item stays, under the same id, alone in the queue"
is "$(qitem_env "$item" 2>/dev/null | grep '^T ')" "T carol@example.com" \
    "the item now names carol only"
qitem_env "$item" 2>/dev/null | grep -qx 'S sender@origin.test'
ok $? "the item keeps its sender"
grep -q "^Subject: partly deferred" "$item"
ok $? "the item keeps its message"
now=$(date +%s)
due=$(stat -c %Y "$item" 2>/dev/null || echo 0)
[ "$due" -ge $((now + 50)) ] && [ "$due" -le $((now + 3600)) ]
ok $? "the item is due again in a minute or more (mtime +$((due - now)) s)"
grep -q '^snf-send\[[0-9]*\]: deferred id=[0-9.a-f]* to=<carol@example.com> .*reply=450\\s4.2.1' \
    "$T/send1.log"
ok $? "log: deferred ... to=<carol@example.com> ... reply=450 4.2.1"
! grep -q 'report to=' "$T/send1.log"
ok $? "no report for a deferred recipient"
is "$(queue_count "$R" origin.test)" 0 "no report queued"
send1 "$R"
is "$(nlog "$F" '^MAIL FROM:')" 2 "a pass without a domain leaves the deferred item alone (not due)"
rm -f "$item"

# --- delivered, refused and deferred at once; then the deferred one only ------
printf '%s\n' 'Subject: three ways' '' 'three ways body' >"$T/data.5"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com,carol@example.com "$T/data.5"
ok $? "a message for alice, bob and carol is accepted"
item=$(qitem_for "$R" example.com)
arr=$(qitem_env "$item" | sed -n 's/^A //p')
send1 "$R" example.com
is "$(qitem_env "$item" 2>/dev/null | grep '^T ')" "T carol@example.com" \
    "alice delivered, bob refused: the item keeps carol alone"
is "$(qitem_env "$item" 2>/dev/null | sed -n 's/^A //p')" "$arr" "and its arrival time"
is "$(queue_count "$R" origin.test)" 1 "a report for bob is queued"
rm -f "$R"/queue/mail/origin.test/*
start_fake all || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$(grep -E '^(MAIL|RCPT) ' "$T/all/log")" "$(printf '%s\n' \
    'MAIL FROM:<sender@origin.test>' 'RCPT TO:<carol@example.com>')" \
    "the next pass sends to carol only: alice gets no duplicate, bob no retry"
is "$(queue_count "$R")" 0 "done: the queue is empty, no second report"
stop_pid "$FPID" 5
primary "$R" "127.0.0.1:$(cat "$F/port")"

# --- no report to the null sender -------------------------------------------
chat_ok "$R" "a bounce (MAIL FROM:<>) to bob is accepted" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<>
< 250
> RCPT TO:<bob@example.com>
< 250
> DATA
< 354
> Subject: a bounce
> 
> bounce body
> .
< 250
> QUIT
< 221
EOF
send1 "$R" example.com
grep -q 'bounced id=.* to=<bob@example.com>' "$T/send1.log"
ok $? "bob is refused by the primary"
is "$(queue_count "$R")" 0 "the item is gone, and no report is queued for <>"
grep -q 'warning no report for a failure: the sender is <>' "$T/send1.log"
ok $? "log: no report for a failure: the sender is <>"

# --- NOTIFY=NEVER, and the DSN parameters passed on ---------------------------
chat_ok "$R" "RCPT with NOTIFY=NEVER, and a RET/ENVID/ORCPT transaction, accepted" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> RET=FULL ENVID=env-never
< 250
> RCPT TO:<bob@example.com> NOTIFY=NEVER
< 250
> RCPT TO:<alice@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.com
< 250
> DATA
< 354
> Subject: notify never
> 
> never body
> .
< 250
> QUIT
< 221
EOF
send1 "$R" example.com
grep -qx 'MAIL FROM:<sender@origin.test> RET=FULL ENVID=env-never' "$F/log"
ok $? "the primary offers DSN: MAIL FROM with RET= and ENVID="
grep -qx 'RCPT TO:<bob@example.com> NOTIFY=NEVER' "$F/log"
ok $? "RCPT TO with NOTIFY=NEVER"
grep -qx 'RCPT TO:<alice@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.com' "$F/log"
ok $? "RCPT TO with NOTIFY= and ORCPT="
grep -q 'bounced id=.* to=<bob@example.com>' "$T/send1.log"
ok $? "bob is refused"
is "$(queue_count "$R")" 0 "no report for NOTIFY=NEVER (and none 'relayed': DSN was offered)"

# BODY=8BITMIME goes on to a primary that offers 8BITMIME
chat_ok "$R" "an 8BITMIME message is accepted" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> BODY=8BITMIME
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA
< 354
> Subject: eight bits
> 
> caf\xc3\xa9
> .
< 250
> QUIT
< 221
EOF
send1 "$R" example.com
grep -qx 'MAIL FROM:<sender@origin.test> BODY=8BITMIME' "$F/log"
ok $? "MAIL FROM with BODY=8BITMIME"
is "$(queue_count "$R")" 0 "delivered"

# --- RET=HDRS: the header only ---------------------------------------------
chat_ok "$R" "a RET=HDRS message for bob is accepted" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> RET=HDRS ENVID=env-hdrs
< 250
> RCPT TO:<bob@example.com> NOTIFY=FAILURE ORCPT=rfc822;Bob@example.com
< 250
> DATA
< 354
> Subject: headers only
> X-Marker: hdrs
> 
> SECRET-BODY-LINE
> .
< 250
> QUIT
< 221
EOF
send1 "$R" example.com
is "$(queue_count "$R" origin.test)" 1 "a report is queued"
rep=$(qitem_for "$R" origin.test)
qitem_body "$rep" 2>/dev/null | tr -d '\r' >"$T/rep2"
grep -qx 'Content-Type: text/rfc822-headers' "$T/rep2"
ok $? "report: the original as text/rfc822-headers"
! grep -q 'Content-Type: message/rfc822' "$T/rep2"
ok $? "report: no message/rfc822 part"
grep -qx 'X-Marker: hdrs' "$T/rep2"
ok $? "report: the original header is there"
! grep -q 'SECRET-BODY-LINE' "$T/rep2"
ok $? "report: the original body is not"
grep -qx 'Original-Envelope-Id: env-hdrs' "$T/rep2"
ok $? "report: Original-Envelope-Id: env-hdrs"
grep -qx 'Original-Recipient: rfc822;Bob@example.com' "$T/rep2"
ok $? "report: Original-Recipient: rfc822;Bob@example.com"
rm -f "$rep"

# --- a primary without DSN gets no DSN parameters ----------------------------
start_fake nodsn --no-dsn --reject bob@example.com || echo "# fakesmtp did not start"
N=$T/nodsn
primary "$R" "127.0.0.1:$FPORT"
chat_ok "$R" "a message with every DSN parameter is accepted" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> RET=HDRS ENVID=env-nodsn
< 250
> RCPT TO:<alice@example.com> NOTIFY=FAILURE ORCPT=rfc822;alice@example.com
< 250
> DATA
< 354
> Subject: no dsn here
> 
> body
> .
< 250
> QUIT
< 221
EOF
send1 "$R" example.com
is "$(nmsgs "$N")" 1 "delivered to the primary without DSN"
is "$(grep -E '^(MAIL|RCPT) ' "$N/log")" "$(printf '%s\n' \
    'MAIL FROM:<sender@origin.test>' 'RCPT TO:<alice@example.com>')" \
    "no RET=, ENVID=, NOTIFY= or ORCPT= to a primary without DSN"
is "$(queue_count "$R")" 0 "nothing left, no report (no NOTIFY=SUCCESS)"

# NOTIFY=SUCCESS to a primary without DSN: a "relayed" report
chat_ok "$R" "a NOTIFY=SUCCESS message is accepted" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com> NOTIFY=SUCCESS
< 250
> DATA
< 354
> Subject: success wanted
> 
> body
> .
< 250
> QUIT
< 221
EOF
send1 "$R" example.com
is "$(nmsgs "$N")" 2 "delivered"
is "$(queue_count "$R" origin.test)" 1 "a report is queued for NOTIFY=SUCCESS"
rep=$(qitem_for "$R" origin.test)
qitem_body "$rep" 2>/dev/null | tr -d '\r' >"$T/rep3"
grep -qx 'Action: relayed' "$T/rep3" && grep -qx 'Final-Recipient: rfc822; alice@example.com' "$T/rep3"
ok $? "report: Final-Recipient alice, Action: relayed"

rm -f "$rep"

# NOTIFY without FAILURE: no failure report
start_fake dsn2 --reject bob@example.com || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
chat_ok "$R" "a message for bob with NOTIFY=SUCCESS,DELAY is accepted" <<'EOF2'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<bob@example.com> NOTIFY=SUCCESS,DELAY
< 250
> DATA
< 354
> Subject: no failure report wanted
> 
> body
> .
< 250
> QUIT
< 221
EOF2
send1 "$R" example.com
grep -q 'bounced id=.* to=<bob@example.com>' "$T/send1.log"
ok $? "bob is refused"
is "$(queue_count "$R")" 0 "NOTIFY without FAILURE: no report"

# --- the reply to the final dot decides for every accepted recipient ---------
printf '%s\n' 'Subject: refused after the dot' '' 'dot body' >"$T/data.3"
start_fake dot5 --data-code 554 || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/data.3"
ok $? "a message for alice and bob is accepted"
send1 "$R" example.com
is "$(queue_count "$R" example.com)" 0 "554 to the final dot: the item leaves the queue"
is "$(queue_count "$R" origin.test)" 1 "one report for both recipients"
qitem_body "$(qitem_for "$R" origin.test)" 2>/dev/null | tr -d '\r' >"$T/rep4"
is "$(grep -c '^Final-Recipient:' "$T/rep4" | tr -d ' ')" 2 "report: two recipient blocks"
is "$(grep -c '^Diagnostic-Code: smtp; 554 refused$' "$T/rep4" | tr -d ' ')" 2 \
    "report: Diagnostic-Code: smtp; 554 refused, for each"
is "$(grep -c '^Status: 5.0.0$' "$T/rep4" | tr -d ' ')" 2 \
    "report: Status: 5.0.0 (the reply had no enhanced code)"
empty_queue "$R"

start_fake dot4 --data-code 451 || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/data.3"
ok $? "a message for alice and bob is accepted"
item=$(qitem_for "$R" example.com)
send1 "$R" example.com
is "$(queue_files "$R")" "$item" "451 to the final dot: the item stays, same id, no report"
is "$(qitem_env "$item" 2>/dev/null | grep '^T ' | tr '\n' ' ')" \
    "T alice@example.com T bob@example.com " "with both recipients"
is "$(state_get "$R" state)" up "a temporary refusal of a message leaves the domain up"
empty_queue "$R"

# --- without PIPELINING: one command at a time, same results ----------------------
start_fake nopipe --no-pipelining --reject bob@example.com ||
    echo "# fakesmtp did not start"
NP=$T/nopipe
primary "$R" "127.0.0.1:$FPORT"
printf '%s\n' 'Subject: for bob only' '' 'bob body' >"$T/data.4"
mail_in "$R" sender@origin.test bob@example.com "$T/data.4"
ok $? "a message for bob alone is accepted"
next_second	# the next one is younger, so it comes second
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/data.3"
ok $? "a message for alice and bob is accepted"
send1 "$R" example.com
is "$(session_shape "$NP" | tr '\n' '|')" \
    "connect|EHLO mx.test.invalid|MAIL FROM:<sender@origin.test> RCPT TO:<bob@example.com>|RSET|MAIL FROM:<sender@origin.test> RCPT TO:<alice@example.com> RCPT TO:<bob@example.com> DATA|QUIT|" \
    "no PIPELINING: every recipient refused ends in RSET, the next message follows"
is "$(nmsgs "$NP")" 1 "one message delivered (to alice)"
is "$(queue_count "$R" example.com),$(queue_count "$R" origin.test)" "0,2" \
    "both items done, two reports queued"

done_testing
