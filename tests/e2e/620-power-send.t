#!/bin/sh
# Power loss during delivery: a message delivered may be delivered again
# after the cut, never lost.
#
# A queue of 100 messages for example.com is made on disk (no layer),
# then each round copies it, puts the power-loss layer (strict model)
# over the copy, and runs the snf-send service on it towards a primary
# on 127.0.0.1 (fakesmtp.py, 20 ms per RCPT, so the cut lands in the
# middle) until the power is cut at a random moment (0.3 to 2 s). Then:
#   - each message is delivered whole or whole in the queue (lost 0,
#     damaged 0; duplicates are counted, not wrong);
#   - on the layer again, snf-send -1 drains the queue: every message
#     reached the primary at least once, and the queue is empty.
# SNF_POWER_CUTS sets the rounds (3; the long run 20).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"
. "$(dirname "$0")/powerlib.sh"

if ! power_can >"$T/why"; then
	skip "power cuts during delivery" "$(cat "$T/why")"
	done_testing
	exit
fi

S=$T/seed
mkroot "$S"
echo 1000 >"$S/control/harderrors"
echo 1 >"$S/control/backoff_min"
echo 2 >"$S/control/backoff_max"
power_seed "$S" 100 "$T/seedc"
ok $? "$(wc -l <"$T/seedc/acked" | tr -d ' ') messages queued on disk first"

M=$T/mnt
i=0
drained=0
while [ $i -lt "$CUTS" ]; do
	i=$((i + 1))
	D=$T/disk.$i
	cp -a "$S" "$D"
	start_fake "prim.$i" --rcpt-delay 0.02 || echo "# no fakesmtp"
	primary "$D" "127.0.0.1:$FPORT"
	power_mount "$D" "$M" || { echo "# round $i: no mount"; break; }
	group_start sh -c 'exec snf-send -d "$1" 2>>"$2"' sh "$M" "$SENDLOG"
	sleep "$(rand_between 3 20 | sed 's/^.$/0&/; s/.$/.&/')"
	power_cut || echo "# round $i: the cut failed: $PFS_CUT"
	power_kill_groups
	power_umount
	python3 "$PCHECK" --root "$D" --sent "$T/seedc/sent" \
	    --acked "$T/seedc/acked" --delivered "$T/prim.$i" \
	    --out "$T/chk.$i" >"$T/f.$i"
	power_figures send "$T/f.$i"
	echo "# cut $i: $(cat "$T/f.$i")"
	sed 's/^/#   lost: /' "$T/chk.$i.lost" | head -n 3
	sed 's/^/#   damaged: /' "$T/chk.$i.damaged" | head -n 3
	# after the cut: the service drains what is left
	power_mount "$D" "$M" || { echo "# round $i: no second mount"; break; }
	timeout 60 snf-send -d "$M" -1 example.com 2>>"$SENDLOG"
	power_umount
	python3 "$PCHECK" --root "$D" --sent "$T/seedc/sent" \
	    --acked "$T/seedc/acked" --delivered "$T/prim.$i" \
	    --out "$T/chk2.$i" >"$T/g.$i"
	power_figures drain "$T/g.$i"
	echo "# drained $i: $(cat "$T/g.$i")"
	[ "$(queue_count "$D")" -eq 0 ] && drained=$((drained + 1))
	stop_pid "$FPID"
done

acked=$(power_total send acked)
lost=$(power_total send lost)
damaged=$(power_total send damaged)
delivered=$(power_total send delivered)
is "$(power_total send found)" "$acked" "after each of $CUTS cuts, every message is delivered or in the queue ($delivered delivered before the cut)"
is "$lost" 0 "lost: $lost of $acked"
is "$damaged" 0 "damaged: $damaged"
is "$(power_total drain lost)" 0 "after the drain every message reached the primary"
is "$(power_total drain damaged)" 0 "nothing damaged after the drain"
is "$drained" "$CUTS" "the queue is empty after each drain"
echo "# duplicates (delivered again after the cut): $(power_total drain dups)"
echo "# cuts: $CUTS, messages: $acked, lost: $lost, damaged: $damaged"
done_testing
