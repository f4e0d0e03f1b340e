#!/bin/sh
# The libFuzzer targets, a short run each in the slow run (run.sh
# --slow, make check-slow): SNF_FUZZ_SECONDS per target (default 5;
# make fuzz runs longer, and CI runs a minute each). Any crash fails.
# Skipped without clang.
# run.sh: slow only
# run.sh: alone (it keeps a CPU busy: clang, then each target)
. "$(dirname "$0")/lib.sh"

secs=${SNF_FUZZ_SECONDS:-5}
if ! command -v clang >/dev/null 2>&1; then
	skip "fuzz targets" "clang is not installed"
	done_testing
	exit
fi
cd "$SNF_TOP" || exit 1
make -s fuzz-build >"$T/build.out" 2>&1
rc=$?
ok $rc "make fuzz-build"
[ $rc -eq 0 ] || sed 's/^/# /' "$T/build.out" | tail -n 20
# every target there is a source of, each built by make fuzz-build
for c in tests/fuzz/fuzz_*.c; do
	n=$(basename "$c" .c)
	b=tests/fuzz/bin/$n
	if [ ! -x "$b" ]; then
		ok 1 "$n: built by make fuzz-build (is it in FUZZ_TARGETS?)"
		continue
	fi
	sh tests/fuzz/run.sh -t "$secs" -w "$T/work" "$b" >"$T/$n.out" 2>&1
	ok $? "$n: ${secs}s without a crash"
	tail -n 1 "$T/$n.out" | sed 's/^/# /'
done
done_testing
