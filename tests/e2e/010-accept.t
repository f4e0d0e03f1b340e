#!/bin/sh
# Acceptance under tcpserver with swaks: listed users are queued whole,
# the status and list verbs show the message.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"
start_server "$R"
ok $? "tcpserver started on 127.0.0.1:$PORT"

swaks --server 127.0.0.1 --port "$PORT" --helo client.test \
    --from sender@origin.test --to alice@example.com,BOB@Example.COM \
    --header 'Subject: e2e' --body 'line one' >"$T/swaks.out" 2>&1
ok $? "swaks delivered to two listed users"
grep -q '^<-  250 2.0.0 Ok: queued as [0-9]\{10\}\.[0-9a-f]\{12\}$' "$T/swaks.out"
ok $? "the reply to DATA names the queue id"
[ "$(queue_count "$R" example.com)" = 1 ]
ok $? "one item in queue/mail/example.com"
[ "$(tmp_count "$R")" = 0 ]
ok $? "nothing left in queue/tmp"

snf-queue -d "$R" status example.com >"$T/status"
awk -F'\t' '$1 == "example.com" && $2 == "userprotect" && $6 == 1 && $7 > 0' "$T/status" | grep -q .
ok $? "status: example.com has 1 message and its bytes"
snf-queue -d "$R" list >"$T/list"
awk -F'\t' '$2 == "example.com" && $5 == "sender@origin.test" &&
    $6 == "alice@example.com" && $7 == "BOB@example.com"' "$T/list" | grep -q .
ok $? "list: sender and both recipients, domain lowercased"

f=$(find "$R/queue/mail/example.com" -type f)
[ "$(stat -c %a "$f")" = 600 ]
ok $? "queued file is mode 0600"
grep -q '^Received: from client.test (\[127.0.0.1\])' "$f"
ok $? "Received header with HELO and IP"
# the Received date: RFC 5322, in UTC, within a minute of now (date -u)
d=$(tr -d '\r' <"$f" | sed -n '/^Received:/,/^[^[:space:]R]/p' |
    sed -n 's/.*; \([A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]\{4\} [0-9:]\{8\} +0000\)$/\1/p')
[ -n "$d" ] && [ $(( $(date +%s) - $(date -u -d "$d" +%s) )) -le 60 ]
ok $? "Received date in RFC 5322 form, UTC, now ($d)"
grep -q '^line one' "$f"
ok $? "body stored"
grep -q 'accept ip=127.0.0.1' "$T/server.log"
ok $? "acceptance logged with the remote IP"

done_testing
