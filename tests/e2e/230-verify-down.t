#!/bin/sh
# The down memo: a primary that takes the connection and never greets
# costs one callout timeout for a flood of RCPTs, not one each; after
# callout_down a new callout is made. And the RCPTs of one transaction
# share one callout connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"

R=$T/root
vroot "$R"
echo 2 >"$R/control/callout_timeout"
echo 4 >"$R/control/callout_down"
start_fake mute --no-greet || echo "# fakesmtp did not start"
F=$T/mute
set_primary "$R" "127.0.0.1:$FPORT"
# a live positive and a live negative still decide while it is down
snf-verify -d "$R" add known@example.net >/dev/null
snf-verify -d "$R" add gone@example.net negative >/dev/null
dset "$R" positive_refresh 0
dset "$R" negative_refresh 0

# twenty unknown users in one session
{
	printf '< 220\n> EHLO client.test\n< 250\n> MAIL FROM:<s@origin.test>\n< 250\n'
	i=1
	while [ $i -le 20 ]; do
		printf '> RCPT TO:<user%d@example.net>\n< 451 4.4.3 \n' $i
		i=$((i + 1))
	done
	printf '> RCPT TO:<known@example.net>\n< 250 2.1.5 \n'
	printf '> RCPT TO:<gone@example.net>\n< 550 5.1.1 \n'
	printf '> QUIT\n< 221\neof\n'
} >"$T/flood"
t0=$(now)
chat_ok "$R" "20 RCPTs for unknown users while the primary is mute: 451 4.4.3 each; known 250, gone 550" <"$T/flood"
el=$(elapsed "$t0")
lt "$el" 5.5
ok $? "the session took about one callout timeout (${el}s < 2 x 2 s + slack)"
is "$(nconn "$F")" 1 "the primary saw one connection"
lt 1.8 "$el"
ok $? "... and that one callout waited for its timeout (${el}s)"
grep -q '^[0-9]* ' "$R/cache/example.net/.down"
ok $? "cache/example.net/.down records the primary as down"
is "$(snf-verify -d "$R" list | wc -l | tr -d ' ')" 2 "nothing recorded for the 20 users"

# twenty separate snf-verify runs
clear_down "$R"
t0=$(now)
bad=0
i=1
while [ $i -le 20 ]; do
	out=$(snf-verify -d "$R" "other$i@example.net")
	rc=$?
	case "$rc $out" in
	"111 defer other$i@example.net: no live record and the primary cannot answer: "*) ;;
	*) bad=$((bad + 1)); echo "# run $i: exit $rc: $out" ;;
	esac
	i=$((i + 1))
done
el=$(elapsed "$t0")
is "$bad" 0 "20 snf-verify runs: exit 111 and defer each"
lt "$el" 5.5
ok $? "the 20 runs took about one callout timeout (${el}s)"
is "$(nconn "$F")" 2 "the primary saw one more connection"
out=$(snf-verify -d "$R" other1@example.net)
case "$out" in
*"(remembered as down)") ok 0 "the reason says: remembered as down" ;;
*) ok 1 "the reason says: remembered as down"; echo "#   $out" ;;
esac

# twenty snf-verify runs at once: at most callout_max (4) callouts
clear_down "$R"
c0=$(nconn "$F")
t0=$(now)
i=1
pids=""
while [ $i -le 20 ]; do
	snf-verify -d "$R" "par$i@example.net" >"$T/par.$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
bad=0
for p in $pids; do
	wait "$p" || [ $? -eq 111 ] || bad=$((bad + 1))
done
el=$(elapsed "$t0")
is "$bad $(cat "$T"/par.* | grep -c '^defer ' | tr -d ' ')" "0 20" "20 runs at once: each exits 111, defer"
lt "$el" 5.5
ok $? "20 runs at once took about one callout timeout (${el}s)"
n=$(( $(nconn "$F") - c0 ))
[ "$n" -ge 1 ] && [ "$n" -le 4 ]
ok $? "20 runs at once: between 1 and callout_max (4) connections ($n)"
[ "$(cat "$F/maxconns")" -le 4 ]
ok $? "the mute primary never held more than 4 connections ($(cat "$F/maxconns"))"
grep -q 'callouts to the primary already in flight' "$T"/par.*
ok $? "the others say the callouts are all in flight"

# after callout_down, a new callout
clock_skip 4.2
c0=$(nconn "$F")
t0=$(now)
snf-verify -d "$R" other1@example.net >/dev/null
is "$?" 111 "after callout_down: still defer"
el=$(elapsed "$t0")
is "$(( $(nconn "$F") - c0 ))" 1 "after callout_down: a new callout was made"
lt 1.8 "$el"
ok $? "... which waited for its timeout again (${el}s)"

# the same through snf-smtpd
clock_skip 4.2
rcpt_is "$R" user1@example.net "451 4.4.3 " "after callout_down: snf-smtpd calls out again (451)"
is "$(( $(nconn "$F") - c0 ))" 2 "... one more connection"

# a memo that says longer than callout_down is not believed (a clock
# step, or a lowered setting)
echo "$(( $(date +%s) + 100000 )) stale" >"$R/cache/example.net/.down"
snf-verify -d "$R" other2@example.net >/dev/null
is "$(( $(nconn "$F") - c0 ))" 3 "a .down far past callout_down is ignored: callout made"

# --- the memo lasts callout_down from when the primary was found down
# (the end of the failed callout), not from when the decision began:
# with callout_down no longer than the failed callout, it still holds
set_primary "$R" "127.0.0.1:$(cat "$F/port")"
echo 2 >"$R/control/callout_down"
clear_down "$R"
c0=$(nconn "$F")
{
	printf '< 220\n> EHLO client.test\n< 250\n> MAIL FROM:<s@origin.test>\n< 250\n'
	for i in 1 2 3; do
		printf '> RCPT TO:<memo%d@example.net>\n< 451 4.4.3 \n' $i
	done
	printf '> QUIT\n< 221\neof\n'
} >"$T/memo.script"
t0=$(now)
chat_ok "$R" "callout_down 2 = callout_timeout 2, 3 RCPTs: 451 4.4.3 each" <"$T/memo.script"
el=$(elapsed "$t0")
is "$(( $(nconn "$F") - c0 ))" 1 "... one callout, the others remembered as down"
lt "$el" 5
ok $? "... in less than 2 timeouts + slack (${el}s)"
echo 4 >"$R/control/callout_down"

# --- a primary that greets, takes MAIL, and never answers RCPT
start_fake stuck --users a1@example.net --rcpt-delay 30 || echo "# fakesmtp did not start"
K=$T/stuck
set_primary "$R" "127.0.0.1:$FPORT"
fresh "$R" cache
mkdir -p "$R/cache/example.net"
echo "no $(date +%s)" >"$R/cache/example.net/.catchall"	# no probe
svc_own "$R"
echo 1 >"$R/control/callout_timeout"
echo 10 >"$R/control/callout_down"
{
	printf '< 220\n> EHLO client.test\n< 250\n> MAIL FROM:<s@origin.test>\n< 250\n'
	for i in 1 2 3 4 5 6 7 8 9 10; do
		printf '> RCPT TO:<stuck%d@example.net>\n< 451 4.4.3 \n' $i
	done
	printf '> QUIT\n< 221\neof\n'
} >"$T/stuck.script"
t0=$(now)
chat_ok "$R" "10 RCPTs, the primary never answers RCPT: 451 4.4.3 each" <"$T/stuck.script"
el=$(elapsed "$t0")
lt "$el" 3
ok $? "... in less than 2 timeouts + slack (${el}s)"
is "$(nconn "$K")" 1 "... over one callout connection"
# callout_total bounds the whole callout, whatever each step may take
echo 2 >"$R/control/callout_timeout"
echo 3 >"$R/control/callout_total"
clear_down "$R"
t0=$(now)
snf-verify -d "$R" stuck@example.net >/dev/null
is "$?" 111 "callout_timeout 2, callout_total 3, RCPT never answered: defer"
el=$(elapsed "$t0")
lt "$el" 3.5
ok $? "... within callout_total 3 s + slack (took ${el}s)"
rm "$R/control/callout_total"

# --- one callout connection for the RCPTs of a transaction
start_fake live --users a1@example.net,a2@example.net,a3@example.net ||
    echo "# fakesmtp did not start"
L=$T/live
set_primary "$R" "127.0.0.1:$FPORT"
fresh "$R" cache
rcpts_pipe_is "$R" "6 pipelined RCPTs in one transaction: 250 / 550 each as the primary says" \
    "a1@example.net=250 2.1.5 " "x1@example.net=550 5.1.1 " \
    "a2@example.net=250 2.1.5 " "x2@example.net=550 5.1.1 " \
    "a3@example.net=250 2.1.5 " "x3@example.net=550 5.1.1 "
is "$(nconn "$L") $(nrcpt "$L") $(nlog "$L" '^MAIL ')" "1 7 1" \
    "one connection, one MAIL, 6 RCPTs and the catch-all probe"
is "$(nlog "$L" '^QUIT$')" 1 "the callout connection was closed with QUIT"

# a client that waits for each reply: the callout connection (and its
# place among callout_max) is not held while the client is silent
rm -f "$R"/cache/example.net/[0-9a-f]*
c0=$(nconn "$L")
rcpts_is "$R" "3 RCPTs one at a time" "a1@example.net=250 2.1.5 " \
    "x1@example.net=550 5.1.1 " "a2@example.net=250 2.1.5 "
is "$(( $(nconn "$L") - c0 ))" 3 \
    "one callout connection per RCPT when the client waits between them"

# two transactions in one session: one connection each
rm -f "$R"/cache/example.net/[0-9a-f]*
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	for tx in 1 2; do
		printf '> MAIL FROM:<s@origin.test>\n< 250\n'
		printf '>> RCPT TO:<a1@example.net>\\r\\nRCPT TO:<y%d@example.net>\\r\\n\n' $tx
		printf '< 250 2.1.5 \n< 550 5.1.1 \n'
		printf '> RSET\n< 250\n'
	done
	printf '> QUIT\n< 221\neof\n'
} >"$T/two"
rm -f "$R/cache/example.net/$(rec_hash a1@example.net)"
c0=$(nconn "$L")
chat_ok "$R" "two transactions, two RCPTs each" <"$T/two"
is "$(( $(nconn "$L") - c0 ))" 2 "one callout connection per transaction"

# more than 50 RCPTs: a new MAIL FROM on the same connection
echo 100 >"$R/control/maxrcpt"
rm -f "$R"/cache/example.net/[0-9a-f]*
{
	printf '< 220\n> EHLO client.test\n< 250\n> MAIL FROM:<s@origin.test>\n< 250\n>> '
	i=1
	while [ $i -le 60 ]; do
		printf 'RCPT TO:<z%d@example.net>\\r\\n' $i
		i=$((i + 1))
	done
	printf '\n'
	i=1
	while [ $i -le 60 ]; do
		printf '< 550 5.1.1 \n'
		i=$((i + 1))
	done
	printf '> QUIT\n< 221\neof\n'
} >"$T/sixty"
c0=$(nconn "$L")
m0=$(nlog "$L" '^MAIL ')
chat_ok "$R" "60 pipelined RCPTs in one transaction: 550 5.1.1 each" <"$T/sixty"
is "$(( $(nconn "$L") - c0 )) $(( $(nlog "$L" '^MAIL ') - m0 ))" "1 2" \
    "one connection, a new MAIL FROM after 50 RCPTs"
is "$(snf-verify -d "$R" list | grep -c negative | tr -d ' ')" 60 "60 negative records"

done_testing
