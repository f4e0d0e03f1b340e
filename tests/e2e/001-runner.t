#!/bin/sh
# tests/run.sh itself, on a tree of its own with made-up test files: a
# file passes only with exactly one plan 1..N that matches the checks it
# printed; a short plan, a long one, no plan, an early exit (from a
# script using lib.sh and from a unit test using tap.h), a non-zero exit
# and a failed check each fail their file and the run. The output of
# each file is whole and in order, files run at once, the totals line
# comes last, and "# run.sh: slow only" files run only with --slow.
. "$(dirname "$0")/lib.sh"

F=$T/tree
mkdir -p "$F/tests/e2e" "$F/tests/unit" "$F/bin"
cp "$SNF_TOP/tests/run.sh" "$F/tests/run.sh"
cp "$SNF_TOP/tests/e2e/lib.sh" "$F/tests/e2e/lib.sh"
E=$F/tests/e2e

# fake NAME: a test file, its text on stdin
fake() {
	cat >"$E/$1.t"
}
fake a-good <<'EOF'
. "$(dirname "$0")/lib.sh"
ok 0 "one"
skip "two" "not here"
done_testing
EOF
fake b-plan-first <<'EOF'
printf '1..2\nok 1 - first\nok 2 - second\n'
EOF
fake c-short-plan <<'EOF'
printf 'ok 1 - one\nok 2 - two\n1..3\n'
EOF
fake d-long-plan <<'EOF'
printf '1..1\nok 1 - one\nok 2 - two\n'
EOF
fake e-no-plan <<'EOF'
printf 'ok 1 - one\nok 2 - two\n'
EOF
fake f-early-exit <<'EOF'
. "$(dirname "$0")/lib.sh"
ok 0 "one"
exit 0
ok 0 "two"
done_testing
EOF
fake g-two-plans <<'EOF'
printf '1..1\nok 1 - one\n1..1\n'
EOF
fake h-exit-1 <<'EOF'
printf 'ok 1 - one\n1..1\n'
exit 1
EOF
fake i-not-ok <<'EOF'
. "$(dirname "$0")/lib.sh"
ok 0 "one"
ok 1 "two fails"
done_testing
EOF
fake j-slow <<'EOF'
# run.sh: slow only
printf 'ok 1 - slow one, SNF_SLOW=%s\n1..1\n' "$SNF_SLOW"
EOF
fake k-alone <<'EOF'
# run.sh: alone
printf 'ok 1 - alone\n1..1\n'
EOF

# unit tests with tap.h: one whole, one that returns before done()
cat >"$T/t_good.c" <<'EOF'
#include "tap.h"
int
main(void)
{
	ok(1, "one");
	ok_str("a", "a", "two");
	return done();
}
EOF
cat >"$T/t_early.c" <<'EOF'
#include "tap.h"
int
main(void)
{
	ok(1, "one");
	if (tap_n > 0)
		return 0;	/* before done(): no plan */
	ok(1, "two");
	return done();
}
EOF
cc -I"$SNF_TOP/tests" -o "$F/tests/unit/t_good" "$T/t_good.c" &&
    cc -I"$SNF_TOP/tests" -o "$F/tests/unit/t_early" "$T/t_early.c"
ok $? "two unit tests built with tests/tap.h"

# run [VAR=VALUE...]: the runner of the tree, with the arguments in
# $ARGS; output in $T/out, status in RC
ARGS=
run() {
	# shellcheck disable=SC2086
	env -u TESTS -u SNF_SLOW SNF_JOBS=3 "$@" sh "$F/tests/run.sh" $ARGS \
	    >"$T/out" 2>&1
	RC=$?
}
# line FILE: the runner's totals line for FILE, without its seconds
line() {
	grep "^# tests/$1: " "$T/out" | sed 's/ ([0-9]*s)$//'
}

run TESTS=good
is "$RC,$(tail -n 1 "$T/out")" "0,3 passed, 0 failed" \
    "a good unit test and a good script: exit 0, 3 passed, 0 failed"
run TESTS=plan-first
is "$RC,$(line e2e/b-plan-first.t)" \
    "0,# tests/e2e/b-plan-first.t: 2 passed, 0 failed, 0 skipped" \
    "a plan before the checks is as good as one after"

run
[ "$RC" -ne 0 ]
ok $? "a run with bad files exits non-zero ($RC)"
is "$(line e2e/a-good.t)" "# tests/e2e/a-good.t: 1 passed, 0 failed, 1 skipped" \
    "a good script: 1 passed, 1 skipped"
grep -qx 'not ok - tests/e2e/c-short-plan.t planned 3 checks and ran 2' "$T/out" &&
    line e2e/c-short-plan.t | grep -q ': 2 passed, 1 failed'
ok $? "a short plan (1..3, two checks) fails the file"
grep -qx 'not ok - tests/e2e/d-long-plan.t planned 1 checks and ran 2' "$T/out"
ok $? "a plan of fewer checks than printed (1..1, two checks) fails the file"
grep -qx 'not ok - tests/e2e/e-no-plan.t printed no plan (1..N): it ended early' "$T/out" &&
    line e2e/e-no-plan.t | grep -q ': 2 passed, 1 failed'
ok $? "no plan at all, exit 0: fails the file"
grep -qx 'not ok - tests/e2e/f-early-exit.t printed no plan (1..N): it ended early' "$T/out" &&
    line e2e/f-early-exit.t | grep -q ': 1 passed, 1 failed'
ok $? "exit 0 before lib.sh's done_testing: fails the file"
grep -qx 'not ok - tests/unit/t_early printed no plan (1..N): it ended early' "$T/out" &&
    line unit/t_early | grep -q ': 1 passed, 1 failed'
ok $? "a unit test returning before tap.h's done(): fails the file"
grep -qx 'not ok - tests/e2e/g-two-plans.t printed 2 plans' "$T/out"
ok $? "two plans fail the file"
grep -qx 'not ok - tests/e2e/h-exit-1.t exited 1' "$T/out"
ok $? "a non-zero exit with every check ok fails the file"
line e2e/i-not-ok.t | grep -q ': 1 passed, 1 failed' &&
    ! grep -q '^not ok - tests/e2e/i-not-ok.t' "$T/out"
ok $? "a failed check fails the file, with nothing more to say"
is "$(line unit/t_good | cut -d ' ' -f 3-8)" "2 passed, 0 failed, 0 skipped" \
    "a good unit test: 2 passed"
is "$(grep '^# failed in:' "$T/out")" \
    "# failed in: tests/unit/t_early tests/e2e/c-short-plan.t tests/e2e/d-long-plan.t tests/e2e/e-no-plan.t tests/e2e/f-early-exit.t tests/e2e/g-two-plans.t tests/e2e/h-exit-1.t tests/e2e/i-not-ok.t" \
    "the failed files are named, in order"
is "$(tail -n 1 "$T/out")" "17 passed, 8 failed" "the totals come last: 17 passed, 8 failed"
is "$(line e2e/j-slow.t)" \
    "# tests/e2e/j-slow.t: slow only, not run (sh tests/run.sh --slow)" \
    "a slow only file is not run without --slow"

# each file's output whole, in the order of the names
python3 - "$T/out" <<'EOF' >"$T/order"
import re, sys
names, cur, bad = [], None, 0
for ln in open(sys.argv[1]).read().splitlines():
    m = re.match(r'# (tests/\S+)$', ln)
    if m:
        cur = m.group(1)
        names.append(cur)
        continue
    m = re.match(r'# (tests/\S+): ', ln)
    if m:
        if m.group(1) != cur and 'slow only' not in ln:
            print('totals of %s inside %s' % (m.group(1), cur)); bad += 1
        if 'slow only' in ln:
            names.append(m.group(1))
        cur = None
    elif re.match(r'(not )?ok ', ln) and cur is None:
        print('a check outside any file: %s' % ln); bad += 1
units = [n for n in names if n.startswith('tests/unit/')]
e2e = [n for n in names if n.startswith('tests/e2e/')]
if names != units + e2e or units != sorted(units) or e2e != sorted(e2e):
    print('order: %s' % ' '.join(names)); bad += 1
print('files %d' % len(names))
sys.exit(bad)
EOF
rc=$?
ok $rc "each file's output is whole, the files in order (unit, then e2e)"
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/order"
is "$(tail -n 1 "$T/order")" "files 13" "13 files reported"

# files run at once: three files of 2 s each, three at a time, take
# less time than one by one
cat >"$E/l-sleep.t" <<'EOF'
sleep 2
printf 'ok 1 - slept\n1..1\n'
EOF
cp "$E/l-sleep.t" "$E/m-sleep.t"
cp "$E/l-sleep.t" "$E/n-sleep.t"
s=$(date +%s)
run TESTS=-sleep
el=$(( $(date +%s) - s ))
is "$RC,$(tail -n 1 "$T/out")" "0,3 passed, 0 failed" "three files of 2 s each pass"
[ "$el" -lt 6 ]
ok $? "... at once: in ${el}s, not 6"
rm -f "$E"/[lmn]-sleep.t

run SNF_JOBS=1 TESTS=good
is "$RC,$(tail -n 1 "$T/out")" "0,3 passed, 0 failed" "SNF_JOBS=1: the same, one by one"
run SNF_JOBS=x
is "$RC" 100 "SNF_JOBS not a number: usage, exit 100"
run TESTS=k-alone
is "$RC,$(tail -n 1 "$T/out")" "0,1 passed, 0 failed" "a file marked alone runs"

run TESTS=j-slow
is "$RC,$(tail -n 1 "$T/out"),$(grep -c '^ok ' "$T/out")" "0,0 passed, 0 failed,0" \
    "a slow only file is not run without --slow, even when TESTS names it"
ARGS=--slow
run TESTS=j-slow
is "$RC,$(sed -n 's/^ok 1 - //p' "$T/out")" "0,slow one, SNF_SLOW=1" \
    "--slow runs it, with SNF_SLOW=1 exported"
ARGS=
run TESTS=j-slow SNF_SLOW=1
is "$RC,$(tail -n 1 "$T/out")" "0,1 passed, 0 failed" "SNF_SLOW=1 does the same"

done_testing
