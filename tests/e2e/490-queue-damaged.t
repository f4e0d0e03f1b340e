#!/bin/sh
# Damaged queue items, one of each kind beside good ones: an envelope
# that does not parse (de, and hd held), an item cut short (dt), a
# stored message changed by one byte (db), an item that cannot be read
# (du). For every program and verb that reads items, the good ones are
# handled, each damaged one it meets is named in the one warning
#   queue/mail/D/ID damaged (REASON): left in the queue untouched
# (the same words from snf-queue, snf-send and snf-expire), and it is
# left byte for byte. status -v and list read the envelope and trailer,
# not the message: they list db, name the others, and exit 111 after
# listing the rest. What sends, exports or releases a message (release
# -H, -m and to the primary, requeue, export, snf-send, snf-expire)
# checks it whole first and names db too. The verbs of snf-queue say
# "damaged ID DOMAIN left in the queue untouched" and exit 111;
# snf-send exits 0 (the pass ran), snf-expire 111. hold and remove read
# only the envelope: db is held, or removed, like a good one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1	# down, until snf-send's turn
UNT="left in the queue untouched"
TAB=$(printf '\t')

# plant [old]: a fresh queue of example.com: g1 (alice) and g2 (bob)
# good, de dt db du damaged, in queue/mail; h1 (carol) good and hd
# damaged, held one by one. Every item is due in an hour. With "old",
# every message arrived 10 days ago. The damaged ones are copied, with
# their place and their stat, for intact.
plant() {
	fresh "$R" queue
	g1=$(put "$R" g1 s1@origin.test alice@example.com)
	g2=$(put "$R" g2 s2@origin.test bob@example.com)
	de=$(put "$R" de s1@origin.test alice@example.com)
	dt=$(put "$R" dt s1@origin.test alice@example.com)
	db=$(put "$R" db s1@origin.test alice@example.com)
	du=$(put "$R" du s1@origin.test alice@example.com)
	h1=$(put "$R" h1 s1@origin.test carol@example.com)
	hd=$(put "$R" hd s1@origin.test carol@example.com)
	sq "$R" hold -i "$h1" -i "$hd"
	[ "$QRC" -eq 0 ] || echo "# plant: hold: exit $QRC"
	if [ "${1:-}" = old ]; then
		g1=$(backdate "$R" "$g1" 864000)
		g2=$(backdate "$R" "$g2" 864000)
		de=$(backdate "$R" "$de" 864000)
		dt=$(backdate "$R" "$dt" 864000)
		db=$(backdate "$R" "$db" 864000)
		du=$(backdate "$R" "$du" 864000)
	fi
	_later=$(( $(date +%s) + 3600 ))
	for _i in $g1 $g2 $de $dt $db $du $h1 $hd; do
		touch -d "@$_later" "$(item "$R" "$_i")"
	done
	damage "$R" "$de" envelope
	damage "$R" "$dt" truncate
	damage "$R" "$db" body
	damage "$R" "$hd" envelope
	damage "$R" "$du" unreadable
	for _i in $de $dt $db $du $hd; do
		_f=$(item "$R" "$_i")
		echo "$_f" >"$T/path.$_i"
		fp "$_f" >"$T/fp.$_i"
		cp "$_f" "$T/orig.$_i"
	done
}

# fp FILE: what must not change: inode, size, modification time, mode.
fp() {
	stat -c '%i %s %y %a' "$1"
}

# intact NAME ID...: each item ID is where it was planted, byte for byte
# (when this user can read it), with its inode, size, time and mode.
intact() {
	_name=$1 _bad=
	shift
	for _i; do
		_f=$(item "$R" "$_i")
		if [ -z "$_f" ] || [ "$_f" != "$(cat "$T/path.$_i")" ] ||
		    [ "$(fp "$_f")" != "$(cat "$T/fp.$_i")" ] ||
		    { [ -r "$_f" ] && ! cmp -s "$_f" "$T/orig.$_i"; }; then
			_bad="$_bad $_i"
		fi
	done
	is "$_bad" "" "$_name"
}

# warn ID...: the warning for each item ID, sorted (where the damage is
# of du, it cannot be read at all).
warn() {
	for _i; do
		_w=mail _why="Bad message"
		[ "$_i" != "$hd" ] || _w=hold
		[ "$_i" != "$du" ] || _why="Permission denied"
		echo "warning queue/$_w/example.com/$_i damaged ($_why): $UNT"
	done | sort
}

# warnings FILE: the warnings logged in FILE, without "PROGRAM[PID]: ",
# sorted.
warnings() {
	sed -n 's/^[a-z-]*\[[0-9]*\]: \(warning .*\)$/\1/p' "$1" | sort
}

# lines ACTION [DETAIL] -- ID...: "ACTION ID example.com [DETAIL]" for
# each ID, by ID; "damaged ... left in the queue untouched" for ACTION
# damaged.
lines() {
	_a=$1 _d=
	[ "$_a" != damaged ] || _d=$UNT
	shift
	if [ "$1" != -- ]; then
		_d=$1
		shift
	fi
	shift
	for _i in $(printf '%s\n' "$@" | sort); do
		if [ -n "$_d" ]; then
			tl "$_a" "$_i" example.com "$_d"
		else
			tl "$_a" "$_i" example.com
		fi
	done
}

# byid: lines sorted by their second field (the ID), as a verb lists
# the items of one folder.
byid() {
	sort -t "$TAB" -k 2,2
}

# --- the items ----------------------------------------------------------------------
plant
[ -n "$g1" ] && [ -n "$g2" ] && [ -n "$h1" ] &&
    [ "$(where "$R" "$de"),$(where "$R" "$dt"),$(where "$R" "$db"),$(where "$R" "$du")" = \
    "mail/example.com,mail/example.com,mail/example.com,mail/example.com" ] &&
    [ "$(where "$R" "$hd")" = hold/example.com ]
ok $? "planted: g1 g2 de dt db du waiting, h1 hd held"
! $AS_SVC cat "$(item "$R" "$du")" >/dev/null 2>&1
ok $? "du cannot be read by the service user"

# --- status -v ----------------------------------------------------------------------
sq "$R" status -v
is "$QRC" 111 "status -v: exit 111"
is "$(cut -f 1-3,7- "$T/out")" "$(
	{ tl "$g1" example.com queued s1@origin.test alice@example.com
	  tl "$g2" example.com queued s2@origin.test bob@example.com
	  tl "$db" example.com queued s1@origin.test alice@example.com; } | sort
	tl "$h1" example.com held s1@origin.test carol@example.com)" \
    "status -v: every other message listed, held ones included (db: its message is not read)"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$du" "$hd")" \
    "status -v: each damaged item named in the one warning, waiting or held"
is "$(grep -vc ' damaged (' "$T/err")" 0 "status -v: nothing else on stderr"
intact "status -v: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"

# --- status -------------------------------------------------------------------------
sq "$R" status example.com
is "$QRC:$(cut -f 1,6 "$T/out"):$(cat "$T/err")" "0:example.com${TAB}8:" \
    "status (without -v) opens no item: it counts all 8, exit 0, no warning"

# --- list ---------------------------------------------------------------------------
sq "$R" list
is "$QRC" 111 "list: exit 111"
is "$(cut -f 1,2,5- "$T/out")" "$(
	{ tl "$g1" example.com s1@origin.test alice@example.com
	  tl "$g2" example.com s2@origin.test bob@example.com
	  tl "$db" example.com s1@origin.test alice@example.com; } | sort)" \
    "list: every other waiting message listed"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$du")" "list: the same warning for each damaged item"
sq "$R" list -r alice@example.com
is "$QRC:$(cut -f 1 "$T/out" | tr '\n' ' ')" "111:$(printf '%s\n' "$g1" "$db" | sort | tr '\n' ' ')" \
    "list -r alice@example.com: alice's messages, exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$du")" \
    "list -r: a damaged envelope cannot be matched: named, the same way"
intact "list: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"

# --- requeue ------------------------------------------------------------------------
now=$(date +%s)
sq "$R" requeue example.com
is "$QRC:$(cat "$T/out")" "111:$( { lines requeued -- "$g1" "$g2"
	lines damaged -- "$de" "$dt" "$db" "$du"; } | byid)" \
    "requeue: requeued for g1 g2, damaged ... $UNT for the others (db: its message is checked), exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$db" "$du")" "requeue: the same warnings"
[ "$(mtime "$(item "$R" "$g1")")" -le $((now + 5)) ] &&
    [ "$(mtime "$(item "$R" "$g2")")" -le $((now + 5)) ]
ok $? "requeue: g1 and g2 are due now"
intact "requeue: the damaged items are not made due, and left as they were" \
    "$de" "$dt" "$db" "$du" "$hd"

# --- release, to the primary --------------------------------------------------------
plant
sq "$R" release example.com
is "$QRC:$(cat "$T/out")" "111:$( { lines released -- "$g1" "$g2"
	lines damaged -- "$de" "$dt" "$db" "$du"; } | byid)" \
    "release: released for g1 g2, damaged for the others, exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$db" "$du")" "release: the same warnings"
[ -e "$R/queue/etrn/example.com" ] &&
    [ "$(mtime "$(item "$R" "$g1")")" -le $(($(date +%s) + 5)) ]
ok $? "release: g1 is due now, the domain asked for at once"
intact "release: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"

# --- release -H ---------------------------------------------------------------------
start_fake other || echo "# fakesmtp did not start"
O=$T/other
OP=$FPORT
sq "$R" release -H "127.0.0.1:$OP" example.com
is "$QRC:$(cat "$T/out")" "111:$( { lines released "delivered 1, kept 0, bounced 0" -- "$g1" "$g2"
	lines damaged -- "$de" "$dt" "$db" "$du"; } | byid
	{ lines released "delivered 1, kept 0, bounced 0" -- "$h1"
	lines damaged -- "$hd"; } | byid)" \
    "release -H: released for g1 g2 h1, damaged for the others, exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$db" "$du" "$hd")" "release -H: the same warnings"
is "$(nmsgs "$O"):$(grep -l '^Subject: d' "$O"/msg.* 2>/dev/null | wc -l | tr -d ' ')" "3:0" \
    "release -H: the server got g1 g2 h1, and nothing of a damaged one"
is "$(where "$R" "$g1"),$(where "$R" "$g2"),$(where "$R" "$h1")" "gone,gone,gone" \
    "release -H: g1 g2 h1 left the queue"
intact "release -H: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"

# --- release -m ---------------------------------------------------------------------
plant
sq "$R" release -m boss@elsewhere.test example.com
is "$QRC:$(sed "s/^\(released$TAB[^$TAB]*$TAB[^$TAB]*$TAB\)$IDRE\$/\1NEW/" "$T/out")" \
    "111:$( { lines released NEW -- "$g1" "$g2"; lines damaged -- "$de" "$dt" "$db" "$du"; } | byid
	{ lines released NEW -- "$h1"; lines damaged -- "$hd"; } | byid)" \
    "release -m: released ID example.com NEWID for g1 g2 h1, damaged for the others, exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$db" "$du" "$hd")" "release -m: the same warnings"
is "$(queue_count "$R" elsewhere.test):$(where "$R" "$g1"),$(where "$R" "$h1")" "3:gone,gone" \
    "release -m: three new messages for the mailbox, the originals gone"
! grep -ql '^Subject: d' "$R"/queue/mail/elsewhere.test/* 2>/dev/null
ok $? "release -m: nothing of a damaged one was queued anew"
intact "release -m: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"

# --- export -------------------------------------------------------------------------
plant
sq "$R" export -x -o "$T/md" -z "$T/x.mbox.gz" example.com
is "$QRC:$(cat "$T/out")" "111:$( { lines exported-removed -- "$g1" "$g2"
	lines damaged -- "$de" "$dt" "$db" "$du"; } | byid
	{ lines exported-removed -- "$h1"; lines damaged -- "$hd"; } | byid)" \
    "export -x -o -z: exported-removed for g1 g2 h1, damaged for the others, exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$db" "$du" "$hd")" "export: the same warnings"
is "$(find "$T/md" -path '*/new/*' -type f | wc -l | tr -d ' '):$(zcat "$T/x.mbox.gz" | grep -c '^From ')" \
    "3:3" "export: three messages in the Maildirs, three in the mbox"
! grep -rql '^Subject: d' "$T/md" && ! zcat "$T/x.mbox.gz" | grep -q '^Subject: d'
ok $? "export: nothing of a damaged one in either"
intact "export -x: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"

# --- hold and unhold ----------------------------------------------------------------
plant
sq "$R" hold -a 0 example.com
is "$QRC:$(cat "$T/out")" "111:$( { lines held -- "$g1" "$g2" "$db"
	lines damaged -- "$de" "$dt" "$du"; } | byid)" \
    "hold -a 0: held for g1 g2 db (it reads the envelope), damaged for de dt du, exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$du")" "hold: the same warnings"
intact "hold: the damaged items are left as they were" "$de" "$dt" "$du" "$hd"
sq "$R" unhold -i "$h1" -i "$hd"
is "$QRC:$(cat "$T/out")" "111:$( { lines unheld -- "$h1"; lines damaged -- "$hd"; } | byid)" \
    "unhold: unheld for h1, damaged for hd, exit 111"
is "$(warnings "$T/err")" "$(warn "$hd")" "unhold: the same warning"
intact "unhold: hd is left as it was" "$hd"

# --- remove -------------------------------------------------------------------------
plant
sq "$R" remove -y example.com
is "$QRC:$(cat "$T/out")" "111:$( { lines removed -- "$g1" "$g2" "$db"
	lines damaged -- "$de" "$dt" "$du"; } | byid
	{ lines removed held -- "$h1"; lines damaged -- "$hd"; } | byid)" \
    "remove -y: removed for g1 g2 db h1 (it reads the envelope), damaged for the others, exit 111"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$du" "$hd")" "remove: the same warnings"
intact "remove: the damaged items are left as they were" "$de" "$dt" "$du" "$hd"

# --- snf-send -----------------------------------------------------------------------
plant
start_fake primary || echo "# fakesmtp did not start"
P=$T/primary
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$?" 0 "snf-send -1: exit 0, the pass ran"
is "$(nmsgs "$P"):$(grep -l '^Subject: d' "$P"/msg.* 2>/dev/null | wc -l | tr -d ' ')" "2:0" \
    "snf-send: g1 and g2 delivered, nothing of a damaged one"
is "$(where "$R" "$g1"),$(where "$R" "$g2")" "gone,gone" "snf-send: g1 and g2 left the queue"
is "$(warnings "$T/send1.log")" "$(warn "$de" "$dt" "$db" "$du")" \
    "snf-send: the same warning for each damaged item, and no other"
intact "snf-send: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"
primary "$R" 127.0.0.1:1

# --- snf-expire ---------------------------------------------------------------------
plant old
snf-expire -d "$R" >"$T/out" 2>"$T/err"
is "$?" 111 "snf-expire: exit 111"
is "$(cut -f 1-3 "$T/out")" "$(lines expired -- "$g1" "$g2")" \
    "snf-expire: g1 and g2 expired (db too old as well: its message is checked first)"
is "$(queue_count "$R" origin.test):$(where "$R" "$g1"),$(where "$R" "$g2")" "2:gone,gone" \
    "snf-expire: two reports queued, g1 and g2 gone"
is "$(warnings "$T/err")" "$(warn "$de" "$dt" "$db" "$du")" \
    "snf-expire: the same warning for each damaged item, and no other"
intact "snf-expire: the damaged items are left as they were" "$de" "$dt" "$db" "$du" "$hd"

done_testing
