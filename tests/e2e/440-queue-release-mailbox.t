#!/bin/sh
# snf-queue release -m ADDRESS: each message selected is queued anew for
# that one mailbox, from control/release_sender (else postmaster@ the
# name in control/me), with X-Original-To and X-Original-Sender fields
# before the message, which is otherwise unchanged; the original leaves
# the queue. snf-send then delivers the new message by control/routes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1	# the primary is down
start_fake box || echo "# fakesmtp did not start"
B=$T/box
echo "elsewhere.test 127.0.0.1:$FPORT" >"$R/control/routes"

i1=$(put "$R" m1 s1@origin.test alice@example.com Bob@example.com)
i2=$(put "$R" m2 "" carol@example.com)
i3=$(put "$R" m3 s2@other.test x@example.net)
i4=$(put "$R" m4 s2@other.test alice@example.com)
sq "$R" hold -i "$i4"

# expect ID FILE RCPTS SENDER: the new message: the two fields, then
# the original, byte for byte.
expect() {
	printf 'X-Original-To: %s\r\nX-Original-Sender: <%s>\r\n' "$2" "$3"
	cat "$T/msg.$1"
}

before=$(snap "$R")
sq "$R" release -n -m boss@elsewhere.test example.com
out_is "$(per would-release example.com boss@elsewhere.test -- "$i1" "$i2"
    tl would-release "$i4" example.com boss@elsewhere.test)" \
    "release -n -m: would-release ID example.com ADDRESS, waiting then held"
is "$(snap "$R")" "$before" "release -n -m changed nothing"

# --- from postmaster@me ------------------------------------------------------------
sq "$R" release -m boss@elsewhere.test -i "$i1"
is "$QRC" 0 "release -m -i ID: exit 0"
n1=$(cut -f4 "$T/out")
is "$(cut -f1-3 "$T/out")" "$(tl released "$i1" example.com)" \
    "released ID example.com NEWID"
echo "$n1" | grep -q "^$IDRE\$"
ok $? "  the fourth field is the new id ($n1)"
is "$(where "$R" "$i1")" gone "the original left the queue"
is "$(where "$R" "$n1")" mail/elsewhere.test "the new item is queue/mail/elsewhere.test/NEWID"
f1=$(item "$R" "$n1")
is "$(qitem_env "$f1" | grep -v '^[AL] ')" "$(printf 'V 1\nD elsewhere.test\nS postmaster@mx.test.invalid\nT boss@elsewhere.test')" \
    "its envelope: from postmaster@ control/me, to the one mailbox"
expect m1 "<alice@example.com>,$(printf '\r\n\t')<Bob@example.com>" s1@origin.test >"$T/want.m1"
qitem_body "$f1" >"$T/got.m1"
cmp -s "$T/got.m1" "$T/want.m1"
rc=$?
ok $rc "its message: X-Original-To (every recipient), X-Original-Sender, then the original byte for byte"
[ $rc -eq 0 ] || show "$T/got.m1" 5
is "$(qitem_env "$f1" | sed -n 's/^L //p')" "$(wc -c <"$T/want.m1" | tr -d ' ')" \
    "  its size in the envelope is the new size"
grep -q "^snf-queue\[[0-9]*\]: released id=$i1 to=<boss@elsewhere.test> as $n1\$" "$T/err"
ok $? "log: released id=OLD to=<boss@elsewhere.test> as NEW"

# --- from control/release_sender, the null sender, a held message -------------------
echo relay@provider.test >"$R/control/release_sender"
sq "$R" release -m boss@elsewhere.test -s '<>'
n2=$(cut -f4 "$T/out")
out_is "$(tl released "$i2" example.com "$n2")" "release -m -s '<>': the message from the null sender"
f2=$(item "$R" "$n2")
is "$(qitem_env "$f2" | grep '^[ST] ')" "$(printf 'S relay@provider.test\nT boss@elsewhere.test')" \
    "its envelope: from control/release_sender"
expect m2 "<carol@example.com>" "" >"$T/want.m2"
qitem_body "$f2" >"$T/got.m2"
cmp -s "$T/got.m2" "$T/want.m2"
ok $? "its message: X-Original-To: <carol@example.com>, X-Original-Sender: <>, the original"

sq "$R" release -m boss@elsewhere.test -i "$i4"
n4=$(cut -f4 "$T/out")
out_is "$(tl released "$i4" example.com "$n4")" "release -m of a held message"
is "$(where "$R" "$i4"),$(where "$R" "$n4")" "gone,mail/elsewhere.test" \
    "  it left queue/hold; the new one waits in queue/mail"
expect m4 "<alice@example.com>" s2@other.test >"$T/want.m4"
is "$(where "$R" "$i3")" mail/example.net "m3 (not selected) stays"

# --- delivery of the new messages ----------------------------------------------------
send1 "$R"
is "$(nmsgs "$B"),$(queue_count "$R" elsewhere.test)" "3,0" \
    "snf-send -1 delivers the 3 new messages by control/routes"
for m in m1 m2 m4; do
	cmp -s "$(fake_msg "$B" $m)" "$T/want.$m"
	ok $? "$m arrives as the new item holds it"
done
is "$(cat "$(fake_msg "$B" m1).env")" "$(printf '%s\n' 'MAIL FROM:<postmaster@mx.test.invalid>' \
    'RCPT TO:<boss@elsewhere.test>')" "m1: MAIL FROM:<postmaster@mx.test.invalid> RCPT TO:<boss@elsewhere.test>"
is "$(cat "$(fake_msg "$B" m2).env")" "$(printf '%s\n' 'MAIL FROM:<relay@provider.test>' \
    'RCPT TO:<boss@elsewhere.test>')" "m2: MAIL FROM:<relay@provider.test> RCPT TO:<boss@elsewhere.test>"
is "$(where "$R" "$i3")" mail/example.net "m3 still waits for its own primary"

# --- usage ------------------------------------------------------------------------
before=$(snap "$R")
sq "$R" release -m 'not an address' example.net
is "$QRC" 100 "release -m with a malformed address: exit 100"
grep -q 'fatal: not a mailbox address: not an address' "$T/err"
ok $? "  fatal: not a mailbox address"
sq "$R" release -m boss@elsewhere.test
is "$QRC" 100 "release -m with no domain and no selection: exit 100"
is "$(snap "$R")" "$before" "  nothing changed"

done_testing
