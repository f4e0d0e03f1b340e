#!/bin/sh
# Faults survived: the queue's disk fills up, runs out of inodes, or goes
# read-only while snf-send delivers (tests/e2e/060-diskfull.t covers
# snf-smtpd and snf-queue on a full disk).
#
# queue/ is a small tmpfs (root only; without root every check is
# skipped). The primary takes alice and bob and defers carol (450), so a
# message for alice and carol must be rewritten, after its delivery to
# alice, to name carol alone: on a full disk that rewrite fails. Then
# snf-send cannot record what it did; it must say so and must not send
# the same message again and again (the primary counts the copies),
# and once there is room again it must come back by itself. On a
# read-only queue snf-smtpd must answer 451/452, never 250, and snf-send
# must not deliver twice what it cannot record. Nothing is ever left
# half-written.
#
# SNF_FAULT_ROUNDS sets how long (seconds) the snf-send service runs on
# each broken disk (default 6).
# run.sh: alone (its bounds count deliveries in windows of seconds)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/faultlib.sh"

WINDOW=${SNF_FAULT_ROUNDS:-6}
R=$T/root
mkroot "$R"
echo 2 >"$R/control/backoff_min"
echo 4 >"$R/control/backoff_max"

if [ "$(id -u)" != 0 ] || ! command -v mount >/dev/null 2>&1; then
	skip "full disk, inodes, read-only queue under snf-send" \
	    "needs root to mount a tmpfs (chmod -w does not stop root)"
	done_testing
	exit
fi

# qmount OPTIONS: a fresh tmpfs as queue/ of the root folder.
qmount() {
	if [ -n "$MOUNTS" ]; then
		umount "$R/queue" 2>/dev/null || umount -l "$R/queue"
		MOUNTS=""
	fi
	rm -rf "$R/queue"
	mkdir -p "$R/queue"
	if ! mount -t tmpfs -o "$1,mode=0700$TMPFS_SVC" tmpfs "$R/queue"; then
		ok 1 "mount -t tmpfs -o $1 on queue/"
		done_testing
		exit 1
	fi
	MOUNTS="$R/queue"
	# the folders and the trigger FIFO a running snf-send has made (a pass for a domain
	# without mail makes them and does nothing else)
	snf-send -d "$R" -1 nothing.test
	mkfifo -m 0600 "$R/queue/trigger"
	svc_own "$R"
}

# put KEY RCPT[,RCPT...]: a message with Message-ID <KEY@origin.test>,
# accepted by snf-smtpd.
put() {
	printf 'From: sender@origin.test\nSubject: disk %s\nMessage-ID: <%s@origin.test>\n\nbody of %s\n' \
	    "$1" "$1" "$1" >"$T/data.$1"
	mail_in "$R" sender@origin.test "$2" "$T/data.$1"
}

# copies KEY: how many copies of message KEY the primary stored.
copies() {
	_c=$(msgid_counts "$F" | awk -v k="$1" '$2 == k { print $1 }')
	echo "${_c:-0}"
}

# rcpts_of KEY: the recipients (T lines) of the queued item of message
# KEY, one line, or "gone".
rcpts_of() {
	_f=$(grep -l "^Message-ID: <$1@origin.test>" "$R"/queue/mail/example.com/* 2>/dev/null | head -n 1)
	if [ -z "$_f" ]; then
		echo gone
	else
		qitem_env "$_f" | sed -n 's/^T //p' | tr '\n' ' '
	fi
}

# whole: every item in the queue reads whole (snf-queue list shows them
# all, with no warning), nothing is left in queue/tmp.
whole() {
	snf-queue -d "$R" list >"$T/list" 2>"$T/list.err"
	[ "$(wc -l <"$T/list" | tr -d ' ')" = "$(queue_count "$R")" ] &&
	    [ ! -s "$T/list.err" ] && [ "$(tmp_count "$R")" = 0 ]
}

# fill: write zeros into queue/filler until the disk is full (only ever
# on the small tmpfs: never on the disk that holds the test).
fill() {
	mountpoint -q "$R/queue" || return 1
	dd if=/dev/zero of="$R/queue/filler" bs=4k count=8192 2>/dev/null
	[ "$(df -k "$R/queue" | awk 'NR == 2 { print $4 }')" = 0 ]
}

# fill_inodes: empty files queue/i.N until no inode is left.
fill_inodes() {
	mountpoint -q "$R/queue" || return 1
	mkdir "$R/queue/inodes" || return 1
	_i=0
	while true >"$R/queue/inodes/i$_i" 2>/dev/null && [ $_i -lt 10000 ]; do
		_i=$((_i + 1))
	done 2>/dev/null
	[ "$(df -i "$R/queue" | awk 'NR == 2 { print $4 }')" = 0 ]
}

start_fake prim --defer carol@example.com || echo "# fakesmtp did not start"
F=$T/prim
PPORT=$FPORT
primary "$R" "127.0.0.1:$PPORT"

# --- out of space ----------------------------------------------------------
qmount size=1m
ok $? "a 1 MB tmpfs is queue/"
put s3 alice@example.com
ok $? "a message for alice queued"
fill
ok $? "the disk is full"
send1 "$R" example.com
is "$(copies s3),$(rcpts_of s3)" "1,gone" \
    "full disk: a message delivered to all its recipients is delivered once and leaves the queue (removing needs no space)"
rm -f "$R/queue/filler"
put s1 alice@example.com,carol@example.com &&
    put s2 bob@example.com,carol@example.com
ok $? "two messages queued: alice+carol, bob+carol"
fill
ok $? "the disk is full again"
cat "$SENDLOG" >>"$T/send.all"; : >"$SENDLOG"
start_send "$R"
sleep "$WINDOW"
c1=$(copies s1) c2=$(copies s2)
echo "# full disk, ${WINDOW}s of service: copies s1=$c1 s2=$c2"
# snf-send stops at the first result it cannot record: the other
# message may not be tried at all until there is room again
[ "$c1" -le 3 ] && [ "$c2" -le 3 ] && [ $((c1 + c2)) -ge 1 ]
ok $? "full disk: a message whose rewrite fails is not sent in a loop (alice+carol: $c1 copies, bob+carol: $c2 copies in ${WINDOW}s; at most 3 each)"
grep -q 'unable to rewrite\|No space left' "$SENDLOG"
ok $? "full disk: snf-send says it cannot record the delivery"
grep 'unable to rewrite\|No space left' "$SENDLOG" | head -n 2 | sed 's/^/#   /'
is "$(tmp_count "$R")" 0 "full disk: no rewrite is left half-written in queue/tmp"
rm -f "$R/queue/filler"
wait_is 20 "carol@example.com " rcpts_of s1 && wait_is 5 "carol@example.com " rcpts_of s2
ok $? "room again: the service records by itself what was delivered (both items name carol alone)"
d1=$(copies s1) d2=$(copies s2)
sleep 3
is "$(copies s1),$(copies s2)" "$d1,$d2" "room again: nothing is sent again once recorded"
stop_pid "$SEND_PID" 10
whole
ok $? "out of space: every item is whole, queue/tmp is empty"

# --- out of inodes -----------------------------------------------------------
qmount size=4m,nr_inodes=400
ok $? "a tmpfs with 400 inodes is queue/"
put i2 bob@example.com
ok $? "a message for bob queued"
fill_inodes
ok $? "no inode is left"
send1 "$R" example.com
is "$(copies i2),$(rcpts_of i2)" "1,gone" \
    "no inode: a message delivered to all its recipients is delivered once and leaves the queue"
rm -rf "$R/queue/inodes"
put i1 alice@example.com,carol@example.com
ok $? "a message for alice+carol queued"
fill_inodes
ok $? "no inode is left again"
cat "$SENDLOG" >>"$T/send.all"; : >"$SENDLOG"
start_send "$R"
sleep "$WINDOW"
c1=$(copies i1)
echo "# no inode, ${WINDOW}s of service: copies i1=$c1"
[ "$c1" -ge 1 ] && [ "$c1" -le 3 ]
ok $? "no inode: a message whose rewrite fails is not sent in a loop ($c1 copies in ${WINDOW}s; at most 3)"
grep -q 'unable to rewrite\|No space left' "$SENDLOG"
ok $? "no inode: snf-send says it cannot record the delivery"
rm -rf "$R/queue/inodes"
wait_is 20 "carol@example.com " rcpts_of i1
ok $? "inodes again: the service records by itself what was delivered"
d1=$(copies i1)
sleep 3
is "$(copies i1)" "$d1" "inodes again: nothing is sent again once recorded"
stop_pid "$SEND_PID" 10
whole
ok $? "out of inodes: every item is whole, queue/tmp is empty"

# --- read-only queue ----------------------------------------------------------
qmount size=4m
ok $? "a fresh tmpfs is queue/"
put r1 alice@example.com && put r2 alice@example.com,carol@example.com
ok $? "two messages queued: alice, alice+carol"
snf-queue -d "$R" list | cut -f1 | sort >"$T/ids.before"
mount -o remount,ro "$R/queue"
ok $? "queue/ remounted read-only"
printf 'Subject: ro\nMessage-ID: <ro.in@origin.test>\n\nread-only\n' >"$T/data.ro"
swaks --pipe "snf-smtpd -d $R" --helo client.test --from sender@origin.test \
    --to alice@example.com --data "$T/data.ro" >"$T/swaks.ro" 2>&1
! grep -q '^<-  250 2\.0\.0' "$T/swaks.ro" && grep -q '^<\*\* *45[12] ' "$T/swaks.ro"
rc=$?
ok $rc "read-only queue: snf-smtpd answers 451 or 452, never 250 2.0.0"
[ $rc -eq 0 ] || sed 's/^/#   /' "$T/swaks.ro"
grep '^<\*\* *45' "$T/swaks.ro" | head -n 1 | sed 's/^/#   /'
cat "$SENDLOG" >>"$T/send.all"; : >"$SENDLOG"
start_send "$R"
sleep "$WINDOW"
stop_pid "$SEND_PID" 10
send1 "$R"
send1 "$R"
c1=$(copies r1) c2=$(copies r2)
echo "# read-only queue, ${WINDOW}s of service and two passes: copies r1=$c1 r2=$c2"
[ "$c1" -le 1 ] && [ "$c2" -le 1 ]
ok $? "read-only queue: snf-send delivers nothing twice (r1: $c1, r2: $c2 copies; at most 1)"
grep -q 'Read-only file system\|read-only' "$SENDLOG"
ok $? "read-only queue: snf-send says it cannot write the queue"
mount -o remount,rw "$R/queue"
snf-queue -d "$R" list | cut -f1 | sort >"$T/ids.after"
comm -13 "$T/ids.before" "$T/ids.after" >"$T/ids.new"
is "$(cat "$T/ids.new")" "" "read-only queue: nothing new was queued"
whole
ok $? "read-only queue: every item is whole, queue/tmp is empty"
send1 "$R" example.com
is "$(copies r1 | awk '{ print ($1 >= 1) }'),$(rcpts_of r1)" "1,gone" \
    "writable again: r1 is delivered and leaves the queue"

done_testing
