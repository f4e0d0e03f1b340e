#!/bin/sh
# The verbs are safe against a running snf-send: a message locked by
# another process (flock, as snf-send locks the message it delivers) is
# said "busy" and is not held, unheld, requeued, released, removed or
# exported; the others are. A damaged message is left alone with a
# "damaged" line and exit 111 (490 has every kind of damage).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1
start_fake other || echo "# fakesmtp did not start"
O=$T/other
OP=$FPORT

i1=$(put "$R" m1 s1@origin.test alice@example.com)
i2=$(put "$R" m2 s1@origin.test bob@example.com)
i3=$(put "$R" m3 s2@other.test carol@example.com)
f1=$(item "$R" "$i1")
lock_item "$f1"
ok $? "another process holds the lock of m1"
t1=$(mtime "$f1")
BUSY="being delivered; left alone"

sq "$R" hold -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "hold -i: busy ID example.com being delivered; left alone"
is "$(where "$R" "$i1")" mail/example.com "  not held"
sq "$R" requeue -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "requeue -i: busy"
sq "$R" release -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "release -i: busy"
[ ! -e "$R/queue/etrn/example.com" ]
ok $? "  no ETRN request for it"
sq "$R" remove -y -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "remove -y -i: busy"
sq "$R" export -x -o "$T/md" -z "$T/m.mbox.gz" -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "export -x -o -z -i: busy"
is "$(find "$T/md" -type f | wc -l | tr -d ' '),$(zcat "$T/m.mbox.gz" | wc -c | tr -d ' ')" "0,0" \
    "  nothing in the Maildir, nothing in the mbox"
sq "$R" release -H "127.0.0.1:$OP" -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "release -H -i: busy"
is "$(nlog "$O" '^MAIL ')" 0 "  the other server got no MAIL"
sq "$R" release -m boss@elsewhere.test -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "release -m -i: busy"
is "$(queue_count "$R" elsewhere.test)" 0 "  no new message"
is "$(where "$R" "$i1"),$(mtime "$f1")" "mail/example.com,$t1" "m1 is still there, untouched"
sq "$R" remove -n -i "$i1"
out_is "$(tl would-remove "$i1" example.com)" "remove -n does not lock: would-remove"

sq "$R" remove -y example.com
out_is "$(for i in $(printf '%s\n' "$i1" "$i2" "$i3" | sort); do
	if [ "$i" = "$i1" ]; then
		tl busy "$i" example.com "$BUSY"
	else
		tl removed "$i" example.com
	fi
done)" "remove -y example.com: busy for m1, removed for the others; exit 0"
is "$(queue_count "$R" example.com)" 1 "only m1 is left"
unlock_item
qitem_body "$f1" | cmp -s - "$T/msg.m1"
ok $? "m1 is whole once the lock is gone"

# --- a held message being handled -----------------------------------------------------
sq "$R" hold -i "$i1"
out_is "$(tl held "$i1" example.com)" "unlocked, m1 can be held"
h1=$(item "$R" "$i1")
lock_item "$h1"
sq "$R" unhold -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "unhold -i of a locked held message: busy"
sq "$R" release -H "127.0.0.1:$OP" -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "release -H: busy"
sq "$R" remove -y -i "$i1"
out_is "$(tl busy "$i1" example.com "$BUSY")" "remove -y: busy"
is "$(where "$R" "$i1"),$(nlog "$O" '^MAIL ')" "hold/example.com,0" "still held, never sent"
unlock_item
sq "$R" remove -y -i "$i1"
out_is "$(tl removed "$i1" example.com held)" "unlocked: removed"

# --- snf-send delivering --------------------------------------------------------------
start_fake slow --rcpt-delay 4 || echo "# fakesmtp did not start"
S=$T/slow
primary "$R" "127.0.0.1:$FPORT"
i5=$(put "$R" m5 s1@origin.test alice@example.com)
snf-send -d "$R" -1 example.com 2>>"$SENDLOG" &
SP=$!
SERVER_PIDS="$SERVER_PIDS $SP"
wait_for 10 grep -qs '^RCPT ' "$S/log"
ok $? "snf-send is delivering m5 (the primary is slow to answer RCPT)"
sq "$R" remove -y -i "$i5"
out_is "$(tl busy "$i5" example.com "$BUSY")" "remove -y during the delivery: busy"
sq "$R" release -m boss@elsewhere.test -i "$i5"
out_is "$(tl busy "$i5" example.com "$BUSY")" "release -m during the delivery: busy"
sq "$R" hold -i "$i5"
out_is "$(tl busy "$i5" example.com "$BUSY")" "hold during the delivery: busy"
wait "$SP"
is "$?" 0 "snf-send -1 ends: exit 0"
is "$(nmsgs "$S"),$(queue_count "$R"),$(queue_count "$R" elsewhere.test)" "1,0,0" \
    "m5 was delivered once, and nothing else was made of it"
cmp -s "$(fake_msg "$S" m5)" "$T/msg.m5"
ok $? "  whole"

# --- a damaged message ----------------------------------------------------------------
i6=$(put "$R" m6 s1@origin.test alice@example.com)
f6=$(item "$R" "$i6")
python3 -c '
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[-2] = ord("0") if d[-2] != ord("0") else ord("1")	# the envelope checksum
open(p, "wb").write(d)' "$f6"
before=$(snap "$R")
DMG="$(tl damaged "$i6" example.com "left in the queue untouched")"
for v in "hold" "remove -y" "export -z $T/d.mbox.gz" "release -m boss@elsewhere.test" \
    "release -H 127.0.0.1:$OP"; do
	sq "$R" $v -i "$i6"
	is "$QRC:$(cat "$T/out")" "111:$DMG" \
	    "$v of a damaged message: damaged ID example.com left in the queue untouched, exit 111"
done
is "$(nlog "$O" '^MAIL ')" 0 "  nothing sent"
is "$(snap "$R")" "$before" "the damaged message is left as it is"
sq "$R" remove -n -r alice@example.com
is "$QRC:$(cat "$T/out")" "111:$DMG" \
    "a damaged envelope never matches -r: it is named, exit 111"

done_testing
