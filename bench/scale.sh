#!/bin/sh
# scale.sh - the queue at scale: BENCH_SCALE (1,000,000) small messages
# across BENCH_DOMAINS (1000) domains, made through snf-queue; then the
# time of status for one domain and for all, of a snf-expire pass
# (nothing expired: a dry run), of a release of one domain's messages to
# one mailbox, and snf-send's memory over the whole queue with every
# primary down. What concerns one domain must not grow with the queue.
#
#   sh bench/scale.sh
. "$(dirname "$0")/lib.sh"
need
N=${BENCH_SCALE:-1000000}
D=${BENCH_DOMAINS:-1000}
R=$B/snf
mkdir -p "$R/control"
echo bench.invalid >"$R/control/me"
echo 127.0.0.1:1 >"$B/closed"
i=1
while [ $i -le "$D" ]; do
	d=$(printf 'd%04d.test' $i)
	mkdir -p "$R/domains/$d"
	echo u >"$R/domains/$d/users"
	echo 127.0.0.1:1 >"$R/domains/$d/primary"
	i=$((i + 1))
done
printf 'From: sender@origin.test\r\nTo: u\r\nSubject: scale\r\n\r\n%s\r\n' \
    "a small message of a few hundred bytes, as spam and notices are" >"$B/msg"
cc -O2 -o "$B/tools/qfill" "$SNF_TOP/bench/tools/qfill.c" || die "cc"

# t CMD...: seconds CMD takes (its output discarded).
t() {
	t0=$(now)
	"$@" >/dev/null 2>&1
	echo "$(now) $t0" | awk '{ printf "%.3f", $1 - $2 }'
}

echo "Machine: $(machine)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
f=$(t "$B/tools/qfill" "$BIN/snf-queue" "$R" "$B/msg" "$N" "$D" 4)
got=$(find "$R/queue/mail" -type f | wc -l | tr -d ' ')
[ "$got" -eq "$N" ] || die "queued $got of $N"
echo
echo "$N messages over $D domains queued through snf-queue in ${f}s ($(echo "$N $f" | awk '{ printf "%.0f", $1 / $2 }')/s, 4 at a time)"
echo
echo "| operation | seconds |"
echo "|---|---|"
echo "| snf-queue status d0001.test (one domain of $D) | $(t "$BIN/snf-queue" -d "$R" status d0001.test) |"
echo "| snf-queue status -v d0001.test | $(t "$BIN/snf-queue" -d "$R" status -v d0001.test) |"
echo "| snf-queue status (all $D domains) | $(t "$BIN/snf-queue" -d "$R" status) |"
if [ -x "$BIN/snf-expire" ]; then
	echo "| snf-expire -n (whole queue, nothing due) | $(t "$BIN/snf-expire" -d "$R" -n) |"
fi
echo "| snf-queue release -m (one domain, $((N / D)) messages) | $(t "$BIN/snf-queue" -d "$R" release -m box@elsewhere.test d0002.test) |"
# snf-send over everything, every primary down: its memory, sampled
"$BIN/snf-send" -d "$R" -1 2>/dev/null &
s=$!
peak=0 peakall=0
while kill -0 $s 2>/dev/null; do
	r=$(awk '/^Rss:/ { print $2 }' /proc/$s/smaps_rollup 2>/dev/null)
	[ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r
	a=0
	for p in $(pgrep -x snf-send); do
		x=$(awk '/^Rss:/ { print $2 }' /proc/$p/smaps_rollup 2>/dev/null)
		a=$((a + ${x:-0}))
	done
	[ "$a" -gt "$peakall" ] && peakall=$a
	sleep 0.1
done
echo "| snf-send -1 over the whole queue, every primary down: peak RSS of the scheduler / of all its processes | ${peak} KB / ${peakall} KB |"
