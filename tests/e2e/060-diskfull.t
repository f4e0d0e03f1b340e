#!/bin/sh
# A full disk never leaves a partial message and never says 250. As
# root: a small tmpfs mounted as the root folder's queue/ (out of
# blocks, then out of inodes), and the service coming back by itself
# once there is room. Everywhere: write, fsync and rename faults
# injected into snf-queue with strace, and control/queue_minfree.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"
echo 1000 >"$R/control/harderrors"

# mkmsg FILE KBYTES: a message of about KBYTES KiB, dot-stuffed and ended.
mkmsg() {
	python3 -c '
import sys
n = int(sys.argv[1])
sys.stdout.buffer.write(b"Subject: disk\r\n\r\n" + (b"d" * 1022 + b"\r\n") * n + b".\r\n")
' "$2" >"$1"
}

# send NAME MSGFILE REPLY [MAIL-PARAMETERS]: one message to alice; REPLY
# (a prefix) is what the end of data must get.
send() {
	{
		printf '< 220\n> EHLO client.test\n< 250\n'
		printf '> MAIL FROM:<sender@origin.test>%s\n< 250 2.1.0\n' "${4:+ $4}"
		printf '> RCPT TO:<alice@example.com>\n< 250 2.1.5\n'
		printf '> DATA\n< 354\n'
		bytes_line "$2"
		printf '< %s\n> QUIT\n< 221\neof\n' "$3"
	} >"$T/script.send"
	chat_ok "$R" "$1" <"$T/script.send"
}

# mail_reply NAME PARAMS REPLY: the reply to MAIL FROM with PARAMS.
mail_reply() {
	chat_ok "$R" "$1" <<EOF
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@origin.test>${2:+ $2}
< $3
> QUIT
< 221
eof
EOF
}

# end_reply: the reply to the end of data in the last transcript.
end_reply() {
	sed -n "s/^S: b'\\(45[0-9] [0-9.]*\\).*/\\1/p" "$T/chat.out" | tail -n 1
}

# storage_reply NAME: the reply was 452 4.3.1 (or 451 4.3.0, see below)
storage_reply() {
	case $(end_reply) in
	"452 4.3.1"|"451 4.3.0") ok 0 "$1: $(end_reply)" ;;
	*) ok 1 "$1: 452 4.3.1 or 451 4.3.0 (got '$(end_reply)')" ;;
	esac
}

clean() {	# clean NAME: nothing committed, nothing left in queue/tmp
	is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
	    "$1: nothing in queue/mail, nothing in queue/tmp"
}

mkmsg "$T/m400" 400
mkmsg "$T/m100" 100
mkmsg "$T/m10" 10

# --- queue_minfree: the check at MAIL, on any system -------------------
echo 1000000000000000000 >"$R/control/queue_minfree"
mail_reply "queue_minfree beyond the free space: 452 4.3.1 at MAIL" "" "452 4.3.1"
mail_reply "queue_minfree beyond the free space: SIZE=10 also 452 4.3.1" \
    "SIZE=10" "452 4.3.1"
rm "$R/control/queue_minfree"
mail_reply "queue_minfree removed: MAIL 250 again" "SIZE=10" "250 2.1.0"
clean "queue_minfree"

# --- a real full disk: tmpfs as queue/ (root only) -------------------------
mounted=no
if [ "$(id -u)" = 0 ] && command -v mount >/dev/null 2>&1; then
	mkdir -p "$R/queue"
	if mount -t tmpfs -o "size=300k,mode=0700$TMPFS_SVC" tmpfs "$R/queue" 2>"$T/mount.err"
	then
		MOUNTS="$R/queue"
		mounted=yes
	fi
fi
if [ $mounted = yes ]; then
	send "400 KiB into a 300 KiB queue: 4xx at the end of data" "$T/m400" 45
	storage_reply "400 KiB into a 300 KiB queue"
	is "$(end_reply)" "452 4.3.1" "400 KiB into a 300 KiB queue: exactly 452 4.3.1 (catalogue B.4)"
	clean "400 KiB into a 300 KiB queue"
	used=$(df -k "$R/queue" | awk 'NR == 2 { print $3 }')
	[ "$used" -le 8 ]
	ok $? "the space of the failed message is free again (${used} KiB used)"
	send "then a 100 KiB message: 250 (back by itself)" "$T/m100" "250 2.0.0"
	is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" "the 100 KiB message is queued"
	empty_queue "$R"

	# the space check at MAIL must look at queue/'s file system
	dd if=/dev/zero of="$R/queue/filler" bs=1k count=250 2>/dev/null
	mail_reply "SIZE= beyond the free queue space: 452 4.3.1 at MAIL" \
	    "SIZE=102400" "452 4.3.1"
	send "100 KiB into the 50 KiB left: 4xx, never 250" "$T/m100" 45
	storage_reply "100 KiB into the 50 KiB left"
	clean "100 KiB into the 50 KiB left"
	rm "$R/queue/filler"
	mail_reply "filler removed: SIZE=102400 250 at MAIL" "SIZE=102400" \
	    "250 2.1.0"
	send "filler removed: the 100 KiB message is accepted" "$T/m100" \
	    "250 2.0.0" "SIZE=102400"
	is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" "queued after freeing space"
	umount "$R/queue"
	MOUNTS=""

	# out of inodes: root, tmp and mail take 3 of 4; the message file
	# takes the last, the domain folder finds none
	mount -t tmpfs -o "size=2m,nr_inodes=4,mode=0700$TMPFS_SVC" tmpfs \
	    "$R/queue" && MOUNTS="$R/queue"
	mkdir "$R/queue/tmp" "$R/queue/mail"
	svc_own "$R"
	is "$(df -i "$R/queue" | awk 'NR == 2 { print $4 }')" 1 "one inode left"
	send "no inode for the domain folder: 452 4.3.1" "$T/m10" 45
	is "$(end_reply)" "452 4.3.1" "no inode for the domain folder: exactly 452 4.3.1"
	clean "no inode for the domain folder"
	: >"$R/queue/filler"
	is "$(df -i "$R/queue" | awk 'NR == 2 { print $4 }')" 0 "no inode left"
	mail_reply "no inode left: 452 4.3.1 at MAIL" "" "452 4.3.1"
	clean "no inode left"
	rm "$R/queue/filler"
	mount -o remount,nr_inodes=100 "$R/queue"
	send "inodes freed: the message is accepted" "$T/m10" "250 2.0.0"
	is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" "queued after freeing inodes"
	umount "$R/queue"
	MOUNTS=""
	fresh "$R" queue
else
	why="needs root and mount -t tmpfs"
	[ -s "$T/mount.err" ] && why="mount failed: $(head -n 1 "$T/mount.err")"
	for c in "400 KiB into a 300 KiB queue: 452 4.3.1" \
	    "SIZE= beyond the free queue space: 452 4.3.1 at MAIL" \
	    "service back by itself after freeing space" \
	    "out of inodes: 452 4.3.1, nothing left"; do
		skip "$c" "$why"
	done
fi

# --- the root folder itself on a small file system (root only) --------------
R2=$T/root2
if [ "$(id -u)" = 0 ] && mkdir -p "$R2" &&
    mount -t tmpfs -o size=1m,nr_inodes=64,mode=0755 tmpfs "$R2" 2>/dev/null
then
	MOUNTS="$R2 $MOUNTS"
	mkroot "$R2"
	dd if=/dev/zero of="$R2/filler" bs=1k count=900 2>/dev/null
	Rsave=$R
	R=$R2
	mail_reply "root folder on a full tmpfs: SIZE=204800 452 4.3.1 at MAIL" \
	    "SIZE=204800" "452 4.3.1"
	mail_reply "root folder on a full tmpfs: SIZE=10 250 at MAIL" \
	    "SIZE=10" "250 2.1.0"
	rm "$R2/filler"
	mail_reply "root folder with room again: SIZE=204800 250 at MAIL" \
	    "SIZE=204800" "250 2.1.0"
	free=$(df -i "$R2" | awk 'NR == 2 { print $4 }')
	i=0
	while [ "$i" -lt "$free" ] && [ "$i" -lt 64 ]; do
		: >"$R2/f$i"
		i=$((i + 1))
	done
	is "$(df -i "$R2" | awk 'NR == 2 { print $4 }')" 0 "root folder without a free inode"
	mail_reply "root folder without a free inode: 452 4.3.1 at MAIL" "" "452 4.3.1"
	rm -f "$R2"/f*
	mail_reply "inodes free again: 250 at MAIL" "" "250 2.1.0"
	R=$Rsave
	umount "$R2" && MOUNTS=${MOUNTS#"$R2 "}
else
	skip "root folder on a full tmpfs: 452 4.3.1 at MAIL" "needs root and mount -t tmpfs"
fi

# --- a queue program that fails or lies (SNF_QUEUE) ------------------------
fake() {	# fake SHELL-COMMANDS: SNF_QUEUE runs them (fd 0 message, fd 1 socket)
	printf '#!/bin/sh\n%s\n' "$1" >"$T/fake-queue"
	chmod +x "$T/fake-queue"
	SNF_QUEUE=$T/fake-queue
	export SNF_QUEUE
}
fake 'cat >/dev/null; exit 0'
send "queue exits 0 without its K line: 451 4.3.0, never 250" "$T/m10" "451 4.3.0"
fake 'cat >/dev/null; cat <&1 >/dev/null; echo "K 1795439424.0123456789ab" >&1; exit 111'
send "queue says K but exits 111: 451 4.3.0" "$T/m10" "451 4.3.0"
fake 'cat >/dev/null; cat <&1 >/dev/null; echo "D5.7.1 refused here" >&1; exit 100'
send "queue refuses for good: 554 with its code" "$T/m10" "554 5.7.1"
fake 'cat >/dev/null; cat <&1 >/dev/null; echo "Z4.2.2 try later" >&1; exit 111'
send "queue defers with its code: 451 4.2.2" "$T/m10" "451 4.2.2"
fake 'cat >/dev/null; cat <&1 >/dev/null; echo "Z4.3.1 disk full" >&1; exit 111'
send "queue reports a full disk: 452 4.3.1" "$T/m10" "452 4.3.1"
fake 'cat >/dev/null; kill -9 $$'
send "queue killed: 451 4.3.0" "$T/m10" "451 4.3.0"
fake 'exit 111'
send "queue gone before reading: 451 4.3.0" "$T/m400" "451 4.3.0"
SNF_QUEUE=$T/no-such-program
{
	printf '< 220\n> EHLO client.test\n< 250\n'
	printf '> MAIL FROM:<sender@origin.test>\n< 250\n'
	printf '> RCPT TO:<alice@example.com>\n< 250\n'
	printf '> DATA\n< 451 4.3.0\n> QUIT\n< 221\neof\n'
} >"$T/script.noq"
chat "$R" "$T/script.noq"
rc=$?
grep -q "^S: b'451 4.3.0" "$T/chat.out" && ! grep -q "^S: b'250 2.0.0" "$T/chat.out"
ok $? "queue program missing: 451 4.3.0, never 250"
is "$rc" 0 "queue program missing: 451 4.3.0 at DATA, before the message is sent"
unset SNF_QUEUE
clean "misbehaving queue programs"

# --- injected faults: strace on snf-queue (SNF_QUEUE wrapper) ---------------
if command -v strace >/dev/null 2>&1 &&
    strace -f -qq -o /dev/null true >/dev/null 2>&1; then
	# inject ARGS...: snf-smtpd runs snf-queue under strace with ARGS
	inject() {
		cat >"$T/snf-queue-fault" <<EOF
#!/bin/sh
# LeakSanitizer cannot work under ptrace: leaks are checked elsewhere
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS
exec strace -f -qq -o /dev/null $* "$SNF_TOP/bin/snf-queue" "\$@"
EOF
		chmod +x "$T/snf-queue-fault"
		SNF_QUEUE=$T/snf-queue-fault
		export SNF_QUEUE
	}
	# queue/tmp and queue/mail exist, so that every fault below hits
	# after the whole message was read
	mkdir -p "$R/queue/tmp" "$R/queue/mail"
	svc_own "$R"
	inject -e trace=fsync -e inject=fsync:error=EIO
	send "fsync fails with EIO: 451 4.3.0" "$T/m10" "451 4.3.0"
	clean "fsync EIO"
	inject -e trace=fsync -e inject=fsync:error=ENOSPC
	send "fsync fails with ENOSPC: 452 4.3.1" "$T/m10" "452 4.3.1"
	clean "fsync ENOSPC"
	# the commit protocol: the item fsync'd, linked, fsync'd again (its
	# link count), then its folder fsync'd (which exists: no mkdir)
	mkdir -p "$R/queue/mail/example.com"
	svc_own "$R"
	inject -o "$T/order" -e trace=fsync,linkat
	send "tracing the commit: 250" "$T/m10" "250 2.0.0"
	order=$(grep -o -E 'fsync\([0-9]+\)|/proc/self/fd/[0-9]+' "$T/order" |
	    tr '\n' ' ')
	echo "$order" | grep -q -E \
	    '^fsync\(([0-9]+)\) /proc/self/fd/\1 fsync\(\1\) fsync\([0-9]+\) $'
	ok $? "commit order: fsync, linkat, fsync of the item, fsync of its folder ($order)"
	rm -f "$R"/queue/mail/example.com/*
	# the second fsync is the item's again, after its link, so that its
	# link count is on disk: a failure there leaves it queued, 4xx to
	# the client, whose retry makes a duplicate, never a loss (the domain
	# folder still exists, or its creation would fsync first)
	inject -e trace=fsync -e inject=fsync:error=EIO:when=2
	send "fsync after the link fails with EIO: 451 4.3.0" "$T/m10" "451 4.3.0"
	is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" \
	    "fsync EIO after the link: the item stays queued, nothing in queue/tmp"
	rm -rf "$R/queue/mail/example.com"
	inject -e trace=rename,renameat,renameat2,link,linkat \
	    -e inject=rename,renameat,renameat2,link,linkat:error=ENOSPC
	send "the commit rename fails with ENOSPC: 452 4.3.1" "$T/m10" "452 4.3.1"
	clean "rename ENOSPC"
	inject -e trace=rename,renameat,renameat2,link,linkat \
	    -e inject=rename,renameat,renameat2,link,linkat:error=EIO
	send "the commit rename fails with EIO: 451 4.3.0" "$T/m10" "451 4.3.0"
	clean "rename EIO"
	inject -e trace=write -e inject=write:error=ENOSPC:when=1
	send "the first write of the body fails with ENOSPC: 4xx" "$T/m10" 45
	storage_reply "first body write ENOSPC"
	clean "first body write ENOSPC"
	inject -e trace=write -e inject=write:error=ENOSPC:when=3
	send "a later write fails with ENOSPC (400 KiB): 4xx" "$T/m400" 45
	storage_reply "later body write ENOSPC"
	# the exact code is checked with the tmpfs above when it ran
	[ $mounted = yes ] ||
	    is "$(end_reply)" "452 4.3.1" "later body write ENOSPC: exactly 452 4.3.1 (catalogue B.4)"
	clean "later body write ENOSPC"
	# fsync reported the item durable; close(2) has nothing to add. The
	# closes before the first fsync (the dynamic loader's among them)
	# are counted in a clean run and spared; every later one fails.
	inject -o "$T/closes" -e trace=close,fsync
	send "counting closes: 250" "$T/m10" "250 2.0.0"
	n=$(awk '/fsync\(/ { exit } /close\(/ { n++ } END { print n + 1 }' "$T/closes")
	rm -rf "$R/queue/mail/example.com"
	inject -e trace=close -e inject=close:error=EIO:when=$n+
	send "close fails with EIO after fsync: 250" "$T/m10" "250 2.0.0"
	is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" \
	    "close EIO: the message queued once, nothing in queue/tmp"
	# the writer makes a domain's folder only when it is missing
	rm -rf "$R/queue/mail/example.com"
	inject -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:error=ENOSPC
	send "no room for the domain folder: 452 4.3.1" "$T/m10" "452 4.3.1"
	clean "mkdir ENOSPC"
	inject -e trace=fsync -e inject=fsync:signal=SIGKILL
	send "snf-queue killed at fsync: 451 4.3.0" "$T/m10" "451 4.3.0"
	is "$(queue_count "$R"),$(tmp_count "$R")" "0,0" \
	    "snf-queue killed: nothing in queue/mail, its unnamed file gone"
	unset SNF_QUEUE
	send "without faults: 250" "$T/m10" "250 2.0.0"
	is "$(queue_count "$R"),$(tmp_count "$R")" "1,0" "the clean run queues one item"
else
	skip "write/fsync/rename faults injected with strace" "strace is missing or cannot trace"
fi

# --- without /proc: named files in queue/tmp, then a rename -----------------
# Where /proc/self/fd is missing (a chroot), the writer cannot name an
# unnamed file: it creates named ones in queue/tmp and renames them. A
# private mount namespace hides /proc (root only); AddressSanitizer needs
# /proc, so sanitized programs are replaced by a plain build.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null &&
    command -v strace >/dev/null 2>&1; then
	. "$(dirname "$0")/faultlib.sh"
	QB=$(dirname "$(command -v snf-queue)")
	if grep -q __asan_init "$QB/snf-queue"; then
		dyn_build && QB=$DYN
	fi
	printf 'Fsender@origin.test\0Talice@example.com\0\0' >"$T/env"
	# noproc CMD...: CMD with an empty /proc
	noproc() {
		unshare -m sh -c 'mount -t tmpfs tmpfs /proc && exec "$@"' sh "$@"
	}
	empty_queue "$R"
	noproc "$QB/snf-queue" -d "$R" <"$T/m10" 1<>"$T/env" 2>"$T/noproc.err"
	is "$?,$(queue_count "$R"),$(tmp_count "$R")" "0,1,0" \
	    "without /proc: exit 0, one item queued, nothing left in queue/tmp"
	empty_queue "$R"
	mkdir -p "$R/queue/tmp" "$R/queue/mail"	# the first fsync is the file's
	svc_own "$R"
	noproc strace -f -qq -o /dev/null -e trace=fsync \
	    -e inject=fsync:signal=SIGKILL "$QB/snf-queue" -d "$R" \
	    <"$T/m10" 1<>"$T/env" 2>/dev/null
	is "$(queue_count "$R"),$(tmp_count "$R")" "0,1" \
	    "without /proc, killed at fsync: a named leftover in queue/tmp (snf-expire sweeps it)"
	rm -f "$R"/queue/tmp/*
else
	skip "named files without /proc" "needs root, unshare and strace"
fi

done_testing
