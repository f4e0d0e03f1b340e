#!/bin/sh
# Power loss during acceptance: nothing acknowledged is lost.
#
# Each round takes a fresh root folder (no queue/ yet) on the power-loss
# layer (powerfs, strict model: only what was flushed survives, see
# tests/tools/powerfs/powerfs.c), runs snf-smtpd under tcpserver on it,
# and has four clients (faultclient.py) send mail to example.com,
# noting each message that got 250. At a random moment (1 to 3 s) the
# power is cut: the layer fails every later operation and its backing
# folder becomes what a power cut leaves; every program is killed. Then,
# on that folder:
#   - every message that got 250 is in queue/mail/example.com/, whole
#     (trailer and checksums right, byte for byte what was sent): lost 0,
#     damaged 0 (powercheck.py);
#   - snf-queue list reads every item without a warning.
# Odd rounds let the writer use O_TMPFILE (the layer answers it), even
# ones refuse it (powerfs -T), so the named temporary files of queue/tmp/
# are covered too. SNF_POWER_CUTS sets the rounds (3; the long run 20).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"
. "$(dirname "$0")/powerlib.sh"

if ! power_can >"$T/why"; then
	skip "power cuts during acceptance" "$(cat "$T/why")"
	done_testing
	exit
fi

M=$T/mnt
i=0
rounds=0
listwarn=0
tmpfiles=0
fallback=0
while [ $i -lt "$CUTS" ]; do
	i=$((i + 1))
	D=$T/disk.$i
	mkroot "$D"
	echo 1000 >"$D/control/harderrors"
	opt=""
	[ $((i % 2)) -eq 0 ] && opt=-T
	power_mount "$D" "$M" $opt || { echo "# round $i: no mount"; break; }
	group_start tcpserver -1 -R -H -l localhost -b 100 -c 40 127.0.0.1 0 \
	    snf-smtpd -d "$M" >"$T/port.$i" 2>>"$T/server.log"
	wait_for 10 test -s "$T/port.$i"
	mkdir -p "$T/c.$i"
	group_start python3 "$FCLIENT" --port "$(head -n 1 "$T/port.$i")" \
	    --dir "$T/c.$i" --threads 4 --seconds 60 --max 100000 \
	    --big-every 10 >"$T/c.$i.out" 2>&1
	sleep "$(rand_between 10 30 | sed 's/.$/.&/')"
	power_cut || echo "# round $i: the cut failed: $PFS_CUT"
	power_kill_groups
	power_umount
	rounds=$((rounds + 1))
	tmpfiles=$((tmpfiles + $(power_stat tmpfiles)))
	[ -n "$opt" ] && fallback=$((fallback + 1))
	snf-queue -d "$D" list >/dev/null 2>"$T/list.$i"
	listwarn=$((listwarn + $(grep -c 'warning' "$T/list.$i")))
	python3 "$PCHECK" --root "$D" --sent "$T/c.$i/sent" \
	    --acked "$T/c.$i/acked" --out "$T/chk.$i" >"$T/f.$i"
	power_figures accept "$T/f.$i"
	echo "# cut $i${opt:+ (no O_TMPFILE)}: $(cat "$T/f.$i")"
	sed 's/^/#   lost: /' "$T/chk.$i.lost" | head -n 3
	sed 's/^/#   damaged: /' "$T/chk.$i.damaged" | head -n 3
done

acked=$(power_total accept acked)
lost=$(power_total accept lost)
damaged=$(power_total accept damaged)
is "$rounds" "$CUTS" "$CUTS power cuts, each with the durable tree put in place"
[ "$acked" -gt 0 ]
ok $? "the clients got 250 for $acked messages"
is "$lost" 0 "every message that got 250 is in the queue after the cut (lost $lost of $acked)"
is "$damaged" 0 "no item is damaged or differs from what was sent (damaged $damaged)"
is "$listwarn" 0 "snf-queue list reads every item without a warning"
[ "$tmpfiles" -gt 0 ]
ok $? "the writer used O_TMPFILE on the layer ($tmpfiles files)"
if [ "$CUTS" -gt 1 ]; then
	[ "$fallback" -gt 0 ]
	ok $? "$fallback rounds without O_TMPFILE (named files in queue/tmp/)"
fi
echo "# cuts: $rounds, acknowledged: $acked, lost: $lost, damaged: $damaged"
done_testing
