#!/bin/sh
# snf-send when the primary drops the connection after the final dot,
# before its reply: the message may or may not have been taken, so it is
# kept and sent again (at least once: a duplicate, never a loss).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
start_fake fs --drop-after-dot 1 || echo "# fakesmtp did not start"
F=$T/fs
primary "$R" "127.0.0.1:$FPORT"

printf '%s\n' 'Subject: dropped 1' 'Message-ID: <drop.1@origin.test>' '' 'one' >"$T/d1"
printf '%s\n' 'Subject: dropped 2' 'Message-ID: <drop.2@origin.test>' '' 'two' >"$T/d2"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/d1"
ok $? "message 1 (alice, bob) accepted"
mail_in "$R" sender@origin.test carol@example.com "$T/d2"
ok $? "message 2 (carol) accepted"
queue_files "$R" >"$T/before"
for f in $(cat "$T/before"); do
	qitem_env "$f" | grep '^T '
done | sort >"$T/rcpts.before"

send1 "$R" example.com
is "$?" 0 "pass 1: exit 0"
is "$(nlog "$F" '^dropped after dot$')" 1 "the primary dropped the connection after the dot"
is "$(nmsgs "$F")" 0 "nothing was stored"
is "$(nlog "$F" '^MAIL FROM:')" 1 "the lost session carried no second message"
is "$(queue_files "$R")" "$(cat "$T/before")" "both items stay queued, under their ids"
for f in $(cat "$T/before"); do
	qitem_env "$f" | grep '^T '
done | sort >"$T/rcpts.after"
cmp -s "$T/rcpts.before" "$T/rcpts.after"
ok $? "with all their recipients"
grep -q 'deferred id=.* reply=.*may\\sbe\\sdelivered\\stwice' "$T/send1.log"
ok $? "log: deferred ... the message may be delivered twice"
! grep -q '^snf-send\[[0-9]*\]: delivered ' "$T/send1.log"
ok $? "log: nothing said delivered"
is "$(state_get "$R" state)" down "a connection lost mid-session marks the domain down"
is "$(queue_count "$R" origin.test)" 0 "no report to the sender"

send1 "$R"
is "$(nlog "$F" '^connect$')" 1 "a pass without a domain respects the backoff: no new connection"

send1 "$R" example.com
is "$?" 0 "pass 2 (forced): exit 0"
is "$(nmsgs "$F")" 2 "both messages are delivered now"
for n in 1 2; do
	is "$(grep -l "^Subject: dropped $n" "$F"/msg.[0-9]* 2>/dev/null | wc -l | tr -d ' ')" 1 \
	    "message $n: stored exactly once"
done
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" "the queue is empty"
is "$(state_get "$R" state)" up "state=up again"
grep -q '^snf-send\[[0-9]*\]: up domain=example.com$' "$T/send1.log"
ok $? "log: up domain=example.com"

done_testing
