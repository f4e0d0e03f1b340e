#!/bin/sh
# Power loss and the files that are not mail: the recipient cache
# (cache/D/) and the delivery state (queue/state/D) never come back
# from a cut saying something false.
#
# Each round takes a fresh root folder on the power-loss layer. Its
# example.net is cloudprotect, with a primary on 127.0.0.1 (fakesmtp)
# that knows alice@example.net and nobody else, and cache lifetimes of
# 1 s, so records are written again and again; clients send mail to
# alice@example.net (a callout, then 250) and to bob@example.net (550
# 5.1.1). Its example.com primary is down, and the snf-send service
# keeps trying it, writing queue/state/example.com. At a random moment
# (1 to 3 s) the power is cut; odd rounds on the strict model, even ones
# on the journal model (names durable at any flush, data only at the
# file's own). Then, with the primary of example.net down:
#   - alice@example.net is never refused for good: RCPT gets 250 or 451,
#     never 5xx (a cache record never makes a valid recipient invalid);
#   - every cache record is empty (a lost record) or a whole record for
#     the address it is named for, positive for alice, negative for bob;
#   - queue/state/example.com is absent or whole, and never says up;
#   - every message that got 250 is queued whole or was delivered to
#     the primary of example.net (lost 0, damaged 0).
# SNF_POWER_CUTS sets the rounds (3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"
. "$(dirname "$0")/powerlib.sh"

if ! power_can >"$T/why"; then
	skip "power cuts and the cache and state files" "$(cat "$T/why")"
	done_testing
	exit
fi

# rcpt_code ROOT ADDR: the reply code snf-smtpd gives RCPT TO:<ADDR>
rcpt_code() {
	timeout 60 python3 - "$1" "$2" <<'PYEOF'
import subprocess, sys
p = subprocess.Popen(['snf-smtpd', '-d', sys.argv[1]], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def reply():
    while True:
        ln = p.stdout.readline()
        if len(ln) < 4 or ln[3:4] != b'-':
            return ln[:3].decode()
code = reply()
for cmd in ('EHLO c.test', 'MAIL FROM:<s@origin.test>',
            'RCPT TO:<%s>' % sys.argv[2]):
    p.stdin.write(cmd.encode() + b'\r\n')
    p.stdin.flush()
    code = reply()
print(code)
p.stdin.write(b'QUIT\r\n')
p.stdin.close()
p.wait()
PYEOF
}

# cache_bad ROOT: the cache records that are neither empty nor a whole
# record true of their address, one a line.
cache_bad() {
	python3 - "$1" <<'PYEOF'
import hashlib, os, re, sys
root = sys.argv[1]
truth = {'alice@example.net': 'positive', 'bob@example.net': 'negative'}
d = os.path.join(root, 'cache', 'example.net')
names = {hashlib.sha256(k.encode()).hexdigest(): k for k in truth}
for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
    if f.startswith('.'):
        continue    # .down, temporary files
    t = open(os.path.join(d, f), 'rb').read()
    if t == b'':
        continue
    m = re.fullmatch(rb'(positive|negative) (\d+) (\S+)\n', t)
    key = names.get(f)
    if not m or key is None or m.group(3).decode() != key or \
            m.group(1).decode() != truth[key]:
        print('%s %r' % (f, t[:80]))
PYEOF
}

M=$T/mnt
i=0
alice_refused=0
cbad=0
sbad=0
states=0
while [ $i -lt "$CUTS" ]; do
	i=$((i + 1))
	D=$T/disk.$i
	mkroot "$D"
	echo 1000 >"$D/control/harderrors"
	echo 1 >"$D/control/backoff_min"
	echo 1 >"$D/control/backoff_max"
	echo 1 >"$D/domains/example.net/positive_ttl"
	echo 1 >"$D/domains/example.net/negative_ttl"
	echo 0 >"$D/control/callout_down"
	primary "$D" 127.0.0.1:1
	start_fake "prim.$i" --users alice@example.net || echo "# no fakesmtp"
	echo "127.0.0.1:$FPORT" >"$D/domains/example.net/primary"
	model=strict
	[ $((i % 2)) -eq 0 ] && model=journal
	power_mount "$D" "$M" -m $model || { echo "# round $i: no mount"; break; }
	group_start tcpserver -1 -R -H -l localhost -b 100 -c 40 127.0.0.1 0 \
	    snf-smtpd -d "$M" >"$T/port.$i" 2>>"$T/server.log"
	wait_for 10 test -s "$T/port.$i"
	mkdir -p "$T/c.$i"
	group_start python3 "$FCLIENT" --port "$(head -n 1 "$T/port.$i")" \
	    --dir "$T/c.$i" --threads 4 --seconds 60 --max 100000 \
	    --rcpt alice@example.net=3 --rcpt bob@example.net=1 \
	    --rcpt alice@example.com=1 >"$T/c.$i.out" 2>&1
	group_start sh -c 'exec snf-send -d "$1" 2>>"$2"' sh "$M" "$SENDLOG"
	sleep "$(rand_between 10 30 | sed 's/.$/.&/')"
	power_cut || echo "# round $i: the cut failed: $PFS_CUT"
	power_kill_groups
	power_umount
	stop_pid "$FPID"
	echo 127.0.0.1:1 >"$D/domains/example.net/primary"	# down now
	code=$(rcpt_code "$D" alice@example.net)
	case "$code" in 5*) alice_refused=$((alice_refused + 1)) ;; esac
	cache_bad "$D" >"$T/cbad.$i"
	cbad=$((cbad + $(wc -l <"$T/cbad.$i")))
	st=$D/queue/state/example.com
	if [ -f "$st" ]; then
		states=$((states + 1))
		if grep -q '^state=up$' "$st" ||
		    [ "$(grep -c '^[a-z]*=' "$st")" -ne 11 ]; then
			sbad=$((sbad + 1))
			sed 's/^/#   state: /' "$st"
		fi
	fi
	python3 "$PCHECK" --root "$D" --sent "$T/c.$i/sent" \
	    --acked "$T/c.$i/acked" --delivered "$T/prim.$i" \
	    --out "$T/chk.$i" >"$T/f.$i"
	power_figures state "$T/f.$i"
	echo "# cut $i ($model): alice@example.net $code, $(find "$D/cache" -type f 2>/dev/null | wc -l | tr -d ' ') cache files, state file: $( [ -f "$st" ] && sed -n 's/^state=//p' "$st" || echo none); $(cat "$T/f.$i")"
	sed 's/^/#   bad record: /' "$T/cbad.$i" | head -n 3
	sed 's/^/#   lost: /' "$T/chk.$i.lost" | head -n 3
done

is "$alice_refused" 0 "after each cut a valid recipient is never refused for good (5xx in $alice_refused rounds)"
is "$cbad" 0 "every cache record left is empty or true of its address"
is "$sbad" 0 "queue/state/example.com is whole and never says up ($states rounds had one)"
is "$(power_total state lost)" 0 "every message that got 250 is queued or delivered (lost $(power_total state lost) of $(power_total state acked))"
is "$(power_total state damaged)" 0 "no item is damaged"
echo "# cuts: $CUTS, acknowledged: $(power_total state acked), lost: $(power_total state lost), damaged: $(power_total state damaged), bad cache records: $cbad, bad state files: $sbad"
done_testing
