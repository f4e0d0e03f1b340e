# queuelib.sh - helpers for the snf-queue verb tests (4NN-queue-*.t).
# Source it after lib.sh and sendlib.sh. Every background process
# started here is put on lib.sh's SERVER_PIDS, so that its cleanup ends
# it.

IDRE='[0-9]\{10\}\.[0-9a-f]\{12\}'

# put DIR TAG SENDER RCPT...: one message queued straight through
# snf-queue (no Received: field), as $T/msg.TAG: CR LF line ends, a
# body line that starts with "From " and one with ">From ". SENDER ""
# is the null sender. Prints the new item ids (one per recipient
# domain, in the order of the envelope) on one line; status 0 when the
# message was queued.
put() {
	_r=$1 _tag=$2 _env="F$3"
	shift 3
	for _a; do
		_env="$_env\\0T$_a"
	done
	printf 'From: sender of %s\r\nSubject: %s\r\nMessage-ID: <%s@origin.test>\r\n\r\nbody of %s\r\nFrom the start of a line\r\n>From a quoted line\r\n.\r\nlast line of %s\r\n' \
	    "$_tag" "$_tag" "$_tag" "$_tag" "$_tag" >"$T/msg.$_tag"
	qinject "$_r" "$T/msg.$_tag" "b\"$_env\\0\\0\"" >"$T/put.out"
	[ "$(tail -n 1 "$T/put.out")" = "exit 0" ] || {
		echo "# put $_tag: $(tr '\n' ' ' <"$T/put.out")" >&2
		return 1
	}
	head -n 1 "$T/put.out" | cut -d' ' -f2-
}

# item DIR ID: the path of item ID, waiting (queue/mail) or held
# (queue/hold); nothing when there is no such item.
item() {
	for _f in "$1"/queue/mail/*/"$2" "$1"/queue/hold/*/"$2"; do
		[ -f "$_f" ] && echo "$_f"
	done
	return 0
}

# where DIR ID: "mail/DOMAIN" or "hold/DOMAIN" for item ID, "gone" when
# it is in neither.
where() {
	_f=$(item "$1" "$2")
	if [ -z "$_f" ]; then
		echo gone
	else
		echo "$_f" | sed 's|.*/queue/\([a-z]*/[^/]*\)/[^/]*$|\1|'
	fi
}

# backdate DIR ID SECONDS: make item ID arrive SECONDS earlier: its name
# (the id) and its envelope A line, with a new envelope checksum; the
# due time (mtime) is kept. Prints the new id.
backdate() {
	_f=$(item "$1" "$2")
	[ -n "$_f" ] || { echo "# backdate: no item $2" >&2; return 1; }
	_bd=$(backdate_py "$_f" "$3") || return 1
	svc_own "$1"
	echo "$_bd"
}
backdate_py() {
	python3 - "$1" "$2" <<'EOF'
import os, sys, zlib
path, secs = sys.argv[1], int(sys.argv[2])
d = open(path, "rb").read()
tr = d[-32:]
n = int(tr[5:13], 16)
body, env = d[:len(d) - 32 - n], d[len(d) - 32 - n:len(d) - 32]
lines = []
for ln in env.split(b"\n"):
    if ln.startswith(b"A "):
        ln = b"A %d" % (int(ln[2:]) - secs)
    lines.append(ln)
env = b"\n".join(lines)
tr = b"SNF1 %08x %s %08x\n" % (len(env), tr[14:22], zlib.crc32(env) & 0xffffffff)
old = os.path.basename(path)
new = "%010d.%s" % (int(old[:10]) - secs, old[11:])
folder = os.path.dirname(path)
st = os.stat(path)
tmp = os.path.join(folder, "." + new)
with open(tmp, "wb") as f:
    f.write(body + env + tr)
os.chmod(tmp, 0o600)
os.utime(tmp, (st.st_atime, st.st_mtime))
os.rename(tmp, os.path.join(folder, new))
os.unlink(path)
print(new)
EOF
}

# sq DIR ARGS...: snf-queue -d DIR ARGS, its output in $T/out, its errors
# in $T/err, its exit status in QRC.
sq() {
	_r=$1
	shift
	snf-queue -d "$_r" "$@" >"$T/out" 2>"$T/err"
	QRC=$?
}

# tl FIELD...: one line of the fields separated by tabs.
tl() {
	_s=$1
	shift
	for _x; do
		_s="$_s	$_x"
	done
	printf '%s\n' "$_s"
}

# per ACTION DOMAIN [DETAIL] -- ID...: one line "ACTION ID DOMAIN [DETAIL]"
# per id, the ids sorted (the order of the verbs within a domain).
per() {
	_act=$1 _dom=$2 _det=
	shift 2
	if [ "$1" != -- ]; then
		_det=$1
		shift
	fi
	shift
	for _i in $(printf '%s\n' "$@" | sort); do
		if [ -n "$_det" ]; then
			tl "$_act" "$_i" "$_dom" "$_det"
		else
			tl "$_act" "$_i" "$_dom"
		fi
	done
}

# out_is WANT NAME: the last snf-queue output (sq) is WANT and it exited 0.
out_is() {
	is "$QRC:$(cat "$T/out")" "0:$1" "$2"
	[ "$QRC" -eq 0 ] || show "$T/err"
}

# snap DIR: the state of the queue and the hold files, one line per file
# (name, size, modification time), to show that nothing changed.
snap() {
	(cd "$1" && find queue domains -type f ! -path 'queue/trigger' \
	    -printf '%p %s %T@\n' 2>/dev/null | sort)
}

# mtime FILE: modification time, seconds since the epoch.
mtime() {
	stat -c %Y "$1"
}

# lock_item FILE: another process holds an exclusive flock(2) on FILE,
# as snf-send does on a message it delivers, until unlock_item. Sets
# LOCK_PID.
lock_item() {
	rm -f "$T/locked"
	python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(50)' "$1" "$T/locked" &
	LOCK_PID=$!
	SERVER_PIDS="$SERVER_PIDS $LOCK_PID"
	wait_for 10 test -f "$T/locked"
}

unlock_item() {
	kill "$LOCK_PID" 2>/dev/null
	wait "$LOCK_PID" 2>/dev/null
	return 0
}

# lf FILE: FILE with CR LF line ends made LF.
lf() {
	python3 -c '
import sys
sys.stdout.buffer.write(open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n"))
' "$1"
}

# fake_msg FAKEDIR TAG: the message with Subject TAG that fakesmtp
# stored (its path), nothing when none or several.
fake_msg() {
	_m=$(grep -lx "Subject: $2$(printf '\r')" "$1"/msg.[0-9]* 2>/dev/null)
	[ "$(echo "$_m" | grep -c .)" -eq 1 ] && echo "$_m"
	return 0
}

# damage DIR ID envelope|truncate|body|unreadable: item ID damaged in
# place, one way: an envelope that does not parse (its version line
# made "V 9", the envelope checksum made right again, so that only the
# parse fails), an item cut short (its last 7 bytes), one byte of the
# stored message changed (its checksum then fails), or an item that
# cannot be read (mode 000). The item is given back to the service
# (svc_own) before it is made unreadable.
damage() {
	_f=$(item "$1" "$2")
	[ -n "$_f" ] || { echo "# damage: no item $2" >&2; return 1; }
	python3 - "$_f" "$3" <<'PY' || return 1
import os, sys, zlib
path, kind = sys.argv[1], sys.argv[2]
st = os.stat(path)
d = bytearray(open(path, "rb").read())
n = int(d[-32:][5:13], 16)
env = len(d) - 32 - n
if kind == "envelope":
    assert d[env:env + 4] == b"V 1\n", "no version line"
    d[env + 2:env + 3] = b"9"
    crc = b"%08x" % (zlib.crc32(bytes(d[env:len(d) - 32])) & 0xffffffff)
    d[-9:-1] = crc
elif kind == "truncate":
    d = d[:-7]
elif kind == "body":
    i = d.index(b"body of ")
    assert i < env, "no body line"
    d[i] ^= 0x20
elif kind != "unreadable":
    sys.exit("damage: no such kind: " + kind)
with open(path, "r+b") as f:
    f.write(d)
    f.truncate(len(d))
os.utime(path, (st.st_atime, st.st_mtime))
PY
	svc_own "$1"
	[ "$3" != unreadable ] || chmod 000 "$_f"
}
