#!/bin/sh
# Faults survived: the wall clock steps (NTP, an operator, a VM resumed).
#
# With libfaketime (the faketime program; it works only on dynamically
# linked programs, and glibc is dynamic in this build: checked with ldd):
#   - expiry counts from the arrival time stored in the envelope: a
#     message expires neither early nor late because the clock jumped
#     (snf-expire under +6d returns it, under -1d or +4d it does not), a
#     file's modification time says nothing of its age, and an arrival in
#     the future (a step back) is an age of 0;
#   - a step back does not hold mail that is due: snf-send's due times
#     (item mtimes, the domain's next attempt) are never further away
#     than control/backoff_max, as snf(7) promises, whatever the clock
#     did;
#   - timeouts run on the monotonic clock: a snf-smtpd session, a
#     snf-send delivery and a snf-verify callout, each under a wall clock
#     that jumps two days forward or one day back in the middle, time out
#     after their own time limit, neither at once nor never;
#   - item names stay unique with the clock stopped.
# Parts that need snf-expire are skipped when it is missing. When the
# programs in bin/ are linked statically (./configure does when it can),
# the test builds the same source again with ./configure --shared-libs in
# its temporary folder (a few seconds) and tests those programs.
#
# SNF_FAULT_ROUNDS sets how many messages are queued with the clock
# stopped (default 30).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"

N=${SNF_FAULT_ROUNDS:-30}
DAY=86400
R=$T/root
mkroot "$R"

if ! libft; then
	skip "wall clock steps" "faketime is not installed (scripts/install-deps)"
	done_testing
	exit
fi
if ! dyn_build; then
	skip "wall clock steps" "the programs are static and a dynamic build failed: libfaketime cannot reach them"
	sed 's/^/# /' "$DYN_LOG" 2>/dev/null | tail -n 5
	done_testing
	exit
fi
# libfaketime reaches only dynamically linked programs: when bin/ holds
# static ones, a private build of the same source, linked dynamically
PATH=$DYN:$PATH
svc_wrap "$DYN"
export PATH
ft_hold	# one shared memory object for libfaketime, removed at the end
ldd "$SMTPD" 2>&1 | grep -q 'libc\.so'
ok $? "the programs under test are linked dynamically ($(dirname "$(command -v snf-smtpd)"))"

# ft SPEC CMD...: CMD under a wall clock moved by SPEC (as faketime -f
# does), the monotonic clock untouched.
ft() {
	_spec=$1
	shift
	env LD_PRELOAD="$LIBFT" FAKETIME="$_spec" FAKETIME_DONT_FAKE_MONOTONIC=1 "$@"
}

# jumping CMD...: CMD with the wall clock read from $T/clock at every
# call (a libfaketime spec such as +0 or +2d): write it to jump.
jumping() {
	env FAKETIME_TIMESTAMP_FILE="$T/clock" FAKETIME_NO_CACHE=1 \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$LIBFT" "$@"
}

# jump_after SECONDS SPEC: in the background, set $T/clock to SPEC.
jump_after() {
	( sleep "$1"; echo "$2" >"$T/clock.new"; mv "$T/clock.new" "$T/clock" ) &
	SERVER_PIDS="$SERVER_PIDS $!"
}

between() {	# between MS LOW HIGH: LOW <= MS <= HIGH
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

ft +2d date +%s >"$T/d.plus"
d=$(( $(cat "$T/d.plus") - $(date +%s) ))
between "$d" $((2 * DAY - 5)) $((2 * DAY + 5))
ok $? "faketime moves the wall clock (+2d gives ${d}s)"

echo +0 >"$T/clock"
jump_after 0.3 +2d
jumping sh -c 'date +%s; sleep 1; date +%s' >"$T/jump.out"
d=$(( $(sed -n 2p "$T/jump.out") - $(sed -n 1p "$T/jump.out") ))
between "$d" $((2 * DAY - 5)) $((2 * DAY + 5))
ok $? "a clock file makes the wall clock jump inside a running program (+2d: ${d}s)"

# --- expiry ---------------------------------------------------------------
if command -v snf-expire >/dev/null 2>&1; then
	. "$(dirname "$0")/expirelib.sh"
	a=$(put_item "$R" example.com 3600 sender@origin.test alice@example.com)
	aid=$(basename "$a")
	expire "$R"
	is "$?,$(cat "$T/exp.out"),$(nreports "$R")" "0,,0" \
	    "a message 1 h old does not expire (lifetime 5 d)"
	ft -1d snf-expire -d "$R" >"$T/exp.out" 2>"$T/exp.log"
	is "$?,$(cat "$T/exp.out"),$(nreports "$R")" "0,,0" \
	    "clock stepped back a day (arrival in the future): nothing expires"
	[ -f "$a" ]
	ok $? "... and the message stays"
	ft +4d snf-expire -d "$R" >"$T/exp.out" 2>"$T/exp.log"
	is "$?,$(cat "$T/exp.out"),$(nreports "$R")" "0,,0" \
	    "clock 4 days ahead (age 4 d 1 h): nothing expires early"
	ft +6d snf-expire -d "$R" -n >"$T/exp.out" 2>"$T/exp.log"
	age=$(cut -f 4 "$T/exp.out")
	is "$(cut -f 1,2 "$T/exp.out")" "$(printf 'would-expire\t%s' "$aid")" \
	    "clock 6 days ahead: -n says it would expire"
	between "${age:-0}" $((6 * DAY + 3600 - 30)) $((6 * DAY + 3600 + 30))
	ok $? "... at an age of 6 d 1 h from its stored arrival (${age:-none}s)"
	ft +6d snf-expire -d "$R" >"$T/exp.out" 2>"$T/exp.log"
	is "$?,$(cut -f 1,2 "$T/exp.out"),$(nreports "$R")" \
	    "$(printf '0,expired\t%s,1' "$aid")" \
	    "clock 6 days ahead: it expires, one report is queued"
	rm -rf "$R/queue/mail/origin.test"

	# the mtime (the next delivery time) says nothing of the age
	b=$(put_item "$R" example.com 60 sender@origin.test bob@example.com)
	touch -d '30 days ago' "$b"
	expire "$R"
	is "$?,$(cat "$T/exp.out")" "0," \
	    "a message 1 min old whose file is 30 days old does not expire"
	c=$(put_item "$R" example.com $((6 * DAY)) sender@origin.test carol@example.com)
	touch -d '+1 hour' "$c"
	expire "$R"
	is "$(cut -f 1,2 "$T/exp.out")" "$(printf 'expired\t%s' "$(basename "$c")")" \
	    "a message 6 days old whose file is from the future expires"
	rm -rf "$R/queue/mail"

	# a short lifetime, a small jump: not late either
	mkdir -p "$R/domains/example.org"
	echo userprotect >"$R/domains/example.org/mode"
	echo 1h >"$R/domains/example.org/lifetime"
	e=$(put_item "$R" example.org 3000 sender@origin.test dora@example.org)
	ft +5m snf-expire -d "$R" >"$T/exp.out" 2>"$T/exp.log"
	is "$(cat "$T/exp.out")" "" "lifetime 1 h, age 50 min, clock 5 min ahead: not yet"
	ft +15m snf-expire -d "$R" >"$T/exp.out" 2>"$T/exp.log"
	is "$(cut -f 1,2 "$T/exp.out")" "$(printf 'expired\t%s' "$(basename "$e")")" \
	    "lifetime 1 h, age 50 min, clock 15 min ahead: expired, not later"
	rm -rf "$R/queue/mail"
else
	skip "expiry under clock steps" "bin/snf-expire is missing"
fi

# --- snf-send after a step back ---------------------------------------------
start_fake prim || echo "# fakesmtp did not start"
F=$T/prim
PPORT=$FPORT
primary "$R" "127.0.0.1:$PPORT"
echo 1 >"$R/control/backoff_min"
echo 2 >"$R/control/backoff_max"
printf 'Subject: clock 1\nMessage-ID: <clock.1@origin.test>\n\none\n' >"$T/m1"
mail_in "$R" sender@origin.test alice@example.com "$T/m1"
ok $? "a message accepted (the primary is up)"
ft -1d snf-send -d "$R" -1 2>"$T/send1.log"
is "$(nmsgs "$F"),$(queue_count "$R")" "1,0" \
    "clock stepped back a day: a pass delivers the message that was due (its due time is not a day away)"
empty_queue "$R"

P2=$(free_port)
primary "$R" "127.0.0.1:$P2"
printf 'Subject: clock 2\nMessage-ID: <clock.2@origin.test>\n\ntwo\n' >"$T/m2"
mail_in "$R" sender@origin.test alice@example.com "$T/m2"
send1 "$R"
is "$(state_get "$R" state)" down "the primary is down: the domain is marked down (backoff 1-2 s)"
start_fake back --port "$P2" || echo "# fakesmtp did not start"
# 3 s later (past backoff_max), with the clock stepped back a day
ft -$((DAY - 3)) snf-send -d "$R" -1 2>"$T/send1.log"
is "$(nmsgs "$T/back"),$(queue_count "$R")" "1,0" \
    "clock stepped back a day: the domain is tried again within backoff_max, its mail delivered"
stop_pid "$FPID" 5
empty_queue "$R"
rm -rf "$R/queue/state"

# --- timeouts on the monotonic clock ---------------------------------------------
echo 2 >"$R/control/timeout"
echo 100 >"$R/control/datarate"
for jump in +2d -1d; do
	echo +0 >"$T/clock"
	jump_after 0.5 "$jump"
	start=$(date +%s%3N)
	python3 "$CHAT" --timeout 10 --stdio - -- \
	    env FAKETIME_TIMESTAMP_FILE="$T/clock" FAKETIME_NO_CACHE=1 \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$LIBFT" \
	    snf-smtpd -d "$R" >"$T/chat.out" 2>&1 <<'EOF'
< 220
> EHLO client.test
< 250
< 421 4.4.2
eof
EOF
	rc=$?
	el=$(elapsed_ms "$start")
	ok $rc "snf-smtpd, idle, wall clock $jump after 0.5 s: 421 4.4.2"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$T/chat.out"
	between "$el" 1800 8000
	ok $? "... after its own 2 s (${el} ms), not at the jump, not never"

	echo +0 >"$T/clock"
	jump_after 0.5 "$jump"
	start=$(date +%s%3N)
	python3 "$CHAT" --timeout 10 --stdio - -- \
	    env FAKETIME_TIMESTAMP_FILE="$T/clock" FAKETIME_NO_CACHE=1 \
	    FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$LIBFT" \
	    snf-smtpd -d "$R" >"$T/chat.out" 2>&1 <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA
< 354
>> Subject: stalled\r\n
< 421 4.4.2
eof
EOF
	rc=$?
	el=$(elapsed_ms "$start")
	ok $rc "snf-smtpd, stalled in DATA, wall clock $jump after 0.5 s: 421 4.4.2"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$T/chat.out"
	between "$el" 1800 8000
	ok $? "... after its own 2 s (${el} ms)"
done
is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" "nothing queued by the timed-out sessions"
rm "$R/control/timeout" "$R/control/datarate"

start_fake silent --silent || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
echo 2 >"$R/control/timeout_greeting"
mail_in "$R" sender@origin.test alice@example.com "$T/m1"
ok $? "a message accepted (the primary never greets)"
for jump in +2d -1d; do
	echo +0 >"$T/clock"
	jump_after 0.5 "$jump"
	start=$(date +%s%3N)
	jumping timeout 30 snf-send -d "$R" -1 example.com 2>"$T/send1.log"
	el=$(elapsed_ms "$start")
	grep -q 'timeout\\swaiting\\sfor\\sa\\sreply' "$T/send1.log"
	ok $? "snf-send, a primary that never greets, wall clock $jump: gives up on its greeting timeout"
	between "$el" 1800 8000
	ok $? "... after its own 2 s (${el} ms)"
done
is "$(queue_count "$R" example.com)" 1 "the message stays queued"
empty_queue "$R"

echo "127.0.0.1:$FPORT" >"$R/domains/example.net/primary"
echo 2 >"$R/control/callout_timeout"
echo 3 >"$R/control/callout_total"
for jump in +2d -1d; do
	fresh "$R" cache
	echo +0 >"$T/clock"
	jump_after 0.5 "$jump"
	start=$(date +%s%3N)
	jumping timeout 30 snf-verify -d "$R" someone@example.net >"$T/v.out" 2>&1
	rc=$?
	el=$(elapsed_ms "$start")
	is "$rc" 111 "snf-verify, a primary that never greets, wall clock $jump: defer (111)"
	between "$el" 1800 8000
	ok $? "... after its callout timeout of 2 s (${el} ms)"
done

# --- unique names with the clock stopped ---------------------------------------
printf 'Subject: stopped clock\r\n\r\nbody\r\n' >"$T/sm"
printf 'Fs@origin.test\000Talice@example.com\000\000' >"$T/se"
i=0
while [ $i -lt "$N" ]; do
	ft '2026-06-01 12:00:00' snf-queue -d "$R" <"$T/sm" 1<"$T/se" 2>>"$T/q.log"
	i=$((i + 1))
done
is "$(queue_count "$R" example.com)" "$N" "$N messages queued with the clock stopped: $N items"
queue_files "$R" example.com | sed 's,.*/,,' | cut -c1-10 | sort -u >"$T/secs"
is "$(cat "$T/secs")" "$(ft '2026-06-01 12:00:00' date +%s | awk '{ printf "%010d", $1 }')" \
    "... all of the same second"
is "$(queue_files "$R" example.com | sort -u | wc -l | tr -d ' ')" "$N" "... under $N different ids"

done_testing
