#!/bin/sh
# Faults survived: everything at once over one queue. Two snf-send -1
# passes and two snf-expire runs start together over a queue that holds
# live mail and mail past its lifetime, for a primary that takes alice,
# refuses bob (550) and defers carol (450). Then the reports are
# delivered by two more snf-send passes at once. For every recipient of
# every message, exactly one thing happened: delivered to the primary
# once, or returned in one report (refused, or expired), or still queued
# (carol's live mail). No message is delivered twice, no report is sent
# twice, nothing is lost.
#
# SNF_FAULT_ROUNDS sets the number of rounds (default 3; 20 in the slow
# run), each with a fresh queue of 36 messages. The random parts of the
# item names (the order in which the programs meet the items) come from
# a seed, printed as "# seed N"; SNF_SEED=N replays them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"
. "$(dirname "$0")/expirelib.sh"

ROUNDS=${SNF_FAULT_ROUNDS:-$(slow_or 3 20)}
test_seed
DAY=86400
R=$T/root
mkroot "$R"
EXPIRE=no
command -v snf-expire >/dev/null 2>&1 && EXPIRE=yes
[ $EXPIRE = yes ] || skip "snf-expire beside snf-send" "bin/snf-expire is missing: two snf-send passes only"

start_fake prim --reject bob@example.com --defer carol@example.com \
    --rcpt-delay 0.01 || echo "# fakesmtp did not start"
F=$T/prim
primary "$R" "127.0.0.1:$FPORT"
start_fake origin || echo "# fakesmtp did not start"
O=$T/origin
echo "origin.test 127.0.0.1:$FPORT" >"$R/control/routes"

# wait_all SECONDS PID...: wait for the PIDs, at most SECONDS in all;
# status 0 when each ended in time with exit 0.
wait_all() {
	_s=$1
	shift
	_n=$((_s * 10))
	for _p; do
		while kill -0 "$_p" 2>/dev/null && [ $_n -gt 0 ]; do
			sleep 0.1
			_n=$((_n - 1))
		done
	done
	_bad=0
	for _p; do
		if kill -0 "$_p" 2>/dev/null; then
			kill -KILL "$_p" 2>/dev/null
			_bad=1
		fi
		wait "$_p" || _bad=1
	done
	return $_bad
}

r=1
while [ $r -le "$ROUNDS" ]; do
	empty_queue "$R"
	rm -rf "$R/queue/state"
	: >"$T/items"
	n=1
	while [ $n -le 36 ]; do
		case $((n % 6)) in
		0) age=60 to=alice@example.com ;;
		1) age=60 to=alice@example.com,bob@example.com ;;
		2) age=60 to=alice@example.com,carol@example.com ;;
		3) age=$((6 * DAY)) to=alice@example.com ;;
		4) age=$((6 * DAY)) to=alice@example.com,bob@example.com,carol@example.com ;;
		5) age=$((6 * DAY)) to=carol@example.com ;;
		esac
		[ $EXPIRE = yes ] || age=60
		f=$(put_item "$R" example.com "$age" "s$r.$n@origin.test" "$to")
		echo "$(basename "$f") $age $to" >>"$T/items"
		n=$((n + 1))
	done
	snf-send -d "$R" -1 example.com 2>"$T/a.$r.log" &
	a=$!
	snf-send -d "$R" -1 example.com 2>"$T/b.$r.log" &
	b=$!
	pids="$a $b"
	if [ $EXPIRE = yes ]; then
		snf-expire -d "$R" >"$T/x.$r.out" 2>"$T/x.$r.log" &
		x=$!
		snf-expire -d "$R" >"$T/y.$r.out" 2>"$T/y.$r.log" &
		y=$!
		pids="$pids $x $y"
	fi
	SERVER_PIDS="$SERVER_PIDS $pids"
	wait_all 60 $pids
	ok $? "round $r: two snf-send -1 and two snf-expire at once end with exit 0"
	if [ $EXPIRE = yes ]; then
		busy=$(cat "$T/x.$r.log" "$T/y.$r.log" | grep -c 'busy id=' | tr -d ' ')
		echo "# round $r: snf-expire found $busy messages busy (left for its next run)"
		snf-expire -d "$R" >"$T/z.$r.out" 2>"$T/z.$r.log"
		is "$?" 0 "round $r: a last snf-expire alone: exit 0"
	fi
	snf-send -d "$R" -1 origin.test 2>"$T/c.$r.log" &
	c=$!
	snf-send -d "$R" -1 origin.test 2>"$T/d.$r.log" &
	d=$!
	SERVER_PIDS="$SERVER_PIDS $c $d"
	wait_all 60 $c $d
	ok $? "round $r: two snf-send -1 origin.test (the reports) at once end with exit 0"
	is "$(queue_count "$R" origin.test)" 0 "round $r: every report was delivered"
	queue_files "$R" example.com | while read -r f; do
		echo "$(basename "$f") $(qitem_env "$f" | sed -n 's/^T //p' | tr '\n' ',')"
	done >"$T/left.$r"

	# every recipient of every message: exactly one outcome
	python3 - "$T/items" "$F" "$O" "$T/left.$r" "$r" >"$T/acct.$r" <<'EOF'
import os, re, sys
items, prim, origin, left, rnd = sys.argv[1:6]
want = {}
for ln in open(items):
    iid, age, to = ln.split()
    want[iid] = (int(age) > 3600, to.split(','))
out = {}          # (iid, rcpt) -> list of outcomes
copies = {}
def add(iid, rcpt, what):
    out.setdefault((iid, rcpt), []).append(what)
for f in os.listdir(prim):
    if not re.fullmatch(r'msg\.\d+', f):
        continue
    d = open(os.path.join(prim, f), 'rb').read()
    m = re.search(rb'^Message-ID: <([0-9a-f.]+)@origin\.test>\r$', d, re.M)
    if not m or m.group(1).decode() not in want:
        continue
    iid = m.group(1).decode()
    copies[iid] = copies.get(iid, 0) + 1
    for ln in open(os.path.join(prim, f + '.env')):
        if ln.startswith('RCPT TO:<'):
            add(iid, ln[9:ln.index('>')], 'delivered')
reports = {}
for f in os.listdir(origin):
    if not re.fullmatch(r'msg\.\d+', f):
        continue
    d = open(os.path.join(origin, f), 'rb').read().replace(b'\r\n', b'\n')
    m = re.search(rb'^Message-ID: <([0-9a-f.]+)@origin\.test>$', d, re.M)
    if not m or m.group(1).decode() not in want:
        continue
    iid = m.group(1).decode()
    reports[iid] = reports.get(iid, 0) + 1
    for fr, st in re.findall(rb'^Final-Recipient: rfc822; ?(\S+)\n(?:[A-Za-z-]+: [^\n]*\n)*?Status: (\S+)$', d, re.M):
        add(iid, fr.decode(), 'report ' + st.decode())
for ln in open(left):
    iid, rc = ln.split()
    for a in rc.strip(',').split(','):
        add(iid, a, 'queued')
bad = 0
stats = {}
for iid, (old, rcpts) in sorted(want.items()):
    if copies.get(iid, 0) > 1:
        print('delivered %d times: %s' % (copies[iid], iid)); bad += 1
    for a in rcpts:
        o = out.pop((iid, a), [])
        stats[' + '.join(o) or 'nothing'] = stats.get(' + '.join(o) or 'nothing', 0) + 1
        if len(o) != 1:
            print('%s %s (%s): %s' % (iid, a, 'expired' if old else 'live',
                                      ' + '.join(o) or 'nothing: lost'))
            bad += 1
            continue
        o = o[0]
        okk = {'alice@example.com': ['delivered'] + (['report 4.4.7'] if old else []),
               'bob@example.com': ['report 5.1.1'] + (['report 4.4.7'] if old else []),
               'carol@example.com': ['report 4.4.7'] if old else ['queued']}[a]
        if o not in okk:
            print('%s %s (%s): %s, not one of %s' % (iid, a, 'expired' if old else 'live', o, okk))
            bad += 1
for k, v in out.items():
    print('unexpected: %s %s' % (k, v)); bad += 1
for k in sorted(stats):
    print('# %s: %d' % (k, stats[k]))
print('# reports: %d for %d messages' % (sum(reports.values()), len(reports)))
print('bad %d' % bad)
EOF
	grep '^# ' "$T/acct.$r" | sed "s/^# /# round $r: /"
	grep -v '^# \|^bad ' "$T/acct.$r" | head -n 10 | sed 's/^/#   /'
	is "$(sed -n 's/^bad //p' "$T/acct.$r")" 0 \
	    "round $r: each recipient of the 36 messages has exactly one outcome (delivered once, one report, or still queued): nothing twice, nothing lost"
	# the primary and the origin server keep their files: mark this round's
	rm -f "$F"/msg.* "$O"/msg.*
	r=$((r + 1))
done

done_testing
