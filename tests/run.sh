#!/bin/sh
# run.sh - run the tests: the C unit tests (tests/unit/t_*), then the
# end-to-end scripts (tests/e2e/*.t), each printing TAP. Prints the
# output of each file whole and in that order, a line of totals per
# file, and last the line "N passed, N failed". Exit status: 0 when
# nothing failed.
#   sh tests/run.sh [--slow]
# --slow (or SNF_SLOW=1, exported to the tests): the long versions of
# the soak tests, and the files whose heading comment has the line
# "# run.sh: slow only" as well.
# TESTS=pattern runs the files whose path contains the pattern.
# SNF_JOBS=N runs N files at a time (3; 1 runs them one by one); a
# file marked "# run.sh: alone" (it measures time) runs with no other.
# A file fails when a check fails, when it exits non-zero, when it runs
# no check, or when it does not print exactly one plan "1..N" whose N
# is the number of checks it printed (an early exit is caught).
cd "$(dirname "$0")/.." || exit 111
top=$(pwd)
slow=${SNF_SLOW:-}
for a; do
	case $a in
	--slow) slow=1 ;;
	*) echo "usage: sh tests/run.sh [--slow]" >&2; exit 100 ;;
	esac
done
jobs=${SNF_JOBS:-3}
case $jobs in
'' | *[!0-9]* | 0) echo "run.sh: SNF_JOBS is not a number above 0" >&2; exit 100 ;;
esac
work=$(mktemp -d "${TMPDIR:-/tmp}/snf-test.XXXXXX") || exit 111
# the shared build below is run by the tests' service user as well
chmod 755 "$work"
# tests that need programs linked dynamically (libfaketime) share one
# build of them (faultlib.sh's dyn_build)
SNF_SLOW=$slow SNF_DYN_CACHE=$work/dyn
export SNF_TOP="$top" PATH="$top/bin:$PATH" SNF_SLOW SNF_DYN_CACHE

# stop_all: SIGTERM to the files still running (their traps clean up).
stop_all() {
	for f in "$work"/*.pid; do
		[ -f "$f" ] && [ ! -f "${f%.pid}.rc" ] &&
		    kill -TERM "$(cat "$f")" 2>/dev/null
	done
	wait
}
trap 'rm -rf "$work"' EXIT
trap 'stop_all; exit 130' INT TERM

# marked FILE WHAT: status 0 when the comment block that heads FILE has
# the line "# run.sh: WHAT".
marked() {
	awk -v m="# run.sh: $2" 'NR > 1 && !/^#/ { exit }
	    index($0, m) == 1 { f = 1; exit } END { exit !f }' "$1"
}

# the files to run, one "KIND PATH" a line, in the order of the output
: >"$work/list"
for t in tests/unit/t_*; do
	case "$t" in *.c) continue ;; esac
	[ -x "$t" ] || continue
	case "$t" in *${TESTS:-}*) ;; *) continue ;; esac
	echo "unit $t" >>"$work/list"
done
for t in tests/e2e/*.t; do
	[ -f "$t" ] || continue
	case "$t" in *${TESTS:-}*) ;; *) continue ;; esac
	if [ -z "$slow" ] && marked "$t" "slow only"; then
		echo "slow $t" >>"$work/list"
	elif marked "$t" alone; then
		echo "alone $t" >>"$work/list"
	else
		echo "e2e $t" >>"$work/list"
	fi
done
n=$(wc -l <"$work/list" | tr -d ' ')

# start K: run file K of the list in the background; its output goes to
# K.out, then its exit status to K.rc and its seconds to K.secs.
start() {
	set -- "$1" $(sed -n "$1p" "$work/list")
	case $2 in
	slow) echo 0 >"$work/$1.rc"; return ;;
	unit) set -- "$1" "$3" ;;
	e2e | alone) set -- "$1" sh "$3" ;;
	esac
	(
		k=$1
		shift
		s=$(date +%s)
		"$@" >"$work/$k.out" 2>&1 </dev/null &
		echo $! >"$work/$k.pid"
		wait $!
		rc=$?
		echo $(( $(date +%s) - s )) >"$work/$k.secs"
		echo $rc >"$work/$k.tmp" && mv "$work/$k.tmp" "$work/$k.rc"
	) &
}

# tapcount FILE: "PASSED FAILED SKIPPED PLANS PLANNED" of a TAP output.
tapcount() {
	awk '
	/^ok / { if ($0 ~ /^ok .*# *[Ss][Kk][Ii][Pp]/) s++; else p++ }
	/^not ok / { f++ }
	/^1\.\.[0-9]+([ \t]|$)/ { plans++; planned = substr($1, 4) + 0 }
	END { print p + 0, f + 0, s + 0, plans + 0, planned + 0 }' "$1"
}

pass=0 fail=0 skip=0 failed_files=""
# report K: the output of file K and its totals; adds them up.
report() {
	set -- "$1" $(sed -n "$1p" "$work/list")
	k=$1 name=$3
	if [ "$2" = slow ]; then
		printf '# %s: slow only, not run (sh tests/run.sh --slow)\n' "$name"
		return
	fi
	printf '# %s\n' "$name"
	cat "$work/$k.out"
	rc=$(cat "$work/$k.rc")
	set -- $(tapcount "$work/$k.out")
	p=$1 f=$2 s=$3 plans=$4 planned=$5
	ran=$((p + f + s))
	bad=""
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		bad=1
	fi
	if [ "$ran" -eq 0 ]; then
		echo "not ok - $name ran no test"
		bad=1
	fi
	if [ "$plans" -eq 0 ]; then
		echo "not ok - $name printed no plan (1..N): it ended early"
		bad=1
	elif [ "$plans" -gt 1 ]; then
		echo "not ok - $name printed $plans plans"
		bad=1
	elif [ "$planned" -ne "$ran" ]; then
		echo "not ok - $name planned $planned checks and ran $ran"
		bad=1
	fi
	[ -n "$bad" ] && f=$((f + 1))
	[ "$f" -gt 0 ] && failed_files="$failed_files $name"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '# %s: %d passed, %d failed, %d skipped (%ss)\n' "$name" \
	    "$p" "$f" "$s" "$(cat "$work/$k.secs")"
}

# kind K: the kind of file K of the list (unit, e2e, alone, slow).
kind() {
	sed -n "$1{s/ .*//;p;}" "$work/list"
}

# at most $jobs files at once, a file marked alone with no other; each
# reported, in order, once it is done
started=0 reported=0 alone=0
while [ $reported -lt "$n" ]; do
	running=0
	i=$((reported + 1))
	while [ $i -le $started ]; do
		[ -f "$work/$i.rc" ] || running=$((running + 1))
		i=$((i + 1))
	done
	[ $alone -gt 0 ] && [ -f "$work/$alone.rc" ] && alone=0
	if [ $running -lt "$jobs" ] && [ $started -lt "$n" ] && [ $alone -eq 0 ]; then
		if [ "$(kind $((started + 1)))" != alone ]; then
			started=$((started + 1))
			start $started
			continue
		elif [ $running -eq 0 ]; then
			started=$((started + 1))
			alone=$started
			start $started
			continue
		fi
	fi
	if [ -f "$work/$((reported + 1)).rc" ]; then
		reported=$((reported + 1))
		report $reported
		continue
	fi
	sleep 0.1
done
wait

# Sanitizer findings from any program, even one whose failure a test
# expected, fail the run.
if [ -n "${SNF_SANITIZE_LOG:-}" ] && [ -d "$SNF_SANITIZE_LOG" ]; then
	for f in "$SNF_SANITIZE_LOG"/*; do
		[ -f "$f" ] || continue
		echo "not ok - sanitizer report $f"
		sed 's/^/# /' "$f" | head -n 40
		fail=$((fail + 1))
	done
fi
[ -n "$failed_files" ] && echo "# failed in:$failed_files"
echo "# $skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
