#!/bin/sh
# Faults survived: a malicious or broken primary (tests/tools/badsmtp.py),
# for snf-send and for snf-verify. Replies whose code is not three digits
# or out of range, a 100 KB reply line, continuation lines without end
# (the parser stops after its limit), different codes on the lines of
# one reply, a bare LF, 421 in the middle of a transaction, a reply to
# the final dot that never comes (control/timeout_dot 2 s), a server
# that drops the connection after the final dot or anywhere else.
#   snf-send: each is a temporary failure: the message stays queued
#   under its id with all its recipients, is never said delivered, is
#   never returned to its sender, and is tried again later (and, at the
#   end, delivered once by a good primary).
#   snf-verify (and snf-smtpd at RCPT): each means "the primary cannot
#   answer": defer (111, 451 4.4.3), and nothing is written to the cache.
# Every case must end within a few seconds: no hostile reply can hold a
# client longer than its time limits.
#
# SNF_FAULT_ROUNDS: run each snf-send case this many times (default 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"
. "$(dirname "$0")/faultlib.sh"

ROUNDS=${SNF_FAULT_ROUNDS:-1}
R=$T/root
vroot "$R"
for t in connect greeting helo mail rcpt data block dot; do
	echo 2 >"$R/control/timeout_$t"
done
echo 1h >"$R/control/backoff_min"
echo 2h >"$R/control/backoff_max"
echo 2 >"$R/control/callout_timeout"
echo 3 >"$R/control/callout_total"

# one badsmtp.py plays every fault in turn, told which by $T/ctl
B=$T/bad
mkdir -p "$B"
echo "greeting drop" >"$T/ctl"
python3 "$BADSMTP" --dir "$B" --control "$T/ctl" 2>>"$B.stderr" &
SERVER_PIDS="$SERVER_PIDS $!"
wait_for 10 test -s "$B/port"
ok $? "badsmtp.py listens"
BPORT=$(cat "$B/port")

# bad STAGE BEHAVIOUR [probe-ok]: the next connections get this fault;
# BLOG is where its log starts.
bad() {
	echo "$*" >"$T/ctl"
	BLOG=$(( $(cat "$B/log" 2>/dev/null | wc -l) + 1 ))
}

# did STAGE BEHAVIOUR: the server did it since bad() was called.
did() {
	tail -n +"$BLOG" "$B/log" 2>/dev/null | grep -q "^did $2 at $1\$"
}

# queue KEY: a message for alice and bob, Message-ID <bad.KEY@origin.test>
queue() {
	printf 'Subject: %s\r\nMessage-ID: <bad.%s@origin.test>\r\n\r\nbody\r\n' \
	    "$1" "$1" >"$T/m"
	printf 'Fsender@origin.test\000Talice@example.com\000Tbob@example.com\000\000' >"$T/e"
	snf-queue -d "$R" <"$T/m" 1<"$T/e" 2>>"$T/queue.log"
}

# --- snf-send --------------------------------------------------------------
SEND_CASES="greeting:nondigit greeting:badcode greeting:longline
greeting:endless greeting:drop greeting:silent ehlo:nondigit ehlo:longline ehlo:endless
ehlo:mixed ehlo:bareLF mail:shortcode mail:code421 mail:mixed5 mail:silent
rcpt:nondigit rcpt:badcode rcpt:longline rcpt:endless rcpt:mixed
rcpt:mixed5 rcpt:code421 rcpt:bareLF rcpt:silent data:nondigit
data:code421 data:mixed data:endless data:silent dot:nondigit dot:shortcode
dot:longline dot:endless dot:mixed dot:mixed5 dot:code421 dot:bareLF
dot:silent dot:drop"
mkdir -p "$T/held"
tried=0
k=0
round=1
while [ $round -le "$ROUNDS" ]; do
for c in $SEND_CASES; do
	k=$((k + 1))
	stage=${c%%:*} how=${c#*:}
	bad "$stage" "$how"
	primary "$R" "127.0.0.1:$BPORT"
	rm -rf "$R/queue/state"
	queue "$k" || echo "# not queued: $c"
	f=$(grep -l "^Message-ID: <bad\.$k@origin.test>" "$R"/queue/mail/example.com/* 2>/dev/null)
	qitem_env "$f" >"$T/env.before" 2>/dev/null
	start=$(date +%s%3N)
	timeout 60 snf-send -d "$R" -1 example.com 2>"$T/send1.log"
	rc=$?
	el=$(elapsed_ms "$start")
	cat "$T/send1.log" >>"$SENDLOG"
	qitem_env "$f" >"$T/env.after" 2>/dev/null
	why=$(sed -n 's/.*\(deferred\|down\) .*\(reply\|error\)=\([^ ]*\).*/\3/p' "$T/send1.log" | head -n 1)
	[ $rc -eq 0 ] && [ -f "$f" ] && cmp -s "$T/env.before" "$T/env.after" &&
	    [ "$(queue_count "$R" example.com)" = 1 ] &&
	    ! grep -q '^snf-send\[[0-9]*\]: \(delivered\|bounced\) ' "$T/send1.log" &&
	    [ "$(queue_count "$R" origin.test)" = 0 ]
	ok $? "snf-send, primary does $how at $stage: message kept whole with both recipients, not delivered, not returned ($why)"
	did "$stage" "$how"
	ok $? "... the primary did misbehave at $stage"
	next=$(state_get "$R" next)
	[ "${next:-0}" -gt "$(date +%s)" ] || [ "$(stat -c %Y "$f" 2>/dev/null || echo 0)" -gt "$(date +%s)" ]
	ok $? "... and tried again later (the domain or the message backs off)"
	[ "$el" -le 8000 ]
	ok $? "... within 8 s (${el} ms)"
	if [ "$how" = endless ]; then
		case $why in
		*timeout*|"") false ;;
		*) true ;;
		esac
		ok $? "... stopped by the reply parser's limit, not by a timeout ($why)"
	fi
	tried=$((tried + 1))
	# out of the way, so that the next case's message is the only one
	mv "$f" "$T/held/"
done
round=$((round + 1))
done

# a primary that stops reading in the middle of a 40 MB message: the
# writes block, control/timeout_block (2 s) ends it
k=$((k + 1))
bad data stall
rm -rf "$R/queue/state"
python3 -c 'import sys; sys.stdout.buffer.write(b"Subject: stall\r\nMessage-ID: <bad.%s@origin.test>\r\n\r\n" % sys.argv[1].encode() + (b"s" * 998 + b"\r\n") * 40000)' "$k" >"$T/m"
snf-queue -d "$R" <"$T/m" 1<"$T/e" 2>>"$T/queue.log"
start=$(date +%s%3N)
timeout 60 snf-send -d "$R" -1 example.com 2>"$T/send1.log"
el=$(elapsed_ms "$start")
! grep -q '^snf-send\[[0-9]*\]: \(delivered\|bounced\) ' "$T/send1.log" &&
    grep -q 'deferred .*connection\\slost\\swhile\\ssending\\sdata' "$T/send1.log"
ok $? "snf-send, a primary that stops reading a 40 MB message: the write times out, the message is kept"
sed -n 's/.*deferred id=[^ ]* \(to=<alice[^ ]*\) .*reply=\(.*\)/#   \1 \2/p' "$T/send1.log"
[ "$el" -le 10000 ]
ok $? "... within timeout_block 2 s and a few more (${el} ms)"
did data stall
ok $? "... the primary did stall at data"
tried=$((tried + 1))
mv "$R"/queue/mail/example.com/* "$T/held/"

# a good primary at last: every message goes, once
mv "$T"/held/* "$R/queue/mail/example.com/"
start_fake good || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
n=$(queue_count "$R" example.com)
is "$n" "$k" "all $k messages are still queued"
send1 "$R" example.com
is "$(nmsgs "$T/good"),$(queue_count "$R")" "$k,0" "a good primary gets each of them, and the queue empties"
is "$(grep -h '^Message-ID:' "$T"/good/msg.[0-9]* | sort -u | wc -l | tr -d ' ')" "$k" \
    "... each exactly once"
is "$(queue_count "$R" origin.test)" 0 "no report was ever queued"
stop_pid "$FPID" 5

# for contrast, a well-formed permanent refusal of the recipient (550
# 5.1.1 to RCPT) is a bounce (the harness above would have seen one)
start_fake refuse --rcpt-code "550 5.1.1" || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
queue refuse
send1 "$R" example.com
is "$(queue_count "$R" example.com),$(queue_count "$R" origin.test)" "0,1" \
    "a well-formed 550 5.1.1 to RCPT: the message is returned (one report), not kept"
grep -q 'bounced id=.* to=<bob@example.com> .*reply=550\\s5.1.1' "$T/send1.log"
ok $? "... log: bounced"
stop_pid "$FPID" 5
empty_queue "$R"

# --- snf-verify -------------------------------------------------------------
VERIFY_CASES="greeting:nondigit greeting:badcode greeting:longline
greeting:endless greeting:mixed greeting:drop ehlo:shortcode ehlo:longline
ehlo:endless ehlo:mixed ehlo:bareLF mail:nondigit mail:code421 mail:mixed
rcpt:nondigit:p rcpt:badcode:p rcpt:longline:p rcpt:endless:p rcpt:mixed:p
rcpt:mixed5:p rcpt:code421:p rcpt:bareLF:p rcpt:silent:p rcpt:drop:p
rcpt:mixed rcpt:mixed5"
for c in $VERIFY_CASES; do
	k=$((k + 1))
	stage=${c%%:*} rest=${c#*:}
	how=${rest%%:*} probe=
	[ "$rest" != "$how" ] && probe=yes
	bad "$stage" "$how" ${probe:+probe-ok}
	set_primary "$R" "127.0.0.1:$BPORT"
	fresh "$R" cache
	start=$(date +%s%3N)
	timeout 60 snf-verify -d "$R" "u$k@example.net" >"$T/v.out" 2>&1
	rc=$?
	el=$(elapsed_ms "$start")
	[ $rc -eq 111 ] && grep -q "^defer u$k@example.net: " "$T/v.out" &&
	    [ ! -e "$(rec_file "$R" "u$k@example.net")" ]
	ok $? "snf-verify, primary does $how at $stage${probe:+ (after the probe)}: defer, nothing cached ($(cut -c1-80 "$T/v.out"))"
	[ "$el" -le 8000 ]
	ok $? "... within 8 s (${el} ms)"
	clear_down "$R"
	rcpt_is "$R" "w$k@example.net" "451 4.4.3" \
	    "snf-smtpd RCPT, primary does $how at $stage${probe:+ (after the probe)}: 451 4.4.3"
	snf-verify -d "$R" show "w$k@example.net" >/dev/null 2>&1
	is "$?" 100 "... and no record for it"
	did "$stage" "$how"
	ok $? "... the primary did misbehave at $stage"
	tried=$((tried + 1))
done
cache_check "$R" | sed 's/^/#   /'
cache_check "$R" >/dev/null
ok $? "the cache holds nothing but its own files"

echo "# hostile primaries tried: $tried"
done_testing
