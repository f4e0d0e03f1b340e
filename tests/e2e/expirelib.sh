# expirelib.sh - helpers for the snf-expire end-to-end tests
# (3NN-expire-*.t). Source it after lib.sh (and sendlib.sh when needed).

# put_item DIR DOMAIN AGE SENDER RCPT [LINES]: write a queue item as
# snf-queue writes it, for RCPT (one address, or several separated by
# commas; "addr|NOTIFY" adds that NOTIFY value, its words separated by
# "+": "bob@example.com|SUCCESS+DELAY"), arrived AGE seconds ago
# (negative: in the future, as after a clock stepped back), from SENDER
# ("" for the null sender), with the envelope lines LINES (e.g.
# 'R HDRS\nE env1') before the recipients.
# Its Subject and Message-ID say "held ID". Prints the item's path.
# The random part of the ID comes from lib.sh's SEED when the test set
# one (test_seed), the Nth item of the test using "SEED.N".
put_item() {
	_pi=$(put_item_py "$@") || return 1
	svc_own "$1"
	echo "$_pi"
}
put_item_py() {
	PUT_SEED=${SEED:-} PUT_COUNT=$T/put_item.count python3 - "$@" <<'EOF'
import os, random, sys, time, zlib
root, dom, age, sender, rcpts = sys.argv[1:6]
lines = sys.argv[6].replace("\\n", "\n") if len(sys.argv) > 6 else ""
arr = int(time.time()) - int(age)
rng = random
if os.environ.get("PUT_SEED"):
    cf = os.environ["PUT_COUNT"]
    n = int(open(cf).read()) + 1 if os.path.exists(cf) else 1
    open(cf, "w").write("%d\n" % n)
    rng = random.Random("%s.%d" % (os.environ["PUT_SEED"], n))
iid = "%010d.%012x" % (arr, rng.getrandbits(48))
body = ("Received: from client.test ([127.0.0.1])\r\n"
        "\tby mx.test.invalid (snf-smtpd) with ESMTP; now\r\n"
        "From: <%s>\r\nSubject: held %s\r\nMessage-ID: <%s@origin.test>\r\n"
        "\r\nthe body of held %s\r\n" % (sender, iid, iid, iid)).encode()
env = "V 1\nA %d\nL %d\nD %s\nS %s\n" % (arr, len(body), dom, sender)
if lines:
    env += lines.rstrip("\n") + "\n"
for r in rcpts.split(","):
    addr, _, notify = r.partition("|")
    env += "T %s\n" % addr
    if notify:
        env += "N %s\n" % notify.replace("+", ",")
env = env.encode()
tr = b"SNF1 %08x %08x %08x\n" % (len(env), zlib.crc32(body), zlib.crc32(env))
d = os.path.join(root, "queue", "mail", dom)
os.makedirs(d, exist_ok=True)
tmp = os.path.join(root, "queue", "tmp")
os.makedirs(tmp, exist_ok=True)
t = os.path.join(tmp, "test.%d.tmp" % os.getpid())
with open(t, "wb") as f:
    f.write(body + env + tr)
os.rename(t, os.path.join(d, iid))
print(os.path.join(d, iid))
EOF
}

# reports DIR: the reports queued for origin.test (their item paths).
reports() {
	queue_files "$1" origin.test
}

# nreports DIR: how many.
nreports() {
	queue_count "$1" origin.test
}

# report_text FILE: the report in queue item FILE, LF line ends.
report_text() {
	qitem_body "$1" 2>/dev/null | tr -d '\r'
}

# expire DIR [OPTIONS...]: snf-expire -d DIR; stdout in $T/exp.out, the
# log in $T/exp.log (and appended to $T/exp.all). Its exit status.
expire() {
	_r=$1
	shift
	snf-expire -d "$_r" "$@" >"$T/exp.out" 2>"$T/exp.log"
	_rc=$?
	cat "$T/exp.log" >>"$T/exp.all"
	return $_rc
}

# snapshot DIR: every file under DIR with its size, mtime and checksum,
# one a line, to compare before and after a run that must change nothing.
snapshot() {
	find "$1" -type f -exec sh -c \
	    'for f; do printf "%s %s %s\n" "$f" "$(stat -c "%s %Y" "$f")" \
	    "$(cksum <"$f")"; done' sh {} + | sort
}

# hold_lock FILE READY: hold an exclusive flock(2) on FILE in the
# background (as snf-send does while it delivers), touch READY once it is
# held; sets LOCK_PID. Kill it to let go.
hold_lock() {
	python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "rb")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(120)
' "$1" "$2" &
	LOCK_PID=$!
	SERVER_PIDS="$SERVER_PIDS $LOCK_PID"
	wait_for 10 test -f "$2"
}

# rfc5322 TIME: the date TIME as the reports write it (local time).
rfc5322() {
	python3 -c 'import sys, time
print(time.strftime("%a, %d %b %Y %H:%M:%S %z", time.localtime(int(sys.argv[1]))))' "$1"
}
