#!/bin/sh
# Power loss during expiry: a message is returned to its sender or kept,
# never both lost.
#
# 300 messages for example.org (primary down, lifetime 3 s) are queued on
# disk (no layer) and left to age past their lifetime. Each round copies
# that queue, puts the power-loss layer (strict model) over the copy and
# runs snf-expire on it, again and again, until the power is cut at a
# random moment (0.1 to 0.8 s). Then each message is whole in
# queue/mail/example.org/, or a whole delivery report to its sender in
# queue/mail/origin.test/ quotes its Message-ID: lost 0, damaged 0.
# Reports queued twice (the message came back after the cut and expires
# again) are counted, not wrong. SNF_POWER_CUTS sets the rounds (3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"
. "$(dirname "$0")/powerlib.sh"

if ! power_can >"$T/why"; then
	skip "power cuts during expiry" "$(cat "$T/why")"
	done_testing
	exit
fi
if ! command -v snf-expire >/dev/null 2>&1; then
	skip "power cuts during expiry" "no snf-expire"
	done_testing
	exit
fi

S=$T/seed
mkroot "$S"
echo 1000 >"$S/control/harderrors"
mkdir -p "$S/domains/example.org"
echo userprotect >"$S/domains/example.org/mode"
echo dora >"$S/domains/example.org/users"
echo 127.0.0.1:1 >"$S/domains/example.org/primary"
echo 3s >"$S/domains/example.org/lifetime"
power_seed "$S" 300 "$T/seedc" dora@example.org=1
ok $? "$(wc -l <"$T/seedc/acked" | tr -d ' ') messages for example.org queued on disk first"
sleep 5	# past the lifetime, counted in whole seconds

M=$T/mnt
i=0
while [ $i -lt "$CUTS" ]; do
	i=$((i + 1))
	D=$T/disk.$i
	cp -a "$S" "$D"
	power_mount "$D" "$M" || { echo "# round $i: no mount"; break; }
	group_start sh -c 'i=0
while [ $i -lt 200 ]; do
	snf-expire -d "$1" >>"$2" 2>>"$3"
	i=$((i + 1))
done' sh "$M" "$T/expire.out" "$T/expire.log"
	sleep "$(rand_between 1 8 | sed 's/^.$/0&/; s/.$/.&/')"
	power_cut || echo "# round $i: the cut failed: $PFS_CUT"
	power_kill_groups
	power_umount
	python3 "$PCHECK" --root "$D" --reports --sent "$T/seedc/sent" \
	    --acked "$T/seedc/acked" --out "$T/chk.$i" >"$T/f.$i"
	power_figures expire "$T/f.$i"
	echo "# cut $i: $(cat "$T/f.$i"), $(queue_count "$D" example.org) left, $(queue_count "$D" origin.test) reports"
	sed 's/^/#   lost: /' "$T/chk.$i.lost" | head -n 3
	sed 's/^/#   damaged: /' "$T/chk.$i.damaged" | head -n 3
done

acked=$(power_total expire acked)
lost=$(power_total expire lost)
damaged=$(power_total expire damaged)
reports=$(cat "$T"/disk.*/queue/mail/origin.test/* 2>/dev/null | grep -c '^Message-ID: <fc\.')
[ "$reports" -gt 0 ]
ok $? "delivery reports snf-expire queued survive the cuts ($reports quote a message)"
is "$lost" 0 "every message is kept or returned after each cut (lost $lost of $acked)"
is "$damaged" 0 "no item is damaged (damaged $damaged)"
echo "# messages both kept and returned (the removal undone by the cut: a second report later): $(power_total expire dups)"
echo "# cuts: $CUTS, messages: $acked, lost: $lost, damaged: $damaged"
done_testing
