#!/bin/sh
# snf-expire: a message older than its domain's lifetime goes back to its
# sender as an RFC 3464 report (Action: failed, Status: 4.4.7, "held N
# days, the destination did not come back") and leaves the queue; the
# report is delivered by snf-send. The lifetime setting and its default,
# -n, the null sender, NOTIFY, RET/ENVID/ORCPT, a held domain, an arrival
# in the future, a damaged item, a report that cannot be queued.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/expirelib.sh"

R=$T/root
mkroot "$R"
DAY=86400

# --- a short lifetime: the message comes back --------------------------------
printf '%s\n' 'From: sender@origin.test' 'Subject: held too long' \
    'Message-ID: <expire.1@origin.test>' '' 'the body of the held message' \
    >"$T/data.1"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/data.1"
ok $? "a message for alice and bob is accepted"
item=$(qitem_for "$R" example.com)
id=$(basename "$item")
echo 1s >"$R/domains/example.com/lifetime"
clock_skip 2

snapshot "$R" >"$T/before"
expire "$R" -n
is "$?" 0 "-n: exit 0"
age=$(cut -f 4 "$T/exp.out")
is "$(cut -f 1-3,5 "$T/exp.out")" "$(printf 'would-expire\t%s\texample.com\tsender@origin.test' "$id")" \
    "-n: one line: would-expire ID DOMAIN AGE SENDER"
[ "${age:-0}" -ge 2 ] && [ "$age" -le 60 ]
ok $? "-n: the age is in seconds ($age)"
snapshot "$R" >"$T/after"
cmp -s "$T/before" "$T/after"
ok $? "-n: nothing changed on disk"

expire "$R"
is "$?" 0 "a run: exit 0"
age=$(cut -f 4 "$T/exp.out")
is "$(cut -f 1-3,5 "$T/exp.out")" "$(printf 'expired\t%s\texample.com\tsender@origin.test' "$id")" \
    "stdout: expired ID DOMAIN AGE SENDER"
is "$(queue_count "$R" example.com)" 0 "the message left the queue"
is "$(nreports "$R")" 1 "one report is queued for the sender's domain"
grep -q "^snf-expire\[[0-9]*\]: expired id=$id domain=example.com age=${age}s from=<sender@origin.test> rcpts=2 report=queued$" "$T/exp.log"
ok $? "log: expired id=... domain=... age=... from=<...> rcpts=2 report=queued"
grep -q '^snf-expire\[[0-9]*\]: report to=<sender@origin.test> action=failed rcpts=2 ids=' "$T/exp.log"
ok $? "log: report to=<sender@origin.test> action=failed rcpts=2"

rep=$(reports "$R")
qitem_env "$rep" >"$T/rep.env" 2>/dev/null
grep -qx 'S ' "$T/rep.env"
ok $? "report envelope: the null sender"
is "$(grep '^T ' "$T/rep.env")" "T sender@origin.test" "report envelope: to the sender"
report_text "$rep" >"$T/rep"
hdr() {
	sed -n '1,/^$/p' "$T/rep"
}
hdr | grep -qx 'From: Mail Delivery System <MAILER-DAEMON@mx.test.invalid>'
ok $? "report: From: MAILER-DAEMON@ this host"
hdr | grep -qx 'To: <sender@origin.test>'
ok $? "report: To: the sender"
hdr | grep -qx 'Subject: Undelivered Mail Returned to Sender'
ok $? "report: Subject: Undelivered Mail Returned to Sender"
hdr | grep -qx 'Auto-Submitted: auto-replied'
ok $? "report: Auto-Submitted: auto-replied"
hdr | grep -q '^Content-Type: multipart/report; report-type=delivery-status;'
ok $? "report: multipart/report; report-type=delivery-status"
grep -q '^This message was held [0-9]* seconds, the destination did not come back\.' "$T/rep"
ok $? "report: the reason, held N seconds (a lifetime under a day)"
grep -qx 'Content-Type: message/delivery-status' "$T/rep"
ok $? "report: a message/delivery-status part"
grep -qx 'Reporting-MTA: dns; mx.test.invalid' "$T/rep"
ok $? "report: Reporting-MTA"
grep -q '^Arrival-Date: ' "$T/rep"
ok $? "report: Arrival-Date"
is "$(grep -c '^Final-Recipient: ' "$T/rep" | tr -d ' ')" 2 "report: two recipient blocks"
grep -qx 'Final-Recipient: rfc822; alice@example.com' "$T/rep" &&
    grep -qx 'Final-Recipient: rfc822; bob@example.com' "$T/rep"
ok $? "report: Final-Recipient alice and bob"
is "$(grep -c '^Action: failed$' "$T/rep" | tr -d ' ')" 2 "report: Action: failed, each"
is "$(grep -c '^Status: 4.4.7$' "$T/rep" | tr -d ' ')" 2 "report: Status: 4.4.7, each"
! grep -q '^Remote-MTA:' "$T/rep"
ok $? "report: no Remote-MTA (no server answered)"
! grep -q '^Diagnostic-Code:' "$T/rep"
ok $? "report: no Diagnostic-Code"
! grep -q '^Will-Retry-Until:' "$T/rep"
ok $? "report: no Will-Retry-Until in a failure"
grep -qx 'Content-Type: message/rfc822' "$T/rep"
ok $? "report: the original attached as message/rfc822"
grep -qx 'Subject: held too long' "$T/rep" &&
    grep -qx 'Message-ID: <expire.1@origin.test>' "$T/rep"
ok $? "report: the original header attached"
grep -qx 'the body of the held message' "$T/rep"
ok $? "report: the original body attached (no RET=HDRS)"
is "$(grep -c '^--' "$T/rep" | tr -d ' ')" 4 "report: three parts and the closing boundary"

expire "$R"
is "$?$(cat "$T/exp.out")" 0 "a second run: exit 0, nothing to say"
is "$(nreports "$R")" 1 "and no second report"

# --- the report reaches the sender's server by control/routes ----------------
start_fake origin || echo "# fakesmtp did not start"
O=$T/origin
echo "origin.test 127.0.0.1:$FPORT" >"$R/control/routes"
send1 "$R" origin.test
is "$(nmsgs "$O")" 1 "snf-send delivers the report to origin.test's server"
is "$(cat "$O/msg.1.env" 2>/dev/null)" "$(printf '%s\n' 'MAIL FROM:<>' \
    'RCPT TO:<sender@origin.test>')" "with MAIL FROM:<> to the sender"
grep -q '^Status: 4.4.7' "$O/msg.1" 2>/dev/null &&
    grep -q 'the destination did not come back' "$O/msg.1"
ok $? "what arrives is the expiry report"
is "$(queue_count "$R")" 0 "the queue is empty"
stop_pid "$FPID" 5
rm -f "$R/control/routes"

# --- the default lifetime: 5 days, from the arrival time -------------------
rm -f "$R/domains/example.com/lifetime"
old=$(put_item "$R" example.com $((6 * DAY + 3600)) sender@origin.test alice@example.com)
young=$(put_item "$R" example.com $((4 * DAY)) sender@origin.test bob@example.com)
touch "$old"	# the mtime says nothing of the age
expire "$R"
is "$?" 0 "default lifetime: exit 0"
is "$(cut -f 1,2 "$T/exp.out")" "$(printf 'expired\t%s' "$(basename "$old")")" \
    "a message of 6 days expires (its mtime is now: the arrival counts)"
[ -f "$young" ]
ok $? "a message of 4 days stays"
report_text "$(reports "$R")" >"$T/rep"
grep -q '^This message was held 6 days, the destination did not come back\.' "$T/rep"
ok $? "report: held 6 days, the destination did not come back"
grep -q "^Subject: held $(basename "$old")\$" "$T/rep"
ok $? "report: about that message"
rm -f "$R"/queue/mail/origin.test/*

# domains/D/lifetime, else control/lifetime
echo 3d >"$R/control/lifetime"
echo 10d >"$R/domains/example.com/lifetime"
mid=$(put_item "$R" example.com $((7 * DAY)) sender@origin.test alice@example.com)
expire "$R"
is "$?$(cat "$T/exp.out")" 0 "domains/D/lifetime 10d overrides control/lifetime 3d: nothing expires"
rm -f "$R/domains/example.com/lifetime"
expire "$R"
is "$(cut -f 1 "$T/exp.out" | tr '\n' ' ')" "expired expired " \
    "control/lifetime 3d: the messages of 4 and 7 days expire"
[ ! -f "$young" ] && [ ! -f "$mid" ]
ok $? "both left the queue"
is "$(nreports "$R")" 2 "two reports"
rm -f "$R"/queue/mail/origin.test/* "$R/control/lifetime"

# --- a lifetime that is not a duration: nothing expires, exit 111 ----------
echo '5 days' >"$R/domains/example.com/lifetime"
it=$(put_item "$R" example.com $((9 * DAY)) sender@origin.test alice@example.com)
expire "$R"
is "$?" 111 "a lifetime that is not a duration: exit 111"
[ -f "$it" ] && [ ! -s "$T/exp.out" ]
ok $? "and the domain's mail is not returned on a guess"
grep -q 'warning domains/example.com/lifetime is unreadable or not a duration' "$T/exp.log"
ok $? "log: a warning names the file"
rm -f "$R/domains/example.com/lifetime"
expire "$R"
is "$?$(cut -f 1 "$T/exp.out")" 0expired "fixed: the message expires"
rm -f "$R"/queue/mail/origin.test/*

# --- a held domain: nothing expires, until hold is removed -----------------
touch "$R/domains/example.com/hold"
it=$(put_item "$R" example.com $((30 * DAY)) sender@origin.test alice@example.com)
expire "$R" -n
is "$?$(cat "$T/exp.out")" 0 "held domain: -n has nothing to say"
expire "$R"
is "$?$(cat "$T/exp.out")" 0 "held domain: a run has nothing to say"
[ -f "$it" ] && [ "$(nreports "$R")" = 0 ]
ok $? "held domain: a message of 30 days stays, no report"
rm -f "$R/domains/example.com/hold"
expire "$R"
is "$(cut -f 1,2 "$T/exp.out")" "$(printf 'expired\t%s' "$(basename "$it")")" \
    "hold removed: it expires"
rm -f "$R"/queue/mail/origin.test/*

# held one by one (queue/hold/D/ID): never looked at
mkdir -p "$R/queue/hold/example.com"
it=$(put_item "$R" example.com $((30 * DAY)) sender@origin.test alice@example.com)
mv "$it" "$R/queue/hold/example.com/"
svc_own "$R"
expire "$R"
is "$?$(cat "$T/exp.out")" 0 "a message in queue/hold/ is not looked at"
[ -f "$R/queue/hold/example.com/$(basename "$it")" ]
ok $? "it stays there"
rm -rf "$R/queue/hold"

# --- the clock stepped back: an arrival in the future is age 0 -------------
echo 1s >"$R/domains/example.com/lifetime"
fut=$(put_item "$R" example.com $((-10 * DAY)) sender@origin.test alice@example.com)
clock_skip 2
expire "$R"
is "$?$(cat "$T/exp.out")" 0 "an arrival 10 days ahead: not expired, with a lifetime of 1s"
[ -f "$fut" ]
ok $? "it stays in the queue"
rm -f "$fut"

# --- the null sender: it expires, without a report -------------------------
chat_ok "$R" "a bounce (MAIL FROM:<>) for alice is accepted" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<>
< 250
> RCPT TO:<alice@example.com>
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
clock_skip 2
expire "$R"
is "$?" 0 "null sender: exit 0"
is "$(cut -f 1,3,5 "$T/exp.out")" "$(printf 'expired\texample.com\t<>')" \
    "stdout: expired ... <>"
is "$(queue_count "$R")" 0 "the message left the queue, and no report was queued"
grep -q '^snf-expire\[[0-9]*\]: expired id=.* from=<> rcpts=1 report=none reason=null-sender$' "$T/exp.log"
ok $? "log: report=none reason=null-sender"

# --- NOTIFY ------------------------------------------------------------------
chat_ok "$R" "NOTIFY=NEVER for alice, NOTIFY=SUCCESS,DELAY for bob" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com> NOTIFY=NEVER
< 250
> RCPT TO:<bob@example.com> NOTIFY=SUCCESS,DELAY
< 250
> DATA
< 354
> Subject: no report wanted
> 
> body
> .
< 250
> QUIT
< 221
EOF
clock_skip 2
expire "$R"
is "$?$(cut -f 1 "$T/exp.out")" 0expired "NOTIFY=NEVER and NOTIFY without FAILURE: expired"
is "$(queue_count "$R")" 0 "no report queued"
grep -q 'report=none reason=notify$' "$T/exp.log"
ok $? "log: report=none reason=notify"

chat_ok "$R" "NOTIFY=NEVER for alice, none for bob, RET=HDRS, ENVID, ORCPT" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> RET=HDRS ENVID=env-exp
< 250
> RCPT TO:<alice@example.com> NOTIFY=NEVER
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
clock_skip 2
expire "$R"
is "$?" 0 "exit 0"
is "$(nreports "$R")" 1 "one report"
report_text "$(reports "$R")" >"$T/rep"
is "$(grep '^Final-Recipient: ' "$T/rep")" 'Final-Recipient: rfc822; bob@example.com' \
    "report: bob only (alice asked for NEVER)"
grep -qx 'Original-Recipient: rfc822;Bob@example.com' "$T/rep"
ok $? "report: Original-Recipient from ORCPT"
grep -qx 'Original-Envelope-Id: env-exp' "$T/rep"
ok $? "report: Original-Envelope-Id from ENVID"
grep -qx 'Content-Type: text/rfc822-headers' "$T/rep" &&
    grep -qx 'X-Marker: hdrs' "$T/rep"
ok $? "report: RET=HDRS, the header as text/rfc822-headers"
! grep -q 'SECRET-BODY-LINE' "$T/rep"
ok $? "report: without the body"
rm -f "$R"/queue/mail/origin.test/*

# --- a report that cannot be queued: the message stays, exit 111 -----------
it=$(put_item "$R" example.com 60 sender@origin.test alice@example.com)
SNF_QUEUE=/bin/false snf-expire -d "$R" >"$T/exp.out" 2>"$T/exp.log"
is "$?" 111 "the queue writer fails: exit 111"
[ -f "$it" ] && [ ! -s "$T/exp.out" ] && [ "$(nreports "$R")" = 0 ]
ok $? "the message stays, nothing said on stdout"
grep -q 'warning report to <sender@origin.test> not queued' "$T/exp.log"
ok $? "log: the report was not queued"
expire "$R"
is "$?$(cut -f 1 "$T/exp.out")$(nreports "$R")" 0expired1 \
    "the next run returns it"
rm -f "$R"/queue/mail/origin.test/*

# --- a damaged item is left in place ----------------------------------------
good=$(put_item "$R" example.com 60 sender@origin.test alice@example.com)
bad=$R/queue/mail/example.com/0000000001.0123456789ab
printf 'not an item\n' >"$bad"
expire "$R"
is "$?" 111 "a damaged item: exit 111"
[ -f "$bad" ]
ok $? "it is left in place"
grep -q "warning queue/mail/example.com/0000000001.0123456789ab damaged (Bad message): left in the queue untouched" "$T/exp.log"
ok $? "log: a warning names it"
[ ! -f "$good" ] && [ "$(nreports "$R")" = 1 ]
ok $? "the others are expired all the same"
rm -f "$bad"

# --- usage -------------------------------------------------------------------
snf-expire -d "$R" extra >/dev/null 2>&1
is "$?" 100 "an operand: usage, exit 100"
snf-expire -x >/dev/null 2>&1
is "$?" 100 "an unknown option: exit 100"
snf-expire -d "$T/nonexistent" >/dev/null 2>&1
is "$?" 111 "a root folder that cannot be opened: exit 111"

done_testing
