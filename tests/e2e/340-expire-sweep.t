#!/bin/sh
# snf-expire's sweeps: files in queue/tmp/ and temporary files in
# queue/state/ older than 36 hours, ETRN requests for a domain with no
# queue folder, dead recipient cache records; -n says what would go and
# removes nothing; nothing young, nothing committed, is touched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/expirelib.sh"

R=$T/root
mkroot "$R"
mkdir -p "$R/queue/tmp" "$R/queue/state" "$R/queue/etrn" \
    "$R/cache/example.net"

# --- leftovers ----------------------------------------------------------------
touch -d '2 days ago' "$R/queue/tmp/m.100.1.tmp"
touch -d '37 hours ago' "$R/queue/tmp/m.101.1.tmp"
touch -d '35 hours ago' "$R/queue/tmp/m.102.1.tmp"
touch "$R/queue/tmp/m.103.1.tmp"
# names of no shape of snf's, however old, and a link, are never removed
touch -d '3 days ago' "$R/queue/tmp/odd name" "$R/queue/tmp/m.x.1.tmp" \
    "$R/queue/state/passwd" "$T/outside"
ln -s "$T/outside" "$R/queue/tmp/m.109.1.tmp"
touch -h -d '3 days ago' "$R/queue/tmp/m.109.1.tmp"
mkdir "$R/queue/tmp/adir"
touch -d '3 days ago' "$R/queue/tmp/adir"
# a rewrite about to be renamed: its mtime is the item's due time, long
# past, but it was written just now (its ctime)
touch -d '5 days ago' "$R/queue/tmp/r.104.1.tmp"
touch -d '2 days ago' "$R/queue/state/.example.com.105.1.tmp"
touch "$R/queue/state/.example.com.106.1.tmp"
echo state=down >"$R/queue/state/example.com"
touch -d '10 days ago' "$R/queue/state/example.com"

# --- ETRN requests --------------------------------------------------------------
item=$(put_item "$R" example.com 60 sender@origin.test alice@example.com)
rm -f "$R"/queue/tmp/test.*
touch "$R/queue/etrn/example.com" "$R/queue/etrn/example.org" \
    "$R/queue/etrn/.hidden"

# --- the recipient cache ------------------------------------------------------
now=$(date +%s)
sha() {
	python3 -c 'import hashlib, sys
print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "$1"
}
dead=$(sha dead@example.net)
live=$(sha live@example.net)
printf 'negative %s dead@example.net\n' $((now - 7200)) >"$R/cache/example.net/$dead"
printf 'positive %s live@example.net\n' $((now - 60)) >"$R/cache/example.net/$live"
touch -d '2 days ago' "$R/cache/example.net/.w.107.1.tmp"

cat >"$T/want" <<EOF
cache/example.net/$dead
cache/example.net/.w.107.1.tmp
queue/etrn/example.org
queue/state/.example.com.105.1.tmp
queue/tmp/m.100.1.tmp
queue/tmp/m.101.1.tmp
EOF

# --- -n ----------------------------------------------------------------------------
snapshot "$R" >"$T/before"
ls -a "$R/queue/tmp" "$R/queue/state" "$R/queue/etrn" "$R/cache/example.net" >"$T/before.ls"
expire "$R" -n
is "$?" 0 "-n: exit 0"
is "$(cut -f 1 "$T/exp.out" | sort -u)" would-remove "-n: every line is would-remove"
is "$(cut -f 2 "$T/exp.out" | sort)" "$(sort "$T/want")" \
    "-n: the old leftovers, the ETRN request without mail, the dead cache files"
snapshot "$R" >"$T/after"
ls -a "$R/queue/tmp" "$R/queue/state" "$R/queue/etrn" "$R/cache/example.net" >"$T/after.ls"
cmp -s "$T/before" "$T/after" && cmp -s "$T/before.ls" "$T/after.ls"
ok $? "-n: nothing changed on disk"

# --- a run ------------------------------------------------------------------------
expire "$R"
is "$?" 0 "a run: exit 0"
is "$(cut -f 1 "$T/exp.out" | sort -u)" removed "every line is removed"
is "$(cut -f 2 "$T/exp.out" | sort)" "$(sort "$T/want")" "the same files"
is "$(ls "$R/queue/tmp" | tr '\n' ' ')" "adir m.102.1.tmp m.103.1.tmp m.109.1.tmp m.x.1.tmp odd name r.104.1.tmp " \
    "queue/tmp: the young files, a folder, a rewrite in flight, a link and names not snf's stay"
[ -f "$T/outside" ]
ok $? "the link's target is untouched"
is "$(ls -A "$R/queue/state" | tr '\n' ' ')" ".example.com.106.1.tmp example.com passwd " \
    "queue/state: the domain's state, a young temporary file and a name not snf's stay"
is "$(ls -A "$R/queue/etrn" | tr '\n' ' ')" ".hidden example.com " \
    "queue/etrn: the request of a domain with mail stays"
is "$(ls -A "$R/cache/example.net")" "$live" "cache: the live record stays"
[ -f "$item" ]
ok $? "the queued message is untouched"
grep -q '^snf-expire\[[0-9]*\]: removed file=queue/tmp/m.100.1.tmp reason=leftover$' "$T/exp.log"
ok $? "log: removed file=queue/tmp/... reason=leftover"
grep -q '^snf-expire\[[0-9]*\]: removed file=queue/etrn/example.org reason=no-mail$' "$T/exp.log"
ok $? "log: removed file=queue/etrn/example.org reason=no-mail"
grep -q "^snf-expire\[[0-9]*\]: removed file=cache/example.net/$dead reason=dead\$" "$T/exp.log"
ok $? "log: removed file=cache/example.net/... reason=dead"

expire "$R"
is "$?$(cat "$T/exp.out")" 0 "a second run: nothing to remove"

# --- what cannot be removed: exit 111 ----------------------------------------
# not writable by an ordinary user; immutable (chattr +i) for root
touch -d '2 days ago' "$R/queue/tmp/m.108.1.tmp"
if [ "$(id -u)" -ne 0 ]; then
	chmod 500 "$R/queue/tmp" && undo="chmod 700 $R/queue/tmp"
elif chattr +i "$R/queue/tmp/m.108.1.tmp" 2>/dev/null; then
	undo="chattr -i $R/queue/tmp/m.108.1.tmp"
else
	undo=
fi
if [ -n "$undo" ]; then
	expire "$R"
	is "$?" 111 "a leftover that cannot be removed: exit 111"
	grep -q 'warning unable to remove queue/tmp/m.108.1.tmp' "$T/exp.log"
	ok $? "log: the warning names it"
	$undo
	expire "$R"
	is "$?$(cut -f 2 "$T/exp.out")" 0queue/tmp/m.108.1.tmp "then it goes"
else
	skip "a leftover that cannot be removed" "no way to forbid it here"
fi

done_testing
