#!/bin/sh
# The SMTP command layer: order, EHLO keywords, every verb, hostile
# command lines, MAIL parameters, limits on recipients, errors and time,
# and the pipelining rules. Exact codes; nothing reaches the queue unless
# a check says so.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"

chat_ok "$R" "command order: 503 5.5.1 / 554 5.5.1 at each step" <<'EOF'
< 220
> MAIL FROM:<sender@origin.test>
< 503 5.5.1
> RCPT TO:<alice@example.com>
< 503 5.5.1
> DATA
< 503 5.5.1
> EHLO client.test
< 250
> RCPT TO:<alice@example.com>
< 503 5.5.1
> DATA
< 503 5.5.1
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> MAIL FROM:<other@origin.test>
< 503 5.5.1
> DATA
< 503 5.5.1
> RCPT TO:<mallory@example.com>
< 550 5.1.1
> DATA
< 554 5.5.1
> RSET
< 250 2.0.0
> RCPT TO:<alice@example.com>
< 503 5.5.1
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<alice@example.com>
< 250 2.1.5
> EHLO again.test
< 250
> DATA
< 503 5.5.1
> RCPT TO:<alice@example.com>
< 503 5.5.1
> QUIT
< 221 2.0.0
eof
EOF
is "$(queue_count "$R")" 0 "command order: nothing queued"

# EHLO keywords
chat_ok "$R" "EHLO answers 250 with its keywords" <<'EOF'
< 220
> EHLO client.test
<~ ^250 
> QUIT
< 221
EOF
sed -n "s/^S: b'250[- ]\([A-Z0-9]*\).*/\1/p" "$T/chat.out" | sed 1d | sort \
    >"$T/ehlo"
is "$(grep -Ex 'PIPELINING|SIZE|8BITMIME|ENHANCEDSTATUSCODES|DSN' "$T/ehlo" | tr '\n' ' ')" \
    "8BITMIME DSN ENHANCEDSTATUSCODES PIPELINING SIZE " \
    "EHLO keywords: PIPELINING SIZE 8BITMIME ENHANCEDSTATUSCODES DSN"
grep -q "^S: b'250-SIZE 52428800\\\\r" "$T/chat.out"
ok $? "SIZE names the databytes limit"
is "$(grep -Ex 'STARTTLS|AUTH|CHUNKING|SMTPUTF8|BINARYMIME|XCLIENT' "$T/ehlo")" "" \
    "no STARTTLS, AUTH, CHUNKING, SMTPUTF8, BINARYMIME or XCLIENT"
is "$(grep -c "^S: b'250[- ]" "$T/chat.out")" "$(( $(wc -l <"$T/ehlo") + 1 ))" \
    "every EHLO line is one keyword"
grep -q "^S: b'220 mx.test.invalid ESMTP" "$T/chat.out"
ok $? "greeting names control/me"

chat_ok "$R" "EHLO/HELO without argument: 501 5.5.4; HELO works" <<'EOF'
< 220
> EHLO
< 501 5.5.4
> EHLO 
< 501 5.5.4
> HELO
< 501 5.5.4
> EHLO bad\x01name
< 501 5.5.4
> EHLO caf\xe9.test
< 501 5.5.4
> MAIL FROM:<sender@origin.test>
< 503 5.5.1
> HELO client.test
< 250 mx.test.invalid
> QUIT
< 221
EOF

chat_ok "$R" "RSET, NOOP, HELP, VRFY, EXPN, QUIT and their syntax" <<'EOF'
< 220
> EHLO client.test
< 250
> RSET
< 250 2.0.0
> rset
< 250 2.0.0
> RSET now
< 501 5.5.4
> NOOP
< 250 2.0.0
> NOOP with text
< 250 2.0.0
> HELP
< 214 2.0.0
> VRFY alice@example.com
<~ ^252 2\.0\.0 Cannot VRFY user, but will accept message and attempt delivery\r\n$
> VRFY mallory@example.com
<~ ^252 2\.0\.0 Cannot VRFY user, but will accept message and attempt delivery\r\n$
> VRFY alice@evil.test
<~ ^252 2\.0\.0 Cannot VRFY user, but will accept message and attempt delivery\r\n$
> VRFY
< 501 5.5.4
> EXPN staff
< 502 5.5.1
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA now
< 501 5.5.4
> QUIT now
< 501 5.5.4
> QUIT
< 221 2.0.0 mx.test.invalid
eof
EOF
is "$(queue_count "$R")" 0 "verbs: nothing queued"

# found by tests/fuzz/fuzz_smtpd: the queue name was echoed byte for byte
chat_ok "$R" "ETRN #name: 459 4.7.1, a control or 8-bit byte never echoed" <<'EOF'
< 220
> EHLO client.test
< 250
> ETRN #queue.name
<~ ^459 4\.7\.1 #queue\.name: queue names are not supported\r\n$
> ETRN #q\x03x
<~ ^459 4\.7\.1 queue names are not supported\r\n$
> ETRN #caf\xe9
<~ ^459 4\.7\.1 queue names are not supported\r\n$
> QUIT
< 221
eof
EOF

chat_ok "$R" "unknown command 500 5.5.2 and NUL in a command 500 5.5.2; the session goes on" <<'EOF'
< 220
> EHLO client.test
< 250
> FROBNICATE
< 500 5.5.2
> MAILFROM:<a@b.test>
< 500 5.5.2
> NO\0OP
< 500 5.5.2
> NOOP \0
< 500 5.5.2
> \0
< 500 5.5.2
> QUIT\0
< 500 5.5.2
> 
< 500 5.5.2
>  NOOP
< 500 5.5.2
> NOOP\tx
< 500 5.5.2
> MAIL FROM:<sender@origin.test\0>
< 500 5.5.2
> NOOP
< 250 2.0.0
> QUIT
< 221
eof
EOF

# line length: 512 octets with CR LF is the limit (RFC 5321 4.5.3.1.4)
x505=$(printf '%505s' '' | tr ' ' x)
x512=$(printf '%512s' '' | tr ' ' x)
x5000=$(printf '%5000s' '' | tr ' ' x)
chat_ok "$R" "a 512-octet line is served, 513 gets 500 5.5.2 and the session goes on" <<EOF
< 220
> EHLO client.test
< 250
> NOOP $x505
< 250 2.0.0
> NOOP ${x505}y
< 500 5.5.2
> NOOP
< 250 2.0.0
> ${x512}QUIT
< 500 5.5.2
> NOOP
< 250 2.0.0
> NOOP $x5000 QUIT
< 500 5.5.2
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> QUIT
< 221
eof
EOF

chat_ok "$R" "bare LF ending a command: 421 4.5.2 and close" <<'EOF'
< 220
> EHLO client.test
< 250
>> NOOP\nQUIT\r\n
< 421 4.5.2
eof
EOF
chat_ok "$R" "bare CR inside a command: 421 4.5.2 and close" <<'EOF'
< 220
> EHLO client.test
< 250
>> NOOP\rQUIT\r\n
< 421 4.5.2
eof
EOF
chat_ok "$R" "bare LF before any EHLO: 421 4.5.2 and close" <<'EOF'
< 220
>> EHLO client.test\n
< 421 4.5.2
eof
EOF

chat_ok "$R" "AUTH 503 5.5.1, STARTTLS 502 5.5.1, TURN 502 5.5.1" <<'EOF'
< 220
> EHLO client.test
< 250
> AUTH PLAIN AGFsaWNlAHNlY3JldA==
< 503 5.5.1
> AUTH LOGIN
< 503 5.5.1
> STARTTLS
< 502 5.5.1
> TURN
< 502 5.5.1
> NOOP
< 250
> QUIT
< 221
EOF
chat_ok "$R" "BDAT: 521 5.5.1 and close; the chunk is never read as commands" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
>> BDAT 29 LAST\r\nRCPT TO:<bob@example.com>\r\nQUIT\r\n
< 521 5.5.1
eof
EOF
is "$(queue_count "$R")" 0 "BDAT: nothing queued"

# senders
chat_ok "$R" "MAIL FROM: null sender, source route, bad and hostile senders" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<>
< 250 2.1.0
> RSET
< 250
> MAIL FROM: <sender@origin.test>
< 250 2.1.0
> RSET
< 250
> mail from:<@relay.test:sender@origin.test>
< 250 2.1.0
> RSET
< 250
> MAIL FROM:<;sleep 66;>
< 501 5.1.7
> MAIL FROM:<sender>
< 550 5.1.1
> MAIL FROM:<sender@>
< 501 5.1.7
> MAIL FROM:sender@origin.test
< 501 5.1.7
> MAIL TO:<sender@origin.test>
< 501 5.5.4
> MAIL FROM:<s\xe9nder@origin.test>
< 553 5.6.7
> MAIL FROM:<sender@origin.test>x
< 501 5.1.7
> QUIT
< 221
EOF
h255=$(printf '%255s' '' | tr ' ' h)
chat_ok "$R" "HELO name: 255 bytes accepted, 256 refused 501 5.5.4" <<EOF
< 220
> EHLO $h255
< 250
> EHLO ${h255}h
< 501 5.5.4
> HELO ${h255}h
< 501 5.5.4
> QUIT
< 221
EOF

# MAIL parameters
chat_ok "$R" "MAIL parameters: SIZE, BODY, unknown ones" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> SIZE=52428801
< 552 5.3.4
> MAIL FROM:<sender@origin.test> SIZE=abc
< 501 5.5.4
> MAIL FROM:<sender@origin.test> SIZE=99999999999999999999
< 501 5.5.4
> MAIL FROM:<sender@origin.test> SIZE=
< 501 5.5.4
> MAIL FROM:<sender@origin.test> SIZE=-1
< 501 5.5.4
> MAIL FROM:<sender@origin.test> FOO=bar
< 555 5.5.4
> MAIL FROM:<sender@origin.test> SMTPUTF8
< 555 5.5.4
> MAIL FROM:<sender@origin.test> BODY=bad
< 501 5.5.4
> MAIL FROM:<sender@origin.test> BODY=BINARYMIME
< 501 5.5.4
> MAIL FROM:<sender@origin.test> SIZE=52428800 BODY=8BITMIME
< 250 2.1.0
> RSET
< 250
> MAIL FROM:<sender@origin.test> body=7bit size=10
< 250 2.1.0
> RCPT TO:<alice@example.com> FOO=bar
< 555 5.5.4
> RCPT TO:<alice@example.com> NOTIFY=SOMETIMES
< 501 5.5.4
> RSET
< 250
> MAIL FROM:<sender@origin.test> BODY=8BITMIME SIZE=100
< 250 2.1.0
> RCPT TO:<alice@example.com> NOTIFY=SUCCESS,FAILURE
< 250 2.1.5
> DATA
< 354
> Subject: params
>> \r\n
> caf\xe9
> .
< 250 2.0.0
> QUIT
< 221
EOF
f=$(queue_files "$R" example.com)
is "$(queue_count "$R")" 1 "MAIL parameters: exactly the one good message queued"
qitem_env "$f" | grep -qx 'B 8BITMIME'
ok $? "BODY=8BITMIME kept in the envelope"
qitem_env "$f" | grep -qx 'N SUCCESS,FAILURE'
ok $? "NOTIFY kept in the envelope"
empty_queue "$R"

chat_ok "$R" "DSN parameters: RET, ENVID, NOTIFY, ORCPT checked and kept" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test> RET=BOGUS
< 501 5.5.4
> MAIL FROM:<sender@origin.test> ENVID=a=b
< 501 5.5.4
> MAIL FROM:<sender@origin.test> ENVID=a+2
< 501 5.5.4
> MAIL FROM:<sender@origin.test> RET=HDRS ENVID=QQ+2B314
< 250 2.1.0
> RCPT TO:<alice@example.com> NOTIFY=NEVER,SUCCESS
< 501 5.5.4
> RCPT TO:<alice@example.com> NOTIFY=SUCCESS,SUCCESS
< 501 5.5.4
> RCPT TO:<alice@example.com> ORCPT=rfc822
< 501 5.5.4
> RCPT TO:<alice@example.com> ORCPT=rfc822;a\x01b
< 501 5.5.4
> RCPT TO:<alice@example.com> NOTIFY=NEVER NOTIFY=NEVER
< 555 5.5.4
> RCPT TO:<alice@example.com> NOTIFY=DELAY,FAILURE ORCPT=rfc822;Alice+40example.com
< 250 2.1.5
> RCPT TO:<bob@example.com> NOTIFY=NEVER
< 250 2.1.5
> DATA
< 354
> Subject: dsn
>> \r\n
> x
> .
< 250 2.0.0
> QUIT
< 221
EOF
f=$(queue_files "$R" example.com)
qitem_env "$f" | grep -E '^[REBTNO] ' >"$T/dsn"
printf 'E QQ+2B314\nR HDRS\nT alice@example.com\nN DELAY,FAILURE\nO rfc822;Alice+40example.com\nT bob@example.com\nN NEVER\n' >"$T/want"
cmp "$T/want" "$T/dsn" >/dev/null
rc=$?
ok $rc "DSN values stored in the envelope, each NOTIFY/ORCPT after its recipient"
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/dsn"
empty_queue "$R"

chat_ok "$R" "HELO (not EHLO): a MAIL parameter is 555 5.5.4" <<'EOF'
< 220
> HELO client.test
< 250
> MAIL FROM:<sender@origin.test> SIZE=10
< 555 5.5.4
> MAIL FROM:<sender@origin.test> BODY=8BITMIME
< 555 5.5.4
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> QUIT
< 221
EOF

# too many recipients: 100 kept, the 101st 452 4.5.3
awk 'BEGIN { for (i = 1; i <= 101; i++) printf "u%03d\n", i }' \
    >>"$R/domains/example.com/users"
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
	i=1
	while [ $i -le 100 ]; do
		printf '> RCPT TO:<u%03d@example.com>\n< 250 2.1.5\n' $i
		i=$((i + 1))
	done
	printf '> RCPT TO:<u101@example.com>\n< 452 4.5.3\n'
	printf '> RCPT TO:<u001@example.com>\n< 452 4.5.3\n'
	printf '> DATA\n< 354\n> Subject: many\n>> \\r\\n\n> hi\n> .\n< 250 2.0.0\n'
	printf '> QUIT\n< 221\neof\n'
} >"$T/many"
chat_ok "$R" "RCPT 1-100 250 2.1.5, the 101st 452 4.5.3, DATA accepted" <"$T/many"
is "$(queue_count "$R")" 1 "one item queued"
snf-queue -d "$R" list >"$T/list"
is "$(awk -F'\t' '{ print NF }' "$T/list")" 105 \
    "list: id, domain, age, size, sender and 100 recipients"
is "$(cut -f6 "$T/list"),$(cut -f105 "$T/list")" \
    "u001@example.com,u100@example.com" "the first 100 recipients were kept"
grep -q u101 "$T/list"
[ $? -ne 0 ]
ok $? "the 101st recipient is not in the queue"
empty_queue "$R"

# error limit
echo 3 >"$R/control/harderrors"
chat_ok "$R" "harderrors 3: the third error is followed by 421 4.7.0 and close" <<'EOF'
< 220
> EHLO client.test
< 250
> FOO
< 500 5.5.2
> NOOP
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@evil.test>
< 550 5.7.1
> BAR
< 500 5.5.2
< 421 4.7.0
eof
EOF
rm "$R/control/harderrors"

echo 5 >"$R/control/junkcommands"
chat_ok "$R" "junkcommands 5: the sixth NOOP/RSET/VRFY gets 421 4.7.0 and close" <<'EOF'
< 220
> EHLO client.test
< 250
> NOOP
< 250
> RSET
< 250
> VRFY x
< 252
> HELP
< 214
> NOOP
< 250
> NOOP
< 421 4.7.0
eof
EOF
chat_ok "$R" "junkcommands 5: the count starts again after an accepted message" <<'EOF'
< 220
> EHLO client.test
< 250
> NOOP
< 250
> NOOP
< 250
> NOOP
< 250
> NOOP
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA
< 354
> Subject: junk
>> \r\n
> x
> .
< 250 2.0.0
> NOOP
< 250
> RSET
< 250
> NOOP
< 250
> NOOP
< 250
> NOOP
< 250
> NOOP
< 421 4.7.0
eof
EOF
is "$(queue_count "$R")" 1 "junkcommands: the message between was queued"
empty_queue "$R"
rm "$R/control/junkcommands"

# early talker
echo 1 >"$R/control/greetdelay"
chat_ok "$R" "greetdelay 1: bytes before the greeting get 554 5.5.0 and close" <<'EOF'
> EHLO client.test
< 554 5.5.0
eof
EOF
start=$(date +%s%3N)
chat_ok "$R" "greetdelay 1: a client that waits is served" <<'EOF'
< 220
> EHLO client.test
< 250
> QUIT
< 221
EOF
el=$(($(date +%s%3N) - start))
[ $el -ge 950 ]
ok $? "greetdelay: the greeting came after the delay (${el} ms)"
rm "$R/control/greetdelay"

# pipelining without PIPELINING, and EHLO not last in a group
chat_ok "$R" "HELO client pipelining MAIL+RCPT: 554 5.5.0 and close" <<'EOF'
< 220
> HELO client.test
< 250
>> MAIL FROM:<sender@origin.test>\r\nRCPT TO:<alice@example.com>\r\n
< 554 5.5.0
eof
EOF
chat_ok "$R" "HELO client pipelining after DATA: 554 5.5.0 and close" <<'EOF'
< 220
> HELO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
>> DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n
< 554 5.5.0
eof
EOF
chat_ok "$R" "commands pipelined behind EHLO: 554 5.5.0 and close" <<'EOF'
< 220
>> EHLO client.test\r\nMAIL FROM:<sender@origin.test>\r\n
< 554 5.5.0
eof
EOF
chat_ok "$R" "EHLO client sending the message before the 354: 554 5.5.0 and close" <<'EOF'
< 220
> EHLO client.test
< 250
>> MAIL FROM:<sender@origin.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nSubject: early\r\n\r\nbody\r\n.\r\n
< 250 2.1.0
< 250 2.1.5
< 554 5.5.0
eof
EOF
chat_ok "$R" "HELO client in lock-step is served" <<'EOF'
< 220
> HELO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA
< 354
> Subject: lock-step
>> \r\n
> body
> .
< 250 2.0.0
> QUIT
< 221
EOF
is "$(queue_count "$R")" 1 "only the lock-step message was queued"
f=$(queue_files "$R" example.com)
qitem_body "$f" | grep -q 'by mx\.test\.invalid (snf-smtpd) with SMTP'
ok $? "Received says SMTP for a HELO client"
empty_queue "$R"

# time limits
echo 1 >"$R/control/timeout"
start=$(date +%s%3N)
chat_ok "$R" "timeout 1: an idle client gets 421 4.4.2 and close" <<'EOF'
< 220
> EHLO client.test
< 250
< 421 4.4.2
eof
EOF
el=$(($(date +%s%3N) - start))
[ $el -ge 950 ] && [ $el -le 4000 ]
ok $? "timeout 1: the 421 came after 1-4 s (took ${el} ms)"
rm "$R/control/timeout"

echo 2 >"$R/control/timeout"
echo 100 >"$R/control/datarate"
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '>> NOOP\\r\\n\n< 250\n'
	for c in N O O P '\r' '\n'; do
		printf '>> %s\nsleep 0.5\n' "$c"
	done
	printf '< 421 4.4.2\neof\n'
} >"$T/slowcmd"
chat_ok "$R" "timeout 2: a command trickled a byte per 0.5 s gets 421 4.4.2" \
    <"$T/slowcmd"
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250\n'
	printf '> RCPT TO:<alice@example.com>\n< 250\n'
	printf '> DATA\n< 354\n'
	for c in S u b j e c t : ' ' s l o w; do
		printf '>> %s\nsleep 0.5\n' "$c"
	done
	printf '>> \\r\\n\\r\\nbody\\r\\n.\\r\\n\n'
	printf '< 421 4.4.2\neof\n'
} >"$T/slowdata"
chat_ok "$R" "timeout 2, datarate 100: DATA trickled a byte per 0.5 s gets 421 4.4.2 before its end" \
    <"$T/slowdata"
grep -q 'lost ip=127.0.0.1 during=DATA reason=timeout' "$T/chat.out"
ok $? "the DATA timeout is logged"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
    "slow DATA: nothing queued, nothing left in queue/tmp"

# a client above the data rate is never cut off, however long it takes
echo 1 >"$R/control/timeout"
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250\n'
	printf '> RCPT TO:<alice@example.com>\n< 250\n'
	printf '> DATA\n< 354\n>> Subject: steady\\r\\n\\r\\n\n'
	i=0
	while [ $i -lt 10 ]; do
		printf 'sleep 0.3\n>> %s\\r\\n\n' \
		    "0123456789012345678901234567890123456789012345678901234567"
		i=$((i + 1))
	done
	printf '>> .\\r\\n\n< 250 2.0.0\n> QUIT\n< 221\neof\n'
} >"$T/steady"
chat_ok "$R" "timeout 1, datarate 100: 200 bytes/s for 3 s is served whole" \
    <"$T/steady"
is "$(queue_count "$R")" 1 "the steady message was queued"
empty_queue "$R"

# a client that never reads its replies
echo 100000 >"$R/control/junkcommands"
python3 -c 'import sys; sys.stdout.write("< 220\n> EHLO client.test\n< 250\n>> " + "RSET\\r\\n" * 300000 + "\neof\n")' \
    >"$T/noread"
start=$(date +%s)
chat "$R" "$T/noread"
el=$(($(date +%s) - start))
grep -q 'end ip=127.0.0.1 helo=client.test msgs=0 errors=0 reason=timeout' "$T/chat.out"
ok $? "a client that does not read its replies is dropped (write timeout)"
[ $el -le 8 ]
ok $? "dropped within a few seconds of the timeout (took ${el}s)"
rm "$R/control/timeout" "$R/control/datarate" "$R/control/junkcommands"

done_testing
