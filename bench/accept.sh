#!/bin/sh
# accept.sh - acceptance: smtp-source against snf-smtpd under tcpserver
# and against a private Postfix set up as a backup MX (its primary
# down), alternately, ROUNDS rounds; and the machine's ceiling in the
# same run: the lower of the durable-write rate and tcpserver's
# fork-and-exec rate.
#
#   sh bench/accept.sh [ROUNDS]           (default 3)
#   BENCH_MSGS=5000 BENCH_SIZES="5000 100000" BENCH_SESSIONS="1 10 50"
#   BENCH_PERCONN="1 10" BENCH_SETTLE=0   the defaults
#
# Prints one markdown table row per case: messages/s (median), CPU
# seconds per 1000 messages (the whole machine's busy time, less
# smtp-source's own), the ratio snf/Postfix, the ceiling, and the load
# seen before the runs (lib.sh's calm waits for a quiet machine).
. "$(dirname "$0")/lib.sh"
need
ROUNDS=${1:-3}
MSGS=${BENCH_MSGS:-5000}
SIZES=${BENCH_SIZES:-5000 100000}
SESSIONS=${BENCH_SESSIONS:-1 10 50}
PERCONN=${BENCH_PERCONN:-1 10}
SETTLE=${BENCH_SETTLE:-0}

SNFPORT=$(free_port)
PFPORT=$(free_port)
R=$B/snf
snf_root "$R" 127.0.0.1:1	# the primary is down: everything is held
snf_start "$R" "$SNFPORT"
pf_setup "$PFPORT" 1
pf_start "$PFPORT"


ceiling() {
	rm -rf "$B/dw"
	w=$1
	[ "$w" -ge 1 ] || w=1
	d=$("$B/tools/dwrite" "$B/dw" "$w" 2000 "$2")
	rm -rf "$B/dw"
	CPORT=$(free_port)
	tcpserver -b 200 -c 200 -H -R -l bench.invalid 127.0.0.1 "$CPORT" \
	    /bin/true &
	cp=$!
	wait_port "$CPORT"
	c=$("$B/tools/connrate" 127.0.0.1 "$CPORT" "$w" 2000)
	kill $cp
	wait $cp 2>/dev/null
	echo "$d $c"
}

echo "Machine: $(machine)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $ROUNDS rounds of $MSGS messages, snf and Postfix alternately; BENCH_SETTLE=$SETTLE"
echo
echo "| size | sessions | msgs/conn | snf msg/s | Postfix msg/s | ratio | snf CPU s/1000 | Postfix CPU s/1000 | ceiling msg/s (fsync / fork+exec) | snf/ceiling | 1-min load at the runs |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
	for s in $SESSIONS; do
		for pc in $PERCONN; do
			sr="" pr="" sc="" pc2="" dws="" cns=""
			r=0
			while [ $r -lt "$ROUNDS" ]; do
				snf_empty
				calm
				set -- $(send_timed "$SNFPORT" "$s" "$pc" "$size")
				sr="$sr $(echo "$1" | awk -v m="$MSGS" '{ printf "%.0f", m / $1 }')"
				sc="$sc $(echo "$2" | awk -v m="$MSGS" '{ printf "%.2f", $1 / 100 / m * 1000 }')"
				pf_empty
				calm
				set -- $(send_timed "$PFPORT" "$s" "$pc" "$size")
				pr="$pr $(echo "$1" | awk -v m="$MSGS" '{ printf "%.0f", m / $1 }')"
				pc2="$pc2 $(echo "$2" | awk -v m="$MSGS" '{ printf "%.2f", $1 / 100 / m * 1000 }')"
				set -- $(ceiling "$s" "$size")
				dws="$dws $1"
				cns="$cns $2"
				r=$((r + 1))
			done
			ms=$(median $sr)
			mp=$(median $pr)
			cd=$(median $dws)
			cc=$(median $cns)
			ceil=$(echo "$cd $cc" | awk '{ print ($1 < $2) ? $1 : $2 }')
			echo "| $size | $s | $pc | $ms | $mp | $(echo "$ms $mp" | awk '{ printf "%.2f", $1 / $2 }') | $(median $sc) | $(median $pc2) | $ceil ($cd / $cc) | $(echo "$ms $ceil" | awk '{ printf "%.0f%%", 100 * $1 / $2 }') | $(calm_note) |"
		done
	done
done
