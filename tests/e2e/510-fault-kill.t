#!/bin/sh
# Faults survived: SIGKILL at random moments while mail flows.
#
# A client keeps sending messages, each with its own Message-ID, to
# snf-smtpd under tcpserver and notes which ones got 250. The snf-send
# service runs in a loop that restarts it whenever it dies; snf-expire
# runs in a loop too (when bin/snf-expire exists), returning the mail of
# example.org, a domain whose primary is down and whose lifetime is 3 s.
# Meanwhile a killer sends SIGKILL, at random intervals of 50 to 300 ms,
# to a random victim: a snf-smtpd session, its queue writer (snf-queue,
# run by the snf-smtpd of a second tcpserver with SNF_QUEUE set),
# the snf-send service, one of its delivery children, or snf-expire.
# Then, with everything quiet, a last snf-expire and one-shot snf-send
# passes drain the queue, and:
#   - every message that got 250 reached the primary at least once (or,
#     for example.org, came back to its sender in a report): lost = 0;
#   - every message the primary stored is byte for byte what the client
#     sent: nothing truncated, nothing half-written, nothing unknown;
#   - duplicates are counted ("# duplicates: N") and are at most one per
#     SIGKILL;
#   - the queue is empty and what is left in queue/tmp (and queue/state)
#     are only files the expiry sweep removes.
#
# SNF_FAULT_ROUNDS sets the number of kill rounds (default 60: about
# 15 s of killing, 25 s for the whole file; 300 in the slow run). For a
# longer soak test:
#   SNF_FAULT_ROUNDS=2000 TESTS=510 sh tests/run.sh
# The killer's and the client's random choices come from one seed,
# printed as "# seed N"; SNF_SEED=N replays them (the kernel's scheduling
# is another matter).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"

ROUNDS=${SNF_FAULT_ROUNDS:-$(slow_or 60 300)}
test_seed
R=$T/root
mkroot "$R"
echo 1000 >"$R/control/harderrors"
echo 1 >"$R/control/backoff_min"
echo 2 >"$R/control/backoff_max"
echo 5 >"$R/control/timeout_connect"
echo 10 >"$R/control/timeout_dot"

EXPIRE=no
command -v snf-expire >/dev/null 2>&1 && EXPIRE=yes
RCPTS="--rcpt alice@example.com=1"
KINDS="--kind smtpd --kind writer --kind send --kind send-child"
if [ $EXPIRE = yes ]; then
	mkdir -p "$R/domains/example.org"
	echo userprotect >"$R/domains/example.org/mode"
	echo dora >"$R/domains/example.org/users"
	echo 127.0.0.1:1 >"$R/domains/example.org/primary"	# down
	echo 3s >"$R/domains/example.org/lifetime"
	RCPTS="--rcpt alice@example.com=4 --rcpt dora@example.org=1"
	KINDS="$KINDS --kind expire"
fi

start_fake prim || echo "# fakesmtp did not start"
P=$T/prim
primary "$R" "127.0.0.1:$FPORT"
start_fake origin || echo "# fakesmtp did not start"
O=$T/origin
echo "origin.test 127.0.0.1:$FPORT" >"$R/control/routes"

# snf-smtpd under tcpserver, in a group of its own: twice, once with its
# built-in queue writer (in the snf-smtpd process itself), once with
# SNF_QUEUE=bin/snf-queue, a writer process of its own to kill
group_start tcpserver -1 -R -H -l localhost -b 100 -c 40 127.0.0.1 0 \
    snf-smtpd -d "$R" >"$T/port" 2>>"$T/server.log"
GSMTPD=$GROUP
group_start env SNF_QUEUE="$(command -v snf-queue)" tcpserver -1 -R -H \
    -l localhost -b 100 -c 40 127.0.0.1 0 \
    snf-smtpd -d "$R" >"$T/port.q" 2>>"$T/server.log"
GSMTPDQ=$GROUP
wait_for 10 test -s "$T/port" && wait_for 10 test -s "$T/port.q"
PORT=$(head -n 1 "$T/port")
PORTQ=$(head -n 1 "$T/port.q")
[ -n "$PORT" ] && [ -n "$PORTQ" ]
ok $? "tcpserver runs snf-smtpd on 127.0.0.1:$PORT, and with SNF_QUEUE on 127.0.0.1:$PORTQ"

# the snf-send service, restarted whenever it dies (at most 1000 times)
group_start sh -c 'i=0
while [ ! -f "$1" ] && [ $i -lt 1000 ]; do
	snf-send -d "$2" 2>>"$3"
	i=$((i + 1))
	sleep 0.1
done' sh "$T/stop" "$R" "$SENDLOG"
GSEND=$GROUP
if [ $EXPIRE = yes ]; then
	group_start sh -c 'i=0
while [ ! -f "$1" ] && [ $i -lt 1000 ]; do
	snf-expire -d "$2" >>"$3" 2>>"$4"
	i=$((i + 1))
	sleep 0.2
done' sh "$T/stop" "$R" "$T/expire.out" "$T/expire.log"
	GEXP=$GROUP
fi

# mail flows; the killer works
# acked_over N: status 0 once the client got 250 for more than N messages
acked_over() {
	[ "$(cat "$T/client/acked" 2>/dev/null | wc -l)" -gt "$1" ]
}
mkdir -p "$T/client"
python3 "$FCLIENT" --seed "$SEED" --port "$PORT" --port "$PORTQ" --dir "$T/client" \
    $RCPTS --threads 2 \
    --seconds $((2 * ROUNDS + 60)) --max $((ROUNDS * 40 + 1000)) --stop "$T/client.stop" \
    >"$T/client.out" 2>&1 &
CLIENT=$!
SERVER_PIDS="$SERVER_PIDS $CLIENT"
wait_for 10 acked_over 0 || echo "# no 250 yet after 10 s; the killer starts all the same"
python3 "$FKILL" --seed "$SEED" --rounds "$ROUNDS" --log "$T/kills" $KINDS \
    --group "$GSMTPD" --group "$GSMTPDQ" \
    --group "$GSEND" ${GEXP:+--group "$GEXP"} --seconds $((2 * ROUNDS + 60)) \
    >"$T/kill.out" 2>&1
ok $? "the killer ran $ROUNDS rounds"
sed 's/^/# /' "$T/kill.out"
# mail flows again before the client stops
n=$(cat "$T/client/acked" 2>/dev/null | wc -l)
wait_for 10 acked_over "$n" || echo "# no new 250 within 10 s of the last kill"
: >"$T/client.stop"
wait "$CLIENT"
sed 's/^/# client: /' "$T/client.out"

# quiet: stop the loops, let the orphans of killed services finish
: >"$T/stop"
group_stop "$GSEND" 20
ok $? "the snf-send service and its children stop on SIGTERM"
[ -n "${GEXP:-}" ] && group_wait "$GEXP" 20
group_stop "$GSMTPD" 10
group_stop "$GSMTPDQ" 10

kills=$(wc -l <"$T/kills" | tr -d ' ')
[ "$kills" -gt 0 ]
ok $? "$kills processes were killed"
acked=$(wc -l <"$T/client/acked" 2>/dev/null | tr -d ' ')
[ "${acked:-0}" -gt 0 ]
ok $? "the client got 250 for ${acked:-0} messages"
for k in smtpd writer send send-child expire; do
	echo "# SIGKILL $k: $(grep -c "^$k " "$T/kills")"
done

# drain: expire what outlived example.org's 3 s, deliver everything
if [ $EXPIRE = yes ]; then
	clock_skip 5	# older than the 3 s lifetime, counted in whole seconds
	snf-expire -d "$R" >>"$T/expire.out" 2>>"$T/expire.log"
	is "$?" 0 "a last snf-expire, everything quiet: exit 0"
fi
snf-send -d "$R" -1 example.com 2>>"$SENDLOG"
is "$?" 0 "a last snf-send -1 example.com: exit 0"
snf-send -d "$R" -1 origin.test 2>>"$SENDLOG"
is "$?" 0 "a last snf-send -1 origin.test (the reports): exit 0"
is "$(queue_count "$R")" 0 "the queue is empty"
if [ "$(queue_count "$R")" != 0 ]; then
	snf-queue -d "$R" list 2>&1 | head -n 5 | sed 's/^/#   /'
fi

# what arrived
msgid_counts "$P" >"$T/prim.counts"
msgid_counts "$O" >"$T/origin.counts"
awk '$2 ~ /@example\.com$/ { print $1 }' "$T/client/acked" | sort >"$T/acked.com"
awk '$2 ~ /@example\.org$/ { print $1 }' "$T/client/acked" | sort >"$T/acked.org"
awk '{ print $2 }' "$T/prim.counts" | sort >"$T/got.com"
awk '{ print $2 }' "$T/origin.counts" | sort >"$T/got.org"
comm -23 "$T/acked.com" "$T/got.com" >"$T/lost.com"
comm -23 "$T/acked.org" "$T/got.org" >"$T/lost.org"
lost=$(( $(wc -l <"$T/lost.com") + $(wc -l <"$T/lost.org") ))
is "$(wc -l <"$T/lost.com" | tr -d ' ')" 0 \
    "every message to example.com that got 250 reached the primary ($(wc -l <"$T/acked.com" | tr -d ' '))"
sed 's/^/#   lost: /' "$T/lost.com" | head -n 10
if [ $EXPIRE = yes ]; then
	is "$(wc -l <"$T/lost.org" | tr -d ' ')" 0 \
	    "every message to example.org that got 250 came back in a report ($(wc -l <"$T/acked.org" | tr -d ' '))"
	sed 's/^/#   lost: /' "$T/lost.org" | head -n 10
fi
bad=$(fault_compare "$T/client/sent" "$P" "$T/compare")
is "$bad" 0 "every stored message is byte for byte what was sent (none truncated, none unknown)"
grep -v '^same ' "$T/compare" | head -n 10 | sed 's/^/#   /'
extra=$(comm -13 "$T/acked.com" "$T/got.com" | wc -l | tr -d ' ')
echo "# delivered without a 250 to the client (killed between commit and reply): $extra"
dups=$(cat "$T/prim.counts" "$T/origin.counts" | awk '$1 > 1 { d += $1 - 1 } END { print d + 0 }')
echo "# duplicates: $dups"
[ "$dups" -le "$kills" ]
ok $? "duplicates ($dups) are at most one per SIGKILL ($kills)"
# the one warning for a damaged item (not a path with "damaged" in it)
! grep -q 'warning .* damaged (' "$SENDLOG" "$T/expire.log" 2>/dev/null
ok $? "no damaged item was ever seen"
grep 'warning .* damaged (' "$SENDLOG" "$T/expire.log" 2>/dev/null | head -n 5 | sed 's/^/#   /'

# leftovers
tmp_leftovers "$R" >"$T/left"
sweepable "$R" >"$T/sweep"
n=$(wc -l <"$T/left" | tr -d ' ')
if [ "$(cat "$T/sweep")" = - ]; then
	grep -v '^queue/tmp/[mr]\.[0-9]*\.[0-9]*\.tmp$' "$T/left" |
	    grep -v '^queue/state/\.[^/]*\.tmp$' >"$T/odd"
	is "$(cat "$T/odd")" "" "the $n leftovers all have the names of temporary files"
else
	is "$(comm -23 "$T/left" "$T/sweep")" "" \
	    "the $n leftovers in queue/tmp and queue/state are all removed by the expiry sweep (snf-expire -n, 2 days later)"
fi

echo "# SIGKILLs: $kills, lost: $lost, duplicated: $dups"
done_testing
