#!/bin/sh
# snf-queue export: -o DIR writes a Maildir per recipient (tmp/ new/
# cur/, one file per message in new/, LF line ends, Return-Path and
# Delivered-To first, then the message); -z FILE writes (appends) one
# gzip-compressed mbox, "mboxrd": From_ lines, Return-Path and
# X-Original-To, and ">" before any line that starts with ">*From ".
# The queue keeps what was exported unless -x is given.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1

i1=$(put "$R" m1 s1@origin.test alice@example.com Bob@example.com)
i2=$(put "$R" m2 "" alice@example.com)
i3=$(put "$R" m3 s2@other.test x@example.net)
i4=$(put "$R" m4 s2@other.test carol@example.com dan/x@example.com)
sq "$R" hold -i "$i4"
all=$(snap "$R")

sq "$R" export -n -o "$T/md" -z "$T/all.mbox.gz"
out_is "$(per would-export example.com -- "$i1" "$i2"; tl would-export "$i3" example.net
    tl would-export "$i4" example.com)" \
    "export -n: would-export ID DOMAIN, waiting ones by domain, then held ones"
[ ! -e "$T/md" ] && [ ! -e "$T/all.mbox.gz" ]
ok $? "export -n creates neither the folder nor the file"

sq "$R" export
is "$QRC" 100 "export without -o or -z: exit 100"

# --- Maildir -------------------------------------------------------------------------
sq "$R" export -o "$T/md" example.com
out_is "$(per exported example.com -- "$i1" "$i2"; tl exported "$i4" example.com)" \
    "export -o DIR example.com: exported ID example.com, held one included"
is "$(snap "$R")" "$all" "without -x the queue keeps every message, unchanged"
is "$(cd "$T/md" && ls | tr '\n' ' ')" "alice@example.com bob@example.com carol@example.com dan%2Fx@example.com " \
    "one folder per recipient: lower case, unsafe bytes as %XX"
good=0
for d in "$T"/md/*; do
	[ -d "$d/tmp" ] && [ -d "$d/new" ] && [ -d "$d/cur" ] &&
	    [ -z "$(find "$d/tmp" "$d/cur" ! -type d)" ] || good=1
done
ok $good "each folder is a Maildir: tmp/ new/ cur/, only new/ has files"
is "$(for d in "$T"/md/*; do ls "$d/new" | wc -l; done | tr -d ' ' | tr '\n' ' ')" "2 1 1 1 " \
    "alice has 2 messages, bob, carol and dan 1 each"
ls "$T"/md/*/new/* | sed 's|.*/||' | grep -v "^[0-9]*\.$IDRE"'_[0-9]*\.mx\.test\.invalid$' >"$T/badnames"
is "$(cat "$T/badnames")" "" "file names: TIME.ID_N.HOST (unique, Maildir style)"
[ -z "$(find "$T/md" -type f ! -perm 600)" ] && [ -z "$(find "$T/md" -type d ! -perm 700)" ]
ok $? "files mode 0600, folders 0700"

# check FOLDER TAG SENDER RCPT: the file of message TAG in FOLDER/new
check() {
	_f=$(grep -lx "Subject: $2" "$T/md/$1"/new/* 2>/dev/null)
	{ printf 'Return-Path: <%s>\nDelivered-To: %s\n' "$3" "$4"; lf "$T/msg.$2"; } >"$T/want"
	[ "$(echo "$_f" | grep -c .)" -eq 1 ] && cmp -s "$_f" "$T/want"
	ok $? "$1: $2 with Return-Path: <$3>, Delivered-To: $4, then the message with LF ends"
}
check alice@example.com m1 s1@origin.test alice@example.com
check alice@example.com m2 "" alice@example.com
check bob@example.com m1 s1@origin.test Bob@example.com
check carol@example.com m4 s2@other.test carol@example.com
check dan%2Fx@example.com m4 s2@other.test dan/x@example.com
is "$(cat "$T"/md/*/new/* | tr -d -c '\r' | wc -c | tr -d ' ')" 0 "no CR anywhere"

# --- mbox.gz --------------------------------------------------------------------------
# want ID SENDER RCPTS TAG...: the expected mbox entries
want() {
	python3 - "$T" "$@" <<'EOF'
import re, sys, time
t, args = sys.argv[1], sys.argv[2:]
out = b""
for i in range(0, len(args), 4):
    ident, sender, rcpts, tag = args[i:i + 4]
    date = time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(int(ident[:10])))
    out += b"From %s %s\n" % ((sender or "MAILER-DAEMON").encode(), date.encode())
    out += b"Return-Path: <%s>\n" % sender.encode()
    out += b"X-Original-To: %s\n" % ", ".join("<%s>" % r for r in rcpts.split(",")).encode()
    body = open(t + "/msg." + tag, "rb").read().replace(b"\r\n", b"\n")
    body = re.sub(rb"(?m)^(>*From )", rb">\1", body)
    out += body + b"\n"
sys.stdout.buffer.write(out)
EOF
}
sq "$R" export -z "$T/all.mbox.gz"
out_is "$(per exported example.com -- "$i1" "$i2"; tl exported "$i3" example.net
    tl exported "$i4" example.com)" "export -z FILE: every message, exported"
is "$(head -c 2 "$T/all.mbox.gz" | od -An -tx1 | tr -d ' ')" 1f8b "the file is gzip"
gzip -t "$T/all.mbox.gz"
ok $? "gzip -t: the file is whole"
is "$(stat -c %a "$T/all.mbox.gz")" 600 "mode 0600"
zcat "$T/all.mbox.gz" >"$T/all.mbox"
for i in $(printf '%s\n' "$i1" "$i2" | sort); do
	if [ "$i" = "$i1" ]; then
		echo "$i s1@origin.test alice@example.com,Bob@example.com m1"
	else
		echo "$i '' alice@example.com m2"
	fi
done >"$T/order"
eval "want $(tr '\n' ' ' <"$T/order") $i3 s2@other.test x@example.net m3 \
    $i4 s2@other.test carol@example.com,dan/x@example.com m4" >"$T/want.mbox"
cmp -s "$T/all.mbox" "$T/want.mbox"
rc=$?
ok $rc "zcat: the mbox, entry by entry (From_ line, Return-Path, X-Original-To, the message, a blank line)"
[ $rc -eq 0 ] || diff "$T/want.mbox" "$T/all.mbox" | sed 's/^/#   /' | head -n 20
is "$(grep -c '^From ' "$T/all.mbox")" 4 "4 From_ separators"
is "$(grep -c '^>From the start of a line$' "$T/all.mbox"),$(grep -c '^>>From a quoted line$' "$T/all.mbox")" \
    "4,4" "body lines \"From ...\" and \">From ...\" quoted with one more >"
grep -q "^From MAILER-DAEMON " "$T/all.mbox" && grep -q '^Return-Path: <>$' "$T/all.mbox"
ok $? "the null sender: From MAILER-DAEMON, Return-Path: <>"
is "$(snap "$R")" "$all" "the queue keeps every message"

sq "$R" export -z "$T/all.mbox.gz" -s '<>'
out_is "$(tl exported "$i2" example.com)" "a second export -z to the same file"
is "$(zcat "$T/all.mbox.gz" | grep -c '^From ')" 5 "  is appended: 5 From_ lines"

# --- -x ------------------------------------------------------------------------------
sq "$R" export -x -n -o "$T/md2" example.net
out_is "$(tl would-export "$i3" example.net)" "export -x -n: would-export"
is "$(snap "$R")" "$all" "  nothing removed"
sq "$R" export -x -o "$T/md2" -z "$T/x.mbox.gz" example.net
out_is "$(tl exported-removed "$i3" example.net)" "export -x -o -z example.net: exported-removed ID example.net"
is "$(where "$R" "$i3")" gone "the message left the queue"
check2() { cmp -s "$(ls "$T"/md2/x@example.net/new/*)" "$T/want"; }
{ printf 'Return-Path: <s2@other.test>\nDelivered-To: x@example.net\n'; lf "$T/msg.m3"; } >"$T/want"
check2
ok $? "  and is in the Maildir"
want "$i3" s2@other.test x@example.net m3 >"$T/want.x"
zcat "$T/x.mbox.gz" | cmp -s - "$T/want.x"
ok $? "  and in the mbox"
sq "$R" export -x -z "$T/x.mbox.gz" -i "$i4"
out_is "$(tl exported-removed "$i4" example.com)" "export -x of a held message"
is "$(where "$R" "$i4")" gone "  it left queue/hold"
is "$(queue_count "$R" example.com)" 2 "m1 and m2 are still queued"

sq "$R" export -o /nonexistent/folder/md -i "$i1"
is "$QRC" 111 "export -o into a folder that cannot be made: exit 111"
is "$(where "$R" "$i1")" mail/example.com "  the message stays"

done_testing
