#!/bin/sh
# flush.sh - the primary returns: N held messages for one domain are
# delivered to Postfix's smtp-sink, by snf (snf-send -1 example.com, and
# the service woken by an ETRN) and by a private Postfix (postqueue -s),
# alternately, ROUNDS rounds.
#
#   sh bench/flush.sh [ROUNDS]              (default 3)
#   BENCH_FLUSH="5000 50000"                the queue sizes
#
# Prints markdown rows: messages/s (median), connections used.
. "$(dirname "$0")/lib.sh"
need
ROUNDS=${1:-3}
SIZES=${BENCH_FLUSH:-5000 50000}
SNFPORT=$(free_port)
PFPORT=$(free_port)
SINKPORT=$(free_port)
R=$B/snf

# sink: a fresh smtp-sink; its -c counters say how many sessions ended.
sink_start() {
	smtp-sink -u nobody -c "127.0.0.1:$SINKPORT" 200 >"$B/sink.out" 2>&1 &
	SINK=$!
	PIDS="$PIDS $SINK"
	wait_port "$SINKPORT"
}
sink_stop() {
	kill "$SINK" 2>/dev/null
	wait "$SINK" 2>/dev/null
	tr '\r' '\n' <"$B/sink.out" | sed -n 's/^sess=\([0-9]*\).*/\1/p' | tail -n 1
}

# fill PORT N: N messages of 5 KB through SMTP, 50 sessions.
fill() {
	smtp-source -s 50 -m "$2" -l 5000 -f sender@origin.test \
	    -t alice@example.com "127.0.0.1:$1" >/dev/null 2>&1
}

# snf_held N: a fresh snf queue of N messages, primary down.
snf_held() {
	rm -rf "$R"
	snf_root "$R" 127.0.0.1:1
	snf_start "$R" "$SNFPORT"
	fill "$SNFPORT" "$1"
	snf_stop
	n=$(find "$R/queue/mail/example.com" -type f | wc -l | tr -d ' ')
	[ "$n" -eq "$1" ] || die "snf holds $n of $1"
	echo "127.0.0.1:$SINKPORT" >"$R/domains/example.com/primary"
	sync
}

# until_empty DIR: wait until DIR holds no file (at most 30 minutes).
until_empty() {
	i=0
	while [ -n "$(find "$1" -type f 2>/dev/null | head -n 1)" ]; do
		i=$((i + 1))
		[ $i -lt 18000 ] || die "$1 never emptied"
		sleep 0.1
	done
}

# snf_once N: the one-shot pass. Prints "rate connections".
snf_once() {
	snf_held "$1"
	sink_start
	t0=$(now)
	"$BIN/snf-send" -d "$R" -1 example.com 2>"$B/send.log"
	t1=$(now)
	left=$(find "$R/queue/mail/example.com" -type f | wc -l | tr -d ' ')
	c=$(sink_stop)
	[ "$left" -eq 0 ] || die "snf-send -1 left $left messages"
	echo "$t0 $t1 $1 $c" | awk '{ printf "%.0f %s\n", $3 / ($2 - $1), $4 }'
}

# snf_etrn N: the service, asleep in a long backoff, woken by ETRN.
snf_etrn() {
	snf_held "$1"
	echo 1h >"$R/control/backoff_min"
	echo 127.0.0.1:1 >"$R/domains/example.com/primary"
	"$BIN/snf-send" -d "$R" 2>"$B/service.log" &
	svc=$!
	PIDS="$PIDS $svc"
	i=0
	until grep -q 'down domain=example.com' "$B/service.log"; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "the service never tried"
		sleep 0.1
	done
	echo "127.0.0.1:$SINKPORT" >"$R/domains/example.com/primary"
	sleep 11	# an ETRN may ask for one attempt every 10 s
	sink_start
	snf_start "$R" "$SNFPORT"
	t0=$(now)
	printf '< 220\n> EHLO primary.example.com\n< 250\n> ETRN example.com\n< 250\n> QUIT\n< 221\n' |
	    python3 "$SNF_TOP/tests/tools/smtpchat.py" --tcp 127.0.0.1 \
	    "$SNFPORT" - >/dev/null || die "ETRN refused"
	until_empty "$R/queue/mail/example.com"
	t1=$(now)
	kill "$svc"
	wait "$svc" 2>/dev/null
	snf_stop
	c=$(sink_stop)
	echo "$t0 $t1 $1 $c" | awk '{ printf "%.0f %s\n", $3 / ($2 - $1), $4 }'
}

# pf_flush N: a fresh private Postfix holding N, then postqueue -s.
pf_flush() {
	pf_setup "$PFPORT" 1
	pf_start "$PFPORT"
	fill "$PFPORT" "$1"
	i=0
	while [ "$(find "$B/pf/queue/incoming" "$B/pf/queue/active" -type f | wc -l)" -gt 0 ]; do
		i=$((i + 1))
		[ $i -lt 6000 ] || die "Postfix never settled"
		sleep 0.1
	done
	sed -i "s/example.com=smtp:\[127.0.0.1\]:1/example.com=smtp:[127.0.0.1]:$SINKPORT/" \
	    "$B/pf/conf/main.cf"
	postfix -c "$B/pf/conf" reload >/dev/null 2>&1
	sleep 1
	sink_start
	t0=$(now)
	postqueue -c "$B/pf/conf" -s example.com >/dev/null 2>&1
	until_empty "$B/pf/queue/deferred"
	until_empty "$B/pf/queue/active"
	t1=$(now)
	c=$(sink_stop)
	pf_stop
	echo "$t0 $t1 $1 $c" | awk '{ printf "%.0f %s\n", $3 / ($2 - $1), $4 }'
}

echo "Machine: $(machine)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $ROUNDS rounds, 5 KB messages, to smtp-sink"
echo
echo "| held | snf -1 msg/s (conns) | snf service+ETRN msg/s (conns) | Postfix postqueue -s msg/s (conns) | ratio -1 | ratio ETRN |"
echo "|---|---|---|---|---|---|"
for n in $SIZES; do
	a="" ac="" e="" ec="" p="" pc=""
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		set -- $(snf_once "$n"); a="$a $1"; ac=$2
		set -- $(pf_flush "$n"); p="$p $1"; pc=$2
		set -- $(snf_etrn "$n"); e="$e $1"; ec=$2
		r=$((r + 1))
	done
	ma=$(median $a) me=$(median $e) mp=$(median $p)
	echo "| $n | $ma ($ac) | $me ($ec) | $mp ($pc) | $(echo "$ma $mp" | awk '{ printf "%.2f", $1 / $2 }') | $(echo "$me $mp" | awk '{ printf "%.2f", $1 / $2 }') |"
done
