#!/bin/sh
# DATA: transparency (dot-stuffing) and byte-exact storage, the size
# limit, the hop limit, every SMTP-smuggling shape (never a 250, never a
# queued byte, never a smuggled command run), a client that leaves in
# the middle, pipelining, several messages a session, several domains a
# message.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"
echo 1000 >"$R/control/harderrors"

# mkfile FILE PYTHON-EXPRESSION: write the bytes the expression gives.
mkfile() {
	python3 -c "import sys; sys.stdout.buffer.write($2)" >"$1"
}

# stuff IN OUT: dot-stuff IN for the wire (a "." more on each line that
# starts with one) and add the end of data.
stuff() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
lines = d.split(b"\r\n")
assert lines[-1] == b""
out = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
    for l in lines[:-1])
sys.stdout.buffer.write(out + b".\r\n")
' "$1" >"$2"
}

# send_msg NAME FILE REPLY: one transaction to alice@example.com with
# FILE (dot-stuffed here) as the message; REPLY is the reply to the end.
send_msg() {
	stuff "$2" "$T/wire"
	{
		printf '< 220\n> EHLO client.test\n< 250\n'
		printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
		printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
		printf '> DATA\n< 354\n'
		bytes_line "$T/wire"
		printf '< %s\n> QUIT\n< 221\neof\n' "$3"
	} >"$T/script.send"
	chat_ok "$R" "$1" <"$T/script.send"
}

# --- transparency ----------------------------------------------------
mkfile "$T/dots" 'b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n...\r\nx.\r\n .\r\n.\r\n..\r\n.. x\r\n" + b"." * 300 + b"\r\nlast line\r\n"'
send_msg "dot-stuffed lines: 250" "$T/dots" "250 2.0.0"
f=$(queue_files "$R" example.com)
qitem_msg "$f" >"$T/got"
cmp "$T/dots" "$T/got" >/dev/null
ok $? "lines '.', '..', '.x' arrive unstuffed, byte for byte (cmp)"
empty_queue "$R"

mkfile "$T/bin" 'b"Subject: bytes\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + bytes(b for b in range(256) if b not in (0, 10, 13)) + b"\r\n\x01\x01\r\n\x7f.\r\n\xff\xfe\xfd\r\ntab\there\r\n" + b"\x80" * 2000 + b"\r\n"'
send_msg "8-bit and control bytes: 250" "$T/bin" "250 2.0.0"
f=$(queue_files "$R" example.com)
qitem_msg "$f" >"$T/got"
cmp "$T/bin" "$T/got" >/dev/null
ok $? "8-bit and control bytes stored byte-exact (cmp)"
snf-queue -d "$R" list >"$T/list"
is "$(cut -f4 "$T/list")" "$(qitem_body "$f" | wc -c | tr -d ' ')" \
    "list: size is the stored message size"
empty_queue "$R"

# a NUL byte anywhere: 554 5.6.0 at the end, nothing stored
mkfile "$T/nul" 'b"Subject: nul\r\n\r\n" + b"x" * 5000 + b"\0" + b"y" * 5000 + b"\r\n"'
send_msg "a NUL byte in the body: 554 5.6.0" "$T/nul" "554 5.6.0"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
    "NUL in the body: nothing queued, queue/tmp empty"

# a line of 10,000 octets (RFC 5321 asks for 1000 at least)
mkfile "$T/long" 'b"Subject: long\r\n\r\n" + b"L" * 10000 + b"\r\nend\r\n"'
send_msg "a 10,000-octet text line: 250" "$T/long" "250 2.0.0"
qitem_msg "$(queue_files "$R" example.com)" >"$T/got"
cmp "$T/long" "$T/got" >/dev/null
ok $? "the long line is stored whole"
empty_queue "$R"

# --- size limit ------------------------------------------------------
echo 1000 >"$R/control/databytes"
mkfile "$T/m1000" 'b"Subject: size\r\n\r\n" + (b"y" * 98 + b"\r\n") * 9 + b"y" * 81 + b"\r\n"'
mkfile "$T/m1001" 'b"Subject: size\r\n\r\n" + (b"y" * 98 + b"\r\n") * 9 + b"y" * 82 + b"\r\n"'
mkfile "$T/m5000" 'b"Subject: size\r\n\r\n" + (b"z" * 98 + b"\r\n") * 50'
is "$(wc -c <"$T/m1000" | tr -d ' '),$(wc -c <"$T/m1001" | tr -d ' ')" \
    "1000,1001" "test messages of 1000 and 1001 octets"
send_msg "databytes 1000: a 1000-octet message is accepted" "$T/m1000" \
    "250 2.0.0"
is "$(queue_count "$R")" 1 "the 1000-octet message is queued"
empty_queue "$R"
stuff "$T/m1001" "$T/w1001"
stuff "$T/m5000" "$T/w5000"
stuff "$T/m1000" "$T/w1000"
{
	printf '< 220\n> EHLO client.test\n<~ ^250 \n'
	printf '> MAIL FROM:<sender@origin.test> SIZE=1001\n< 552 5.3.4\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n'
	bytes_line "$T/w1001"
	printf '< 552 5.3.4\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n'
	bytes_line "$T/w5000"
	printf '< 552 5.3.4\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n'
	bytes_line "$T/w1000"
	printf '< 250 2.0.0\n> QUIT\n< 221\neof\n'
} >"$T/script.size"
chat_ok "$R" "over databytes: SIZE= 552 5.3.4 at MAIL, 552 5.3.4 after the dot, the session goes on and the next message is accepted" \
    <"$T/script.size"
grep -q "^S: b'250-SIZE 1000\\\\r" "$T/chat.out"
ok $? "EHLO advertises SIZE 1000"
is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" \
    "only the message within the limit is queued; queue/tmp empty"
qitem_msg "$(queue_files "$R" example.com)" >"$T/got"
cmp "$T/m1000" "$T/got" >/dev/null
ok $? "the queued one is the 1000-octet message"
empty_queue "$R"
rm "$R/control/databytes"

# --- hop count -------------------------------------------------------
hops() {	# hops N [HEADER]: a message with N Received: fields
	mkfile "$T/hops" "b''.join(b'${2:-Received}: from h%d.test by h%d.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n' % (i, i + 1) for i in range($1)) + b'Subject: loop\r\n\r\nbody\r\n'"
}
hops 99
send_msg "99 Received: fields: 250" "$T/hops" "250 2.0.0"
is "$(queue_count "$R")" 1 "99 hops: queued"
empty_queue "$R"
hops 100
send_msg "100 Received: fields: 554 5.4.6" "$T/hops" "554 5.4.6"
hops 100 RECEIVED
send_msg "100 RECEIVED: fields (any case): 554 5.4.6" "$T/hops" "554 5.4.6"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" "loops: nothing queued, queue/tmp empty"
mkfile "$T/hops" "b'Subject: quoted\r\n\r\n' + b'Received: in the body\r\n' * 150"
send_msg "Received: lines in the body are not hops: 250" "$T/hops" "250 2.0.0"
is "$(queue_count "$R")" 1 "Received: lines in the body: queued"
empty_queue "$R"

# --- smuggling ---------------------------------------------------------
# Each shape ends a fake message; behind it a second transaction for bob
# is smuggled, then the real end of data.
SMUG='MAIL FROM:<evil@evil.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n'
show() {	# show SHAPE: \r and \n written <CR> and <LF>
	printf '%s' "$1" | sed 's/\\r/<CR>/g; s/\\n/<LF>/g'
}
smuggle() {	# smuggle NAME SHAPE EXPECT...
	_name=$1 _shape=$2
	shift 2
	{
		printf '< 220\n> EHLO client.test\n< 250\n'
		printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
		printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
		printf '> DATA\n< 354\n'
		printf '>> Subject: carrier\\r\\n\\r\\nhello%s%s\\r\\n.\\r\\n\n' \
		    "$_shape" "$SMUG"
		for _e; do
			printf '%s\n' "$_e"
		done
	} >"$T/script.smug"
	chat_ok "$R" "$_name" <"$T/script.smug"
	_s=$(grep -c "^S: b'\\(250 2\\.0\\.0 Ok: queued\\|354\\)" "$T/chat.out")
	is "$_s" 1 "$_name: no 250 to a message, no second 354"
	is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
	    "$_name: nothing queued, queue/tmp empty"
	empty_queue "$R"
}
for shape in '\n.\n' '\r\n.\n' '\n.\r\n' '\r.\r' '\r.\n' '\n.\r' \
    '\r.\r\n' '\r\n.\r' '\r\n.\r\r\n' '\r\n.\r.\r\n'; do
	smuggle "end of data shape $(show "$shape"): 421 4.5.2 and close" "$shape" \
	    '< 421 4.5.2' 'eof'
done
for shape in '\n' '\r' '\n..\n' '\r\n..\n' '\r\n.x\n'; do
	smuggle "bare CR/LF $(show "$shape") inside DATA: read to the real end, 550 5.5.2, smuggled commands not run" \
	    "$shape" '< 550 5.5.2' '> NOOP' '< 250 2.0.0' '> QUIT' '< 221' 'eof'
done

# the shape split over two reads
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n'
	printf '>> Subject: carrier\\r\\n\\r\\nhello\\n\nsleep 0.2\n'
	printf '>> .\nsleep 0.2\n>> \\n%s\\r\\n.\\r\\n\n' "$SMUG"
	printf '< 421 4.5.2\neof\n'
} >"$T/script.split"
chat_ok "$R" "<LF>.<LF> split over three writes: 421 4.5.2 and close" \
    <"$T/script.split"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
    "split shape: nothing queued, queue/tmp empty"

# NUL before the dot: not an end (a strcmp() parser would be fooled).
# The bytes are data, so the one reply comes at the real end, and it
# refuses the message for its NUL; the would-be commands are never run.
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n'
	printf '>> Subject: carrier\\r\\n\\r\\nhello\\r\\n\\0.\\r\\n%s\\r\\n.\\r\\n\n' "$SMUG"
	printf '< 554 5.6.0\n> QUIT\n< 221\neof\n'
} >"$T/script.nul"
chat_ok "$R" "<CR><LF><NUL>.<CR><LF> is not an end: one reply, 554 5.6.0 at the real end" \
    <"$T/script.nul"
is "$(grep -c "^S: b'354" "$T/chat.out"),$(grep -c "^S: b'250 2\\.1\\.0" "$T/chat.out"),$(grep -c "^S: b'\\(250 2\\.0\\.0\\|554\\)" "$T/chat.out")" \
    "1,1,1" "NUL before the dot: one 354, one MAIL, one end reply: no smuggled transaction"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
    "NUL before the dot: nothing queued, queue/tmp empty"

# --- a client that leaves in the middle of DATA ------------------------
mkfile "$T/partial" 'b"Subject: partial\r\n\r\n" + (b"p" * 998 + b"\r\n") * 300'
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
	printf '> DATA\n< 354\n'
	bytes_line "$T/partial"
	printf 'sleep 0.3\nshut\neof\n'
} >"$T/script.partial"
chat_ok "$R" "disconnect in the middle of DATA (300 KB sent): the server ends" \
    <"$T/script.partial"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
    "disconnect in DATA: nothing queued, nothing left in queue/tmp"
grep -q 'lost ip=127.0.0.1 during=DATA reason=eof' "$T/chat.out"
ok $? "disconnect in DATA is logged"

start_server "$R"
ok $? "tcpserver started on 127.0.0.1:$PORT"
python3 - "$PORT" "$T/partial" <<'EOF' >"$T/drop.out" 2>&1
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if len(l) < 4 or l[3:4] != b"-":
            return l
assert reply().startswith(b"220")
for c in (b"EHLO client.test", b"MAIL FROM:<sender@origin.test>",
          b"RCPT TO:<alice@example.com>", b"DATA"):
    s.sendall(c + b"\r\n")
    r = reply()
    print(c, r)
assert r.startswith(b"354")
s.sendall(open(sys.argv[2], "rb").read())
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
s.close()    # a reset, as a crashed client gives
print("dropped")
EOF
grep -q dropped "$T/drop.out"
ok $? "TCP client reset in the middle of DATA"
wait_for 5 grep -q 'lost ip=127.0.0.1 during=DATA' "$T/server.log"
ok $? "the server noticed the lost connection"
wait_for 5 sh -c "[ \$(find '$R/queue/tmp' -type f | wc -l) -eq 0 ]"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
    "TCP reset in DATA: nothing queued, nothing left in queue/tmp"

tcpchat_ok "TCP: <LF>.<LF> smuggling: 421 4.5.2 and close" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA
< 354
>> Subject: carrier\r\n\r\nhello\n.\nMAIL FROM:<evil@evil.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nsmuggled\r\n.\r\n
< 421 4.5.2
eof
EOF
tcpchat_ok "TCP: a whole transaction pipelined in one write" <<'EOF'
< 220
> EHLO client.test
< 250
>> MAIL FROM:<sender@origin.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n
< 250 2.1.0
< 250 2.1.5
< 354
>> Subject: tcp\r\n\r\nbody\r\n..dot\r\n.\r\nQUIT\r\n
< 250 2.0.0
< 221 2.0.0
eof
EOF
is "$(queue_count "$R" example.com)" 1 "TCP: only the pipelined message was queued"
snf-queue -d "$R" list | cut -f5- >"$T/got"
is "$(cat "$T/got")" "$(printf 'sender@origin.test\tbob@example.com')" \
    "TCP: the item is the pipelined one (not the smuggled one)"
qitem_msg "$(queue_files "$R" example.com)" | grep -q '^\.dot'
ok $? "TCP: dot-stuffing undone"
empty_queue "$R"

# 20 clients at once: 20 items, 20 ids, nothing left over
i=1
pids=""
while [ $i -le 20 ]; do
	swaks --server 127.0.0.1 --port "$PORT" --helo "c$i.test" \
	    --from "s$i@origin.test" --to alice@example.com \
	    --header "Subject: parallel $i" --body "body $i" \
	    >"$T/swaks.$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
is "$fails" 0 "20 parallel swaks sessions all succeed"
is "$(queue_count "$R" example.com),$(tmp_count "$R")" "20,0" \
    "20 parallel messages: 20 items, queue/tmp empty"
is "$(snf-queue -d "$R" list | cut -f5 | sort -u | wc -l | tr -d ' ')" 20 \
    "20 parallel messages: 20 different senders, none lost or mixed"
empty_queue "$R"

# --- pipelining ---------------------------------------------------------
chat_ok "$R" "a whole pipelined transaction: 250 250 250 354, then 250 221" <<'EOF'
< 220
> EHLO client.test
< 250
>> MAIL FROM:<sender@origin.test>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n
< 250 2.1.0
< 250 2.1.5
< 250 2.1.5
< 354
>> Subject: pipelined\r\n\r\nbody\r\n.\r\nQUIT\r\n
<~ ^250 2\.0\.0 Ok: queued as [0-9]{10}\.[0-9a-f]{12}\r\n$
< 221 2.0.0
eof
EOF
is "$(queue_count "$R" example.com)" 1 "pipelined: one item"
snf-queue -d "$R" list >"$T/list"
is "$(cut -f2,5- "$T/list")" \
    "$(printf 'example.com\tsender@origin.test\talice@example.com\tbob@example.com')" \
    "pipelined: both recipients in the item"
empty_queue "$R"

chat_ok "$R" "pipelined with a refused RCPT in the middle" <<'EOF'
< 220
> EHLO client.test
< 250
>> MAIL FROM:<sender@origin.test>\r\nRCPT TO:<alice@example.com>\r\nRCPT TO:<alice@evil.test>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n
< 250 2.1.0
< 250 2.1.5
< 550 5.7.1
< 250 2.1.5
< 354
>> Subject: pipelined\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<carol@example.com>\r\nDATA\r\n
< 250 2.0.0
< 250 2.1.0
< 250 2.1.5
< 354
>> Subject: bounce\r\n\r\nbody\r\n.\r\nQUIT\r\n
< 250 2.0.0
< 221
eof
EOF
is "$(queue_count "$R" example.com)" 2 "two pipelined messages: two items"
snf-queue -d "$R" list >"$T/list"
cut -f5- "$T/list" | sort >"$T/got"
printf '<>\tcarol@example.com\nsender@origin.test\talice@example.com\tbob@example.com\n' \
    | sort >"$T/want"
cmp "$T/want" "$T/got" >/dev/null
ok $? "the refused RCPT is in neither; the null sender is kept"
empty_queue "$R"

# several messages in one session
chat_ok "$R" "three messages in one session (RSET, and none)" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<one@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA
< 354
> Subject: one
>> \r\n
> 1
> .
< 250 2.0.0
> RSET
< 250
> MAIL FROM:<two@origin.test>
< 250
> RCPT TO:<bob@example.com>
< 250
> DATA
< 354
> Subject: two
>> \r\n
> 2
> .
< 250 2.0.0
> MAIL FROM:<three@origin.test>
< 250
> RCPT TO:<carol@example.com>
< 250
> DATA
< 354
> Subject: three
>> \r\n
> 3
> .
< 250 2.0.0
> RSET
< 250
> QUIT
< 221
eof
EOF
sed -n "s/^S: b'250 2\\.0\\.0 Ok: queued as \\([0-9a-f.]*\\)\\\\r.*/\\1/p" \
    "$T/chat.out" | sort >"$T/ids"
queue_files "$R" example.com | sed 's,.*/,,' | sort >"$T/files"
is "$(wc -l <"$T/ids" | tr -d ' '),$(sort -u "$T/ids" | wc -l | tr -d ' ')" \
    "3,3" "three different ids in the 250 replies"
cmp "$T/ids" "$T/files" >/dev/null
ok $? "the ids in the replies are the queued files"
snf-queue -d "$R" list | cut -f5,6 | sort >"$T/got"
printf 'one@origin.test\talice@example.com\nthree@origin.test\tcarol@example.com\ntwo@origin.test\tbob@example.com\n' >"$T/want"
cmp "$T/want" "$T/got" >/dev/null
ok $? "each item has its own sender and recipient (no state leaks)"
grep -q 'end ip=127.0.0.1 helo=client.test msgs=3 ' "$T/chat.out"
ok $? "the session summary counts 3 messages"
empty_queue "$R"

# swaks, pipelining
swaks --server 127.0.0.1 --port "$PORT" --pipeline --helo client.test \
    --from sender@origin.test --to alice@example.com,bob@example.com \
    --header 'Subject: swaks pipeline' --body '.leading dot' \
    >"$T/swaks.out" 2>&1
ok $? "swaks --pipeline: success"
grep -q '^<- *250 2\.0\.0 Ok: queued as ' "$T/swaks.out"
ok $? "swaks --pipeline: 250 2.0.0 queued"
is "$(queue_count "$R" example.com)" 1 "swaks --pipeline: one item"
qitem_msg "$(queue_files "$R" example.com)" | grep -q '^\.leading dot'
ok $? "swaks --pipeline: the leading dot survived"
empty_queue "$R"

# --- several protected domains in one message --------------------------
mkdir -p "$R/domains/example.org"
echo userprotect >"$R/domains/example.org/mode"
echo dora >"$R/domains/example.org/users"
chat_ok "$R" "one message for two protected domains: the 250 names two ids" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> RCPT TO:<dora@example.org>
< 250
> RCPT TO:<bob@example.com>
< 250
> DATA
< 354
> Subject: two domains
>> \r\n
> body
> .
<~ ^250 2\.0\.0 Ok: queued as [0-9]{10}\.[0-9a-f]{12} [0-9]{10}\.[0-9a-f]{12}\r\n$
> QUIT
< 221
EOF
is "$(queue_count "$R" example.com),$(queue_count "$R" example.org)" "1,1" \
    "one item in each domain"
sed -n "s/^S: b'250 2\\.0\\.0 Ok: queued as \\(.*\\)\\\\r.*/\\1/p" \
    "$T/chat.out" | tr ' ' '\n' | sort >"$T/ids"
queue_files "$R" | sed 's,.*/,,' | sort >"$T/files"
[ "$(wc -l <"$T/ids")" -eq 2 ] && cmp "$T/ids" "$T/files" >/dev/null
ok $? "the two ids in the reply are the two items"
snf-queue -d "$R" list >"$T/list"
is "$(cut -f2,5- "$T/list")" \
    "$(printf 'example.com\tsender@origin.test\talice@example.com\tbob@example.com\nexample.org\tsender@origin.test\tdora@example.org')" \
    "each item holds only its domain's recipients"
qitem_body "$(queue_files "$R" example.com)" >"$T/b1"
qitem_body "$(queue_files "$R" example.org)" >"$T/b2"
[ -s "$T/b1" ] && cmp "$T/b1" "$T/b2" >/dev/null
ok $? "both items hold the same message"
is "$(tmp_count "$R")" 0 "queue/tmp empty"

done_testing
