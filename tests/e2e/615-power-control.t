#!/bin/sh
# The control: the power-loss layer finds a loss when there is one.
#
# A deliberately weak writer, snf-smtpd with tests/tools/nodirsync.c
# preloaded (fsync of a folder does nothing, so no new name is ever
# flushed; files still are), accepts mail on the layer (strict model)
# into a root folder whose queue folders are already on disk, and the
# power is cut at a random moment (1 to 3 s), SNF_POWER_CUTS times (3):
# the layer must find acknowledged messages lost. The same program
# without the shim, on the same kind of root folder, loses nothing in
# one more round: the loss is the missing folder flush, nothing else.
# The programs must be linked dynamically for the shim (faultlib's
# dyn_build makes such a build in $T when bin/ is static).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"
. "$(dirname "$0")/powerlib.sh"

if ! power_can >"$T/why"; then
	skip "the weak-writer control" "$(cat "$T/why")"
	done_testing
	exit
fi
SHIM=$T/nodirsync.so
if ! cc -shared -fPIC -o "$SHIM" "$SNF_TOP/tests/tools/nodirsync.c" ||
    ! dyn_build; then
	skip "the weak-writer control" "no dynamic build for LD_PRELOAD"
	done_testing
	exit
fi

M=$T/mnt
# round WEAK N: one round, with the shim when WEAK is "weak"
round() {
	D=$T/disk.$2
	mkroot "$D"
	echo 1000 >"$D/control/harderrors"
	mkdir -p "$D/queue/tmp" "$D/queue/mail/example.com"
	svc_own "$D"
	power_mount "$D" "$M" || return 1
	if [ "$1" = weak ]; then
		# shellcheck disable=SC2086
		group_start env LD_PRELOAD="$SHIM" tcpserver -1 -R -H -l localhost \
		    -b 100 -c 40 $TCP_SVC 127.0.0.1 0 "$DYN/snf-smtpd" -d "$M" \
		    >"$T/port.$2" 2>>"$T/server.log"
	else
		# shellcheck disable=SC2086
		group_start tcpserver -1 -R -H -l localhost -b 100 -c 40 \
		    $TCP_SVC 127.0.0.1 0 "$DYN/snf-smtpd" -d "$M" \
		    >"$T/port.$2" 2>>"$T/server.log"
	fi
	wait_for 10 test -s "$T/port.$2"
	mkdir -p "$T/c.$2"
	group_start python3 "$FCLIENT" --port "$(head -n 1 "$T/port.$2")" \
	    --dir "$T/c.$2" --threads 4 --seconds 60 --max 100000 \
	    --big-every 10 >"$T/c.$2.out" 2>&1
	sleep "$(rand_between 10 30 | sed 's/.$/.&/')"
	power_cut || echo "# round $2: the cut failed: $PFS_CUT"
	power_kill_groups
	power_umount
	python3 "$PCHECK" --root "$D" --sent "$T/c.$2/sent" \
	    --acked "$T/c.$2/acked" --out "$T/chk.$2" >"$T/f.$2"
	power_figures "$1" "$T/f.$2"
	echo "# cut $2 ($1 writer): $(cat "$T/f.$2")"
}

i=0
while [ $i -lt "$CUTS" ]; do
	i=$((i + 1))
	round weak $i || echo "# round $i: no mount"
done
round strong $((i + 1)) || echo "# the last round: no mount"

acked=$(power_total weak acked)
lost=$(power_total weak lost)
[ "$acked" -gt 0 ]
ok $? "the weak writer got 250 for $acked messages"
[ "$lost" -gt 0 ]
ok $? "the layer finds the weak writer's loss: $lost of $acked acknowledged messages lost"
sacked=$(power_total strong acked)
slost=$(power_total strong lost)
[ "$sacked" -gt 0 ] && [ "$slost" -eq 0 ]
ok $? "the same writer with its folder flushes loses nothing ($slost of $sacked)"
echo "# weak writer: cuts: $CUTS, acknowledged: $acked, lost: $lost, damaged: $(power_total weak damaged)"
echo "# whole writer: cuts: 1, acknowledged: $sacked, lost: $slost, damaged: $(power_total strong damaged)"
done_testing
