#!/bin/sh
# snf-expire beside other processes: two runs at once over 50 expired
# messages send exactly 50 reports; two runs at once warn 20 late
# messages once each; a message locked by another process (as snf-send
# locks what it delivers) is left alone; snf-send and snf-expire at once
# over 30 messages: each is delivered or returned, never both, never
# neither.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/expirelib.sh"

R=$T/root
mkroot "$R"
DAY=86400

# msgids FILES...: the Message-IDs of the originals in reports or
# messages, one a line, sorted.
msgids() {
	cat "$@" 2>/dev/null | tr -d '\r' |
	    sed -n 's/^Message-ID: <\(conc[0-9]*\.[0-9]*\)@origin.test>$/\1/p' | sort
}

# report_files DIR: the bodies of the queued reports, one file each in
# $T/reps/.
report_files() {
	rm -rf "$T/reps"
	mkdir -p "$T/reps"
	for f in $(reports "$1"); do
		qitem_body "$f" >"$T/reps/$(basename "$f")" 2>/dev/null
	done
}

# --- two runs at once over 50 expired messages ------------------------------
queue_many "$R" 50 conc1
ok $? "50 messages are accepted"
is "$(queue_count "$R" example.com)" 50 "50 items in the queue"
echo 1s >"$R/domains/example.com/lifetime"
clock_skip 2
snf-expire -d "$R" >"$T/a.out" 2>"$T/a.log" &
pa=$!
snf-expire -d "$R" >"$T/b.out" 2>"$T/b.log" &
pb=$!
snf-expire -d "$R" >"$T/c.out" 2>"$T/c.log" &
pc=$!
wait $pa
ra=$?
wait $pb
rb=$?
wait $pc
rc=$?
is "$ra$rb$rc" 000 "three runs at once: each exits 0"
is "$(cat "$T/a.out" "$T/b.out" "$T/c.out" | grep -c '^expired	' | tr -d ' ')" 50 \
    "50 expired lines in all"
is "$(cat "$T/a.out" "$T/b.out" "$T/c.out" | cut -f 2 | sort -u | wc -l | tr -d ' ')" 50 \
    "each message said once"
is "$(queue_count "$R" example.com)" 0 "the queue of example.com is empty"
is "$(nreports "$R")" 50 "exactly 50 reports"
report_files "$R"
is "$(msgids "$T"/reps/* | uniq | wc -l | tr -d ' ')" 50 "about 50 different messages"
is "$(msgids "$T"/reps/* | uniq -d)" "" "no message reported twice"
cat "$T/a.log" "$T/b.log" "$T/c.log" >"$T/abc.log"
! grep -q 'warning' "$T/abc.log"
ok $? "no warning in the logs"
rm -f "$R"/queue/mail/origin.test/*

# --- two runs at once over 20 late messages: one warning each ----------------
rm -f "$R/domains/example.com/lifetime"
echo 1d >"$R/domains/example.com/delay_warning"
i=0
while [ $i -lt 20 ]; do
	put_item "$R" example.com $((2 * DAY)) sender@origin.test alice@example.com >/dev/null
	i=$((i + 1))
done
snf-expire -d "$R" >"$T/a.out" 2>"$T/a.log" &
pa=$!
snf-expire -d "$R" >"$T/b.out" 2>"$T/b.log" &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
is "$ra$rb" 00 "two runs at once: both exit 0"
is "$(cat "$T/a.out" "$T/b.out" | grep -c '^warned	' | tr -d ' ')" 20 "20 warned lines in all"
is "$(nreports "$R")" 20 "exactly 20 warnings"
n=0
for f in $(queue_files "$R" example.com); do
	[ "$(qitem_env "$f" 2>/dev/null | grep -c '^W ' | tr -d ' ')" = 1 ] && n=$((n + 1))
done
is "$n" 20 "each of the 20 messages records one warning"
snf-expire -d "$R" >"$T/a.out" 2>"$T/a.log"
is "$?$(cat "$T/a.out")$(nreports "$R")" 020 "a third run: nothing more"
rm -rf "$R/queue/mail"
rm -f "$R/domains/example.com/delay_warning"

# --- a message locked by another process is left alone ----------------------
it=$(put_item "$R" example.com $((6 * DAY)) sender@origin.test alice@example.com)
hold_lock "$it" "$T/locked"
ok $? "another process holds the message's lock"
expire "$R"
is "$?" 0 "a run: exit 0 (busy is not a failure)"
is "$(cat "$T/exp.out")" "" "nothing on stdout"
[ -f "$it" ] && [ "$(nreports "$R")" = 0 ]
ok $? "the message stays, no report"
grep -q "^snf-expire\[[0-9]*\]: busy id=$(basename "$it") domain=example.com: left for the next run$" "$T/exp.log"
ok $? "log: busy id=... left for the next run"
expire "$R" -n
is "$(cut -f 1 "$T/exp.out")" would-expire "-n still says it would go"
kill "$LOCK_PID" 2>/dev/null
wait "$LOCK_PID" 2>/dev/null
expire "$R"
is "$?$(cut -f 1 "$T/exp.out")$(nreports "$R")" 0expired1 "the lock let go: it expires"
rm -f "$R"/queue/mail/origin.test/*

# --- snf-send and snf-expire at once: delivered or returned, never both -------
start_fake primary --rcpt-delay 0.1 || echo "# fakesmtp did not start"
F=$T/primary
primary "$R" "127.0.0.1:$FPORT"
queue_many "$R" 30 conc2
ok $? "30 messages are accepted"
echo 1s >"$R/domains/example.com/lifetime"
clock_skip 2
snf-send -d "$R" -1 example.com 2>"$T/send.log" &
ps=$!
# once snf-send is under way, so that both find work
wait_for 10 test -f "$F/msg.1"
ok $? "snf-send has delivered a first message"
snf-expire -d "$R" >"$T/a.out" 2>"$T/a.log" &
pa=$!
wait $ps
rs=$?
wait $pa
ra=$?
is "$rs$ra" 00 "snf-send -1 and snf-expire at once: both exit 0"
report_files "$R"
msgids "$T"/reps/* >"$T/returned"
msgids "$F"/msg.[0-9]* >"$T/delivered"
nd=$(wc -l <"$T/delivered" | tr -d ' ')
nr=$(wc -l <"$T/returned" | tr -d ' ')
echo "# delivered $nd, returned $nr"
is "$(sort -u "$T/delivered" "$T/returned" | wc -l | tr -d ' ')" 30 \
    "each of the 30 messages is delivered or returned"
is "$(comm -12 "$T/delivered" "$T/returned")" "" "none is both"
is "$((nd + nr))" 30 "none twice"
is "$(queue_count "$R" example.com)" 0 "the queue of example.com is empty"
is "$(grep -c '^expired	' "$T/a.out" | tr -d ' ')" "$nr" "an expired line for each message returned"

done_testing
