#!/bin/sh
# run.sh - run each libFuzzer target for a while (make fuzz calls it).
#   sh tests/fuzz/run.sh [-t SECONDS] [-w WORKDIR] BINARY...
# Each target starts from its seeds in tests/fuzz/corpus/NAME and keeps
# what it finds in WORKDIR/corpus/NAME (never in the repository); a
# crash is saved as WORKDIR/crashes/NAME-crash-<sha1> and its report
# printed. Ends with one line per target (executions, executions per
# second, new corpus entries) and exits 1 when any target failed.
set -u
secs=60
work=tests/fuzz/work
while getopts t:w: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "usage: run.sh [-t seconds] [-w workdir] binary..." >&2
	   exit 100 ;;
	esac
done
shift $((OPTIND - 1))
here=$(dirname "$0")
mkdir -p "$work/crashes" "$work/logs" || exit 111

failed=""
summary=""
for bin; do
	name=${bin##*/}
	seeds=$here/corpus/$name
	mkdir -p "$work/corpus/$name"
	log=$work/logs/$name.log
	# per-target options: the session target logs to stderr like the
	# real snf-smtpd (close_fd_mask=2 drops that, not libFuzzer's own
	# output or a sanitizer's report); the line reader gets inputs long
	# enough to cross its 16 kB buffer
	extra=""
	case $name in
	fuzz_smtpd | fuzz_starttls) extra="-close_fd_mask=2 -dict=$here/smtp.dict" ;;
	fuzz_smtpline) extra="-max_len=40000" ;;
	fuzz_reply) extra="-dict=$here/smtp.dict" ;;
	esac
	echo "fuzz: $name for ${secs}s"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=30 -print_final_stats=1 \
	    -artifact_prefix="$work/crashes/$name-" $extra \
	    "$work/corpus/$name" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	new=$(sed -n 's/^stat::new_units_added: *//p' "$log")
	line=$(printf '%-15s %10s execs %7s/s %5s new' "$name" "${execs:-?}" \
	    "${rate:-?}" "${new:-?}")
	if [ "$rc" -ne 0 ]; then
		failed="$failed $name"
		line="$line  FAILED (exit $rc, log $log)"
		echo "fuzz: $name failed; the end of its log:"
		tail -n 60 "$log"
	fi
	summary="$summary$line
"
done
printf '\nfuzz summary (%ss each):\n%s' "$secs" "$summary"
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed (inputs in $work/crashes; see tests/fuzz/README)"
	exit 1
fi
exit 0
