#!/bin/sh
# Never an open relay: RCPT for anything but a protected domain is
# refused with 550 5.7.1 whatever the address trick; a cloudprotect
# domain without a verifier defers; nothing reaches the queue.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"
echo 1000 >"$R/control/harderrors"	# this test collects many refusals

# rcpt ADDRESS REPLY NAME: one session, one RCPT, the exact reply.
rcpt() {
	chat_ok "$R" "$3" <<EOF
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:$1
< $2
> QUIT
< 221 2.0.0
eof
EOF
}

rcpt '<alice@evil.test>' '550 5.7.1' 'unprotected domain: 550 5.7.1'
rcpt '<alice@sub.example.com>' '550 5.7.1' \
    'subdomain of a protected domain: 550 5.7.1'
rcpt '<alice%evil.test@example.com>' '550 5.7.1' '%-hack: 550 5.7.1'
rcpt '<alice%example.com@evil.test>' '550 5.7.1' \
    '%-hack pointing at a protected domain: 550 5.7.1'
rcpt '<evil.test!alice@example.com>' '550 5.7.1' 'bang path: 550 5.7.1'
rcpt '<@example.com:alice@evil.test>' '550 5.7.1' \
    'source route through a protected domain to an unprotected one: 550 5.7.1'
rcpt '<@a.test,@example.com:alice@evil.test>' '550 5.7.1' \
    'two-hop source route to an unprotected domain: 550 5.7.1'
rcpt '<"alice@evil.test"@example.com>' '550 5.7.1' \
    'quoted "user@evil"@example.com: 550 5.7.1'
rcpt '<"alice\@evil.test"@example.com>' '550 5.7.1' \
    'quoted-pair @ in the local part: 550 5.7.1'
rcpt '<"alice%evil.test"@example.com>' '550 5.7.1' \
    'quoted "u%evil"@example.com: 550 5.7.1'
rcpt '<"evil.test!alice"@example.com>' '550 5.7.1' \
    'quoted bang path: 550 5.7.1'
rcpt '<alice@evil.test@example.com>' '501 5.1.3' \
    'user@evil@example.com: 501 5.1.3'
rcpt '<alice@[127.0.0.1]>' '550 5.7.1' 'IPv4 literal: 550 5.7.1'
rcpt '<alice@[IPv6:::1]>' '550 5.7.1' 'IPv6 literal: 550 5.7.1'
rcpt '<alice@[1.2.3]>' '501 5.1.3' 'malformed literal [1.2.3]: 501 5.1.3'
rcpt '<alice@[1..2.3.4]>' '501 5.1.3' 'malformed literal [1..2.3.4]: 501 5.1.3'
rcpt '<alice@example.com..>' '501 5.1.3' 'two trailing dots: 501 5.1.3'
rcpt '<alice@example.com.evil.test>' '550 5.7.1' \
    'protected name as a prefix of another domain: 550 5.7.1'
rcpt '<postmaster>' '550 5.1.1' \
    '<postmaster> without a domain: 550 5.1.1 (no local mailboxes)'
rcpt '<>' '501 5.1.3' '<> as RCPT: 501 5.1.3'
rcpt '<alice@>' '501 5.1.3' 'empty domain: 501 5.1.3'
rcpt 'alice@evil.test' '501 5.1.3' 'path without angle brackets: 501 5.1.3'
rcpt '<@example.com:alice@[127.0.0.1]>' '550 5.7.1' \
    'source route to an IP literal: 550 5.7.1'
rcpt '<al\xe9@example.com>' '553 5.6.7' 'non-ASCII local part: 553 5.6.7'
rcpt '<alice@ex\xe4mple.com>' '553 5.6.7' 'non-ASCII domain: 553 5.6.7'
rcpt '<alice@example.com' '501 5.1.3' 'no closing bracket: 501 5.1.3'
rcpt '<alice@example.com>x' '501 5.1.3' 'junk after the path: 501 5.1.3'
rcpt '<alice@example.net>' '451 4.4.3' \
    'cloudprotect domain, primary down, no cache record: 451 4.4.3'
# a protected domain whose settings cannot be read defers, never relays
mkdir -p "$R/domains/bad-mode.test" "$R/domains/dir-mode.test/mode" \
    "$R/domains/dir-users.test/users"
echo relayprotect >"$R/domains/bad-mode.test/mode"
echo userprotect >"$R/domains/dir-users.test/mode"
rcpt '<alice@bad-mode.test>' '451 4.3.0' 'unknown mode: 451 4.3.0'
rcpt '<alice@dir-mode.test>' '451 4.3.0' 'unreadable mode: 451 4.3.0'
rcpt '<alice@dir-users.test>' '451 4.3.0' 'unreadable users list: 451 4.3.0'
is "$(queue_count "$R")" 0 "no refused recipient reached the queue"
is "$(tmp_count "$R")" 0 "nothing in queue/tmp"

# accepted spellings: route dropped, trailing dot, case
chat_ok "$R" 'source routes (one with a literal hop) to a protected domain, trailing dot and mixed case accepted' <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250 2.1.0
> RCPT TO:<@relay.test,@other.test:alice@example.com>
< 250 2.1.5
> RCPT TO:<bob@example.com.>
< 250 2.1.5
> RCPT TO:<Carol@ExAmPlE.CoM>
< 250 2.1.5
> RCPT TO:<"alice"@example.com>
< 250 2.1.5
> RCPT TO:<@[192.0.2.1]:Carol@EXAMPLE.com>
< 250 2.1.5
> DATA
< 354
> Subject: relay
>> \r\n
> body
> .
<~ ^250 2\.0\.0 Ok: queued as [0-9]{10}\.[0-9a-f]{12}\r\n$
> QUIT
< 221
eof
EOF
is "$(queue_count "$R" example.com)" 1 "one item for example.com"
snf-queue -d "$R" list >"$T/list"
is "$(cut -f2,5- "$T/list")" \
    "$(printf 'example.com\tsender@origin.test\talice@example.com\tbob@example.com\tCarol@example.com')" \
    "queued recipients: routes dropped, trailing dot gone, domain lowercased, duplicates merged"
ls "$R/queue/mail" >"$T/dirs"
is "$(cat "$T/dirs")" example.com "only queue/mail/example.com exists"
empty_queue "$R"

# DATA after every RCPT was refused
chat_ok "$R" 'every RCPT a relay attempt: DATA gets 554 5.5.1' <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice%evil.test@example.com>
< 550 5.7.1
> RCPT TO:<alice@evil.test>
< 550 5.7.1
> RCPT TO:<alice@example.net>
< 451 4.4.3
> DATA
< 554 5.5.1
> QUIT
< 221
eof
EOF
is "$(queue_count "$R")" 0 "nothing queued"

# under tcpserver, with swaks
start_server "$R"
ok $? "tcpserver started on 127.0.0.1:$PORT"
for to in 'alice@evil.test' 'alice%evil.test@example.com' \
    '"alice@evil.test"@example.com' 'alice@[127.0.0.1]'; do
	swaks --server 127.0.0.1 --port "$PORT" --helo client.test \
	    --from sender@origin.test --to "$to" >"$T/swaks.out" 2>&1
	rc=$?
	grep -q '^<\*\* *550 5\.7\.1 ' "$T/swaks.out" && [ $rc -ne 0 ]
	ok $? "swaks RCPT $to: 550 5.7.1 and swaks fails"
	grep -q '^ *-> *DATA' "$T/swaks.out"
	[ $? -ne 0 ]
	ok $? "swaks $to: DATA never sent"
done
is "$(queue_count "$R")" 0 "nothing queued over TCP"
grep -q 'reject ip=127\.0\.0\.1 cmd=RCPT\\sTO:<alice@evil\.test> reply=550\\s5\.7\.1' \
    "$T/server.log"
ok $? "the refusal is logged with the IP and the command"

done_testing
