#!/bin/sh
# snf-queue on its own, with the qmail-queue protocol (message on fd 0,
# NUL-terminated envelope records on fd 1): good and bad envelopes,
# several domains, compressed storage, and the status and list verbs.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"
mkdir -p "$R/domains/example.org"
echo userprotect >"$R/domains/example.org/mode"
echo dora >"$R/domains/example.org/users"
IDRE='[0-9]\{10\}\.[0-9a-f]\{12\}'

printf 'Subject: queue test\r\n\r\nplain text body line\r\n' >"$T/msg"
msgsize=$(wc -c <"$T/msg" | tr -d ' ')

# --- a good envelope -----------------------------------------------------
qinject "$R" "$T/msg" \
    'b"Fsender@origin.test\0I192.0.2.7\0Hclient.test\0Talice@example.com\0\0"' \
    >"$T/out"
is "$(tail -n 1 "$T/out")" "exit 0" "good envelope: exit 0"
head -n 1 "$T/out" | grep -q "^K $IDRE\$"
ok $? "good envelope: \"K id\" on fd 1 (a socket)"
id=$(head -n 1 "$T/out" | cut -d' ' -f2)
f=$R/queue/mail/example.com/$id
[ -f "$f" ]
ok $? "the item is queue/mail/example.com/ID"
is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" "one item, queue/tmp empty"
is "$(stat -c %a "$f")" 600 "item mode 0600"
qitem_body "$f" >"$T/got"
cmp "$T/msg" "$T/got" >/dev/null
ok $? "the body is stored byte for byte"
qitem_env "$f" >"$T/env"
now=$(date +%s)
arr=$(sed -n 's/^A //p' "$T/env")
[ -n "$arr" ] && [ "$arr" -le "$now" ] && [ "$arr" -ge $((now - 30)) ]
ok $? "envelope A: the arrival time"
is "$(grep -v '^A ' "$T/env")" "$(printf 'V 1\nL %s\nD example.com\nS sender@origin.test\nI 192.0.2.7\nH client.test\nT alice@example.com' "$msgsize")" \
    "envelope: version, size, domain, sender, client, helo, recipient"
is "$(echo "$id" | cut -c1-10 | sed 's/^0*//')" "$arr" "the id starts with the arrival time"
tail -c 32 "$f" | grep -q '^SNF1 [0-9a-f]\{8\} [0-9a-f]\{8\} [0-9a-f]\{8\}$'
ok $? "the item ends with the SNF1 trailer"

qinject "$R" "$T/msg" 'b"F\0TBob@Example.COM.\0\0"' pipe >"$T/out"
is "$(cat "$T/out")" "$(printf -- '-\nexit 0')" \
    "envelope on a pipe: exit 0 (no status line possible)"
is "$(queue_count "$R" example.com)" 2 "the second item is queued"
snf-queue -d "$R" list example.com >"$T/list"
grep -q "	example.com	[0-9]*	$msgsize	<>	Bob@example.com\$" "$T/list"
ok $? "null sender listed as <>, domain lowercased, trailing dot gone"

# --- bad envelopes ---------------------------------------------------------
before=$(queue_count "$R")
bad() {	# bad NAME EXIT ENVELOPE
	qinject "$R" "$T/msg" "$3" >"$T/out"
	_st=$(head -n 1 "$T/out" | cut -c1)
	_want=D
	# a writer that gave up (truncated envelope) may get no line at all
	[ "$2" = 111 ] && { _want=Z; [ "$_st" = - ] && _st=Z; }
	is "$(tail -n 1 "$T/out"),$_st" "exit $2,$_want" "$1: exit $2, status line $_want"
	is "$(queue_count "$R"),$(tmp_count "$R")" "$before,0" \
	    "$1: nothing queued, nothing in queue/tmp"
}
bad "no F record" 100 'b"Talice@example.com\0\0"'
bad "no F and no T" 100 'b"I192.0.2.7\0\0"'
bad "T before F" 100 'b"Talice@example.com\0Fsender@origin.test\0\0"'
bad "two F records" 100 \
    'b"Fa@origin.test\0Fb@origin.test\0Talice@example.com\0\0"'
bad "bad recipient address" 100 'b"Fsender@origin.test\0Tnot an address\0\0"'
bad "recipient with a path for a domain" 100 \
    'b"Fsender@origin.test\0Talice@../../etc\0\0"'
bad "recipient in angle brackets" 100 \
    'b"Fsender@origin.test\0T<alice@example.com>\0\0"'
bad "bad sender address" 100 'b"F<sender@origin.test>\0Talice@example.com\0\0"'
bad "control character in H" 100 \
    'b"Fsender@origin.test\0Hcli\x01ent\0Talice@example.com\0\0"'
bad "newline in I (record injection)" 100 \
    'b"Fsender@origin.test\0I1.2.3.4\nT evil@evil.test\0Talice@example.com\0\0"'
bad "newline in T" 100 \
    'b"Fsender@origin.test\0Talice@example.com\nT evil@evil.test\0\0"'
bad "8-bit byte in H" 100 \
    'b"Fsender@origin.test\0Hcaf\xe9\0Talice@example.com\0\0"'
bad "unknown record" 100 'b"Fsender@origin.test\0Xyz\0Talice@example.com\0\0"'
bad "N before any T" 100 'b"Fsender@origin.test\0NSUCCESS\0Talice@example.com\0\0"'
bad "message record after a recipient" 100 \
    'b"Fsender@origin.test\0Talice@example.com\0I192.0.2.7\0\0"'
bad "bad BODY value" 100 'b"Fsender@origin.test\0BBINARY\0Talice@example.com\0\0"'
bad "empty recipient list" 100 'b"Fsender@origin.test\0\0"'
bad "truncated: no final NUL record" 111 \
    'b"Fsender@origin.test\0Talice@example.com\0"'
bad "truncated in a record" 111 'b"Fsender@origin.test\0Tali"'
bad "empty envelope" 111 'b""'

# a big message with a bad envelope: the body was on disk, it must go
python3 -c 'import sys; sys.stdout.buffer.write(b"Subject: big\r\n\r\n" + (b"b" * 998 + b"\r\n") * 1000)' >"$T/big"
bad "1 MB message, truncated envelope" 111 'b"Fsender@origin.test\0Talice"'
bad "1 MB message, bad envelope" 100 'b"Fsender@origin.test\0\0"'

# --- two domains -------------------------------------------------------------
empty_queue "$R"
qinject "$R" "$T/msg" \
    'b"Fsender@origin.test\0Talice@example.com\0Tdora@example.org\0Tbob@example.com\0\0"' \
    >"$T/out"
is "$(tail -n 1 "$T/out")" "exit 0" "two domains: exit 0"
head -n 1 "$T/out" | grep -q "^K $IDRE $IDRE\$"
ok $? "two domains: \"K id1 id2\""
is "$(queue_count "$R" example.com),$(queue_count "$R" example.org),$(tmp_count "$R")" \
    "1,1,0" "two domains: one item in each, queue/tmp empty"
snf-queue -d "$R" list >"$T/list"
is "$(cut -f2,5- "$T/list")" \
    "$(printf 'example.com\tsender@origin.test\talice@example.com\tbob@example.com\nexample.org\tsender@origin.test\tdora@example.org')" \
    "two domains: each item has its own recipients"
for d in example.com example.org; do
	f=$(queue_files "$R" $d)
	qitem_body "$f" >"$T/got" && cmp "$T/msg" "$T/got" >/dev/null
	ok $? "two domains: the $d item holds the whole message"
done

# --- compressed storage -------------------------------------------------------
python3 -c 'import sys; sys.stdout.buffer.write(b"Subject: zlib\r\n\r\n" + b"compress me please\r\n" * 5000)' >"$T/zmsg"
zsize=$(wc -c <"$T/zmsg" | tr -d ' ')
compressed() {	# compressed NAME FILE: stored deflated, reads back whole
	if [ ! -f "$2" ]; then
		for _c in "the envelope says Z" "the body is not stored plain" \
		    "the item is much smaller than the message" \
		    "it inflates to the message, byte for byte"; do
			ok 1 "$1: $_c (no item)"
		done
		return
	fi
	qitem_env "$2" | grep -qx 'Z '
	ok $? "$1: the envelope says Z"
	grep -q 'compress me please' "$2"
	[ $? -ne 0 ]
	ok $? "$1: the body is not stored plain"
	[ "$(wc -c <"$2")" -lt $((zsize / 4)) ]
	ok $? "$1: the item is much smaller than the message"
	qitem_body "$2" >"$T/got" && cmp "$T/zmsg" "$T/got" >/dev/null
	ok $? "$1: it inflates to the message, byte for byte"
}

empty_queue "$R"
echo 1 >"$R/control/compress"
qinject "$R" "$T/zmsg" 'b"Fsender@origin.test\0Talice@example.com\0\0"' >"$T/out"
is "$(tail -n 1 "$T/out")" "exit 0" "control/compress: exit 0"
f=$(queue_files "$R" example.com)
compressed "control/compress" "$f"
snf-queue -d "$R" list >"$T/list"
is "$(cut -f2,4- "$T/list")" \
    "$(printf 'example.com\t%s\tsender@origin.test\talice@example.com' "$zsize")" \
    "control/compress: list shows the item with its real size"
rm "$R/control/compress"

empty_queue "$R"
touch "$R/domains/example.org/compress"
qinject "$R" "$T/zmsg" \
    'b"Fsender@origin.test\0Talice@example.com\0Tdora@example.org\0\0"' \
    >"$T/out"
is "$(tail -n 1 "$T/out")" "exit 0" "domains/example.org/compress: exit 0"
compressed "domains/example.org/compress" "$(queue_files "$R" example.org)"
f=$(queue_files "$R" example.com)
[ -f "$f" ] && grep -q 'compress me please' "$f"
ok $? "the other domain's item is stored plain"
[ -f "$f" ] && ! qitem_env "$f" | grep -qx 'Z '
ok $? "the other domain's envelope has no Z"
snf-queue -d "$R" list example.org >"$T/list"
is "$(cut -f2,4- "$T/list")" \
    "$(printf 'example.org\t%s\tsender@origin.test\tdora@example.org' "$zsize")" \
    "list shows the compressed item"
rm "$R/domains/example.org/compress"

empty_queue "$R"
echo 1 >"$R/control/compress"
echo 0 >"$R/domains/example.com/compress"
qinject "$R" "$T/zmsg" 'b"Fsender@origin.test\0Talice@example.com\0\0"' >"$T/out"
is "$(tail -n 1 "$T/out")" "exit 0" "domains/D/compress 0 overrides control/compress: exit 0"
grep -q 'compress me please' "$(queue_files "$R" example.com)"
ok $? "domains/D/compress 0: stored plain"
rm "$R/control/compress" "$R/domains/example.com/compress"

# --- status and list -----------------------------------------------------------
empty_queue "$R"
qinject "$R" "$T/msg" 'b"Fsender@origin.test\0Talice@example.com\0\0"' >/dev/null
# age this item by an hour: rewrite its arrival and name
old=$(queue_files "$R" example.com)
python3 - "$old" <<'EOF'
import os, re, sys, zlib
path = sys.argv[1]
d = open(path, "rb").read()
envlen = int(d[-32:][5:13], 16)
bodycrc = d[-32:][14:22]
body, env = d[:len(d) - 32 - envlen], d[len(d) - 32 - envlen:len(d) - 32]
arr = int(re.search(rb"^A (\d+)$", env, re.M).group(1)) - 3600
env = re.sub(rb"^A \d+$", b"A %d" % arr, env, flags=re.M)
tr = b"SNF1 %08x %s %08x\n" % (len(env), bodycrc, zlib.crc32(env))
name = os.path.basename(path)
new = os.path.join(os.path.dirname(path), "%010d%s" % (arr, name[10:]))
open(new, "wb").write(body + env + tr)
os.unlink(path)
EOF
for to in bob@example.com dora@example.org; do
	qinject "$R" "$T/msg" "b\"Fsender@origin.test\\0T$to\\0\\0\"" >/dev/null
done
printf 'Subject: x\r\n\r\n' >"$T/small"
qinject "$R" "$T/small" 'b"F\0Talice@example.com\0Tcarol@example.com\0\0"' >/dev/null
qinject "$R" "$T/small" 'b"F\0Tpostmaster@other.test\0\0"' >/dev/null
touch "$R/domains/example.org/hold"
snf-queue -d "$R" status >"$T/status"
ok $? "status exits 0"
# snf-queue(8): domain, mode, state, since, held, messages, bytes,
# oldest age, next attempt, callouts, last error, TLS of the last session
is "$(awk -F'\t' '{ print NF }' "$T/status" | sort -u)" 12 \
    "status: 12 columns on every line"
cut -f1 "$T/status" | tr '\n' ' ' >"$T/doms"
is "$(cat "$T/doms")" "example.com example.net example.org other.test " \
    "status: every protected or queued domain, sorted"
sum() {	# sum DOMAIN: bytes of the items
	find "$R/queue/mail/$1" -type f -exec stat -c %s {} + |
	    awk '{ s += $1 } END { print s + 0 }'
}
line() {	# line DOMAIN: its status line with the oldest age cut out
	awk -F'\t' -v OFS='\t' -v d="$1" '$1 == d { $8 = "AGE"; print }' "$T/status"
}
is "$(line example.com)" \
    "$(printf 'example.com\tuserprotect\tunknown\t0\t-\t3\t%s\tAGE\t0\t-\t\t-' "$(sum example.com)")" \
    "status example.com: userprotect, never tried, 3 messages and their bytes"
age=$(awk -F'\t' '$1 == "example.com" { print $8 }' "$T/status")
[ "$age" -ge 3600 ] && [ "$age" -le 3660 ]
ok $? "status example.com: the oldest is an hour old (got $age)"
is "$(line example.org)" \
    "$(printf 'example.org\tuserprotect\tunknown\t0\theld\t1\t%s\tAGE\t0\t-\t\t-' "$(sum example.org)")" \
    "status example.org: held, 1 message and its bytes"
age=$(awk -F'\t' '$1 == "example.org" { print $8 }' "$T/status")
[ "$age" -ge 0 ] && [ "$age" -le 60 ]
ok $? "status example.org: age of a fresh message ($age)"
is "$(awk -F'\t' '$1 == "example.net"' "$T/status")" \
    "$(printf 'example.net\tcloudprotect\tunknown\t0\t-\t0\t0\t0\t0\t-\t\t-')" \
    "status example.net: cloudprotect, nothing queued, all zero"
is "$(line other.test | cut -f1,2,6,7)" \
    "$(printf 'other.test\t-\t1\t%s' "$(sum other.test)")" \
    "status other.test: not protected (-), its item counted"
snf-queue -d "$R" status example.org >"$T/status1"
is "$(wc -l <"$T/status1" | tr -d ' '),$(cut -f1,6 "$T/status1")" \
    "$(printf '1,example.org\t1')" "status DOMAIN: that domain only"
rm "$R/domains/example.org/hold"

snf-queue -d "$R" list >"$T/list"
ok $? "list exits 0"
is "$(wc -l <"$T/list" | tr -d ' ')" 5 "list: one line per item"
awk -F'\t' \
    'NF < 6 || $1 !~ /^[0-9]+\.[0-9a-f]+$/ || length($1) != 23 ||
    $3 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' "$T/list"
ok $? "list: id, domain, age, size, sender, recipients on every line"
is "$(cut -f2 "$T/list" | tr '\n' ' ')" "example.com example.com example.com example.org other.test " \
    "list: by domain"
first=$(head -n 1 "$T/list")
is "$(echo "$first" | cut -f5,6)" "$(printf 'sender@origin.test\talice@example.com')" \
    "list: the oldest example.com item first"
a=$(echo "$first" | cut -f3)
[ "$a" -ge 3600 ] && [ "$a" -le 3660 ]
ok $? "list: its age is an hour ($a)"
grep -q "	$(wc -c <"$T/small" | tr -d ' ')	<>	alice@example.com	carol@example.com\$" "$T/list"
ok $? "list: null sender as <> and both recipients"
snf-queue -d "$R" list example.org >"$T/list1"
is "$(cut -f2,5,6 "$T/list1")" "$(printf 'example.org\tsender@origin.test\tdora@example.org')" \
    "list DOMAIN: that domain only"
snf-queue -d "$R" list ../etc >/dev/null 2>&1
is $? 100 "list ../etc: exit 100"
snf-queue -d "$R" status 'a/b' >/dev/null 2>&1
is $? 100 "status a/b: exit 100"
snf-queue -d "$R" list nothing.test >"$T/none"
is "$?:$(cat "$T/none")" "0:" "list of a domain with no queue: empty, exit 0"

# a damaged item is not listed as a message
f=$(queue_files "$R" example.org)
printf 'garbage' >>"$f"
snf-queue -d "$R" list example.org >"$T/list1" 2>"$T/err"
is "$(wc -l <"$T/list1" | tr -d ' ')" 0 "a damaged item is not listed"
grep -q "warning queue/mail/example.org/${f##*/} damaged (Bad message): left in the queue untouched" "$T/err"
ok $? "a damaged item is named on stderr"

done_testing
