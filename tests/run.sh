#!/bin/sh
# run.sh - run every test: the C unit tests (tests/unit/t_*), then the
# end-to-end scripts (tests/e2e/*.t). Each prints TAP; this prints their
# output, then a summary, and last the line "N passed, N failed".
# Exit status: 0 when nothing failed. TESTS="pattern" runs a subset.
cd "$(dirname "$0")/.." || exit 111
top=$(pwd)
export SNF_TOP="$top" PATH="$top/bin:$PATH"
pass=0 fail=0 skip=0 failed_files=""
log=$(mktemp "${TMPDIR:-/tmp}/snf-test.XXXXXX") || exit 111
trap 'rm -f "$log"' EXIT

run_one() {
	name=$1
	shift
	printf '# %s\n' "$name"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok ' "$log" | tr -d ' ')
	s=$(grep -c '^ok .*# *[Ss][Kk][Ii][Pp]' "$log" | tr -d ' ')
	f=$(grep -c '^not ok ' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		f=1
	fi
	if [ $((p + f + s)) -eq 0 ]; then
		echo "not ok - $name ran no test"
		f=1
	fi
	[ "$f" -gt 0 ] && failed_files="$failed_files $name"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '# %s: %d passed, %d failed, %d skipped (%ss)\n' "$name" \
	    "$p" "$f" "$s" $(( $(date +%s) - start ))
}

for t in tests/unit/t_*; do
	case "$t" in *.c) continue ;; esac
	[ -x "$t" ] || continue
	case "$t" in *${TESTS:-}*) ;; *) continue ;; esac
	run_one "$t" "$t"
done
for t in tests/e2e/*.t; do
	[ -f "$t" ] || continue
	case "$t" in *${TESTS:-}*) ;; *) continue ;; esac
	run_one "$t" sh "$t"
done

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
