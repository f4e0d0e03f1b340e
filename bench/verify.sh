#!/bin/sh
# verify.sh - recipient verification: RCPT decisions per second of
# snf-smtpd (under tcpserver on 127.0.0.1) for a cloudprotect domain,
#   (a) warm cache: every recipient has a fresh record (seeded with
#       snf-verify add), no callout is made;
#   (b) callouts: the cache is empty, every recipient is asked of a
#       primary on 127.0.0.1 (tests/tools/fakesmtp.py --users);
# ROUNDS rounds of each, then the medians.
#
#   sh bench/verify.sh [ROUNDS]                 (default 3)
#   VBENCH_SESSIONS=10 VBENCH_RCPTS=500 VBENCH_BATCH=50 VBENCH_USERS=1000
#   VBENCH_CALLOUT_MAX=64                       the defaults
#
# It builds nothing: it runs the programs in bin/ of this tree as they
# are (./configure && make first). It needs tcpserver and python3.
# Everything lives in a temporary folder, removed at the end
# (VBENCH_KEEP=1 keeps it).

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/bin
ROUNDS=${1:-3}
SESSIONS=${VBENCH_SESSIONS:-10}
RCPTS=${VBENCH_RCPTS:-500}
BATCH=${VBENCH_BATCH:-50}
USERS=${VBENCH_USERS:-1000}
CMAX=${VBENCH_CALLOUT_MAX:-64}
LOAD=$TOP/bench/tools/rcptload.py
FAKE=$TOP/tests/tools/fakesmtp.py

die() {
	echo "verify.sh: $*" >&2
	exit 1
}
[ -x "$BIN/snf-smtpd" ] && [ -x "$BIN/snf-verify" ] ||
    die "no bin/snf-smtpd or bin/snf-verify: build first (./configure && make in $TOP)"
command -v tcpserver >/dev/null 2>&1 || die "tcpserver (ucspi-tcp) is needed"
command -v python3 >/dev/null 2>&1 || die "python3 is needed"

B=$(mktemp -d "${TMPDIR:-/tmp}/snf-vbench.XXXXXX") || exit 1
PIDS=""
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${VBENCH_KEEP:-}" ] || rm -rf "$B"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_file FILE: until FILE is not empty (at most 10 s).
wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -s "$1" ]
}

# cpu PID: user + system CPU seconds of process PID so far.
cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' \
	    "/proc/$1/stat" 2>/dev/null || echo 0
}

# median: of the numbers on stdin, one a line.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# the root folder: example.net, cloudprotect, its primary the fake one
R=$B/root
mkdir -p "$R/control" "$R/domains/example.net"
echo bench.test.invalid >"$R/control/me"
echo 0 >"$R/control/errorsleep"
echo 100000000 >"$R/control/harderrors"	# 550s are not errors here
echo "$BATCH" >"$R/control/maxrcpt"
echo "$CMAX" >"$R/control/callout_max"
echo cloudprotect >"$R/domains/example.net/mode"

# the primary knows the even users of the callout round: one RCPT in
# two is 250, the other 550 (--users takes a list, repeated by 500s)
TOTAL=$((SESSIONS * RCPTS))
python3 -c '
import sys
n = int(sys.argv[1])
us = ["cuser%d@example.net" % i for i in range(0, n, 2)]
for i in range(0, len(us), 500):
    print("--users")
    print(",".join(us[i:i + 500]))
' "$TOTAL" >"$B/users.args"
mkdir -p "$B/fake"
# shellcheck disable=SC2046
(IFS='
'; exec python3 "$FAKE" --dir "$B/fake" $(cat "$B/users.args")) 2>"$B/fake.err" &
FAKEPID=$!
PIDS="$PIDS $FAKEPID"
wait_file "$B/fake/port" || die "fakesmtp did not start: $(cat "$B/fake.err")"
echo "127.0.0.1:$(cat "$B/fake/port")" >"$R/domains/example.net/primary"

tcpserver -1 -R -H -l localhost -b 200 -c $((SESSIONS + 10)) 127.0.0.1 0 \
    "$BIN/snf-smtpd" -d "$R" >"$B/port" 2>"$B/smtpd.log" &
PIDS="$PIDS $!"
wait_file "$B/port" || die "tcpserver did not start"
PORT=$(head -n 1 "$B/port")

# (a) seed USERS users, half positive, half negative
i=0
while [ $i -lt "$USERS" ]; do
	if [ $((i % 2)) -eq 0 ]; then k=positive; else k=negative; fi
	"$BIN/snf-verify" -d "$R" add "wuser$i@example.net" $k >/dev/null ||
	    die "snf-verify add failed"
	i=$((i + 1))
done
# one callout (and the catch-all probe) before the warm rounds
"$BIN/snf-verify" -d "$R" nobody@example.net >/dev/null

echo "# snf recipient verification benchmark"
echo "# $SESSIONS sessions at once x $RCPTS RCPTs, MAIL + $BATCH RCPTs + RSET pipelined per write"
echo "# (a) warm cache: $USERS users seeded (half positive, half negative), no callout"
echo "# (b) callouts: cache emptied before each round, $TOTAL distinct recipients,"
echo "#     primary tests/tools/fakesmtp.py on 127.0.0.1 (half known), callout_max $CMAX"
: >"$B/a"
: >"$B/b"
r=1
while [ $r -le "$ROUNDS" ]; do
	c0=$(grep -c '^RCPT ' "$B/fake/log" 2>/dev/null)
	out=$(python3 "$LOAD" "$PORT" "$SESSIONS" "$RCPTS" "$BATCH" \
	    "wuser%d@example.net" "$USERS" 2>&1) || die "round failed: $out"
	c1=$(grep -c '^RCPT ' "$B/fake/log" 2>/dev/null)
	echo "(a) warm cache, round $r: $out; callouts $((c1 - c0))"
	echo "$out" | awk '{ print $6 }' >>"$B/a"
	r=$((r + 1))
done
r=1
while [ $r -le "$ROUNDS" ]; do
	rm -rf "$R/cache"
	c0=$(grep -c '^connect$' "$B/fake/log" 2>/dev/null)
	f0=$(cpu "$FAKEPID")
	out=$(python3 "$LOAD" "$PORT" "$SESSIONS" "$RCPTS" "$BATCH" \
	    "cuser%d@example.net" 2>&1) || die "round failed: $out"
	c1=$(grep -c '^connect$' "$B/fake/log" 2>/dev/null)
	f1=$(cpu "$FAKEPID")
	echo "(b) callouts, round $r: $out; callout connections $((c1 - c0)); records $("$BIN/snf-verify" -d "$R" list | wc -l); fake primary CPU $(echo "$f0 $f1" | awk '{ printf "%.2f", $2 - $1 }') s"
	echo "$out" | awk '{ print $6 }' >>"$B/b"
	r=$((r + 1))
done
echo "median (a) warm cache: $(median <"$B/a") RCPT decisions/s"
echo "median (b) callouts:   $(median <"$B/b") RCPT decisions/s"
