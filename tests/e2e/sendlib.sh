# sendlib.sh - helpers for the snf-send end-to-end tests (1NN-send-*.t).
# Source it after lib.sh. Every background process started here is put
# on lib.sh's SERVER_PIDS, so that its cleanup ends it.

FAKE="$SNF_TOP/tests/tools/fakesmtp.py"
SENDLOG=$T/send.log

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now
# (for a primary that is down first and comes back on the same port).
free_port() {
	python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_fake NAME [FAKESMTP OPTIONS...]: fakesmtp.py with its files in
# $T/NAME (emptied first). Sets FPORT and FPID.
start_fake() {
	_fd=$T/$1
	shift
	rm -rf "$_fd"
	mkdir -p "$_fd"
	python3 "$FAKE" --dir "$_fd" "$@" 2>>"$_fd.stderr" &
	FPID=$!
	SERVER_PIDS="$SERVER_PIDS $FPID"
	wait_for 10 test -s "$_fd/port" || return 1
	FPORT=$(cat "$_fd/port")
}

# stop_pid PID [SECONDS]: SIGTERM, then wait at most SECONDS (10) for it
# to end, then SIGKILL. Status 0 when it ended on the SIGTERM; STOP_RC is
# its exit status.
stop_pid() {
	STOP_RC=none
	kill -TERM "$1" 2>/dev/null || return 0
	_w=$(( ${2:-10} * 10 ))
	while kill -0 "$1" 2>/dev/null; do
		_w=$((_w - 1))
		if [ $_w -le 0 ]; then
			kill -KILL "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	wait "$1" 2>/dev/null
	STOP_RC=$?
	return 0
}

# primary DIR HOST[:PORT]...: domains/example.com/primary, one a line.
primary() {
	_r=$1
	shift
	printf '%s\n' "$@" >"$_r/domains/example.com/primary"
}

# mail_in DIR FROM TO[,TO...] DATAFILE: swaks through snf-smtpd -d DIR on
# a pipe, the message from DATAFILE. Status 0 when it was queued (250).
mail_in() {
	swaks --pipe "snf-smtpd -d $1" --helo client.test --from "$2" \
	    --to "$3" --data "$4" >"$T/swaks.out" 2>&1 &&
	    grep -q '^<-  250 2.0.0 Ok: queued as ' "$T/swaks.out"
}

# queue_many DIR N TAG [RCPT]: N messages in one SMTP session with
# snf-smtpd on stdio, from sender@origin.test to RCPT (alice@example.com);
# message i has Subject: TAG i and Message-ID: <TAG.i@origin.test>.
queue_many() {
	python3 - "$1" "$2" "$3" "${4:-alice@example.com}" >"$T/many.script" <<'EOF'
import sys
root, n, tag, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
print("< 220")
print("> EHLO client.test")
print("< 250")
for i in range(1, n + 1):
    print("> MAIL FROM:<sender@origin.test>")
    print("< 250")
    print("> RCPT TO:<%s>" % rcpt)
    print("< 250")
    print("> DATA")
    print("< 354")
    print("> From: sender@origin.test")
    print("> Subject: %s %d" % (tag, i))
    print("> Message-ID: <%s.%d@origin.test>" % (tag, i))
    print("> ")
    print("> body of %s %d" % (tag, i))
    print("> .")
    print("< 250")
print("> QUIT")
print("< 221")
EOF
	python3 "$CHAT" --timeout 30 --stdio "$T/many.script" -- \
	    snf-smtpd -d "$1" >"$T/many.out" 2>&1 && return 0
	tail -n 20 "$T/many.out" | sed 's/^/#   /'
	return 1
}

# start_send DIR: the snf-send service in the background, its log
# appended to $SENDLOG. Sets SEND_PID.
start_send() {
	snf-send -d "$1" 2>>"$SENDLOG" &
	SEND_PID=$!
	SERVER_PIDS="$SERVER_PIDS $SEND_PID"
}

# send1 DIR [DOMAIN...]: a one-shot pass, its log appended to $SENDLOG
# (and copied to $T/send1.log).
send1() {
	_r=$1
	shift
	snf-send -d "$_r" -1 "$@" 2>"$T/send1.log"
	_rc=$?
	cat "$T/send1.log" >>"$SENDLOG"
	return $_rc
}

# nmsgs FAKEDIR: messages fakesmtp stored (msg.N files).
nmsgs() {
	ls "$1" 2>/dev/null | grep -c '^msg\.[0-9][0-9]*$' | tr -d ' '
}

# nlog FAKEDIR REGEX: lines of fakesmtp's log matching REGEX.
nlog() {
	cat "$1/log" 2>/dev/null | grep -c -- "$2" | tr -d ' '
}

# state_get DIR KEY [DOMAIN]: one value from queue/state/DOMAIN.
state_get() {
	sed -n "s/^$2=//p" "$1/queue/state/${3:-example.com}" 2>/dev/null
}

# strip_received FILE: FILE without its first header field, which must be
# a Received: field (snf-smtpd's own); fails when it is not.
strip_received() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
if not d.startswith(b"Received: "):
    sys.exit(1)
i = d.index(b"\r\n") + 2
while d[i:i + 1] in (b"\t", b" "):
    i = d.index(b"\r\n", i) + 2
sys.stdout.buffer.write(d[i:])
' "$1"
}

# crlf FILE: FILE with LF line ends made CR LF and a final CR LF, as swaks
# sends a --data file that has no final newline.
crlf() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(d.replace(b"\n", b"\r\n") + b"\r\n")
' "$1"
}

# qitem_for DIR DOMAIN: the only committed item of DOMAIN (its path).
qitem_for() {
	queue_files "$1" "$2" | head -n 1
}

# show FILE: a file as TAP comments (for failures).
show() {
	[ -f "$1" ] && sed 's/^/#   /' "$1" | head -n "${2:-40}"
}

# wait_is SECONDS WANT COMMAND...: run COMMAND every 0.1 s until its
# output is WANT or SECONDS pass; status 0 when it was.
wait_is() {
	_n=$(($1 * 10))
	_want=$2
	shift 2
	while [ "$("$@")" != "$_want" ]; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.1
	done
}

# session_shape FAKEDIR: fakesmtp's log, one line per session command
# outside transactions and one line per transaction ("MAIL ... RCPT ...
# DATA"), the transactions of each session sorted: the shape of the
# sessions whatever the order of the messages in them.
session_shape() {
	python3 -c '
import sys
out, tx, cur = [], [], None
def flush():
    global tx
    out.extend(sorted(tx))
    tx = []
for ln in open(sys.argv[1] + "/log").read().splitlines():
    if ln.startswith("MAIL "):
        if cur is not None:
            tx.append(cur)
        cur = ln
    elif cur is not None and (ln.startswith("RCPT ") or ln == "DATA"):
        cur += " " + ln
    else:
        if cur is not None:
            tx.append(cur)
            cur = None
        flush()
        out.append(ln)
if cur is not None:
    tx.append(cur)
flush()
print("\n".join(out))
' "$1"
}

# wait_conn SECONDS PORT: wait until a TCP connection to 127.0.0.1:PORT is
# established (read from /proc/net/tcp); status 0 when one was seen.
wait_conn() {
	python3 - "$1" "$2" <<'PYEOF'
import sys, time
end = time.time() + float(sys.argv[1])
port = "%04X" % int(sys.argv[2])
while time.time() < end:
    try:
        for ln in open("/proc/net/tcp").read().splitlines()[1:]:
            f = ln.split()
            # local address, remote address, state 01 = ESTABLISHED
            if f[2].endswith(":" + port) and f[3] == "01":
                sys.exit(0)
    except OSError:
        sys.exit(1)
    time.sleep(0.05)
sys.exit(1)
PYEOF
}
