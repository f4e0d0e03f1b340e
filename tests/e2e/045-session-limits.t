#!/bin/sh
# Limits a client cannot get around: greetings past the second count as
# junk commands (control/junkcommands), a session ends at
# control/session_lifetime however busy the client keeps it, and a
# message holding a NUL byte is refused (554 5.6.0, nothing stored)
# while snf-send sends the NUL of an item already queued as a space.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"

# ms: now in milliseconds
ms() {
	date +%s%3N
}

# --- EHLO and HELO past the second are junk ----------------------------
echo 3 >"$R/control/junkcommands"
{
	printf '< 220\n'
	i=1
	while [ $i -le 5 ]; do
		printf '> EHLO client%d.test\n< 250\nsleep 1\n' $i
		i=$((i + 1))
	done
	printf '> EHLO client6.test\n<~ ^421 4\\.7\\.0 mx\\.test\\.invalid Error: too many commands without mail\\r\\n$\neof\n'
} >"$T/ehlos"
chat_ok "$R" "junkcommands 3: EHLO once a second, the sixth gets 421 4.7.0 and close" \
    <"$T/ehlos"
grep -q 'end ip=127.0.0.1 helo=client5.test msgs=0 errors=0 reason=too\\smany\\sjunk\\scommands' \
    "$T/chat.out"
ok $? "the end is logged as for any junk command (reason=too many junk commands)"

chat_ok "$R" "junkcommands 3: HELO counts as EHLO does" <<'EOF'
< 220
> HELO a.test
< 250
> EHLO b.test
< 250
> HELO c.test
< 250
> HELO d.test
< 250
> EHLO e.test
< 250
> HELO f.test
< 421 4.7.0
eof
EOF

echo 1 >"$R/control/junkcommands"
chat_ok "$R" "junkcommands 1: two greetings are free (EHLO, and EHLO after STARTTLS)" <<'EOF'
< 220
> EHLO client.test
< 250
> EHLO client.test
< 250
> NOOP
< 250
> NOOP
< 421 4.7.0
eof
EOF
chat_ok "$R" "junkcommands 1: the third greeting is the one junk command allowed" <<'EOF'
< 220
> EHLO client.test
< 250
> EHLO client.test
< 250
> EHLO client.test
< 250
> NOOP
< 421 4.7.0
eof
EOF
rm "$R/control/junkcommands"

# --- control/session_lifetime ----------------------------------------
# timed ROOT STEP LINE...: snf-smtpd -d ROOT on a pipe; after the
# greeting each LINE is sent, STEP seconds apart, without waiting for
# replies. Every reply line is printed with the milliseconds since the
# start, then "eof MS" when the server closed (waits 20 s at most after
# the last LINE). The server's log goes to $T/timed.log.
timed() {
	python3 - "$@" 2>"$T/timed.log" <<'PYEOF'
import os, select, subprocess, sys, time
root, step, lines = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
p = subprocess.Popen(["snf-smtpd", "-d", root], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE)
fd = p.stdout.fileno()
t0 = time.monotonic()
buf = b""
def ms():
    return int((time.monotonic() - t0) * 1000)
def read(until):
    """print the reply lines that come before until; False at eof"""
    global buf
    while True:
        left = until - time.monotonic()
        r, _, _ = select.select([fd], [], [], max(left, 0))
        if not r:
            return True
        d = os.read(fd, 4096)
        if not d:
            print("eof %d" % ms())
            return False
        buf += d
        while b"\n" in buf:
            ln, buf = buf.split(b"\n", 1)
            print("%d %s" % (ms(), ln.decode("latin-1").rstrip("\r")))
def send(b):
    try:
        p.stdin.write(b)
        p.stdin.flush()
    except BrokenPipeError:
        pass
alive = read(time.monotonic() + 0.5)
for ln in lines:
    if not alive:
        break
    send(ln.encode() + b"\r\n")
    alive = read(time.monotonic() + step)
if alive:
    read(time.monotonic() + 20)
try:
    p.stdin.close()
except BrokenPipeError:
    pass
p.wait(10)
PYEOF
}

# at_ms REGEX: the time of the first reply line of $T/timed.out that
# matches REGEX.
at_ms() {
	awk -v re="$1" '$1 != "eof" {
		l = substr($0, index($0, " ") + 1)
		if (l ~ re) { print $1; exit }
	}' "$T/timed.out"
}

# MAIL and RCPT are no junk: a client that sends one every 1.5 s never
# meets timeout 2, and is closed at the lifetime, 6 s, between two
# (they go at 0.5 s, 2 s, 3.5 s, 5 s, 6.5 s...).
echo 2 >"$R/control/timeout"
echo 6s >"$R/control/session_lifetime"
timed "$R" 1.5 "EHLO client.test" "MAIL FROM:<sender@origin.test>" \
    "RCPT TO:<alice@example.com>" "RCPT TO:<bob@example.com>" \
    "RCPT TO:<carol@example.com>" "RCPT TO:<alice@example.com>" \
    >"$T/timed.out"
grep -q '^[0-9]* 421 4\.4\.2 mx\.test\.invalid Error: session too long; closing connection$' \
    "$T/timed.out"
rc=$?
ok $rc "timeout 2, session_lifetime 6s, a command every 1.5 s: 421 4.4.2 session too long"
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/timed.out"
is "$(grep -c '^[0-9]* 250 2\.1\.[05] ' "$T/timed.out")" 3 \
    "MAIL and two RCPTs, each just inside the timeout, were served first"
t=$(at_ms '^421 ')
[ -n "$t" ] && [ "$t" -ge 5900 ] && [ "$t" -le 6450 ]
ok $? "the 421 came at the lifetime, 6 s, past the timeout three times (at ${t:-no} ms)"
e=$(sed -n 's/^eof //p' "$T/timed.out")
[ -n "$e" ] && [ -n "$t" ] && [ "$e" -le $((t + 1000)) ]
ok $? "and the server closed the connection (at ${e:-no} ms)"
grep -q 'end ip=127.0.0.1 helo=client.test msgs=0 errors=0 reason=session\\slifetime' \
    "$T/timed.log"
ok $? "the end is logged: reason=session lifetime"
grep -q 'reject ip=127.0.0.1 cmd= reply=421\\s4.4.2\\smx.test.invalid\\sError:\\ssession\\stoo\\slong' "$T/timed.log"
ok $? "the 421 is logged"

# with nothing sent, the 421 comes at the lifetime, not at the timeout
echo 10 >"$R/control/timeout"
echo 2 >"$R/control/session_lifetime"
timed "$R" 0.1 "EHLO client.test" >"$T/timed.out"
t=$(at_ms '^421 4\.4\.2 .*session too long')
[ -n "$t" ] && [ "$t" -ge 1900 ] && [ "$t" -le 3000 ]
ok $? "timeout 10, session_lifetime 2, idle: 421 4.4.2 session too long at 2 s (at ${t:-no} ms)"

# a message above the data rate does not extend the session either
echo 2 >"$R/control/timeout"
echo 100 >"$R/control/datarate"
echo 4 >"$R/control/session_lifetime"
l=0123456789012345678901234567890123456789012345678901234567
timed "$R" 0.3 "EHLO client.test" "MAIL FROM:<sender@origin.test>" \
    "RCPT TO:<alice@example.com>" "DATA" "Subject: steady" "" \
    $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l $l \
    $l $l $l $l $l $l $l $l "." >"$T/timed.out"
t=$(at_ms '^421 4\.4\.2 .*session too long')
[ -n "$t" ] && [ "$t" -ge 3900 ] && [ "$t" -le 4900 ]
rc=$?
ok $rc "session_lifetime 4: DATA at 200 bytes/s gets 421 4.4.2 session too long at 4 s (at ${t:-no} ms)"
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/timed.out"
grep -q '^[0-9]* 354 ' "$T/timed.out" && ! grep -q '^[0-9]* 250 2\.0\.0' "$T/timed.out"
ok $? "the message had begun (354) and was never accepted"
grep -q 'lost ip=127.0.0.1 during=DATA reason=session_lifetime' "$T/timed.log"
ok $? "the cut is logged: lost during=DATA reason=session_lifetime"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
    "the cut message: nothing queued, nothing left in queue/tmp"
rm "$R/control/datarate"

# a command that comes while the lifetime runs out (behind a RCPT whose
# callout takes 1.5 s) is answered 421, not run
start_fake slow --rcpt-delay 1.5 || echo "# fakesmtp did not start"
echo "127.0.0.1:$FPORT" >"$R/domains/example.net/primary"
mkdir -p "$R/cache/example.net"
echo "no $(date +%s)" >"$R/cache/example.net/.catchall"	# no probe
svc_own "$R"
echo 1 >"$R/control/session_lifetime"
chat_ok "$R" "session_lifetime 1: RSET pipelined behind a slow RCPT gets 421 4.4.2" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
>> RCPT TO:<someone@example.net>\r\nRSET\r\n
<~ ^250 2\.1\.5
<~ ^421 4\.4\.2 .*session too long
eof
EOF
grep -q 'reject ip=127.0.0.1 cmd=RSET reply=421\\s4.4.2' "$T/chat.out"
ok $? "the 421 answers the RSET (log: cmd=RSET)"
is "$(nlog "$T/slow" '^RCPT ')" 1 "the RCPT was decided by one callout"
rm "$R/control/timeout" "$R/control/session_lifetime"

# --- NUL bytes: refused at the end of DATA ------------------------------
SMUG='MAIL FROM:<evil@evil.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n'
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n'
	printf '>> Subject: carrier\\r\\n\\r\\nhello\\r\\n\\0.\\r\\n%s\\r\\n.\\r\\n\n' "$SMUG"
	printf '<~ ^554 5\\.6\\.0 Error: message text contains a NUL byte\\r\\n$\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n>> Subject: clean\\r\\n\\r\\nclean\\r\\n.\\r\\n\n'
	printf '< 250 2.0.0\n> QUIT\n< 221\neof\n'
} >"$T/nul"
chat_ok "$R" "CR LF NUL . CR LF is no end: 554 5.6.0 at the real end; the session goes on" \
    <"$T/nul"
is "$(grep -c "^S: b'354" "$T/chat.out")" 2 \
    "two 354s: the carrier's and the clean message's, none smuggled"
grep -q 'reject ip=127.0.0.1 cmd=[^ ]* reply=554\\s5.6.0' "$T/chat.out"
ok $? "the refusal is logged"
is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" \
    "one item queued (the clean one), queue/tmp empty"
qitem_msg "$(queue_files "$R")" >"$T/clean"
printf 'Subject: clean\r\n\r\nclean\r\n' | cmp -s - "$T/clean"
ok $? "the item is the clean message"
empty_queue "$R"

# --- NUL bytes: never sent by snf-send -----------------------------------
# An item from before (or planted) holding NULs, one of them before a
# dot at a line start: the primary gets each NUL as a space, and one
# message.
printf 'Subject: planted\r\n\r\nhello\r\n\000.\r\nMAIL FROM:<evil@evil.test>\r\nx\000y\000\r\n' \
    >"$T/planted"
qinject "$R" "$T/planted" 'b"Fsender@origin.test\0Talice@example.com\0\0"' \
    >"$T/qinject.out"
is "$(tail -n 1 "$T/qinject.out")" "exit 0" "a message with 3 NULs planted in the queue"
svc_own "$R"
is "$(queue_count "$R" example.com)" 1 "the planted item is queued"
start_fake fsnul || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$?" 0 "snf-send -1: exit 0"
F=$T/fsnul
is "$(nmsgs "$F"),$(nlog "$F" '^MAIL FROM:')" "1,1" \
    "the primary got one message, one MAIL"
python3 -c '
import sys
sys.exit(b"\0" in open(sys.argv[1], "rb").read())' "$F/msg.1" 2>/dev/null
ok $? "no NUL byte reached the primary"
printf 'Subject: planted\r\n\r\nhello\r\n .\r\nMAIL FROM:<evil@evil.test>\r\nx y \r\n' |
    cmp -s - "$F/msg.1"
ok $? "each NUL arrived as a space, the rest byte for byte"
grep -q 'warning id=[^ ]* held 3 NUL bytes: sent as spaces' "$T/send1.log"
ok $? "snf-send logs the NULs it sent as spaces"
grep -q 'delivered id=.* to=<alice@example.com>' "$T/send1.log"
ok $? "the item was delivered"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" "the queue is empty"

done_testing
