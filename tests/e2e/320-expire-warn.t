#!/bin/sh
# snf-expire delay warnings: off by default; after domains/D/delay_warning
# (else control/delay_warning) one report with Action: delayed, Status:
# 4.4.7 and Will-Retry-Until, once and only once, recorded in the
# envelope (W) under the same id and mtime, and kept when snf-send
# rewrites the item. NOTIFY, the null sender, a held domain, an arrival
# in the future, a warning age past the lifetime.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/expirelib.sh"

R=$T/root
mkroot "$R"
DAY=86400
HOUR=3600

# envsum FILE: the envelope of an item without its W line, and its body.
envsum() {
	{ qitem_env "$1" | grep -v '^W '; qitem_body "$1"; } 2>/dev/null | cksum
}

# --- off by default ---------------------------------------------------------
it=$(put_item "$R" example.com $((2 * DAY)) sender@origin.test alice@example.com)
expire "$R"
is "$?$(cat "$T/exp.out")" 0 "no delay_warning: a message of 2 days gets no warning"
! qitem_env "$it" | grep -q '^W '
ok $? "its envelope is unchanged (no W line)"
is "$(nreports "$R")" 0 "no report"

# --- domains/D/delay_warning 1d: one warning ----------------------------------
echo 1d >"$R/domains/example.com/delay_warning"
due=$(( $(date +%s) + 600 ))
touch -d "@$due" "$it"	# as if snf-send had deferred it for 10 minutes
sum=$(envsum "$it")
id=$(basename "$it")
arr=$(qitem_env "$it" | sed -n 's/^A //p')

snapshot "$R" >"$T/before"
expire "$R" -n
is "$?" 0 "-n: exit 0"
is "$(cut -f 1-3,5 "$T/exp.out")" "$(printf 'would-warn\t%s\texample.com\tsender@origin.test' "$id")" \
    "-n: would-warn ID DOMAIN AGE SENDER"
snapshot "$R" >"$T/after"
cmp -s "$T/before" "$T/after"
ok $? "-n: nothing changed on disk"

t0=$(date +%s)
expire "$R"
is "$?" 0 "a run: exit 0"
t1=$(date +%s)
age=$(cut -f 4 "$T/exp.out")
is "$(cut -f 1-3,5 "$T/exp.out")" "$(printf 'warned\t%s\texample.com\tsender@origin.test' "$id")" \
    "stdout: warned ID DOMAIN AGE SENDER"
[ "${age:-0}" -ge $((2 * DAY)) ] && [ "$age" -le $((2 * DAY + 60)) ]
ok $? "the age is 2 days ($age s)"
grep -q "^snf-expire\[[0-9]*\]: warned id=$id domain=example.com age=${age}s from=<sender@origin.test> rcpts=1$" "$T/exp.log"
ok $? "log: warned id=... domain=... age=... from=<...> rcpts=1"
grep -q '^snf-expire\[[0-9]*\]: report to=<sender@origin.test> action=delayed rcpts=1 ids=' "$T/exp.log"
ok $? "log: report to=<sender@origin.test> action=delayed"
is "$(queue_files "$R" example.com)" "$it" "the message stays, under the same id"
w=$(qitem_env "$it" 2>/dev/null | sed -n 's/^W //p')
[ -n "$w" ] && [ "$w" -ge "$t0" ] && [ "$w" -le "$t1" ]
ok $? "its envelope records the warning: W $w"
is "$(qitem_env "$it" 2>/dev/null | grep -c '^W ' | tr -d ' ')" 1 "one W line"
is "$(envsum "$it")" "$sum" "the rest of the envelope and the message are unchanged"
is "$(stat -c %Y "$it")" "$due" "its mtime (the next delivery time) is kept"
snf-queue -d "$R" list example.com >"$T/list" 2>"$T/list.err"
is "$(cut -f 1 "$T/list")" "$id" "snf-queue list still reads it"

is "$(nreports "$R")" 1 "one report is queued"
report_text "$(reports "$R")" >"$T/rep"
grep -qx 'Subject: Delayed Mail (still being retried)' "$T/rep"
ok $? "report: Subject: Delayed Mail (still being retried)"
grep -qx 'From: Mail Delivery System <MAILER-DAEMON@mx.test.invalid>' "$T/rep" &&
    grep -qx 'To: <sender@origin.test>' "$T/rep"
ok $? "report: from MAILER-DAEMON to the sender"
grep -q '^This message has been held 2 days, the destination has not come back yet\.' "$T/rep"
ok $? "report: held 2 days, the destination has not come back yet"
grep -qx 'Final-Recipient: rfc822; alice@example.com' "$T/rep"
ok $? "report: Final-Recipient alice"
grep -qx 'Action: delayed' "$T/rep"
ok $? "report: Action: delayed"
grep -qx 'Status: 4.4.7' "$T/rep"
ok $? "report: Status: 4.4.7"
until=$(rfc5322 $((arr + 5 * DAY)))
grep -qx "Will-Retry-Until: $until" "$T/rep"
ok $? "report: Will-Retry-Until: the arrival plus the lifetime ($until)"
grep -q "the destination has not come back yet. It will be tried until $until;" "$T/rep"
ok $? "report: the text says until when"
! grep -q '^Remote-MTA:' "$T/rep" && ! grep -q '^Diagnostic-Code:' "$T/rep"
ok $? "report: no Remote-MTA, no Diagnostic-Code"
grep -qx "Subject: held $id" "$T/rep" && grep -qx 'Content-Type: message/rfc822' "$T/rep"
ok $? "report: the original attached"
qitem_env "$(reports "$R")" 2>/dev/null | grep -qx 'S '
ok $? "report envelope: the null sender"

# once and only once
expire "$R"
is "$?$(cat "$T/exp.out")" 0 "a second run: nothing to say"
is "$(nreports "$R")" 1 "and no second warning"
expire "$R" -n
is "$?$(cat "$T/exp.out")" 0 "-n: nothing would be done either"

# --- snf-send rewrites the item: the warning is kept --------------------------
rm -f "$R"/queue/mail/origin.test/*
start_fake primary --defer carol@example.com || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
two=$(put_item "$R" example.com $((2 * DAY)) sender@origin.test alice@example.com,carol@example.com)
rm -f "$it"
expire "$R"
is "$(cut -f 1 "$T/exp.out")$(nreports "$R")" warned1 "a message for alice and carol is warned"
rm -f "$R"/queue/mail/origin.test/*
send1 "$R" example.com
is "$(qitem_env "$two" 2>/dev/null | grep '^T ')" "T carol@example.com" \
    "snf-send delivers to alice, keeps carol (deferred) under the same id"
qitem_env "$two" 2>/dev/null | grep -q '^W '
ok $? "the rewritten envelope keeps its W line"
expire "$R"
is "$?$(cat "$T/exp.out")$(nreports "$R")" 00 "no second warning after the rewrite"
stop_pid "$FPID" 5
rm -f "$two"

# --- then the lifetime ends: the failure report follows -------------------------
it=$(put_item "$R" example.com $((2 * DAY)) sender@origin.test alice@example.com)
expire "$R"
is "$(cut -f 1 "$T/exp.out")" warned "warned at 2 days"
echo 1d >"$R/domains/example.com/lifetime"
expire "$R"
is "$(cut -f 1 "$T/exp.out")" expired "a lifetime of 1 day: then it expires"
is "$(nreports "$R")" 2 "two reports in all: the warning and the failure"
for f in $(reports "$R"); do report_text "$f"; done >"$T/reps"
is "$(grep -E '^Action: ' "$T/reps" | sort | tr '\n' ' ')" "Action: delayed Action: failed " \
    "one delayed, one failed"
rm -f "$R"/queue/mail/origin.test/* "$R/domains/example.com/lifetime"

# a warning age past the lifetime: the message expires unwarned
echo 1d >"$R/domains/example.com/lifetime"
echo 2d >"$R/domains/example.com/delay_warning"
it=$(put_item "$R" example.com $((3 * DAY)) sender@origin.test alice@example.com)
expire "$R"
is "$(cut -f 1 "$T/exp.out")$(nreports "$R")" expired1 "warning age 2d, lifetime 1d: expired, one report"
report_text "$(reports "$R")" | grep -qx 'Action: failed'
ok $? "and it is the failure"
rm -f "$R"/queue/mail/origin.test/* "$R/domains/example.com/lifetime"
echo 1d >"$R/domains/example.com/delay_warning"

# --- NOTIFY and the null sender ----------------------------------------------------
nf=$(put_item "$R" example.com $((2 * DAY)) sender@origin.test 'alice@example.com|FAILURE+SUCCESS')
nv=$(put_item "$R" example.com $((2 * DAY)) sender@origin.test 'alice@example.com|NEVER')
ns=$(put_item "$R" example.com $((2 * DAY)) "" alice@example.com)
s1=$(qitem_env "$nf" | cksum) s2=$(qitem_env "$nv" | cksum) s3=$(qitem_env "$ns" | cksum)
expire "$R"
is "$?$(cat "$T/exp.out")$(nreports "$R")" 00 \
    "NOTIFY without DELAY, NOTIFY=NEVER, the null sender: no warning"
[ "$(qitem_env "$nf" | cksum)" = "$s1" ] && [ "$(qitem_env "$nv" | cksum)" = "$s2" ] &&
    [ "$(qitem_env "$ns" | cksum)" = "$s3" ]
ok $? "their envelopes are not rewritten"
rm -f "$nf" "$nv" "$ns"

part=$(put_item "$R" example.com $((2 * DAY)) sender@origin.test \
    'alice@example.com|DELAY+FAILURE,bob@example.com|NEVER,carol@example.com')
expire "$R"
is "$(cut -f 1 "$T/exp.out")" warned "NOTIFY=DELAY for alice, NEVER for bob, none for carol: warned"
report_text "$(reports "$R")" >"$T/rep"
is "$(grep '^Final-Recipient: ' "$T/rep" | tr '\n' ' ')" \
    "Final-Recipient: rfc822; alice@example.com Final-Recipient: rfc822; carol@example.com " \
    "report: alice and carol, not bob"
is "$(grep -c '^Will-Retry-Until: ' "$T/rep" | tr -d ' ')" 2 "report: Will-Retry-Until for each"
rm -f "$part" "$R"/queue/mail/origin.test/*

# --- control/delay_warning, and 0 in the domain turns it off --------------------
rm -f "$R/domains/example.com/delay_warning"
echo 1h >"$R/control/delay_warning"
it=$(put_item "$R" example.com $((2 * HOUR)) sender@origin.test alice@example.com)
echo 0 >"$R/domains/example.com/delay_warning"
expire "$R"
is "$?$(cat "$T/exp.out")" 0 "control/delay_warning 1h, domains/D/delay_warning 0: off"
rm -f "$R/domains/example.com/delay_warning"
expire "$R"
is "$(cut -f 1 "$T/exp.out")" warned "control/delay_warning 1h alone: a message of 2 hours is warned"
report_text "$(reports "$R")" | grep -q '^This message has been held 2 hours,'
ok $? "report: held 2 hours"
rm -f "$it" "$R"/queue/mail/origin.test/*

# --- a held domain, an arrival in the future: no warning --------------------
it=$(put_item "$R" example.com $((2 * HOUR)) sender@origin.test alice@example.com)
touch "$R/domains/example.com/hold"
expire "$R"
is "$?$(cat "$T/exp.out")$(nreports "$R")" 00 "a held domain: no warning"
rm -f "$R/domains/example.com/hold" "$it"
it=$(put_item "$R" example.com $((-3 * DAY)) sender@origin.test alice@example.com)
expire "$R"
is "$?$(cat "$T/exp.out")$(nreports "$R")" 00 "an arrival 3 days ahead: no warning"
rm -f "$it"

# --- a bad delay_warning: no warnings, expiry goes on, exit 111 ---------------
echo soon >"$R/domains/example.com/delay_warning"
w1=$(put_item "$R" example.com $((2 * HOUR)) sender@origin.test alice@example.com)
x1=$(put_item "$R" example.com $((6 * DAY)) sender@origin.test alice@example.com)
expire "$R"
is "$?" 111 "a delay_warning that is not a duration: exit 111"
is "$(cut -f 1,2 "$T/exp.out")" "$(printf 'expired\t%s' "$(basename "$x1")")" \
    "the old message still expires, the young one is not warned"
grep -q 'warning domains/example.com/delay_warning is unreadable or not a duration' "$T/exp.log"
ok $? "log: a warning names the file"

done_testing
