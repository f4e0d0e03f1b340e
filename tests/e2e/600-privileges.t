#!/bin/sh
# Privileges: the root folder, control/ and domains/ are the operator's;
# queue/ and cache/ are the service user's (snftest here), which
# snf-smtpd runs as under tcpserver -u/-g. snf-smtpd refuses root. Every
# other program started by root becomes the owner of queue/ first, so
# that whatever root's verbs leave in the queue is the service's: run as
# root, every snf-queue and snf-verify verb leaves mail that snf-send,
# run as the service user, delivers without a chown. A root-owned or
# missing queue/ is refused with the command that puts it right. No
# program is setuid or setgid.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

for p in "$SNF_TOP"/bin/snf-*; do
	[ -z "$(find "$p" -perm /6000)" ]
	ok $? "$(basename "$p") is neither setuid nor setgid"
done
if [ "$(id -u)" -ne 0 ]; then
	skip "the privilege model" "needs root to run programs as two users"
	done_testing
	exit
fi
U=$SVC_USER
R=$T/root
mkroot "$R"
echo 1 >"$R/control/callout_timeout"
echo 1 >"$R/control/backoff_min"
# as the service user
svc() {
	$AS_SVC "$@"
}
# notsvc DIR: what under DIR does not belong to the service user
notsvc() {
	find "$1" ! -user "$U" | head -n 3
}

# --- snf-smtpd never runs as root ----------------------------------------------
find "$R" -newer "$R/control/me" | sort >"$T/before"
printf 'EHLO client.test\r\nQUIT\r\n' | "$SMTPD" -d "$R" >"$T/root.out" 2>"$T/root.err"
rc=$?
is "$rc" 100 "snf-smtpd as root: exit 100"
grep -q '^421 4.3.0 ' "$T/root.out"
ok $? "... the client gets 421 4.3.0, nothing else ($(head -n 1 "$T/root.out" | tr -d '\r'))"
grep -q 'fatal: refusing to run as root: run snf-smtpd under tcpserver -u UID -g GID' "$T/root.err"
ok $? "... the log says how to run it ($(head -n 1 "$T/root.err"))"
find "$R" -newer "$R/control/me" | sort >"$T/after"
cmp -s "$T/before" "$T/after"
ok $? "... and nothing in the root folder changed"

# --- snf-smtpd under tcpserver -u/-g ----------------------------------------------
start_server "$R" || echo "# tcpserver did not start"
swaks --server 127.0.0.1 --port "$PORT" --helo client.test \
    --from sender@origin.test --to alice@example.com >"$T/swaks.out" 2>&1
ok $? "snf-smtpd as $U accepts a message into a queue/ it owns"
swaks --server 127.0.0.1 --port "$PORT" --helo client.test \
    --from sender@origin.test --to someone@example.net >"$T/swaks2.out" 2>&1
grep -q '^<\*\* 451 4.4.3' "$T/swaks2.out"
ok $? "a callout as $U, its primary down: 451 4.4.3, the memo written in cache/"
[ -f "$R/cache/example.net/.down" ]
ok $? "cache/example.net/.down written by $U"
f=$(find "$R/queue/mail" -type f | head -n 1)
is "$(stat -c '%U %a' "$f")" "$U 600" "the queued message belongs to $U, mode 0600"
bad=$(find "$R/queue" "$R/cache" -type d ! -perm 700 | head -n 3)
[ -z "$bad" ]
ok $? "every folder under queue/ and cache/ is mode 0700 ${bad:+($bad)}"
others=$(find "$R" -user "$U" ! -path "$R/queue*" ! -path "$R/cache*")
[ -z "$others" ]
ok $? "nothing outside queue/ and cache/ belongs to $U ${others:+($others)}"
svc sh -c "echo x >>'$R/control/me'" 2>/dev/null
[ $? -ne 0 ]
ok $? "the service user cannot change control/ (root's)"

# --- root's verbs leave the queue to the service --------------------------------
# a mailbox on another server (release -m) and the primary, both fake
start_fake mbox || echo "# fakesmtp did not start"
MPORT=$FPORT
echo "mail.test 127.0.0.1:$MPORT" >"$R/control/routes"
start_fake prim --users alice@example.com,bob@example.com,dave@example.net ||
    echo "# fakesmtp did not start"
P=$T/prim
PPORT=$FPORT
primary "$R" "127.0.0.1:1"	# down for now
echo "127.0.0.1:1" >"$R/domains/example.net/primary"
i1=$(put "$R" one sender@origin.test alice@example.com)
ok $? "root injects a message with snf-queue (as snf-smtpd would)"
i2=$(put "$R" two sender@origin.test bob@example.com)
i3=$(put "$R" three sender@origin.test alice@example.com)
sq "$R" hold -i "$i2"
is "$QRC" 0 "root: snf-queue hold -i (queue/hold/D made)"
sq "$R" hold example.com
is "$QRC" 0 "root: snf-queue hold example.com (domains/example.com/hold, the operator's)"
[ -f "$R/domains/example.com/hold" ] && [ "$(stat -c %U "$R/domains/example.com/hold")" = root ]
ok $? "... domains/example.com/hold is root's"
sq "$R" unhold example.com
sq "$R" unhold -i "$i2"
is "$QRC" 0 "root: snf-queue unhold -i"
sq "$R" requeue example.com
is "$QRC" 0 "root: snf-queue requeue"
sq "$R" release -m boss@mail.test -i "$i3"
is "$QRC" 0 "root: snf-queue release -m (queue/mail/mail.test made)"
sq "$R" status -v
is "$QRC" 0 "root: snf-queue status -v"
sq "$R" list
is "$QRC" 0 "root: snf-queue list"
mkdir -m 700 "$T/export" && chown "$U" "$T/export"
sq "$R" export -o "$T/export/mail"
is "$QRC" 0 "root: snf-queue export -o (a folder the service user can write)"
is "$(notsvc "$T/export/mail")" "" "... the export belongs to $U"
snf-verify -d "$R" add carol@example.net >"$T/v.out" 2>&1
ok $? "root: snf-verify add carol@example.net"
snf-verify -d "$R" dave@example.net >"$T/v2.out" 2>&1
is "$?" 111 "root: snf-verify dave@example.net, the primary down: 111 (a callout made)"
snf-verify -d "$R" expire >"$T/v3.out" 2>&1
ok $? "root: snf-verify expire"
snf-expire -d "$R" >"$T/e.out" 2>&1
ok $? "root: snf-expire"
snf-send -d "$R" -1 >"$T/s.out" 2>&1
ok $? "root: snf-send -1 (the primary down)"
is "$(notsvc "$R/queue")$(notsvc "$R/cache")" "" \
    "after every verb run by root, queue/ and cache/ hold nothing that is not $U's"
[ -z "$(find "$R" -user root ! -type d -newer "$T/before" ! -name routes ! -name primary)" ]
ok $? "... and root made nothing in the root folder but its own settings"

# the service user, alone, delivers all of it and answers from root's record
primary "$R" "127.0.0.1:$PPORT"
svc snf-send -d "$R" -1 example.com 2>"$T/svc.log"
is "$?" 0 "snf-send as $U: exit 0"
is "$(find "$R/queue/mail" "$R/queue/hold" -type f 2>/dev/null | wc -l | tr -d ' ')" 0 \
    "... it delivered everything root's verbs left: the queue is empty"
is "$(nmsgs "$P"),$(nmsgs "$T/mbox")" "3,1" "... swaks's, one and two to the primary, three to the mailbox"
! grep -q warning "$T/svc.log"
ok $? "... with no warning"
chat_ok "$R" "snf-smtpd as $U: carol@example.net, added by root, is accepted while the primary is down" <<'EOF'
< 220
> EHLO client.test
< 250
> MAIL FROM:<s@origin.test>
< 250
> RCPT TO:<carol@example.net>
< 250 2.1.5
> QUIT
< 221
eof
EOF

# --- the service user meets what root made by hand: said, not skipped -----------
mkdir -m 700 "$R/queue/mail/byhand.test"
svc snf-send -d "$R" -1 byhand.test 2>"$T/byhand.log"
grep -q "warning queue/mail/byhand.test belongs to root, not to $U (uid [0-9]*): refused" "$T/byhand.log"
ok $? "snf-send as $U names a root-owned domain folder ($(grep -m1 refused "$T/byhand.log"))"
snf-setup -d "$R" -u "$U" >"$T/setup.out" 2>&1
ok $? "snf-setup puts it right"
grep -q "byhand.test" "$T/setup.out"
ok $? "... and says what it changed ($(grep -m1 byhand "$T/setup.out"))"
snf-setup -d "$R" -u "$U" >"$T/setup2.out" 2>&1
is "$?:$(cat "$T/setup2.out")" "0:" "snf-setup again: nothing to change, nothing said"
rmdir "$R/queue/mail/byhand.test"

# --- a queue/ that root owns, or none ------------------------------------------------
R2=$T/root2
mkdir -p "$R2/control" "$R2/queue"
echo mx.test.invalid >"$R2/control/me"
for cmd in "snf-send -1" "snf-expire" "snf-queue status" "snf-verify list"; do
	# shellcheck disable=SC2086
	set -- $cmd
	p=$1
	shift
	"$p" -d "$R2" "$@" >"$T/r2.out" 2>"$T/r2.err"
	rc=$?
	grep -q "queue belongs to root, and snf-smtpd never runs as root: give it to the service user with snf-setup -d $R2 -u USER" "$T/r2.err"
	ok $? "$cmd as root, queue/ root's: refused, snf-setup named (exit $rc)"
done
is "$(find "$R2" | wc -l | tr -d ' ')" 4 "... and nothing was made"
rmdir "$R2/queue"
snf-send -d "$R2" -1 >"$T/r2.out" 2>"$T/r2.err"
is "$?" 111 "snf-send as root, no queue/: exit 111"
grep -q "queue: No such file or directory; make the root folder with snf-setup -d $R2 -u USER" "$T/r2.err"
ok $? "... snf-setup named ($(cat "$T/r2.err"))"
snf-setup -d "$R2" -u root >"$T/r2s.out" 2>&1
is "$?" 100 "snf-setup -u root: refused, exit 100 ($(cat "$T/r2s.out"))"
snf-setup -d "$R2" -u "$U" >"$T/r2s.out" 2>&1
ok $? "snf-setup -u $U makes what is missing"
is "$(stat -c '%U %a' "$R2" "$R2/control" "$R2/domains" "$R2/queue" "$R2/cache" | tr '\n' ' ')" \
    "root 755 root 755 root 755 $U 700 $U 700 " "... with the owners and modes of the model"
snf-send -d "$R2" -1 >"$T/r2.out" 2>"$T/r2.err"
is "$?" 0 "snf-send as root on it: exit 0"
done_testing
