#!/bin/sh
# snf-check: a root folder made by snf-setup has no problem (exit 0);
# each thing wrong with owners, modes, links, the TLS key pair or an
# alert program is one line naming the path and the fix (exit 100),
# and snf-check changes nothing; snf-setup puts right what it names.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"
U=${SVC_USER:-$(id -un)}
check() {	# check: snf-check -d $R, output in $T/out, status in RC
	snf-check -d "$R" >"$T/out" 2>&1
	RC=$?
}
has() {		# has PATH TEXT NAME: a line for PATH saying TEXT
	grep -q "^$R/$1: .*$2" "$T/out"
	ok $? "$3"
	grep -q "^$R/$1: .*$2" "$T/out" || sed 's/^/#   /' "$T/out"
}
snapshot() {
	(cd "$R" && find . -printf '%p %u %g %m %s %T@\n' | sort)
}

check
is "$RC:$(cat "$T/out")" "0:$R: no problems found for the service user $U" \
    "a root folder as snf-setup makes it: no problems found, exit 0"

if [ -z "$AS_SVC" ]; then
	skip "owners, and what the service user can read" "needs root"
	done_testing
	exit
fi

# --- what a root shell and a careless hand leave -----------------------------
mkdir -p "$R/queue/mail/gmail.test"
echo x >"$R/queue/mail/gmail.test/123"
chown -R root:root "$R/queue/mail/gmail.test"
chown "$U:$(id -gn "$U")" "$R/queue/mail"
chmod 700 "$R/queue/mail"
ln -s /etc "$R/cache/example.net"
chmod 755 "$R/cache"
chmod 777 "$R/control"
chown "$U" "$R/domains/example.com"
chmod 755 "$R/domains/example.com"
printf '#!/bin/sh\n' >"$R/control/alert"
chmod 700 "$R/control/alert"
printf '#!/bin/sh\n' >"$R/domains/example.com/alert"
chmod 755 "$R/domains/example.com/alert"
snapshot >"$T/before"
check
is "$RC" 100 "problems found: exit 100"
has queue/mail/gmail.test "belongs to root, group root, not to $U: snf-setup -d $R -u $U gives it back" \
    "a root-owned domain folder of the queue is named, with snf-setup"
grep -q "^$R/queue/mail/gmail.test/123:" "$T/out"
is "$?" 1 "... and not what is in it (not entered)"
has cache/example.net "is a symbolic link, which snf never follows" "a link in cache/ is named"
has cache "mode 0755 gives its group or others access: snf-setup" "cache/ open to others is named"
has control "writable by everyone (mode 0777): chmod go-w $R/control" \
    "control/ writable by everyone is named, with the chmod"
has domains/example.com "belongs to the service user $U, who must not change the settings" \
    "a domain folder the service user owns is named"
has control/alert "the service user $U cannot run it (Permission denied): the alert never runs" \
    "an alert program the service user cannot run is named"
grep -q "^$R/domains/example.com/alert:" "$T/out"
is "$?" 1 "... one it can run is not"
is "$(tail -n 1 "$T/out")" "$R: 6 problems found" "the last line counts them: 6"
snapshot >"$T/after"
cmp -s "$T/before" "$T/after"
ok $? "snf-check changed nothing"

snf-setup -d "$R" -u "$U" >/dev/null
chmod go-w "$R/control"
chown root "$R/domains/example.com"
chmod 755 "$R/control/alert"
check
is "$RC:$(tail -n 1 "$T/out")" "100:$R: 1 problems found" \
    "after snf-setup, chmod and chown: only the link is left"
rm "$R/cache/example.net"
check
is "$RC" 0 "... and without it, nothing"

# --- the TLS key pair ---------------------------------------------------------
K=$R/control/tls_key C=$R/control/tls_cert
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K" -out "$C" \
    -subj /CN=mx.test -days 2 >/dev/null 2>&1
ok $? "a key and a certificate made with openssl"
chmod 600 "$K"
check
has control/tls_key "the service user $U cannot use the key pair (Permission denied)" \
    "a key only root can read is named"
chgrp "$(id -gn "$U")" "$K"
chmod 640 "$K"
check
is "$RC" 0 "given to the service's group, 0640: no problem"
chmod 644 "$K"
check
has control/tls_key "readable by everyone (mode 0644): chmod o-r" "a key readable by everyone is named"
chmod 640 "$K"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$C" \
    -subj /CN=mx.test -days 2 >/dev/null 2>&1
check
if grep -q '^#define HAVE_TLS 1' "$SNF_TOP/common/config.h"; then
	has control/tls_key "cannot use the key pair" "a certificate that is not the key's is named"
else
	has control/tls_cert "this build of snf has no TLS" "a build without TLS says so"
fi
rm -f "$C"
check
has control/tls_key "is there without control/tls_cert: STARTTLS is not offered" \
    "a key without its certificate is named"

# --- the service user itself ---------------------------------------------------
$AS_SVC snf-check -d "$R" >"$T/out" 2>&1
is "$?" 100 "run by the service user, the same check (exit 100)"
has control/tls_key "is there without control/tls_cert" "... the same line"
setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups -- \
    snf-check -d "$R" >"$T/out" 2>&1
is "$?" 111 "run by a third user, who cannot read the folder: exit 111, not a clean bill"
grep -q "unable to open .*$R.*: Permission denied" "$T/out"
ok $? "... and it says what it could not open"
snf-check -d "$R" -u root >"$T/out" 2>&1
is "$?" 100 "-u root: refused, exit 100"
done_testing
