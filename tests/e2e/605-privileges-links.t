#!/bin/sh
# No program follows a link below queue/ or cache/: with a folder there
# (queue/tmp, queue/etrn, queue/state, queue/mail/D, queue/hold/D,
# cache/D) or a file (cache/D/.slot.0, cache/D/.rate, queue/trigger,
# queue/state/D, queue/etrn/D, a cache record) replaced by a symbolic link to a folder
# of old files of the service user's, every program, run by root and
# by the service user, touches nothing there, and each folder link is
# refused with a log line that names it. A folder of queue/ or cache/
# owned by someone else is refused the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"
. "$(dirname "$0")/verifylib.sh"

R=$T/root
mkroot "$R"
echo 1 >"$R/control/callout_timeout"
echo 1000 >"$R/control/harderrors"
V=$T/victim
USERS=$(id -un)
[ -z "$AS_SVC" ] || USERS="root $SVC_USER"

# victim: a folder of the service user's with what snf-expire and the
# cache sweep would remove if they looked there: an old temporary file,
# domain-shaped names, a record-shaped one, an old file of any name
victim() {
	rm -rf "$V"
	mkdir -p "$V"
	: >"$V/m.100.1.tmp"
	: >"$V/passwd"
	: >"$V/example.com"
	printf 'negative 1 x@example.net\n' >"$V/$(printf %064d 0)"
	echo data >"$V/data"
	touch -d '3 days ago' "$V"/* "$V"
	[ -z "$AS_SVC" ] || chown -R "$SVC_USER" "$V"
	snapshot_v >"$T/victim.before"
}
snapshot_v() {
	(cd "$V" && stat -c '%n %s %Y' . && ls -lA --time-style=+%s && cat ./*) 2>&1
}

# as USER CMD...: CMD as root (unchanged) or as the service user
as() {
	_u=$1
	shift
	if [ "$_u" = root ] || [ -z "$AS_SVC" ]; then
		"$@"
	else
		$AS_SVC "$@"
	fi
}

# session: SMTP sessions with snf-smtpd (as the service user): a
# message for alice, a callout for example.net, an ETRN; whatever the
# replies
session() {
	swaks --pipe "snf-smtpd -d $R" --helo client.test --from s@origin.test \
	    --to alice@example.com --body x
	swaks --pipe "snf-smtpd -d $R" --helo client.test --from s@origin.test \
	    --to new@example.net --quit-after RCPT
	printf '< 220\n> EHLO client.test\n< 250\n> ETRN example.com\n< 2\n> QUIT\n< 221\neof\n' >"$T/etrn.chat"
	python3 "$CHAT" --stdio "$T/etrn.chat" -- snf-smtpd -d "$R"
}

# every USER LOG: each program once as USER, as an operator or the
# service runs it; their output and log lines appended to LOG
every() {
	{
		as "$1" snf-expire -n -d "$R"
		as "$1" snf-expire -d "$R"
		as "$1" snf-send -d "$R" -1
		as "$1" snf-send -d "$R" -1 example.com
		as "$1" snf-verify -d "$R" expire
		as "$1" snf-verify -d "$R" someone@example.net
		as "$1" snf-verify -d "$R" add x@example.net
		as "$1" snf-queue -d "$R" status -v
		as "$1" snf-queue -d "$R" list
		as "$1" snf-queue -d "$R" requeue example.com
		session
	} >>"$2" 2>&1 </dev/null
}

# restore: the root folder as snf-setup makes it, with one message
# queued for example.com and one held, example.net's cache in use
restore() {
	rm -rf "$R/queue" "$R/cache"
	svc_own "$R"
	printf 'Subject: a\n\nalpha\n' >"$T/m"
	mail_in "$R" s@origin.test alice@example.com "$T/m" ||
	    echo "# restore: the message was not queued"
	snf-queue -d "$R" hold -i "$(ls "$R/queue/mail/example.com" | head -n 1)" >/dev/null
	mail_in "$R" s@origin.test bob@example.com "$T/m"
	snf-verify -d "$R" add y@example.net >/dev/null
	snf-send -d "$R" -1 >/dev/null 2>&1	# queue/state/example.com: down
	mkfifo -m 600 "$R/queue/trigger"
	session >/dev/null 2>&1			# queue/etrn/example.com
	svc_own "$R"
}

# attack PATH KIND: PATH (of the root folder) replaced by a link to the
# victim; every program as each user; KIND folder: each user's run names
# the link in a refusal
attack() {
	restore
	victim
	[ -e "$R/$1" ] || [ -L "$R/$1" ] || echo "# attack: $1 was not there"
	rm -rf "${R:?}/$1"
	ln -s "$V" "$R/$1"
	for u in $USERS; do
		rm -f "$T/log"
		every "$u" "$T/log"
		snapshot_v >"$T/victim.after"
		cmp -s "$T/victim.before" "$T/victim.after"
		ok $? "$1 a link, every program as $u: nothing behind the link changed"
		cmp -s "$T/victim.before" "$T/victim.after" ||
		    diff "$T/victim.before" "$T/victim.after" | head -n 5 | sed 's/^/#   /'
		if [ "$2" = folder ]; then
			n=$(grep -c "warning $1 is a symbolic link: refused" "$T/log")
			[ "$n" -gt 0 ]
			ok $? "... and the refusal names it ($n lines)"
		fi
	done
	rm -f "$R/$1"
}

for f in queue/tmp queue/etrn queue/state queue/mail/example.com \
    queue/hold/example.com cache/example.net; do
	attack "$f" folder
done
attack cache/example.net/.slot.0 file
attack cache/example.net/.rate file
attack queue/trigger file
attack queue/state/example.com file
attack cache/example.net/"$(rec_hash y@example.net)" file
attack queue/etrn/example.com file

# a link for the whole of queue/ or cache/ is refused too
restore
victim
mv "$R/cache" "$T/cache.real"
ln -s "$V" "$R/cache"
for u in $USERS; do
	rm -f "$T/log"
	every "$u" "$T/log"
	snapshot_v >"$T/victim.after"
	cmp -s "$T/victim.before" "$T/victim.after"
	ok $? "cache/ a link, every program as $u: nothing behind the link changed"
	grep -q "warning cache is a symbolic link: refused" "$T/log"
	ok $? "... and the refusal names it"
done
rm "$R/cache"
mv "$T/cache.real" "$R/cache"

# --- a folder of someone else's --------------------------------------------------------
if [ -n "$AS_SVC" ]; then
	restore
	mkdir -m 755 "$R/queue/mail/other.test"
	: >"$R/queue/mail/other.test/1796000000.000000000000"
	$AS_SVC snf-send -d "$R" -1 other.test >"$T/o.log" 2>&1
	grep -q "warning queue/mail/other.test belongs to root, not to $SVC_USER (uid [0-9]*): refused" "$T/o.log"
	ok $? "a root-owned queue/mail/D: the service user's snf-send refuses it, and says so"
	$AS_SVC snf-expire -d "$R" >"$T/o.log" 2>&1
	grep -q "warning queue/mail/other.test belongs to root" "$T/o.log"
	ok $? "... snf-expire too"
	[ -f "$R/queue/mail/other.test/1796000000.000000000000" ]
	ok $? "... and what is in it stays"
	rm -rf "$R/queue/mail/other.test"
else
	skip "a folder of someone else's" "needs root to make one"
fi
done_testing
