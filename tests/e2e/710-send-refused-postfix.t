#!/bin/sh
# The refusals of 700 from a real primary: a private Postfix (its own
# configuration, queue and port under the test's folder) set up the
# ways a customer's server turns its backup away: TLS required (of a
# backup told not to use it), the
# client refused at RCPT, relaying not allowed for the backup, the
# sender refused at MAIL. Each keeps the mail byte for byte, bounces
# nothing, shows the domain refused with Postfix's words and alerts
# once; when Postfix is set up right, the next pass delivers everything
# exactly once. An unknown user among known ones bounces that user
# alone, content Postfix refuses after the dot is returned.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/pflib.sh"

if ! pf_usable; then
	skip "a private Postfix as the primary" "needs root and Debian's postfix"
	done_testing
	exit
fi

R=$T/root
mkroot "$R"
echo 1 >"$R/control/backoff_min"
echo mallory >>"$R/domains/example.com/users"
cat >"$R/control/alert" <<EOF
#!/bin/sh
echo "\$SNF_EVENT|\$SNF_DOMAIN|\$SNF_STATE|\$SNF_ERROR" >>"$T/alerts"
EOF
chmod +x "$R/control/alert"
nalerts() {
	cat "$T/alerts" 2>/dev/null | wc -l | tr -d ' '
}
sums() {
	for _f in $(queue_files "$1" example.com); do
		printf '%s %s\n' "${_f##*/}" "$(sha256sum <"$_f" | cut -c1-64)"
	done
}
n=0
two() {
	n=$((n + 1))
	printf 'Subject: %s\nMessage-ID: <%s.a@origin.test>\n\none\n' "$1" "$1" >"$T/m$n.1"
	printf 'Subject: %s\nMessage-ID: <%s.b@origin.test>\n\ntwo\n' "$1" "$1" >"$T/m$n.2"
	mail_in "$R" sender@origin.test alice@example.com "$T/m$n.1" &&
	    mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/m$n.2"
}

PORT=$(free_port)
pf_setup "$PORT"
pf_cert
ok $? "a throw-away key and certificate for it"
pf_start
ok $? "a private Postfix, the primary of example.com, listens on 127.0.0.1:$PORT"
primary "$R" "127.0.0.1:$PORT"

# refused LABEL STAGE WORDS MAIN.CF-LINES...: Postfix set up that way
# refuses the backup; then set up right, it takes everything once.
refused() {
	_l=$1 _stage=$2 _words=$3
	shift 3
	pf_config "$@"
	rm -f "$R/queue/state/example.com" "$T/alerts"
	two "$_l"
	ok $? "$_l: two messages queued"
	sums "$R" >"$T/before"
	_d0=$(pf_ids | wc -l)
	send1 "$R" example.com
	sums "$R" >"$T/after"
	cmp -s "$T/before" "$T/after"
	ok $? "$_l: the queue holds the same two messages, byte for byte"
	is "$(queue_count "$R" origin.test),$(grep -c 'bounced id=' "$T/send1.log")" 0,0 \
	    "$_l: nothing bounced"
	is "$(state_get "$R" state)" refused "$_l: the domain is refused"
	snf-queue -d "$R" status example.com | cut -f 11 | grep -q -- "$_words"
	ok $? "$_l: status shows Postfix's words: $(snf-queue -d "$R" status example.com | cut -f 11)"
	grep -q "refused domain=example.com stage=$_stage " "$T/send1.log"
	ok $? "$_l: logged as refused at $_stage"
	is "$(nalerts),$(cut -d '|' -f 1 "$T/alerts" 2>/dev/null)" 1,refused \
	    "$_l: the alert ran once, SNF_EVENT=refused"
	pf_config ""
	rm -f "$R/domains/example.com/tls"
	send1 "$R" example.com
	is "$(queue_count "$R" example.com)" 0 "$_l: Postfix set up right: the queue empties"
	is "$(pf_got "$_l")" "alice:a alice:b bob:b" \
	    "$_l: both messages delivered, each exactly once to each recipient"
	is "$(state_get "$R" state)" up "$_l: the domain is up again"
}

# snf says STARTTLS when offered (tls may): told never to, it is refused
echo none >"$R/domains/example.com/tls"
refused tls MAIL "Must issue a STARTTLS command first" \
    "smtpd_tls_security_level = encrypt" \
    "smtpd_tls_cert_file = $PF/tls.crt" "smtpd_tls_key_file = $PF/tls.key"
refused client RCPT "Client host rejected" \
    "smtpd_client_restrictions = check_client_access inline:{ 127.0.0.1=REJECT }"
# Postfix's own default defers it (454 4.7.1): not final, still a refusal
refused relay RCPT "Relay access denied" \
    "virtual_mailbox_domains =" "mynetworks = 127.0.0.2/32"
refused relay554 RCPT "Relay access denied" \
    "virtual_mailbox_domains =" "mynetworks = 127.0.0.2/32" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
refused sender MAIL "Sender address rejected" "smtpd_delay_reject = no" \
    "smtpd_sender_restrictions = check_sender_access inline:{ origin.test=REJECT }"

# --- the recipient's own answers ---------------------------------------------
rm -f "$T/alerts"
printf 'Subject: unknown\nMessage-ID: <unknown.a@origin.test>\n\nthree\n' >"$T/u"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com,mallory@example.com "$T/u"
ok $? "a message for alice, bob and mallory queued"
send1 "$R" example.com
is "$(pf_got unknown),$(queue_count "$R" example.com)" "alice:a bob:a,0" \
    "one unknown user among known: alice and bob get it, the queue empties"
is "$(queue_count "$R" origin.test)" 1 "... one report queued"
qitem_body "$(qitem_for "$R" origin.test)" >"$T/report"
grep -q 'Final-Recipient: rfc822; mallory@example.com' "$T/report" &&
    grep -q 'User unknown in virtual mailbox table' "$T/report" &&
    ! grep -q 'Final-Recipient: rfc822; alice@' "$T/report"
ok $? "... about mallory alone, with Postfix's words"
is "$(nalerts)" 0 "... no alert"
empty_queue "$R"

pf_config "header_checks = regexp:{ {/^Subject: spam/ REJECT content rejected} }"
printf 'Subject: spam offer\nMessage-ID: <spam.a@origin.test>\n\nbuy\n' >"$T/s"
mail_in "$R" sender@origin.test alice@example.com "$T/s"
send1 "$R" example.com
is "$(queue_count "$R" example.com),$(queue_count "$R" origin.test)" 0,1 \
    "content Postfix refuses after the dot: the message is returned"
grep -q 'bounced id=.*content\\srejected' "$T/send1.log"
ok $? "... logged as bounced with Postfix's words"
is "$(state_get "$R" state),$(nalerts)" up,0 "... the domain is up, no alert"

done_testing
