#!/bin/sh
# Privileges: snf-smtpd runs unprivileged under tcpserver -u/-g, needs
# write access to queue/ and cache/ only (the rest of the root folder
# belongs to root and is read-only to it), queued mail is 0600 and the
# queue folders 0700, and no program is setuid or setgid.
. "$(dirname "$0")/lib.sh"

for p in "$SNF_TOP"/bin/snf-*; do
	[ -z "$(find "$p" -perm /6000)" ]
	ok $? "$(basename "$p") is neither setuid nor setgid"
done
if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1; then
	skip "unprivileged snf-smtpd" "needs root to switch to nobody"
	done_testing
	exit
fi
chmod 755 "$T"
R=$T/root
mkroot "$R"
echo 1 >"$R/control/callout_timeout"
chmod -R go+rX,go-w "$R"
mkdir -m 700 "$R/queue" "$R/cache"
chown nobody "$R/queue" "$R/cache"
cp -r "$SNF_TOP/bin" "$T/bin" && chmod -R a+rX "$T/bin"
tcpserver -1 -R -H -l localhost -u "$(id -u nobody)" -g "$(id -g nobody)" \
    127.0.0.1 0 "$T/bin/snf-smtpd" -d "$R" >"$T/port" 2>>"$T/server.log" &
SERVER_PIDS="$SERVER_PIDS $!"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(head -n 1 "$T/port")
swaks --server 127.0.0.1 --port "$PORT" --helo client.test \
    --from sender@origin.test --to alice@example.com >"$T/swaks.out" 2>&1
ok $? "snf-smtpd as nobody accepts a message into a queue/ it owns"
swaks --server 127.0.0.1 --port "$PORT" --helo client.test \
    --from sender@origin.test --to someone@example.net >"$T/swaks2.out" 2>&1
grep -q '^<\*\* 451 4.4.3' "$T/swaks2.out"
ok $? "a callout as nobody, its primary down: 451 4.4.3, the memo written in cache/"
[ -f "$R/cache/example.net/.down" ]
ok $? "cache/example.net/.down written by nobody"
f=$(find "$R/queue/mail" -type f | head -n 1)
[ "$(stat -c '%U %a' "$f")" = "nobody 600" ]
ok $? "the queued message belongs to nobody, mode 0600"
bad=$(find "$R/queue" "$R/cache" -type d ! -perm 700 | head -n 3)
[ -z "$bad" ]
ok $? "every folder under queue/ and cache/ is mode 0700 ${bad:+($bad)}"
others=$(find "$R" -user nobody ! -path "$R/queue*" ! -path "$R/cache*")
[ -z "$others" ]
ok $? "nothing outside queue/ and cache/ was written by nobody"
# and it cannot: a control file is not writable to the snf-smtpd user
su -s /bin/sh nobody -c "echo x >>'$R/control/me'" 2>/dev/null
[ $? -ne 0 ]
ok $? "the snf-smtpd user cannot change control/ (root's)"
done_testing
