#!/bin/sh
# Two snf-send processes over one queue: two one-shot passes at once, then
# the service and a one-shot pass at once. Each message is locked while it
# is delivered: every message arrives exactly once, and the queue empties.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1

queue_many "$R" 200 conc
ok $? "200 messages accepted by snf-smtpd"
is "$(queue_count "$R" example.com)" 200 "200 items queued"
queue_files "$R" | sed 's,.*/,,' | sort >"$T/ids.1"

start_fake fs || echo "# fakesmtp did not start"
F=$T/fs
primary "$R" "127.0.0.1:$FPORT"

# --- two one-shot passes at once --------------------------------------------
snf-send -d "$R" -1 example.com 2>"$T/a.log" &
a=$!
snf-send -d "$R" -1 example.com 2>"$T/b.log" &
b=$!
SERVER_PIDS="$SERVER_PIDS $a $b"
i=0
while { kill -0 $a || kill -0 $b; } 2>/dev/null && [ $i -lt 400 ]; do
	sleep 0.1
	i=$((i + 1))
done
wait $a
ra=$?
wait $b
rb=$?
is "$ra,$rb" "0,0" "both passes end (exit 0) within 40 s"
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" "the queue is empty"
is "$(nmsgs "$F")" 200 "the primary stored exactly 200 messages"
is "$(nlog "$F" '^MAIL FROM:')" 200 "exactly 200 MAIL commands"
grep -h '^Message-ID:' "$F"/msg.[0-9]* 2>/dev/null | tr -d '\r' | sort >"$T/mids"
is "$(sort -u "$T/mids" | wc -l | tr -d ' ')" 200 "200 different Message-IDs: no duplicate"
seq 1 200 | sed 's/.*/Message-ID: <conc.&@origin.test>/' | sort >"$T/mids.want"
cmp -s "$T/mids" "$T/mids.want"
ok $? "every one of the 200 messages arrived"
cat "$T/a.log" "$T/b.log" | grep '^snf-send\[[0-9]*\]: delivered ' |
    sed 's/.* id=\([^ ]*\) .*/\1/' | sort >"$T/delivered.ids"
cmp -s "$T/delivered.ids" "$T/ids.1"
ok $? "the two logs together say delivered once for each queued id"
da=$(grep -c 'delivered ' "$T/a.log" | tr -d ' ')
db=$(grep -c 'delivered ' "$T/b.log" | tr -d ' ')
echo "# pass a delivered $da, pass b delivered $db"

# --- the service and a one-shot pass at once ---------------------------------
mv "$T/fs" "$T/fs.1"
stop_pid "$FPID" 5
primary "$R" 127.0.0.1:1
queue_many "$R" 200 svc
ok $? "200 more messages accepted"
queue_files "$R" | sed 's,.*/,,' | sort >"$T/ids.2"
is "$(wc -l <"$T/ids.2" | tr -d ' ')" 200 "200 items queued"
start_fake fs || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
: >"$SENDLOG"
start_send "$R"
snf-send -d "$R" -1 example.com 2>"$T/c.log"
is "$?" 0 "the one-shot pass, next to the service: exit 0"
wait_is 30 0 queue_count "$R"
ok $? "the queue empties"
stop_pid "$SEND_PID" 15
ok $? "the service stops on SIGTERM"
is "$(tmp_count "$R")" 0 "queue/tmp is empty"
is "$(nmsgs "$F")" 200 "the primary stored exactly 200 messages"
is "$(nlog "$F" '^MAIL FROM:')" 200 "exactly 200 MAIL commands"
grep -h '^Message-ID:' "$F"/msg.[0-9]* 2>/dev/null | tr -d '\r' | sort >"$T/mids"
seq 1 200 | sed 's/.*/Message-ID: <svc.&@origin.test>/' | sort >"$T/mids.want"
cmp -s "$T/mids" "$T/mids.want"
ok $? "each of the 200 messages arrived exactly once"
cat "$SENDLOG" "$T/c.log" | grep '^snf-send\[[0-9]*\]: delivered ' |
    sed 's/.* id=\([^ ]*\) .*/\1/' | sort >"$T/delivered.ids"
cmp -s "$T/delivered.ids" "$T/ids.2"
ok $? "the two logs together say delivered once for each queued id"
dc=$(grep -c 'delivered ' "$T/c.log" | tr -d ' ')
echo "# the one-shot pass delivered $dc, the service $((200 - dc))"

# --- connections: one per 50 messages due, at most concurrency_domain ----------
stop_pid "$FPID" 5
primary "$R" 127.0.0.1:1
queue_many "$R" 120 three
ok $? "120 messages accepted"
start_fake fs3 || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$(nmsgs "$T/fs3"),$(queue_count "$R")" "120,0" "a pass delivers the 120"
is "$(nlog "$T/fs3" '^connect$')" 3 "over 3 connections (one per 50 messages)"
stop_pid "$FPID" 5
primary "$R" 127.0.0.1:1
queue_many "$R" 120 two
ok $? "120 more accepted"
echo 2 >"$R/control/concurrency_domain"
start_fake fs4 || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$(nmsgs "$T/fs4"),$(queue_count "$R")" "120,0" "a pass delivers the 120"
is "$(nlog "$T/fs4" '^connect$')" 2 "over 2 connections (control/concurrency_domain 2)"

# --- several connections share one pass: every message goes ------------------
# Each connection takes its share by id, not by its place in a listing
# that the other connections change while they deliver.
if command -v smtp-sink >/dev/null 2>&1; then
	R5=$T/root5
	mkroot "$R5"
	echo 4 >"$R5/control/concurrency_domain"
	SINKPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	if [ "$(id -u)" -eq 0 ]; then
		smtp-sink -u nobody "127.0.0.1:$SINKPORT" 100 &
	else
		smtp-sink "127.0.0.1:$SINKPORT" 100 &
	fi
	SERVER_PIDS="$SERVER_PIDS $!"
	echo "127.0.0.1:$SINKPORT" >"$R5/domains/example.com/primary"
	printf 'Subject: x\r\n\r\nbody\r\n' >"$T/m5"
	printf 'Fs@origin.test\000Talice@example.com\000\000' >"$T/e5"
	i=0
	while [ $i -lt 600 ]; do
		snf-queue -d "$R5" <"$T/m5" 1<"$T/e5" || break
		i=$((i + 1))
	done
	is "$(queue_count "$R5" example.com)" 600 "600 messages queued"
	snf-send -d "$R5" -1 example.com 2>"$T/send5.log"
	is "$(queue_count "$R5"),$(grep -c '^snf-send.*delivered' "$T/send5.log")" \
	    "0,600" "one pass over 4 connections to smtp-sink delivers all 600"
else
	skip "one pass over 4 connections delivers all" "smtp-sink is not installed"
fi

done_testing
