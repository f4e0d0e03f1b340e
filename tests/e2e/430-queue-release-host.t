#!/bin/sh
# snf-queue release -H HOST[:PORT]: while the primary is down and the
# domain held, the messages selected go to another server over one
# session, recipients and message unchanged; the rest stay. Refusals
# there are handled as snf-send handles them: 5xx bounced with a report
# queued for the sender, 4xx kept. A session that cannot start changes
# nothing; one that ends midway stops the release there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1	# the primary is down
touch "$R/domains/example.com/hold"
start_fake other || echo "# fakesmtp did not start"
O=$T/other
OP=$FPORT

i1=$(put "$R" m1 s1@origin.test alice@example.com)
i2=$(put "$R" m2 s1@origin.test alice@example.com Bob@example.com)
i3=$(put "$R" m3 s2@other.test carol@example.com)
i4=$(put "$R" m4 s1@origin.test x@example.net)

before=$(snap "$R")
sq "$R" release -n -H "127.0.0.1:$OP" -s s1@origin.test example.com
out_is "$(per would-release example.com "127.0.0.1:$OP" -- "$i1" "$i2")" \
    "release -n -H: would-release ID example.com HOST:PORT, for m1 and m2"
is "$(snap "$R"),$(nlog "$O" .)" "$before,0" "release -n: nothing changed, no connection"

sq "$R" release -H "127.0.0.1:$OP" -s s1@origin.test example.com
out_is "$(for i in $(printf '%s\n' "$i1" "$i2" | sort); do
	if [ "$i" = "$i1" ]; then
		tl released "$i" example.com "delivered 1, kept 0, bounced 0"
	else
		tl released "$i" example.com "delivered 2, kept 0, bounced 0"
	fi
done)" "release -H -s s1@origin.test example.com: released, delivered 1 and 2"
is "$(where "$R" "$i1"),$(where "$R" "$i2")" "gone,gone" "m1 and m2 left the queue"
is "$(where "$R" "$i3"),$(where "$R" "$i4")" "mail/example.com,mail/example.net" \
    "m3 (another sender) and m4 (another domain) stay"
is "$(nmsgs "$O"),$(nlog "$O" '^connect$'),$(nlog "$O" '^QUIT$')" "2,1,1" \
    "the other server got 2 messages over one session"
is "$(session_shape "$O" | tr '\n' '|')" \
    "connect|EHLO mx.test.invalid|MAIL FROM:<s1@origin.test> RCPT TO:<alice@example.com> DATA|MAIL FROM:<s1@origin.test> RCPT TO:<alice@example.com> RCPT TO:<Bob@example.com> DATA|QUIT|" \
    "the session: the original senders and recipients, unchanged"
for m in m1 m2; do
	f=$(fake_msg "$O" $m)
	cmp -s "$f" "$T/msg.$m"
	ok $? "$m stored there byte for byte as it was queued"
done
[ -f "$R/domains/example.com/hold" ]
ok $? "the domain stays held"
grep -q "^snf-queue\[[0-9]*\]: delivered id=$i2 to=<Bob@example.com> relay=127.0.0.1\[127.0.0.1\] reply=250" "$T/err"
ok $? "log: delivered id=... to=<Bob@example.com> relay=127.0.0.1[127.0.0.1], as snf-send logs"

# --- a held message, and refusals --------------------------------------------
sq "$R" hold -i "$i3"
sq "$R" release -H "127.0.0.1:$OP" -i "$i3"
out_is "$(tl released "$i3" example.com "delivered 1, kept 0, bounced 0")" \
    "release -H -i of a held message: delivered 1"
is "$(where "$R" "$i3")" gone "  it left queue/hold"

start_fake part --reject bob@example.com --defer carol@example.com || echo "# fakesmtp did not start"
P=$T/part
i5=$(put "$R" m5 s1@origin.test alice@example.com bob@example.com carol@example.com)
sq "$R" release -H "127.0.0.1:$FPORT" -i "$i5"
out_is "$(tl released "$i5" example.com "delivered 1, kept 1, bounced 1")" \
    "alice 250, bob 550, carol 450: delivered 1, kept 1, bounced 1"
is "$(qitem_env "$(item "$R" "$i5")" | grep '^T ')" "T carol@example.com" \
    "the message stays, for carol only"
is "$(where "$R" "$i5")" mail/example.com "  under its own id"
[ "$(mtime "$(item "$R" "$i5")")" -gt "$(date +%s)" ]
ok $? "  deferred (due later), as snf-send defers"
is "$(queue_count "$R" origin.test)" 1 "a delivery report is queued for the sender's domain"
rep=$(qitem_for "$R" origin.test)
is "$(qitem_env "$rep" | grep '^[ST] ')" "$(printf 'S \nT s1@origin.test')" \
    "  from the null sender to s1@origin.test"
qitem_body "$rep" | grep -q "^Final-Recipient: rfc822; *bob@example.com"
ok $? "  Final-Recipient: bob@example.com"
qitem_body "$rep" | grep -q '^Action: failed'
ok $? "  Action: failed"
qitem_body "$rep" | grep -q '^Final-Recipient: rfc822; *alice@example.com'
[ $? -ne 0 ]
ok $? "  nothing about alice, who got it"
cmp -s "$(fake_msg "$P" m5)" "$T/msg.m5"
ok $? "alice's copy stored byte for byte"

# --- a session that does not start, one that ends midway ----------------------
before=$(snap "$R")
sq "$R" release -H 127.0.0.1:1 example.com
is "$QRC:$(cat "$T/out")" "111:" "release -H to a server that is down: exit 111, no line"
grep -q 'fatal: cannot deliver to 127.0.0.1:1: ' "$T/err"
ok $? "  fatal: cannot deliver to 127.0.0.1:1: ..."
is "$(snap "$R")" "$before" "  nothing changed"

start_fake drop --drop-after-dot 1 || echo "# fakesmtp did not start"
D=$T/drop
i6=$(put "$R" m6 s3@third.test alice@example.com)
i7=$(put "$R" m7 s3@third.test y@example.net)
f7=$(item "$R" "$i7")
t7=$(mtime "$f7")
sq "$R" release -H "127.0.0.1:$FPORT" -s s3@third.test
is "$QRC:$(cat "$T/out")" "111:$(tl released "$i6" example.com "delivered 0, kept 1, bounced 0")" \
    "the server drops the session after m6's data: kept 1, exit 111"
grep -q "warning the session with 127.0.0.1:$FPORT ended: " "$T/err"
ok $? "  warning the session with ... ended"
is "$(nlog "$D" '^MAIL ')" 1 "nothing more was tried on the dead session (m7 of example.net)"
is "$(where "$R" "$i6"),$(where "$R" "$i7")" "mail/example.com,mail/example.net" "m6 and m7 stay"
is "$(mtime "$f7")" "$t7" "m7 untouched (not deferred)"

# --- usage ----------------------------------------------------------------------
sq "$R" release -H "127.0.0.1:$OP"
is "$QRC" 100 "release -H with no domain and no selection: exit 100"
sq "$R" release -H "127.0.0.1:$OP" -m boss@elsewhere.test example.com
is "$QRC" 100 "release -H and -m together: exit 100"
sq "$R" release -H "127.0.0.1:$OP:25" example.com
is "$QRC" 100 "release -H with a malformed host: exit 100"
grep -q "fatal: not a host\[:port\]: 127.0.0.1:$OP:25" "$T/err"
ok $? "  fatal: not a host[:port]: ..."
is "$(nlog "$O" '^connect$')" 2 "  none of them connected"

done_testing
