#!/bin/sh
# memory.sh - resident (RSS) and proportional (PSS) memory, from
# /proc/PID/smaps_rollup: one SMTP session and 50 at once, snf-smtpd
# against Postfix's smtpd; and the delivering processes while 50,000
# held messages (BENCH_MEM_FLUSH) go to smtp-sink: snf-send against
# Postfix's qmgr and smtp.
#
#   sh bench/memory.sh
. "$(dirname "$0")/lib.sh"
need
FLUSHN=${BENCH_MEM_FLUSH:-50000}
SNFPORT=$(free_port)
PFPORT=$(free_port)
SINKPORT=$(free_port)
R=$B/snf

# sessions PORT N PROC PARENT: hold N sessions, report the memory of
# PARENT's children called PROC.
sessions() {
	rm -f "$B/holdin.$2"
	mkfifo "$B/holdin.$2"
	python3 "$SNF_TOP/bench/tools/hold.py" "$1" "$2" <"$B/holdin.$2" >"$B/hold.out" &
	h=$!
	exec 7>"$B/holdin.$2"
	i=0
	until grep -q ready "$B/hold.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || die "sessions never ready"
		sleep 0.1
	done
	sleep 0.5
	m=$(mem "$3" "$4")
	exec 7>&-
	wait $h
	echo "$m"
}

snf_root "$R" 127.0.0.1:1	# the primary is down: everything is held
snf_start "$R" "$SNFPORT"
pf_setup "$PFPORT" 1
pf_start "$PFPORT"

echo "Machine: $(machine)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| processes | count | RSS KB each | PSS KB each | RSS KB all | PSS KB all |"
echo "|---|---|---|---|---|---|"
mem_row "snf-smtpd, 1 session" "$(sessions "$SNFPORT" 1 snf-smtpd "$SNF_PID")"
mem_row "Postfix smtpd, 1 session" "$(sessions "$PFPORT" 1 smtpd "$(pf_master)")"
mem_row "snf-smtpd, 50 sessions" "$(sessions "$SNFPORT" 50 snf-smtpd "$SNF_PID")"
mem_row "Postfix smtpd, 50 sessions" "$(sessions "$PFPORT" 50 smtpd "$(pf_master)")"

# delivery: fill both with FLUSHN, then let them deliver, sampling
smtp-source -s 50 -m "$FLUSHN" -l 5000 -f sender@origin.test \
    -t alice@example.com "127.0.0.1:$SNFPORT" >/dev/null 2>&1
smtp-source -s 50 -m "$FLUSHN" -l 5000 -f sender@origin.test \
    -t alice@example.com "127.0.0.1:$PFPORT" >/dev/null 2>&1
snf_stop
smtp-sink -u nobody "127.0.0.1:$SINKPORT" 200 >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_port "$SINKPORT"
echo "127.0.0.1:$SINKPORT" >"$R/domains/example.com/primary"
"$BIN/snf-send" -d "$R" -1 example.com 2>/dev/null &
s=$!
best="0 0 0 0"
while kill -0 $s 2>/dev/null; do
	m=$(mem snf-send $s)
	[ "$(echo "$m" | cut -d' ' -f3)" -gt "$(echo "$best" | cut -d' ' -f3)" ] && best=$m
	sleep 0.2
done
mem_row "snf-send delivering $FLUSHN (peak)" "$best"
sed -i "s/example.com=smtp:\[127.0.0.1\]:1 /example.com=smtp:[127.0.0.1]:$SINKPORT /" \
    "$B/pf/conf/main.cf"
postfix -c "$B/pf/conf" reload >/dev/null 2>&1
sleep 1
postqueue -c "$B/pf/conf" -f >/dev/null 2>&1
best="0 0 0 0"
i=0
while [ "$(pf_count)" -gt 0 ] && [ $i -lt 3000 ]; do
	m=$(mem smtp "$(pf_master)")
	q=$(mem qmgr "$(pf_master)")
	set -- $m
	set -- $q
	[ "$(echo "$m" | cut -d' ' -f3)" -gt "$(echo "$best" | cut -d' ' -f3)" ] && best=$m
	sleep 0.2
	i=$((i + 1))
done
mem_row "Postfix smtp delivering $FLUSHN (peak)" "$best"
mem_row "Postfix qmgr (at the end)" "$(mem qmgr "$(pf_master)")"
