#!/bin/sh
# Power loss while the operator moves mail: hold, unhold, requeue and
# release never lose a message.
#
# A queue of 60 messages for example.com is made on disk (no layer);
# each round copies it, puts the power-loss layer (strict model) over
# the copy, and runs at once snf-smtpd under tcpserver with a client
# sending more mail (its commits flush queue/mail/example.com/) and an
# operator that runs snf-queue hold and unhold on random handfuls of
# messages (-i), requeue and release, one after the other, until the
# power is cut at a random moment (1 to 3 s). Then every message queued
# first and every one that got 250 since is whole in queue/mail/ or
# queue/hold/: lost 0, damaged 0. SNF_POWER_CUTS sets the rounds (3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"
. "$(dirname "$0")/powerlib.sh"

if ! power_can >"$T/why"; then
	skip "power cuts during snf-queue verbs" "$(cat "$T/why")"
	done_testing
	exit
fi

cat >"$T/op.py" <<'PYEOF'
import os, random, subprocess, sys, time
root, log, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
rng = random.Random()
end = time.time() + seconds
def ids(top):
    try:
        return os.listdir(os.path.join(root, 'queue', top, 'example.com'))
    except OSError:
        return []
for n in range(3000):
    if time.time() > end:
        break
    verb = rng.choice(['hold', 'hold', 'unhold', 'unhold', 'requeue',
                       'release'])
    args = ['snf-queue', '-d', root, verb]
    if verb in ('hold', 'unhold'):
        pool = ids('mail' if verb == 'hold' else 'hold')
        pick = rng.sample(pool, min(len(pool), rng.randint(1, 10)))
        if not pick:
            continue
        for i in pick:
            args += ['-i', i]
    r = subprocess.run(args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    with open(log, 'a') as f:
        f.write('%s %d\n' % (verb, r.returncode))
PYEOF

S=$T/seed
mkroot "$S"
echo 1000 >"$S/control/harderrors"
primary "$S" 127.0.0.1:1
power_seed "$S" 60 "$T/seedc"
ok $? "$(wc -l <"$T/seedc/acked" | tr -d ' ') messages queued on disk first"

M=$T/mnt
i=0
while [ $i -lt "$CUTS" ]; do
	i=$((i + 1))
	D=$T/disk.$i
	cp -a "$S" "$D"
	power_mount "$D" "$M" || { echo "# round $i: no mount"; break; }
	group_start tcpserver -1 -R -H -l localhost -b 100 -c 40 127.0.0.1 0 \
	    snf-smtpd -d "$M" >"$T/port.$i" 2>>"$T/server.log"
	wait_for 10 test -s "$T/port.$i"
	mkdir -p "$T/c.$i"
	group_start python3 "$FCLIENT" --port "$(head -n 1 "$T/port.$i")" \
	    --dir "$T/c.$i" --threads 2 --seconds 60 --max 100000 \
	    --big-every 10 >"$T/c.$i.out" 2>&1
	group_start python3 "$T/op.py" "$M" "$T/ops.$i" 60
	sleep "$(rand_between 10 30 | sed 's/.$/.&/')"
	power_cut || echo "# round $i: the cut failed: $PFS_CUT"
	power_kill_groups
	power_umount
	python3 "$PCHECK" --root "$D" --hold --sent "$T/seedc/sent" \
	    --sent "$T/c.$i/sent" --acked "$T/seedc/acked" \
	    --out "$T/chk.$i" >"$T/f.$i"
	python3 "$PCHECK" --root "$D" --hold --sent "$T/seedc/sent" \
	    --sent "$T/c.$i/sent" --acked "$T/c.$i/acked" \
	    --out "$T/chkc.$i" >"$T/fc.$i"
	power_figures queue "$T/f.$i"
	power_figures new "$T/fc.$i"
	echo "# cut $i: $(sort "$T/ops.$i" 2>/dev/null | uniq -c | tr -s ' \n' ' ')"
	echo "#   queued first: $(cat "$T/f.$i")"
	echo "#   accepted meanwhile: $(cat "$T/fc.$i")"
	sed 's/^/#   lost: /' "$T/chk.$i.lost" "$T/chkc.$i.lost" | head -n 3
done

acked=$(power_total queue acked)
lost=$(power_total queue lost)
nacked=$(power_total new acked)
nlost=$(power_total new lost)
nops=$(cat "$T"/ops.* 2>/dev/null | wc -l | tr -d ' ')
[ "$nops" -gt 0 ]
ok $? "the operator ran $nops snf-queue verbs"
is "$lost" 0 "every message queued first is in queue/mail/ or queue/hold/ after each cut (lost $lost of $acked)"
is "$nlost" 0 "every message that got 250 meanwhile too (lost $nlost of $nacked)"
is "$(power_total queue damaged)" 0 "no item is damaged or differs from what was sent"
echo "# cuts: $CUTS, messages: $((acked + nacked)), lost: $((lost + nlost)), damaged: $(power_total queue damaged)"
done_testing
