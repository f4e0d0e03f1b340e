# lib.sh - helpers for the end-to-end tests (sourced; POSIX sh).
# Each test makes its own root folder under $T, runs the real programs
# from bin/, and prints TAP. Network traffic stays on 127.0.0.1.

: "${SNF_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
PATH="$SNF_TOP/bin:$PATH"
CHAT="$SNF_TOP/tests/tools/smtpchat.py"
export PATH TCPREMOTEIP=127.0.0.1

tap_n=0
tap_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/snf-e2e.XXXXXX") || exit 111

# svc_wrap DIR: as root, DIR/snf-smtpd is $SMTPD, and the snf-smtpd
# first in PATH runs it as the service user.
svc_wrap() {
	SMTPD=$1/snf-smtpd
	[ -n "$AS_SVC" ] || return 0
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$AS_SVC" "$SMTPD" \
	    >"$T/svcbin/snf-smtpd.tmp" &&
	    chmod 755 "$T/svcbin/snf-smtpd.tmp" &&
	    mv "$T/svcbin/snf-smtpd.tmp" "$T/svcbin/snf-smtpd"
	PATH=$T/svcbin:$(echo ":$PATH:" |
	    sed "s|:$T/svcbin:|:|g; s|^:||; s|:\$||")
}

# As root, the programs run as in an installation: queue/ and cache/
# belong to the service user (SVC_USER, snftest, made by
# scripts/install-deps), snf-smtpd runs as it (under tcpserver -u/-g,
# or as the snf-smtpd of $T/svcbin: the real one, $SMTPD, started by
# setpriv as that user), and the other programs become it by
# themselves. $T is that user's too, so that what they write there (an
# alert's record, an export) can be written. Unprivileged, everything
# is the caller's.
SVC_USER=$(id -un) AS_SVC="" TCP_SVC="" TMPFS_SVC="" SMTPD=$SNF_TOP/bin/snf-smtpd
if [ "$(id -u)" -eq 0 ]; then
	SVC_USER=snftest
	if ! _uid=$(id -u "$SVC_USER" 2>/dev/null); then
		echo "Bail out! no user $SVC_USER: run sh scripts/install-deps"
		exit 1
	fi
	_gid=$(id -g "$SVC_USER")
	AS_SVC="setpriv --reuid=$_uid --regid=$_gid --clear-groups --"
	TCP_SVC="-u $_uid -g $_gid"
	TMPFS_SVC=",uid=$_uid,gid=$_gid"	# a tmpfs mounted as queue/
	chown "$_uid:$_gid" "$T"
	_bin=$SNF_TOP/bin
	if [ -x "$_bin/snf-smtpd" ] && ! $AS_SVC test -x "$_bin/snf-smtpd"; then
		# the checkout is out of the service user's reach: a copy
		mkdir "$T/bin" && cp -p "$SNF_TOP"/bin/snf-* "$T/bin/" || exit 111
		_bin=$T/bin
	fi
	mkdir "$T/svcbin" || exit 111
	PATH="$_bin:$PATH"
	svc_wrap "$_bin"
fi
export SVC_USER
SERVER_PIDS=""
MOUNTS=""
cleanup() {
	for p in $SERVER_PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ft_release
	for m in $MOUNTS; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {	# ok CONDITION-STATUS NAME
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$tap_n" "$2"
	else
		printf 'not ok %d - %s\n' "$tap_n" "$2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() {	# skip NAME REASON
	tap_n=$((tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$tap_n" "$1" "$2"
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# mkroot DIR: a root folder with example.com (userprotect: alice, bob)
# and example.net (cloudprotect, its primary down), tuned for fast tests.
mkroot() {
	mkdir -p "$1/control" "$1/domains/example.com" "$1/domains/example.net"
	svc_own "$1"
	echo mx.test.invalid >"$1/control/me"
	echo 0 >"$1/control/errorsleep"
	echo userprotect >"$1/domains/example.com/mode"
	printf 'alice\nbob@example.com\n# a comment\nCarol\n' \
	    >"$1/domains/example.com/users"
	echo cloudprotect >"$1/domains/example.net/mode"
	# its primary is down (nothing listens on port 1): callouts fail fast
	echo 127.0.0.1:1 >"$1/domains/example.net/primary"
}

# svc_own DIR: queue/ and cache/ of the root folder DIR made, and all in
# them given to the service user (snf-setup), after a test has put files
# there itself.
svc_own() {
	snf-setup -d "$1" -u "$SVC_USER" >/dev/null ||
	    echo "# snf-setup -d $1 -u $SVC_USER failed"
}

# fresh DIR queue|cache: that folder of the root folder DIR emptied, as
# snf-setup makes it.
fresh() {
	rm -rf "${1:?}/${2:?}"
	svc_own "$1"
}

# queue_count DIR [DOMAIN]: committed items in the queue.
queue_count() {
	find "$1/queue/mail${2:+/$2}" -type f 2>/dev/null | wc -l | tr -d ' '
}

# tmp_count DIR: files left in queue/tmp.
tmp_count() {
	find "$1/queue/tmp" -type f 2>/dev/null | wc -l | tr -d ' '
}

# chat DIR SCRIPT: run a chat script against snf-smtpd on stdin/stdout.
chat() {
	python3 "$CHAT" --stdio "$2" -- snf-smtpd -d "$1" >"$T/chat.out" 2>&1
}

# start_server DIR: snf-smtpd under tcpserver on 127.0.0.1, a free port.
# Sets PORT. Logs go to $T/server.log.
start_server() {
	# shellcheck disable=SC2086
	tcpserver -1 -R -H -l localhost -b 100 -c 100 $TCP_SVC 127.0.0.1 0 \
	    "$SMTPD" -d "$1" >"$T/port" 2>>"$T/server.log" &
	SERVER_PIDS="$SERVER_PIDS $!"
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	PORT=$(head -n 1 "$T/port")
	[ -n "$PORT" ]
}

# is GOT WANT NAME: one TAP line for GOT = WANT, both shown when not.
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf 'got:  %s\nwant: %s\n' "$1" "$2" | sed 's/^/#   /'
	fi
}

# chat_ok DIR NAME: run the chat script on stdin against snf-smtpd on
# stdin/stdout; one TAP line, the transcript as comments when it fails.
chat_ok() {
	cat >"$T/script"
	chat "$1" "$T/script"
	_rc=$?
	ok $_rc "$2"
	[ $_rc -eq 0 ] || sed 's/^/#   /' "$T/chat.out"
	return $_rc
}

# tcpchat_ok NAME: the same against the server start_server started.
tcpchat_ok() {
	cat >"$T/script"
	python3 "$CHAT" --tcp 127.0.0.1 "$PORT" "$T/script" >"$T/chat.out" 2>&1
	_rc=$?
	ok $_rc "$1"
	[ $_rc -eq 0 ] || sed 's/^/#   /' "$T/chat.out"
	return $_rc
}

# bytes_line FILE: a chat line ">> ..." that sends FILE byte for byte.
bytes_line() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
out = []
for b in d:
    if 32 <= b < 127 and b != 92:
        out.append(chr(b))
    else:
        out.append("\\x%02x" % b)
sys.stdout.write(">> " + "".join(out) + "\n")
' "$1"
}

# qitem_body FILE: the message stored in queue item FILE (inflated when
# the envelope says Z), without envelope and trailer, on stdout.
qitem_body() {
	[ -f "$1" ] || { echo "# qitem_body: no queue item '$1'" >&2; return 1; }
	python3 -c '
import sys, zlib
d = open(sys.argv[1], "rb").read()
tr = d[-32:]
assert tr[:5] == b"SNF1 ", "no trailer"
envlen = int(tr[5:13], 16)
body = d[:len(d) - 32 - envlen]
env = d[len(d) - 32 - envlen:len(d) - 32]
if b"\nZ \n" in b"\n" + env:
    body = zlib.decompress(body)
sys.stdout.buffer.write(body)
' "$1"
}

# qitem_env FILE: the envelope text of queue item FILE.
qitem_env() {
	[ -f "$1" ] || { echo "# qitem_env: no queue item '$1'" >&2; return 1; }
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
envlen = int(d[-32:][5:13], 16)
sys.stdout.buffer.write(d[len(d) - 32 - envlen:len(d) - 32])
' "$1"
}

# qitem_msg FILE: the client's message in queue item FILE, that is the
# body without the Received: field snf-smtpd put first.
qitem_msg() {
	qitem_body "$1" | python3 -c '
import sys
d = sys.stdin.buffer.read()
assert d.startswith(b"Received: "), "no Received: first"
i = d.index(b"\r\n") + 2
while d[i:i + 1] in (b"\t", b" "):
    i = d.index(b"\r\n", i) + 2
sys.stdout.buffer.write(d[i:])
'
}

# queue_files DIR [DOMAIN]: the committed items, one path a line.
queue_files() {
	find "$1/queue/mail${2:+/$2}" -type f 2>/dev/null | sort
}

# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds
# or SECONDS pass; the status of the last try.
wait_for() {
	_n=$(($1 * 10))
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.1
	done
}

# next_second: sleep until just past the start of the next second, so
# that an age in whole seconds is exact for a while, and so that what
# comes next has a later arrival second (queue ids begin with it).
next_second() {
	python3 -c 'import time; time.sleep(1.05 - time.time() % 1)'
}

# slow_or SHORT LONG: LONG in the slow run (run.sh --slow sets
# SNF_SLOW), SHORT in make check; for the lengths of the soak tests.
slow_or() {
	if [ -n "${SNF_SLOW:-}" ]; then
		echo "$2"
	else
		echo "$1"
	fi
}

# test_seed: SEED, the seed of the test's own random choices: $SNF_SEED
# to replay a run, else a new one. Prints it as "# seed N".
test_seed() {
	SEED=${SNF_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	case $SEED in
	'' | *[!0-9]*) echo "# SNF_SEED is not a number: '$SEED'"; exit 100 ;;
	esac
	echo "# seed $SEED"
}

# dyn_build: sets DYN to a folder of the programs linked dynamically, for
# libfaketime (an LD_PRELOAD library, powerless on a static program):
# bin/ itself when its programs are dynamic, else a build of the same
# source with ./configure --shared-libs (a few seconds), made once per
# run of run.sh in $SNF_DYN_CACHE (under a lock, for the files that run
# at once), or in $T/dyn when the test runs alone; its log is DYN_LOG.
# AddressSanitizer and libfaketime deadlock (ASan's allocator reads the
# clock through libfaketime while libfaketime, not yet set up, allocates
# to find its own symbols), so sanitized programs get the private build
# too, without the sanitizers. Status 1 (DYN empty) when it fails.
dyn_build() {
	[ -n "${DYN:-}" ] && [ -x "$DYN/snf-send" ] && return 0
	DYN=
	_b=$(dirname "$(command -v snf-expire || command -v snf-send)")
	if ! ldd "$_b/snf-send" 2>&1 | grep -q 'not a dynamic\|statically linked' &&
	    ! grep -q __asan_init "$_b/snf-send"; then
		DYN=$_b
		return 0
	fi
	_d=${SNF_DYN_CACHE:-$T/dyn}
	DYN_LOG=$_d.log
	if command -v flock >/dev/null 2>&1; then
		( flock 9 && dyn_make "$_d" ) 9>"$_d.lock" || return 1
	else
		dyn_make "$_d" || return 1
	fi
	DYN=$_d/bin
}

# dyn_make DIR: the dynamic build of dyn_build in DIR, unless there is
# one already (or one failed already).
dyn_make() {
	[ -x "$1/bin/snf-send" ] && return 0
	[ ! -f "$1.failed" ] || return 1
	rm -rf "$1"
	mkdir -p "$1" || return 1
	if ! { ( cd "$SNF_TOP" && tar --exclude=./.git --exclude=./tests \
	    --exclude=./bin --exclude='*.o' --exclude='*.a' -cf - . ) |
	    ( cd "$1" && tar -xf - ) &&
	    ( cd "$1" && env -u CFLAGS -u LDFLAGS CC=cc ./configure --shared-libs \
	    >"$1.log" 2>&1 && make -s -j2 >>"$1.log" 2>&1 ) &&
	    ! ldd "$1/bin/snf-send" 2>&1 | grep -q 'not a dynamic\|statically linked'; }; then
		rm -rf "$1/bin"
		: >"$1.failed"
		return 1
	fi
}

# libft: sets LIBFT to libfaketime's library, empty when there is none
# (or no faketime program).
libft() {
	LIBFT=
	command -v faketime >/dev/null 2>&1 || return 1
	for _f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
		[ -f "$_f" ] && LIBFT=$_f && return 0
	done
	return 1
}

# clock_skip SECONDS: instead of sleeping SECONDS for ages counted in
# wall-clock seconds (cache records, queue items, down memos, backoffs)
# to pass, move the clocks that every program started from now on sees
# SECONDS further ahead (libfaketime; skips add up). The offset stays
# the same for the life of each program (one started before a skip does
# not see it), so its time limits measure what they did. (The monotonic
# clock moves too: with
# FAKETIME_DONT_FAKE_MONOTONIC, libfaketime 0.9.10 makes Python's
# time.sleep fail with EINVAL.) Files keep the kernel's real times. From
# the first skip on, the programs run are those of dyn_build, so that
# libfaketime reaches them. Without libfaketime or a dynamic build, it
# sleeps.
CLOCK_AHEAD=0
clock_skip() {
	if [ "$CLOCK_AHEAD" = 0 ] && ! { libft && dyn_build; }; then
		echo "# clock_skip: libfaketime cannot be used here: sleep $1"
		sleep "$1"
		return
	fi
	if [ "$CLOCK_AHEAD" = 0 ]; then
		ft_hold
		PATH=$DYN:$PATH
		[ -z "$AS_SVC" ] || svc_wrap "$DYN"
		LD_PRELOAD=$LIBFT${LD_PRELOAD:+ $LD_PRELOAD}
		export PATH LD_PRELOAD
	fi
	CLOCK_AHEAD=$(awk -v a="$CLOCK_AHEAD" -v b="$1" 'BEGIN { print a + b }')
	FAKETIME=+$CLOCK_AHEAD
	export FAKETIME
}

# ft_hold: a semaphore and a shared memory object of libfaketime's for
# the test, named in FAKETIME_SHARED for every program run after it;
# ft_release (cleanup) removes them. Without them, each program that
# libfaketime reaches makes a pair of its own, named by its pid, which
# it removes at its exit only when it ends by exit(3) without exec'ing
# another: the others pile up in /dev/shm, and the faketime program
# fails when one has the name it wants (its pid, reused). libfaketime
# makes the pair here, in a process that execs python3 (the pyenv shim)
# or leaves by _exit(2). The semaphore is raised far above 1: each
# program takes it around every stat(2) and gives it back, and one
# killed in between would otherwise leave every later one waiting for
# ever (the pair is otherwise used only for what offsets do not need).
ft_hold() {
	FAKETIME_SHARED=$(env -u FAKETIME_SHARED LD_PRELOAD="$LIBFT" FAKETIME=+0 \
	    python3 -c '
import _multiprocessing, os
s = os.environ.get("FAKETIME_SHARED", "")
if s:
    sem = _multiprocessing.SemLock._rebuild(0, 1, 1 << 30, s.split()[0])
    for _ in range(100000):
        sem.release()
print(s, flush=True)
os._exit(0)
' 2>/dev/null)
	FT_SHARED=$FAKETIME_SHARED
	if [ -n "$FT_SHARED" ]; then
		export FAKETIME_SHARED
	else
		unset FAKETIME_SHARED
		echo "# ft_hold: libfaketime made no shared memory"
	fi
}

# ft_release: removes what ft_hold made (cleanup).
ft_release() {
	for _s in ${FT_SHARED:-}; do
		case $_s in
		/faketime_sem_[0-9]*) rm -f "/dev/shm/sem.${_s#/}" ;;
		/faketime_shm_[0-9]*) rm -f "/dev/shm/${_s#/}" ;;
		esac
	done
	FT_SHARED=
}

# empty_queue DIR: remove every queued item (between independent checks).
empty_queue() {
	rm -rf "$1/queue/mail" "$1/queue/tmp"
}

# qinject DIR MSGFILE ENV [pipe]: run snf-queue -d DIR as snf-smtpd does:
# MSGFILE on fd 0 (a pipe), the envelope on fd 1 (a socket, or a pipe
# with "pipe"); ENV is a Python bytes literal such as
# 'b"Fa@b.test\0Tc@example.com\0\0"'. Prints snf-queue's status line
# ("-" if none), then "exit N".
qinject() {
	python3 -c '
import os, socket, subprocess, sys
root, msg, env = sys.argv[1], sys.argv[2], eval(sys.argv[3])
usepipe = len(sys.argv) > 4 and sys.argv[4] == "pipe"
r, w = os.pipe()
if usepipe:
    er, ew = os.pipe()
    child_out, mine = er, None
else:
    mine, theirs = socket.socketpair()
    child_out = theirs.fileno()
p = subprocess.Popen(["snf-queue", "-d", root], stdin=r, stdout=child_out,
                     stderr=subprocess.DEVNULL)
os.close(r)
if usepipe:
    os.close(er)
else:
    theirs.close()
try:
    with open(msg, "rb") as f:
        data = f.read()
        while data:
            n = os.write(w, data[:65536])
            data = data[n:]
except BrokenPipeError:
    pass
os.close(w)
reply = b""
try:
    if usepipe:
        os.write(ew, env)
        os.close(ew)
    else:
        mine.sendall(env)
        mine.shutdown(socket.SHUT_WR)
        mine.settimeout(30)
        while True:
            d = mine.recv(4096)
            if not d:
                break
            reply += d
except (BrokenPipeError, ConnectionResetError):
    pass
rc = p.wait(60)
line = reply.split(b"\n")[0].decode("latin-1") if reply else "-"
print(line)
print("exit %d" % rc)
' "$@"
}
