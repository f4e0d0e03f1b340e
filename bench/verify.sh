#!/bin/sh
# verify.sh - recipient verification: RCPT decisions per second of
# snf-smtpd (under tcpserver) for a cloudprotect domain, and of a
# private Postfix backup MX that verifies recipients with the primary
# (reject_unverified_recipient and its verify(8) cache), alternately,
# ROUNDS rounds, all on 127.0.0.1:
#   (a) warm cache: every recipient already has an answer (snf: seeded
#       with snf-verify add; Postfix: probed before the round), so no
#       callout is made;
#   (b) cold cache: the cache is emptied before the round (Postfix:
#       verify_cache removed and Postfix restarted), so every recipient
#       is asked of the primary, tests/tools/fakesmtp.py --users.
# Postfix's smtpd waits for a probe by polling the verify service every
# address_verify_poll_delay (3 s by default; 1 s here, its best), so a
# cold RCPT costs it at least a second: its cold rounds are shorter
# (VBENCH_PF_COLD RCPTs a session), and its cache is warmed by 100
# sessions at once.
#
#   sh bench/verify.sh [ROUNDS]                 (default 3)
#   VBENCH_SESSIONS=10 VBENCH_RCPTS=500 VBENCH_BATCH=50 VBENCH_USERS=1000
#   VBENCH_CALLOUT_MAX=64 VBENCH_PF_COLD=20     the defaults
. "$(dirname "$0")/lib.sh"
need
ROUNDS=${1:-3}
SESSIONS=${VBENCH_SESSIONS:-10}
RCPTS=${VBENCH_RCPTS:-500}
BATCH=${VBENCH_BATCH:-50}
USERS=${VBENCH_USERS:-1000}
CMAX=${VBENCH_CALLOUT_MAX:-64}
PFCOLD=${VBENCH_PF_COLD:-20}
TOTAL=$((SESSIONS * RCPTS))
LOAD=$SNF_TOP/bench/tools/rcptload.py
SNFPORT=$(free_port)
PFPORT=$(free_port)

# the primary knows the even users of both sets: one RCPT in two is 250,
# the other 550 (--users takes a list; repeated by 500s)
python3 -c '
import sys
t, w = int(sys.argv[1]), int(sys.argv[2])
us = ["cuser%d@example.net" % i for i in range(0, t, 2)]
us += ["wuser%d@example.net" % i for i in range(0, w, 2)]
for i in range(0, len(us), 500):
    print("--users")
    print(",".join(us[i:i + 500]))
' "$TOTAL" "$USERS" >"$B/users.args"
mkdir -p "$B/fake"
# shellcheck disable=SC2046
(IFS='
'; exec python3 "$SNF_TOP/tests/tools/fakesmtp.py" --dir "$B/fake" \
    $(cat "$B/users.args")) 2>"$B/fake.err" &
FAKEPID=$!
PIDS="$PIDS $FAKEPID"
i=0
while [ ! -s "$B/fake/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
FPORT=$(cat "$B/fake/port" 2>/dev/null)
[ -n "$FPORT" ] || die "fakesmtp did not start: $(cat "$B/fake.err")"

# snf: example.net, cloudprotect, its primary the fake one
R=$B/snf
mkdir -p "$R/control" "$R/domains/example.net"
echo bench.invalid >"$R/control/me"
echo 0 >"$R/control/errorsleep"	# as smtpd_error_sleep_time = 0
echo 100000000 >"$R/control/harderrors"	# 550s are not errors here
echo "$BATCH" >"$R/control/maxrcpt"
echo "$CMAX" >"$R/control/callout_max"
echo cloudprotect >"$R/domains/example.net/mode"
echo "127.0.0.1:$FPORT" >"$R/domains/example.net/primary"
i=0
while [ $i -lt "$USERS" ]; do
	if [ $((i % 2)) -eq 0 ]; then k=positive; else k=negative; fi
	"$BIN/snf-verify" -d "$R" add "wuser$i@example.net" $k >/dev/null ||
	    die "snf-verify add failed"
	i=$((i + 1))
done
"$BIN/snf-verify" -d "$R" nobody@example.net >/dev/null	# the catch-all probe
cp -a "$R/cache" "$B/cache.warm"	# put back before each warm round
tcpserver -b 200 -c $((SESSIONS + 10)) -H -R -l bench.invalid 127.0.0.1 \
    "$SNFPORT" "$BIN/snf-smtpd" -d "$R" 2>"$B/snf.log" &
PIDS="$PIDS $!"
wait_port "$SNFPORT"

# Postfix: the same domain, the same primary, verified recipients
pf_setup "$PFPORT" "$FPORT"
sed -i -e 's/^relay_domains = .*/relay_domains = example.net/' \
    -e 's/^relay_recipient_maps = .*/relay_recipient_maps =/' \
    -e "s/example.com=smtp/example.net=smtp/" \
    -e 's/^smtpd_recipient_restrictions = .*/smtpd_recipient_restrictions = reject_unauth_destination, reject_unverified_recipient/' \
    "$B/pf/conf/main.cf"
cat >>"$B/pf/conf/main.cf" <<EOT
unverified_recipient_reject_code = 550
address_verify_negative_cache = yes
smtpd_client_connection_count_limit = 0
smtpd_hard_error_limit = 100000
smtpd_error_sleep_time = 0
smtpd_recipient_limit = $BATCH
address_verify_poll_delay = 1s
EOT
pf_start "$PFPORT"

# load PORT SESSIONS RCPTS PATTERN [MOD]: one timed load; its line
load() {
	python3 "$LOAD" "$1" "$2" "$3" "$BATCH" "$4" ${5:+"$5"} 2>&1 ||
	    echo "load failed: $*"
}
rate() {
	echo "$1" | sed -n 's/.* rate \([0-9]*\).*/\1/p'
}
callouts() {	# connections the primary has had so far
	grep -c '^connect$' "$B/fake/log" 2>/dev/null
}
# pf_warm: every wuser asked of Postfix by 100 sessions at once, until
# it decides them all (at most 5 tries: its probes run in the background)
pf_warm() {
	_t=0
	while [ $_t -lt 5 ]; do
		load "$PFPORT" 100 $(((USERS + 99) / 100)) 'wuser%d@example.net' \
		    "$USERS" | grep -q ' 4[0-9][0-9]=\|failed' || return 0
		sleep 2
		_t=$((_t + 1))
	done
	echo "# Postfix did not decide every warm recipient in 5 tries"
}

echo "# recipient verification, snf and Postfix alternately, $ROUNDS rounds"
echo "# Machine: $(machine)"
echo "# Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# $SESSIONS sessions at once x $RCPTS RCPTs, MAIL + $BATCH RCPTs + RSET pipelined per write"
echo "# (a) warm: $USERS recipients, all known to the cache; (b) cold: $TOTAL new ones (Postfix: $((SESSIONS * PFCOLD)))"
echo "# primary: tests/tools/fakesmtp.py on 127.0.0.1 (half the users known); snf callout_max $CMAX"
sa="" pa="" sb="" pb=""
r=1
while [ "$r" -le "$ROUNDS" ]; do
	rm -rf "$R/cache"
	cp -a "$B/cache.warm" "$R/cache"
	c0=$(callouts)
	l=$(load "$SNFPORT" "$SESSIONS" "$RCPTS" 'wuser%d@example.net' "$USERS")
	echo "snf     (a) round $r: $l; callouts $(($(callouts) - c0))"
	sa="$sa $(rate "$l")"

	pf_warm
	c0=$(callouts)
	l=$(load "$PFPORT" "$SESSIONS" "$RCPTS" 'wuser%d@example.net' "$USERS")
	echo "Postfix (a) round $r: $l; callouts $(($(callouts) - c0))"
	pa="$pa $(rate "$l")"

	rm -rf "$R/cache"
	c0=$(callouts)
	l=$(load "$SNFPORT" "$SESSIONS" "$RCPTS" 'cuser%d@example.net')
	echo "snf     (b) round $r: $l; callouts $(($(callouts) - c0))"
	sb="$sb $(rate "$l")"

	pf_stop
	rm -f "$B/pf/data/verify_cache"*
	pf_start "$PFPORT"
	c0=$(callouts)
	l=$(load "$PFPORT" "$SESSIONS" "$PFCOLD" 'cuser%d@example.net')
	echo "Postfix (b) round $r: $l; callouts $(($(callouts) - c0))"
	pb="$pb $(rate "$l")"
	r=$((r + 1))
done
# shellcheck disable=SC2086
{
	echo
	echo "| RCPT decisions/s (median) | snf | Postfix | snf/Postfix |"
	echo "|---|---:|---:|---:|"
	for c in a b; do
		if [ $c = a ]; then s=$(median $sa) p=$(median $pa) n="(a) warm cache"
		else s=$(median $sb) p=$(median $pb) n="(b) cold cache, callouts"; fi
		echo "| $n | $s | $p | $(echo "$s $p" | awk '{ printf "%.1f", ($2 > 0 ? $1 / $2 : 0) }') |"
	done
}
