#!/bin/sh
# ab.sh - this tree's snf-smtpd against another build's, to measure one
# change to the acceptance path alone: each under its own tcpserver with
# its own root folder (primary down), smtp-source to one then the other,
# ROUNDS rounds, the queues emptied (and BENCH_SETTLE seconds of rest)
# before every run.
#
#   sh bench/ab.sh OTHER_BIN [ROUNDS]     OTHER_BIN: another build's bin/
#   BENCH_MSGS=5000 BENCH_SIZE=5000 BENCH_SESSIONS=10 BENCH_PERCONN=1
#   BENCH_SETTLE=20                       the defaults
#
# A git worktree makes the other build:
#   git worktree add /tmp/old COMMIT && (cd /tmp/old && ./configure && make)
#   sh bench/ab.sh /tmp/old/bin
. "$(dirname "$0")/lib.sh"
[ -x "${1:-}/snf-smtpd" ] || die "usage: ab.sh OTHER_BIN [ROUNDS]"
need
OTHER=$(cd "$1" && pwd)
ROUNDS=${2:-5}
MSGS=${BENCH_MSGS:-5000}
SIZE=${BENCH_SIZE:-5000}
SESSIONS=${BENCH_SESSIONS:-10}
PERCONN=${BENCH_PERCONN:-1}
SETTLE=${BENCH_SETTLE:-20}

THIS=$BIN
snf_root "$B/this" 127.0.0.1:1
snf_root "$B/other" 127.0.0.1:1
PORT_THIS=$(free_port)
snf_start "$B/this" "$PORT_THIS"
PORT_OTHER=$(free_port)
BIN=$OTHER
snf_start "$B/other" "$PORT_OTHER"
BIN=$THIS

# one NAME PORT: a run into an empty queue; prints "msg/s ms-of-CPU/msg",
# nothing when not every message sent was queued
one() {
	snf_fresh "$B/$1"
	sync
	sleep "$SETTLE"
	set -- $(send_timed "$2" "$SESSIONS" "$PERCONN" "$SIZE") "$1"
	n=$(find "$B/$4/queue/mail" -type f | wc -l | tr -d ' ')
	if [ "$n" -ne "$3" ]; then
		echo "bench: $4: $n of $3 messages queued" >&2
		return
	fi
	awk -v s="$1" -v t="$2" -v m="$n" \
	    'BEGIN { printf "%.0f %.2f\n", m / s, t / 100 * 1000 / m }'
}

echo "Machine: $(machine)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M') UTC; $ROUNDS rounds of $MSGS messages of $SIZE bytes, $SESSIONS sessions, $PERCONN per connection, BENCH_SETTLE=$SETTLE"
echo "this: $THIS; other: $OTHER"
rt="" ro="" ct="" co=""
i=0
while [ $i -lt "$ROUNDS" ]; do
	set -- $(one this "$PORT_THIS")
	[ $# -eq 2 ] || exit 1
	rt="$rt $1" ct="$ct $2"
	echo "round $((i + 1)) this:  $1 msg/s, $2 ms of CPU per message"
	set -- $(one other "$PORT_OTHER")
	[ $# -eq 2 ] || exit 1
	ro="$ro $1" co="$co $2"
	echo "round $((i + 1)) other: $1 msg/s, $2 ms of CPU per message"
	i=$((i + 1))
done
# shellcheck disable=SC2086
mt=$(median $rt) mo=$(median $ro)
echo
echo "| this msg/s | other msg/s | this/other | this CPU ms/msg | other CPU ms/msg |"
echo "|---|---|---|---|---|"
# shellcheck disable=SC2086
printf '| %s | %s | %.2f | %s | %s |\n' "$mt" "$mo" \
    "$(echo "$mt $mo" | awk '{ print $1 / $2 }')" "$(median $ct)" \
    "$(median $co)"
