#!/bin/sh
# snf-queue hold and unhold: a whole domain (its hold file: snf-send
# delivers nothing for it, even when asked for the domain, and
# everything once it is unheld), and single messages by -i and -r
# (moved to queue/hold/D/ID, left alone by snf-send, back and due at
# once after unhold). Dry runs change nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
start_fake fs || echo "# fakesmtp did not start"
F=$T/fs
primary "$R" "127.0.0.1:$FPORT"
H=$R/domains/example.com/hold

# --- a whole domain --------------------------------------------------------
i1=$(put "$R" m1 s1@origin.test alice@example.com)
i2=$(put "$R" m2 s1@origin.test bob@example.com)
i3=$(put "$R" m3 s2@other.test alice@example.com carol@example.com)
is "$(queue_count "$R" example.com)" 3 "three messages queued for example.com"

sq "$R" hold -n example.com
out_is "$(tl would-hold - example.com domain)" "hold -n example.com: would-hold - example.com domain"
[ ! -e "$H" ]
ok $? "hold -n: no hold file"

sq "$R" hold EXAMPLE.com
out_is "$(tl held - example.com domain)" "hold EXAMPLE.com: held - example.com domain (any case)"
[ -f "$H" ] && [ ! -s "$H" ]
ok $? "domains/example.com/hold exists, empty"
is "$(snf-queue -d "$R" status example.com | cut -f5,6)" "held	3" \
    "status: held, 3 messages"

send1 "$R"
send1 "$R" example.com
is "$(nlog "$F" '^connect$'),$(nmsgs "$F"),$(queue_count "$R" example.com)" "0,0,3" \
    "while held, snf-send -1 (and -1 example.com) connects nowhere, delivers nothing"

sq "$R" hold example.com
out_is "$(tl held - example.com domain)" "hold again: the same line"

sq "$R" unhold -n example.com
out_is "$(tl would-unhold - example.com domain)" "unhold -n example.com: would-unhold - example.com domain"
[ -f "$H" ]
ok $? "unhold -n: the hold file stays"

sq "$R" unhold example.com
out_is "$(tl unheld - example.com domain)" "unhold example.com: unheld - example.com domain"
[ ! -e "$H" ]
ok $? "the hold file is gone"
sq "$R" unhold example.com
out_is "$(tl unheld - example.com domain)" "unhold of a domain not held: the same line, exit 0"

send1 "$R"
is "$(nmsgs "$F"),$(queue_count "$R" example.com)" "3,0" \
    "after unhold, snf-send -1 delivers all three"
for m in m1 m2 m3; do
	f=$(fake_msg "$F" $m)
	cmp -s "$f" "$T/msg.$m"
	ok $? "$m delivered as queued"
done

sq "$R" hold example.org
is "$QRC" 100 "hold of a domain that is not protected: exit 100"
grep -q 'fatal: example.org is not a protected domain' "$T/err"
ok $? "  and says so"
[ ! -e "$R/domains/example.org" ]
ok $? "  and creates nothing"
sq "$R" hold example.com example.org
is "$QRC:$(cat "$T/out")" "100:" "hold example.com example.org: exit 100, no line"
[ ! -e "$H" ]
ok $? "  example.com is not held either: all domains are checked first"
sq "$R" hold
is "$QRC:$(cat "$T/out")" "100:" "hold with no domain and no selection: exit 100"
sq "$R" unhold -n
is "$QRC" 100 "unhold -n with no domain and no selection: exit 100"
sq "$R" hold 'bad..name'
is "$QRC" 100 "hold of a malformed domain name: exit 100"
sq "$R" hold -q example.com
is "$QRC" 100 "hold with an unknown option: exit 100"
[ ! -e "$H" ]
ok $? "  no hold file"

# --- single messages ---------------------------------------------------------
: >"$F/log"
i4=$(put "$R" m4 s1@origin.test alice@example.com)
i5=$(put "$R" m5 s1@origin.test bob@example.com)
i6=$(put "$R" m6 s2@other.test alice@example.com Bob@example.com)
i7=$(put "$R" m7 s2@other.test carol@example.com)
i8=$(put "$R" m8 s2@other.test x@example.net)
# m4 was deferred by the primary: due in an hour
f4=$(item "$R" "$i4")
touch -d "@$(( $(date +%s) + 3600 ))" "$f4"

before=$(snap "$R")
sq "$R" hold -n -i "$i4"
out_is "$(tl would-hold "$i4" example.com)" "hold -n -i ID: would-hold ID example.com"
is "$(snap "$R")" "$before" "hold -n changed nothing"

sq "$R" hold -i "$i4"
out_is "$(tl held "$i4" example.com)" "hold -i ID: held ID example.com"
is "$(where "$R" "$i4")" hold/example.com "the item is now queue/hold/example.com/ID"
[ ! -e "$H" ]
ok $? "holding a message makes no domain hold file"
is "$(stat -c %a "$R/queue/hold" "$R/queue/hold/example.com" | tr '\n' ' ')" "700 700 " \
    "queue/hold and queue/hold/example.com: mode 0700"

sq "$R" hold -r BOB@EXAMPLE.COM
out_is "$(per held example.com -- "$i5" "$i6")" \
    "hold -r BOB@EXAMPLE.COM: the two messages with that recipient (any case)"
is "$(where "$R" "$i5") $(where "$R" "$i6") $(where "$R" "$i7") $(where "$R" "$i8")" \
    "hold/example.com hold/example.com mail/example.com mail/example.net" \
    "m5, m6 held; m7 and m8 still waiting"
sq "$R" hold -r bob@example.com
out_is "" "hold -r again: nothing left to hold, no line"

sq "$R" status -v example.com
is "$(cut -f1-3 "$T/out")" "$(tl "$i7" example.com queued; printf '%s\n' "$i4" "$i5" "$i6" | sort |
    while read -r i; do tl "$i" example.com held; done)" \
    "status -v: m7 queued, then m4 m5 m6 held"
is "$(snf-queue -d "$R" status example.com | cut -f5,6)" "-	4" \
    "status: the domain is not held, 4 messages (held ones count)"
is "$(snf-queue -d "$R" list example.com | cut -f1)" "$i7" "list shows only the waiting message"

send1 "$R"
is "$(nmsgs "$F")" 4 "snf-send -1 delivers only m7"
[ -n "$(fake_msg "$F" m7)" ]
ok $? "  which is m7"
send1 "$R" example.com
is "$(nmsgs "$F"),$(find "$R/queue/hold" -type f | wc -l | tr -d ' ')" "4,3" \
    "snf-send -1 example.com leaves the held messages alone too"

sq "$R" unhold -n -i "$i4"
out_is "$(tl would-unhold "$i4" example.com)" "unhold -n -i ID: would-unhold ID example.com"
is "$(where "$R" "$i4")" hold/example.com "  still held"

sq "$R" unhold -i "$i4"
out_is "$(tl unheld "$i4" example.com)" "unhold -i ID: unheld ID example.com"
is "$(where "$R" "$i4")" mail/example.com "the item is back in queue/mail/example.com"
[ "$(mtime "$(item "$R" "$i4")")" -le "$(date +%s)" ]
ok $? "  and due now (it was deferred for an hour before it was held)"
is "$(snf-queue -d "$R" status -v example.com | grep "^$i4" | cut -f3,6)" "queued	0" \
    "status -v: queued, next attempt in 0 s"

sq "$R" unhold -r bob@example.com example.com
out_is "$(per unheld example.com -- "$i5" "$i6")" "unhold -r bob@example.com example.com: m5 m6"
sq "$R" unhold -r nobody@example.com
out_is "" "unhold -r with no match: no line, exit 0"

send1 "$R"
is "$(nmsgs "$F"),$(queue_count "$R" example.com),$(find "$R/queue/hold" -type f | wc -l | tr -d ' ')" \
    "7,0,0" "snf-send -1 delivers m4 m5 m6 once unheld; nothing left for example.com"
for m in m4 m5 m6; do
	f=$(fake_msg "$F" $m)
	cmp -s "$f" "$T/msg.$m"
	ok $? "$m delivered as queued"
done
is "$(cat "$(fake_msg "$F" m6).env")" "$(printf '%s\n' 'MAIL FROM:<s2@other.test>' \
    'RCPT TO:<alice@example.com>' 'RCPT TO:<Bob@example.com>')" \
    "m6: its envelope unchanged by hold and unhold"
is "$(where "$R" "$i8")" mail/example.net "m8 (example.net) untouched"

done_testing
