#!/bin/sh
# Faults survived: hostile clients. A table of raw byte sequences, one row
# per case of sections A.1-A.9 of the reliability catalogue
# (shared/research/reliability-catalogue.md) that the 0xx tests do not
# already cover, each replayed against snf-smtpd twice: on its standard
# input and output, and under tcpserver over TCP. Each row names the
# exact reply codes, and after each run nothing reached the queue (the
# rows that queue one message say so and are checked). Then the cases
# that need more than a transcript: a client that leaves right after the
# final dot, endless DATA past the size limit, a 20 MB command line and a
# 20 MB text line (memory stays small), a dictionary attack at the
# default error limit, state reset on RSET and EHLO (Exim's 21Nails),
# and what tcpserver and tcprules can and cannot limit per client
# address (a connection from 127.0.0.2, which Linux routes over lo).
#
# Rows covered elsewhere, by the file that covers them:
#   A.1 CR LF . CR LF the only end, 250 only after the commit: 050, 060
#   A.1 LF . LF, LF . CR LF, CR LF . LF, CR . CR, CR . LF, LF . CR,
#       CR . CR LF, CR LF . CR: 050 (every shape, stdio and TCP)
#   A.1 CR LF NUL . CR LF is not an end: 050
#   A.1 bare LF / bare CR in DATA: 050; ending a command line: 040
#   A.1 commands pipelined after DATA without PIPELINING: 040
#   A.1 stray CR/LF in a stored message never sent: 110
#   A.1 dot-stuffing in and out: 050, 110
#   A.2 command line > 512: 040; DATA line > 1000: 050; RCPTs over the
#       limit: 040; SIZE= over the limit, malformed, huge: 040, 050;
#       SIZE= over the free space: 060; DATA over the limit: 050
#   A.2 local part > 64 in RCPT: 240 (501 5.1.3)
#   A.3 NUL in a command: 040; NUL and 8-bit in DATA: 050; non-ASCII
#       address: 020, 040; 8-bit in EHLO: 040
#   A.4 early talker, MAIL before EHLO, nested MAIL, RCPT before MAIL,
#       DATA without RCPT, arguments to DATA/RSET/QUIT, BDAT, unknown
#       verb, RSET, VRFY/EXPN, EHLO mid-transaction: 040 (and 020)
#   A.5 DATA then disconnect: 050; slow DATA (minimum rate): 040;
#       >= 100 Received: 050
#   A.6 source routes, %, !, user@evil@dom, quoted tricks, postmaster,
#       literals, case, trailing dot, <>, user@: 020; unknown user /
#       callout failure: 030, 210; /, .. in local parts of a
#       cloudprotect domain: 240; callouts rate-limited: 230
#   A.7 unknown parameters: 040; controls and = in values: 040; AUTH,
#       STARTTLS: 040; EHLO without argument, long EHLO: 040
#   A.8 slowloris (command and DATA): 040; error and junk limits: 040
#   A.9 CVE-2020-7247 (;sleep 66;): 040; CVE-2020-8794 (client reply
#       parser): 550 and the unit test t_smtpc; RCPT count: 040; BDAT
#       (CVE-2017-16943, CVE-2020-28019): 040
#
# SNF_FAULT_ROUNDS replays the table that many times (default 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"

ROUNDS=${SNF_FAULT_ROUNDS:-1}
R=$T/root
mkroot "$R"
echo 1000 >"$R/control/harderrors"
HOSTILE=0

L300=$(printf '%0300d' 0 | tr 0 l)
L86=$(printf '%086d' 0 | tr 0 l)
LAB64=$(printf '%064d' 0 | tr 0 a)
DOM260=$(python3 -c 'print(".".join(["abcdefghij"] * 24) + ".test")')
B64=$(printf '%0400d' 0 | tr 0 Q)
FOLD=$(python3 -c 'import sys; sys.stdout.write("X-Folded: start" + "\\r\\n\\tfolded line of a very long header" * 10000)')

# The table: "@ NAME | N" starts a row whose transcript follows (the
# smtpchat.py language); N is how many messages the row queues (0
# unless said).
cat >"$T/table" <<EOF
@ A.1 HELO client pipelining a whole transaction after the final dot: 250, then 554 5.5.0 at the smuggled MAIL | 1
< 220
> HELO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<alice@example.com>
< 250 2.1.5
> DATA
< 354
>> Subject: carrier\r\n\r\nbody\r\n.\r\nMAIL FROM:<evil@evil.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n
< 250 2.0.0
< 554 5.5.0
eof
@ A.2 sender path of 313 octets: 501 5.1.7
< 220
> EHLO client.test
< 250
> MAIL FROM:<$L300@origin.test>
< 501 5.1.7
> QUIT
< 221
eof
@ A.2 recipient path of 313 octets: 501 5.1.3
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<$L300@example.com>
< 501 5.1.3
> QUIT
< 221
eof
@ A.2 sender local part of 86 octets (real senders do it): 250 2.1.0
< 220
> EHLO client.test
< 250
> MAIL FROM:<$L86@origin.test>
< 250 2.1.0
> QUIT
< 221
eof
@ A.2 label of 64 octets: 501 5.1.3 (RCPT), 501 5.1.7 (MAIL)
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@$LAB64.test>
< 501 5.1.7
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<alice@$LAB64.example.com>
< 501 5.1.3
> QUIT
< 221
eof
@ A.2 sender domain of 269 octets: 501 5.1.7
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@$DOM260>
< 501 5.1.7
> QUIT
< 221
eof
@ A.3 8-bit bytes in a verb, a parameter value, a parameter name: 500 5.5.2, 501 5.5.4, 501 5.5.4
< 220
> EHLO client.test
< 250
> N\xc9OP
< 500 5.5.2
> MAIL FROM:<sender@origin.test> BODY=8BIT\xe9
< 501 5.5.4
> MAIL FROM:<sender@origin.test> ENV\xe9ID=x
< 501 5.5.4
> NOOP
< 250 2.0.0
> QUIT
< 221
eof
@ A.4 HELO again in the middle of a transaction resets it: RCPT and DATA 503 5.5.1
< 220
> HELO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<alice@example.com>
< 250 2.1.5
> HELO client.test
< 250
> RCPT TO:<alice@example.com>
< 503 5.5.1
> DATA
< 503 5.5.1
> QUIT
< 221
eof
@ A.6 <@example.com> (a route, no mailbox) as RCPT: 501 5.1.3
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<@example.com>
< 501 5.1.3
> RCPT TO:<@example.com:>
< 501 5.1.3
> QUIT
< 221
eof
@ A.6 local parts with /, .., backslash, a leading dot (userprotect): never paths, 550 5.1.1 or 501 5.1.3
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<a/b@example.com>
< 550 5.1.1
> RCPT TO:<"../../x"@example.com>
< 550 5.1.1
> RCPT TO:<"../../../domains/example.com/users"@example.com>
< 550 5.1.1
> RCPT TO:<a\\\\b@example.com>
< 501 5.1.3
> RCPT TO:<.alice@example.com>
< 501 5.1.3
> RCPT TO:<alice.@example.com>
< 501 5.1.3
> QUIT
< 221
eof
@ A.7 odd name=value shapes: 501 5.5.4 each; extra blanks between parameters are fine
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> BODY=
< 501 5.5.4
> MAIL FROM:<sender@origin.test> =x
< 501 5.5.4
> MAIL FROM:<sender@origin.test> "SIZE"=1
< 501 5.5.4
> MAIL FROM:<sender@origin.test> SIZE=1=2
< 501 5.5.4
> MAIL FROM:<sender@origin.test> SIZE==1
< 501 5.5.4
> MAIL FROM:<sender@origin.test> ENVID=a\x7fb
< 501 5.5.4
> MAIL FROM:<sender@origin.test>  SIZE=10   BODY=7BIT 
< 250 2.1.0
> QUIT
< 221
eof
@ A.7 STARTTLS and RSET in one packet (CVE-2011-0411 shape), TLS not offered: 502 5.5.1, 250 2.0.0
< 220
> EHLO client.test
< 250
>> STARTTLS\r\nRSET\r\n
< 502 5.5.1
< 250 2.0.0
> QUIT
< 221
eof
@ A.7 EHLO name not matching the client, a bogus literal: accepted (never a relay decision)
< 220
> EHLO [999.1.1.1]
< 250
> HELO [1.2.3]
< 250
> EHLO x(y)
< 250
> EHLO localhost
< 250
> QUIT
< 221
eof
@ A.9 CVE-2019-10149: recipients that an expanding MTA would run: 501 5.1.3 or 550 5.1.1
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<\${run{/bin/sh -c "touch x"}}@example.com>
< 501 5.1.3
> RCPT TO:<\$(touch x)@example.com>
< 501 5.1.3
> RCPT TO:<\`touch x\`@example.com>
< 501 5.1.3
> RCPT TO:<|touch@example.com>
< 550 5.1.1
> RCPT TO:<"|touch x"@example.com>
< 550 5.1.1
> QUIT
< 221
eof
@ A.9 CVE-2020-28026: a newline inside ORCPT (spool record injection): 421 4.5.2 and close
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
>> RCPT TO:<alice@example.com> ORCPT=rfc822;a\nT evil@evil.test\r\n
< 421 4.5.2
eof
@ A.9 CVE-2020-28021: AUTH= on MAIL (not offered): 555 5.5.4; with a newline: 421 4.5.2
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> AUTH=<>
< 555 5.5.4
>> MAIL FROM:<sender@origin.test> AUTH=x\nRCPT TO:<evil@evil.test>\r\n
< 421 4.5.2
eof
@ A.9 CVE-2018-6789: a long AUTH PLAIN argument is never decoded: 503 5.5.1
< 220
> EHLO client.test
< 250
> AUTH PLAIN $B64
< 503 5.5.1
> AUTH LOGIN $B64=
< 503 5.5.1
> NOOP
< 250
> QUIT
< 221
eof
@ A.9 CVE-2020-28020: a header folded 10,000 times is stored whole: 250 2.0.0 | 1
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<alice@example.com>
< 250 2.1.5
> DATA
< 354
>> $FOLD\r\nSubject: folded\r\n\r\nbody\r\n.\r\n
< 250 2.0.0
> QUIT
< 221
eof
EOF
python3 - "$T/table" "$T/rows" <<'EOF'
import os, sys
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
n = 0
cur = None
for ln in open(src, encoding='latin-1'):
    if ln.startswith('@ '):
        n += 1
        name, _, q = ln[2:].rstrip('\n').rpartition(' | ')
        if not name:
            name, q = ln[2:].rstrip('\n'), '0'
        open(os.path.join(out, '%03d.name' % n), 'w').write(name + '\n')
        open(os.path.join(out, '%03d.queued' % n), 'w').write(q.strip() + '\n')
        cur = open(os.path.join(out, '%03d.script' % n), 'w', encoding='latin-1')
        continue
    cur.write(ln)
EOF
start_server "$R"
ok $? "tcpserver runs snf-smtpd on 127.0.0.1:$PORT"

# row_check NAME HOW N: the row queued N messages, whole; nothing in
# queue/tmp; then the queue is emptied for the next row.
row_check() {
	_q=$(queue_count "$R")
	snf-queue -d "$R" list >"$T/list" 2>"$T/list.err"
	[ "$_q" = "$3" ] && [ "$(tmp_count "$R")" = 0 ] && [ ! -s "$T/list.err" ]
	ok $? "$1 ($2): $3 queued, nothing in queue/tmp"
	empty_queue "$R"
}

round=1
while [ $round -le "$ROUNDS" ]; do
	for s in "$T"/rows/*.script; do
		b=${s%.script}
		name=$(cat "$b.name")
		n=$(cat "$b.queued")
		chat_ok "$R" "$name (stdio)" <"$s"
		row_check "$name" stdio "$n"
		wait_for 5 sh -c "[ \$(find '$R/queue/tmp' -type f 2>/dev/null | wc -l) = 0 ]"
		tcpchat_ok "$name (TCP)" <"$s"
		wait_for 5 sh -c "[ \$(find '$R/queue/tmp' -type f 2>/dev/null | wc -l) = 0 ]"
		row_check "$name" TCP "$n"
		HOSTILE=$((HOSTILE + 2))
	done
	round=$((round + 1))
done
[ ! -e "$T/x" ] && [ ! -e "$SNF_TOP/x" ] && [ ! -e "$R/x" ] && [ ! -e x ]
ok $? "no recipient ran a command (no file x anywhere)"
is "$(cat "$R/domains/example.com/users" | wc -l | tr -d ' ')" 4 "the users list is untouched"

# --- A.5: the client leaves right after the final dot (TCP reset) -------------
python3 - "$PORT" <<'EOF' >"$T/rst.out" 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if len(l) < 4 or l[3:4] != b"-":
            return l
reply()
for c in (b"EHLO client.test", b"MAIL FROM:<sender@origin.test>",
          b"RCPT TO:<alice@example.com>", b"DATA"):
    s.sendall(c + b"\r\n")
    r = reply()
assert r.startswith(b"354"), r
s.sendall(b"Subject: gone\r\n\r\n" + b"z" * 200000 + b"\r\n.\r\n")
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
s.close()
print("reset after the dot")
EOF
grep -q 'reset after the dot' "$T/rst.out"
ok $? "A.5: a client resets the connection right after its final dot"
wait_for 10 grep -q 'end ip=127.0.0.1 helo=client.test msgs=[01] ' "$T/server.log"
ok $? "A.5: ... the session ends"
q=$(queue_count "$R")
snf-queue -d "$R" list >"$T/list" 2>"$T/list.err"
[ "$q" -le 1 ] && [ "$(tmp_count "$R")" = 0 ] && [ ! -s "$T/list.err" ]
ok $? "A.5: ... the message is queued whole or not at all ($q queued), nothing in queue/tmp"
HOSTILE=$((HOSTILE + 1))
empty_queue "$R"

# --- A.5: endless DATA at full speed, past the size limit --------------------
echo 10000 >"$R/control/databytes"
echo 2 >"$R/control/timeout"
python3 - "$PORT" "$R/queue/tmp" <<'EOF' >"$T/endless.out" 2>&1
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if len(l) < 4 or l[3:4] != b"-":
            return l
reply()
for c in (b"EHLO client.test", b"MAIL FROM:<sender@origin.test>",
          b"RCPT TO:<alice@example.com>", b"DATA"):
    s.sendall(c + b"\r\n")
    r = reply()
assert r.startswith(b"354"), r
chunk = (b"e" * 998 + b"\r\n") * 64
sent, biggest, end = 0, 0, time.time() + 3
while time.time() < end:
    s.sendall(chunk)
    sent += len(chunk)
    try:
        names = os.listdir(sys.argv[2])
    except OSError:
        names = []
    for n in names:
        try:
            biggest = max(biggest, os.path.getsize(os.path.join(sys.argv[2], n)))
        except OSError:
            pass
t0 = time.time()
s.settimeout(10)
r = reply()
print("sent %d biggest %d reply %r after %.1f" % (sent, biggest, r[:9], time.time() - t0))
EOF
cat "$T/endless.out" | sed 's/^/# /'
grep -q "reply b'421 4.4.2'" "$T/endless.out"
ok $? "A.5: endless DATA at full speed, then silence: 421 4.4.2 once the client stops"
big=$(sed -n 's/.*biggest \([0-9]*\).*/\1/p' "$T/endless.out")
sent=$(sed -n 's/^sent \([0-9]*\).*/\1/p' "$T/endless.out")
[ "${big:-999999999}" -le 80000 ] && [ "${sent:-0}" -ge 1000000 ]
ok $? "A.5: ... of ${sent:-?} bytes past databytes 10000, at most ${big:-?} ever reached the disk"
wait_for 5 sh -c "[ \$(find '$R/queue/tmp' -type f 2>/dev/null | wc -l) = 0 ]"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" "A.5: ... nothing queued, nothing left in queue/tmp"
HOSTILE=$((HOSTILE + 1))
rm "$R/control/databytes" "$R/control/timeout"

# --- A.8: 20 MB without a line end, and a 20 MB text line: memory stays small --
python3 - "$R" <<'EOF' >"$T/huge.out" 2>&1
import os, subprocess, sys, threading, time
p = subprocess.Popen(["snf-smtpd", "-d", sys.argv[1]], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
hwm = [0]
def watch():
    while p.poll() is None:
        try:
            for l in open("/proc/%d/status" % p.pid):
                if l.startswith("VmHWM:"):
                    hwm[0] = max(hwm[0], int(l.split()[1]))
        except OSError:
            pass
        time.sleep(0.01)
threading.Thread(target=watch, daemon=True).start()
codes = []
def reader():
    for l in p.stdout:
        if l[3:4] == b" ":
            codes.append(l[:3].decode())
threading.Thread(target=reader, daemon=True).start()
def wait(n):
    """until the n-th reply came (lock-step: nothing waits behind EHLO)"""
    end = time.time() + 60
    while len(codes) < n and time.time() < end and p.poll() is None:
        time.sleep(0.01)
w = p.stdin
try:
    wait(1)
    w.write(b"EHLO client.test\r\n"); w.flush(); wait(2)
    for i in range(20):
        w.write(b"N" * (1 << 20))
    w.write(b"\r\n"); w.flush(); wait(3)
    w.write(b"NOOP\r\n"); w.flush(); wait(4)
    w.write(b"MAIL FROM:<sender@origin.test>\r\n"); w.flush(); wait(5)
    w.write(b"RCPT TO:<alice@example.com>\r\n"); w.flush(); wait(6)
    w.write(b"DATA\r\n"); w.flush(); wait(7)
    w.write(b"Subject: huge line\r\n\r\n")
    for i in range(20):
        w.write(b"H" * (1 << 20))
    w.write(b"\r\n.\r\n"); w.flush(); wait(8)
    w.write(b"QUIT\r\n"); w.flush(); wait(9)
    w.close()
except BrokenPipeError:
    print("broken pipe")
p.wait(60)
time.sleep(0.1)
print("codes", " ".join(codes))
print("hwm", hwm[0])
EOF
sed 's/^/# /' "$T/huge.out"
is "$(sed -n 's/^codes //p' "$T/huge.out")" "220 250 500 250 250 250 354 250 221" \
    "A.8: a 20 MB command line gets 500, the session goes on; a 20 MB text line is accepted"
hwm=$(sed -n 's/^hwm //p' "$T/huge.out")
[ "${hwm:-0}" -gt 0 ] && [ "$hwm" -le 16384 ]
ok $? "A.8: ... and snf-smtpd never used more than 16 MB of memory (VmHWM ${hwm:-?} kB)"
f=$(queue_files "$R" example.com)
[ -n "$f" ] && [ "$(qitem_msg "$f" | wc -c | tr -d ' ')" = $((22 + 20 * 1048576 + 2)) ]
ok $? "A.8: ... the 20 MB line is stored whole"
HOSTILE=$((HOSTILE + 2))
empty_queue "$R"

# --- A.6, A.8: a dictionary attack at the default error limit (20) ------------
R2=$T/root2
mkroot "$R2"
{
	printf '< 220\n> EHLO client.test\n< 250\n> MAIL FROM:<sender@origin.test>\n< 250\n'
	i=1
	while [ $i -lt 20 ]; do
		printf '> RCPT TO:<guess%d@example.com>\n< 550 5.1.1\n' $i
		i=$((i + 1))
	done
	printf '> RCPT TO:<guess20@example.com>\n< 550 5.1.1\n< 421 4.7.0\neof\n'
} >"$T/dict"
chat_ok "$R2" "A.6: a dictionary attack: 19 unknown users 550 5.1.1, the 20th 550 then 421 4.7.0 and close" \
    <"$T/dict"
HOSTILE=$((HOSTILE + 1))

# --- A.8: the tarpit: past softerrors, each error reply waits errorsleep ------
echo 2 >"$R2/control/softerrors"
echo 1 >"$R2/control/errorsleep"
start=$(date +%s%3N)
chat_ok "$R2" "A.8: softerrors 2, errorsleep 1: four unknown commands get 500 5.5.2 each" <<'EOF'
< 220
> EHLO client.test
< 250
> FOO
< 500 5.5.2
> FOO
< 500 5.5.2
> FOO
< 500 5.5.2
> FOO
< 500 5.5.2
> QUIT
< 221
EOF
el=$(elapsed_ms "$start")
[ "$el" -ge 1900 ] && [ "$el" -le 6000 ]
ok $? "A.8: ... the third and fourth replies each came a second late (${el} ms in all)"
HOSTILE=$((HOSTILE + 1))

# --- A.9 (21Nails): RSET and EHLO forget every parameter of the transaction ---
chat_ok "$R" "A.9: RET/ENVID/NOTIFY/ORCPT, then RSET or EHLO, then a plain transaction" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<first@origin.test> RET=HDRS ENVID=env1 BODY=8BITMIME
< 250 2.1.0
> RCPT TO:<bob@example.com> NOTIFY=NEVER ORCPT=rfc822;bob@example.com
< 250 2.1.5
> RSET
< 250 2.0.0
> MAIL FROM:<second@origin.test> RET=FULL ENVID=env2
< 250 2.1.0
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<alice@example.com>
< 250 2.1.5
> DATA
< 354
> Subject: plain
> 
> plain
> .
< 250 2.0.0
> QUIT
< 221
EOF
f=$(queue_files "$R" example.com)
qitem_env "$f" 2>/dev/null | grep -v '^[AL] ' >"$T/env"
is "$(cat "$T/env")" "$(printf 'V 1\nD example.com\nS sender@origin.test\nI 127.0.0.1\nH client.test\nT alice@example.com')" \
    "A.9: ... the item has none of the parameters given before RSET and EHLO"
HOSTILE=$((HOSTILE + 1))
empty_queue "$R"

# --- A.8: what tcpserver can and cannot limit per client address ---------------
# tcprules(1) allows or denies an address or a prefix, and can set
# environment variables for it; tcpserver -c caps the sessions of all
# clients together. Neither counts the connections of one address: one
# address can take every slot. (s6-tcpserver -C, or iptables connlimit,
# can: see snf-smtpd(8).)
printf '127.0.0.2:deny\n:allow\n' >"$T/rules"
tcprules "$T/rules.cdb" "$T/rules.tmp" <"$T/rules"
ok $? "tcprules compiles 127.0.0.2:deny, :allow"
tcpserver -x "$T/rules.cdb" -1 -R -H -l localhost -c 2 127.0.0.1 0 \
    snf-smtpd -d "$R" >"$T/port2" 2>>"$T/server2.log" &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 test -s "$T/port2"
P2=$(head -n 1 "$T/port2")
[ -n "$P2" ]
ok $? "tcpserver -x rules.cdb -c 2 on 127.0.0.1:$P2"
python3 - "$P2" <<'EOF' >"$T/rules.out" 2>&1
import socket, sys, time
port = int(sys.argv[1])
def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", port))
    return s
def greeting(s, wait):
    s.settimeout(wait)
    try:
        d = s.recv(100)
    except socket.timeout:
        return "none"
    return d[:3].decode() if d else "closed"
# a denied address: tcpserver closes at once, snf-smtpd never runs
d = conn("127.0.0.2")
print("denied", greeting(d, 3))
d.close()
# one address takes both slots; a third client, from another allowed
# address, waits until one of them leaves
a, b = conn("127.0.0.1"), conn("127.0.0.1")
print("first", greeting(a, 3), "second", greeting(b, 3))
c = conn("127.0.0.4")
print("third while full", greeting(c, 1))
a.close()
print("third after one left", greeting(c, 5))
b.close(); c.close()
EOF
sed 's/^/# /' "$T/rules.out"
grep -qx 'denied closed' "$T/rules.out"
ok $? "tcprules: a connection from 127.0.0.2 is closed without a greeting"
sleep 0.3
! grep -q 'ip=127\.0\.0\.2' "$T/server2.log"
ok $? "tcprules: snf-smtpd never ran for 127.0.0.2"
grep -qx 'first 220 second 220' "$T/rules.out"
ok $? "tcpserver -c 2: one address (127.0.0.1) gets both sessions: no limit per address"
grep -qx 'third while full none' "$T/rules.out" && grep -qx 'third after one left 220' "$T/rules.out"
ok $? "tcpserver -c 2: a third client, from 127.0.0.4, waits for a free slot (the cap is global)"
HOSTILE=$((HOSTILE + 2))

echo "# hostile inputs tried: $HOSTILE"
done_testing
