#!/bin/sh
# STARTTLS out of snf, to a private Postfix (pflib.sh) with a certificate
# of the test's own CA (tlslib.sh): snf-send delivers to a primary that
# requires TLS at each level of domains/example.com/tls (may, encrypt,
# verify by the primary's name, verify NAME for a primary given by
# address), and says so in its log and in snf-queue status; a level it
# cannot meet (a certificate for another name, a CA it does not trust,
# no STARTTLS offered, no TLS asked of a primary that requires it) is a
# refusal: the mail stays byte for byte, nothing is sent in clear text,
# nothing bounces, the domain is refused with the reason and the alert
# runs once. At may, a handshake that fails is followed by clear text on
# a new connection, logged. The callouts of snf-verify reach a primary
# that takes only TLS; snf-queue release -m and -H go by control/tls.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/tlslib.sh"
. "$(dirname "$0")/pflib.sh"

if ! tls_usable; then
	skip "STARTTLS out of snf" \
	    "this build has no TLS (configure found no libtls) or openssl is missing"
	done_testing
	exit
fi
if ! pf_usable; then
	skip "STARTTLS out of snf, to a private Postfix" "needs root and Debian's postfix"
	done_testing
	exit
fi

R=$T/root
mkroot "$R"
echo 1 >"$R/control/backoff_min"
cat >"$R/control/alert" <<EOF
#!/bin/sh
echo "\$SNF_EVENT|\$SNF_DOMAIN|\$SNF_STATE|\$SNF_ERROR" >>"$T/alerts"
EOF
chmod +x "$R/control/alert"
nalerts() {
	cat "$T/alerts" 2>/dev/null | wc -l | tr -d ' '
}
sums() {
	for _f in $(queue_files "$1" "${2:-example.com}"); do
		printf '%s %s\n' "${_f##*/}" "$(sha256sum <"$_f" | cut -c1-64)"
	done
}
# status_field N [DOMAIN]: field N of snf-queue status
status_field() {
	snf-queue -d "$R" status "${2:-example.com}" | cut -f "$1"
}

tls_ca && tls_cert primary.example.com,localhost,127.0.0.1 primary
ok $? "a throw-away CA and a certificate for primary.example.com, localhost and 127.0.0.1"
PORT=$(free_port)
pf_setup "$PORT"
# pf_tls LEVEL [MAIN.CF LINES...]: Postfix's STARTTLS at LEVEL (none,
# may, encrypt), with the test's certificate; mailboxes for example.com,
# example.net (carol) and rescue.test (rescue)
pf_tls() {
	_lvl=$1
	shift
	pf_config \
	    "virtual_mailbox_domains = example.com, example.net, rescue.test" \
	    "virtual_mailbox_maps = inline:{ alice@example.com=example.com/alice/, bob@example.com=example.com/bob/, carol@example.net=example.net/carol/, rescue@rescue.test=rescue.test/rescue/ }" \
	    "smtpd_tls_security_level = $_lvl" \
	    "smtpd_tls_cert_file = $TLS/primary.pem" \
	    "smtpd_tls_key_file = $TLS/primary.key" \
	    "smtpd_tls_loglevel = 1" "smtpd_tls_received_header = yes" "$@"
}
pf_tls encrypt
pf_start
ok $? "a private Postfix on 127.0.0.1:$PORT, the primary of example.com, TLS required (encrypt)"
# Postfix's log from a mark on
pf_mark() {
	PFMARK=$(wc -l <"$PF/maillog" | tr -d ' ')
}
pf_since() {
	tail -n +$((PFMARK + 1)) "$PF/maillog"
}

n=0
# one TAG: a message for alice, Message-ID <TAG.a@origin.test>
one() {
	n=$((n + 1))
	printf 'Subject: %s\nMessage-ID: <%s.a@origin.test>\n\nover TLS, or not at all\n' \
	    "$1" "$1" >"$T/m$n"
	mail_in "$R" sender@origin.test alice@example.com "$T/m$n"
}
# pf_file TAG: the file Postfix delivered for <TAG.a@...>
pf_file() {
	grep -l "^Message-ID: <$1\\.a@" "$PF/mail/example.com/alice/new/"* 2>/dev/null |
	    head -n 1
}

# --- delivered at each level -------------------------------------------------
# delivers LABEL LEVEL PRIMARY VERIFIED: at domains/example.com/tls LEVEL
# to PRIMARY, the message goes over TLS, verified or unverified
delivers() {
	echo "$2" >"$R/domains/example.com/tls"
	primary "$R" "$3"
	one "$1"
	send1 "$R" example.com
	is "$(pf_got "$1"),$(queue_count "$R" example.com)" "alice:a,0" \
	    "tls $2, primary $3: delivered, the queue empties"
	_tls=$(sed -n 's/^.*delivered id=.* to=<alice@example.com> .* tls=\(.*\)$/\1/p' \
	    "$T/send1.log")
	echo "$_tls" | grep -Eq "^TLSv1\\.[23]/[A-Z0-9_-]+/[0-9]+/$4\$"
	ok $? "... the delivery log line: tls=$_tls ($4)"
	is "$(status_field 12)" "$_tls" "... snf-queue status shows it, field 12"
	grep -q '(using TLSv1\.[23] with cipher ' "$(pf_file "$1")"
	ok $? "... Postfix's Received field says it came over TLS"
}
delivers may may "127.0.0.1:$PORT" unverified
delivers encrypt encrypt "127.0.0.1:$PORT" unverified
cp "$TLS/ca.crt" "$R/control/tls_ca"
delivers verify verify "localhost:$PORT" verified
delivers verifyname "verify primary.example.com" "127.0.0.1:$PORT" verified
# the name to verify may be an address the certificate holds
delivers verifyip "verify 127.0.0.1" "127.0.0.1:$PORT" verified

# --- refused -------------------------------------------------------------
# refused LABEL LEVEL PRIMARY STAGE WORDS [clear]: at LEVEL to PRIMARY,
# a refusal: kept byte for byte, nothing bounced, the domain refused
# with WORDS, logged at STAGE, the alert once; nothing sent in clear
# text (with "clear", at level none: no message); then at encrypt,
# delivered once
refused() {
	_l=$1 _lvl=$2 _p=$3 _stage=$4 _words=$5 _clear=${6:-}
	echo "$_lvl" >"$R/domains/example.com/tls"
	primary "$R" "$_p"
	rm -f "$R/queue/state/example.com" "$T/alerts"
	one "$_l"
	ok $? "$_l: a message queued"
	sums "$R" >"$T/before"
	pf_mark
	send1 "$R" example.com
	sums "$R" >"$T/after"
	cmp -s "$T/before" "$T/after" && [ -s "$T/after" ]
	ok $? "$_l: the message stays, byte for byte"
	is "$(queue_count "$R" origin.test),$(grep -c 'bounced id=' "$T/send1.log")" 0,0 \
	    "$_l: nothing bounced"
	is "$(status_field 3)" refused "$_l: snf-queue status: example.com refused"
	status_field 11 | grep -q -- "$_words"
	ok $? "$_l: ... with the reason: $(status_field 11)"
	grep -q "refused domain=example.com stage=$_stage " "$T/send1.log"
	ok $? "$_l: logged as refused at $_stage"
	is "$(nalerts),$(cut -d '|' -f 1 "$T/alerts" 2>/dev/null)" 1,refused \
	    "$_l: the alert ran once, SNF_EVENT=refused"
	# Postfix's summary of each session: no MAIL, RCPT or DATA (at
	# none: no DATA taken)
	pf_since | grep 'disconnect from' >"$T/sessions"
	if [ -z "$_clear" ]; then
		[ -s "$T/sessions" ] && ! grep -q ' mail=\| rcpt=\| data=' "$T/sessions"
	else
		[ -s "$T/sessions" ] && ! grep -q ' data=[1-9]' "$T/sessions"
	fi && [ -z "$(pf_got "$_l")" ]
	ok $? "$_l: $([ -z "$_clear" ] && echo "nothing sent in clear text" || echo "no message sent") (Postfix: $(sed 's/.*disconnect from [^ ]* //' "$T/sessions" | tr '\n' ';'))"
	echo encrypt >"$R/domains/example.com/tls"
	primary "$R" "127.0.0.1:$PORT"
	pf_tls encrypt
	send1 "$R" example.com
	is "$(pf_got "$_l"),$(queue_count "$R" example.com),$(status_field 3)" "alice:a,0,up" \
	    "$_l: at encrypt, delivered once, the domain up"
}
# Postfix takes clear text here: nothing but snf keeps the mail from it
pf_tls may
refused wrongname "verify wrong.example.com" "127.0.0.1:$PORT" STARTTLS \
    "wrong.example.com"
rm -f "$R/control/tls_ca"
pf_tls may
refused untrusted verify "localhost:$PORT" STARTTLS "TLS (verify)"
cp "$TLS/ca.crt" "$R/control/tls_ca"
pf_tls none
refused notoffered encrypt "127.0.0.1:$PORT" STARTTLS "STARTTLS is not offered"
refused none none "127.0.0.1:$PORT" MAIL "Must issue a STARTTLS command first" clear

# --- may: a handshake that fails ----------------------------------------------
# Postfix offers STARTTLS with no protocol snf speaks (TLS 1.2 and 1.3)
pf_tls may "smtpd_tls_protocols = <=TLSv1.1"
echo may >"$R/domains/example.com/tls"
one fallback
pf_mark
send1 "$R" example.com
is "$(pf_got fallback),$(queue_count "$R" example.com)" "alice:a,0" \
    "may, the handshake fails: delivered all the same"
grep -q 'tls host=127.0.0.1\[127.0.0.1\] clear=yes reason=.*:\\strying\\sagain\\swithout\\sTLS' "$T/send1.log" ||
    grep -q 'tls host=127.0.0.1\[127.0.0.1\] clear=yes reason=.*: trying again without TLS' "$T/send1.log"
ok $? "... logged: $(sed -n 's/.*tls host=[^ ]* clear=yes //p' "$T/send1.log" | head -n 1)"
grep -q 'delivered id=.* to=<alice@example.com> .* tls=none$' "$T/send1.log"
ok $? "... the delivery says tls=none"
pf_since | grep 'disconnect from' >"$T/sessions"
[ "$(wc -l <"$T/sessions" | tr -d ' ')" = 2 ] &&
    [ "$(pf_since | grep -c ' connect from')" = 2 ] &&
    sed -n 1p "$T/sessions" | grep -q 'starttls=' &&
    ! sed -n 1p "$T/sessions" | grep -q ' mail=' &&
    ! sed -n 2p "$T/sessions" | grep -q 'starttls=' &&
    sed -n 2p "$T/sessions" | grep -q ' mail=1'
ok $? "... on a new connection: first STARTTLS and nothing else, then the mail without STARTTLS"
is "$(status_field 12)" none "... snf-queue status: tls none"
pf_tls encrypt

# --- callouts ----------------------------------------------------------------
echo "127.0.0.1:$PORT" >"$R/domains/example.net/primary"
fresh "$R" cache
pf_mark
snf-verify -d "$R" carol@example.net >"$T/v.out" 2>&1
rc1=$?
snf-verify -d "$R" nobody@example.net >>"$T/v.out" 2>&1
rc2=$?
is "$rc1,$rc2" "0,100" "snf-verify's callouts to a primary that takes only TLS: carol accepted, nobody rejected"
[ $rc1$rc2 = 0100 ] || show "$T/v.out"
is "$(pf_since | grep -c 'TLS connection established from')" 2 "... each over TLS (Postfix's log)"
echo none >"$R/domains/example.net/tls"
fresh "$R" cache
snf-verify -d "$R" carol@example.net >"$T/v.out" 2>&1
is "$?" 111 "... told never to use TLS (tls none): deferred, 111"
grep -q 'STARTTLS' "$T/v.out"
ok $? "... with Postfix's words: $(head -n 1 "$T/v.out")"
echo "verify primary.example.com" >"$R/domains/example.net/tls"
fresh "$R" cache
pf_mark
snf-verify -d "$R" carol@example.net >"$T/v.out" 2>&1
is "$?" 0 "... at verify primary.example.com: carol accepted"
is "$(pf_since | grep -c 'TLS connection established from')" 1 "... over TLS"
rm -f "$R/domains/example.net/tls"

# --- releases go by control/tls ---------------------------------------------
echo "rescue.test 127.0.0.1:$PORT" >"$R/control/routes"
rescued() {
	find "$PF/mail/rescue.test/rescue/new" -type f 2>/dev/null | wc -l |
	    tr -d ' '
}
touch "$R/domains/example.com/hold"
echo "verify primary.example.com" >"$R/domains/example.com/tls"
one held
snf-queue -d "$R" release -m rescue@rescue.test example.com >"$T/rel.out" 2>&1
is "$(queue_count "$R" example.com),$(queue_count "$R" rescue.test)" 0,1 \
    "release -m rescue@rescue.test: the held message queued anew for rescue.test"
echo none >"$R/control/tls"
send1 "$R" rescue.test
is "$(queue_count "$R" rescue.test),$(rescued)" 1,0 \
    "control/tls none (domains/example.com/tls is no matter): Postfix refuses it, it stays"
echo "verify primary.example.com" >"$R/control/tls"
send1 "$R" rescue.test
is "$(queue_count "$R" rescue.test),$(rescued)" 0,1 \
    "control/tls verify primary.example.com: delivered to the rescue mailbox"
grep -Eq 'delivered id=.* to=<rescue@rescue.test> .* tls=TLSv1\.[23]/[^ ]*/verified$' "$T/send1.log"
ok $? "... over verified TLS: $(sed -n 's/.*delivered id=.* tls=//p' "$T/send1.log")"

one heldH
echo none >"$R/control/tls"
snf-queue -d "$R" release -H "127.0.0.1:$PORT" example.com >"$T/rel.out" 2>"$T/rel.err"
rc=$?
[ $rc -ne 0 ] && [ "$(queue_count "$R" example.com)" = 1 ] && [ -z "$(pf_got heldH)" ]
ok $? "release -H to a TLS-only server, control/tls none: refused, the message stays ($(head -n 1 "$T/rel.err"))"
echo encrypt >"$R/control/tls"
snf-queue -d "$R" release -H "127.0.0.1:$PORT" example.com >"$T/rel.out" 2>"$T/rel.err"
rc=$?
is "$rc,$(queue_count "$R" example.com),$(pf_got heldH)" "0,0,alice:a" \
    "release -H, control/tls encrypt: delivered"
grep -Eq 'delivered id=.* tls=TLSv1\.[23]/[^ ]*/unverified$' "$T/rel.err"
ok $? "... over TLS: $(sed -n 's/.*delivered id=.* tls=//p' "$T/rel.err")"
rm -f "$R/domains/example.com/hold"

done_testing
