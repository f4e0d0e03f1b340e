#!/bin/sh
# A refusal of this host is not a refusal of the recipient. Each kind of
# refusal a primary gives its backup (554 at connect, EHLO refused, TLS
# required, the client or relaying refused at MAIL or RCPT) keeps every
# message byte for byte, bounces nothing, shows the domain refused with
# the primary's words, runs the alert once, and when the primary is
# fixed the next pass delivers everything exactly once. For contrast, an
# unknown user among known ones bounces that user alone, and content
# refused after the final dot is returned. The same rules for snf-queue
# release -H and for reports to other domains, and for callouts: a 4xx
# to one RCPT defers that recipient alone, a refusal of the callouts
# shows the domain refused and alerts once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"

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

# sums DIR: each item of example.com, "name sha256", the bytes alone
sums() {
	for _f in $(queue_files "$1" example.com); do
		printf '%s %s\n' "${_f##*/}" "$(sha256sum <"$_f" | cut -c1-64)"
	done
}

# two TAG: two messages for example.com (alice; alice and bob)
two() {
	printf 'Subject: %s 1\nMessage-ID: <%s.1@origin.test>\n\none\n' "$1" "$1" \
	    >"$T/$1.1"
	printf 'Subject: %s 2\nMessage-ID: <%s.2@origin.test>\n\ntwo\n' "$1" "$1" \
	    >"$T/$1.2"
	mail_in "$R" sender@origin.test alice@example.com "$T/$1.1" &&
	    mail_in "$R" sender@origin.test alice@example.com,bob@example.com \
	    "$T/$1.2"
}

# status_field N: field N of snf-queue status for example.com
status_field() {
	snf-queue -d "$R" status example.com | cut -f "$1"
}

# refused LABEL STAGE WORDS FAKE-OPTIONS...: the whole story for one kind
# of refusal, WORDS a part of the primary's reply the domain must show.
refused() {
	_l=$1 _stage=$2 _words=$3
	shift 3
	rm -f "$R/queue/state/example.com" "$T/alerts"
	two "$_l"
	ok $? "$_l: two messages queued"
	sums "$R" >"$T/before"
	start_fake "$_l" "$@" || echo "# fakesmtp did not start"
	primary "$R" "127.0.0.1:$FPORT"
	send1 "$R" example.com
	sums "$R" >"$T/after"
	cmp -s "$T/before" "$T/after"
	ok $? "$_l: the queue holds the same two messages, byte for byte"
	is "$(queue_count "$R" origin.test)" 0 "$_l: nothing bounced (no report queued)"
	! grep -q 'bounced id=' "$T/send1.log"
	ok $? "$_l: no recipient logged as bounced"
	is "$(state_get "$R" state)" refused "$_l: queue/state says refused"
	is "$(status_field 3)" refused "$_l: status says refused"
	status_field 11 | grep -q -- "$_words"
	ok $? "$_l: status shows the primary's words ($(status_field 11))"
	is "$(grep -c "refused domain=example.com stage=$_stage " "$T/send1.log")" 1 \
	    "$_l: one log line, refused at $_stage"
	is "$(nalerts)" 1 "$_l: the alert ran once"
	is "$(cut -d '|' -f 1-3 "$T/alerts")" "refused|example.com|refused" \
	    "$_l: SNF_EVENT=refused for example.com"
	grep -q -- "$_words" "$T/alerts"
	ok $? "$_l: SNF_ERROR holds the reply"
	send1 "$R" example.com
	is "$(nalerts),$(queue_count "$R" example.com)" "1,2" \
	    "$_l: a second attempt keeps the mail and alerts no more"
	stop_pid "$FPID" 5
	start_fake "$_l.good" || echo "# fakesmtp did not start"
	primary "$R" "127.0.0.1:$FPORT"
	send1 "$R" example.com
	is "$(nmsgs "$T/$_l.good"),$(queue_count "$R" example.com)" 2,0 \
	    "$_l: fixed, the next pass delivers both and the queue empties"
	is "$(grep -h '^Message-ID:' "$T/$_l.good"/msg.[0-9]* | sort -u | wc -l | tr -d ' ')" 2 \
	    "$_l: each message exactly once"
	is "$(state_get "$R" state),$(tail -n 1 "$T/alerts" | cut -d '|' -f 1)" up,up \
	    "$_l: the domain is up again, and the alert said so"
	stop_pid "$FPID" 5
}

refused connect greeting "no SMTP service for you" \
    --greet 554 --text "mx.example.com no SMTP service for you"
refused ehlo EHLO "HELO name refused" --ehlo-code 550 --text "5.7.1 HELO name refused"
refused tls MAIL "STARTTLS" --mail-code "530 5.7.0" \
    --text "Must issue a STARTTLS command first"
refused mail MAIL "Client host rejected" --mail-code "550 5.7.1" \
    --text "Client host rejected: Access denied"
refused relay RCPT "Relay access denied" --rcpt-code "554 5.7.1" \
    --text "Relay access denied"
refused client RCPT "Client host rejected" --rcpt-code "554 5.7.1" \
    --text "Client host rejected: Access denied"

# --- the recipient's own answers are still bounced ---------------------------
rm -f "$T/alerts" "$R/queue/state/example.com"
echo mallory >>"$R/domains/example.com/users"	# listed here, unknown there
printf 'Subject: one unknown\nMessage-ID: <unknown.1@origin.test>\n\nthree\n' \
    >"$T/unknown"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com,mallory@example.com \
    "$T/unknown"
ok $? "a message for alice, bob and mallory queued"
start_fake users --users alice@example.com,bob@example.com ||
    echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$(nmsgs "$T/users"),$(queue_count "$R" example.com)" 1,0 \
    "one unknown among known users: the message is delivered once and leaves the queue"
grep -c '^RCPT' "$T/users/msg.1.env" | grep -qx 2
ok $? "... to alice and bob"
is "$(queue_count "$R" origin.test)" 1 "... one report is queued for the sender"
qitem_body "$(qitem_for "$R" origin.test)" >"$T/report"
grep -q 'Final-Recipient: rfc822; mallory@example.com' "$T/report" &&
    ! grep -q 'Final-Recipient: rfc822; alice@example.com' "$T/report"
ok $? "... about mallory alone"
is "$(state_get "$R" state),$(nalerts)" up,0 "... the domain is up, no alert"
stop_pid "$FPID" 5
empty_queue "$R"

printf 'Subject: content\nMessage-ID: <content.1@origin.test>\n\nbuy now\n' \
    >"$T/content"
mail_in "$R" sender@origin.test alice@example.com "$T/content"
start_fake content --data-code "554 5.7.1" --text "Message content rejected" ||
    echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
send1 "$R" example.com
is "$(queue_count "$R" example.com),$(queue_count "$R" origin.test)" 0,1 \
    "content refused after the final dot: the message is returned (one report)"
grep -q 'bounced id=.* to=<alice@example.com> .*Message\\scontent\\srejected' \
    "$T/send1.log"
ok $? "... logged as bounced with the primary's words"
is "$(state_get "$R" state),$(nalerts)" up,0 "... the domain is up, no alert"
stop_pid "$FPID" 5
empty_queue "$R"

# --- snf-queue release -H to a server that refuses this host ----------------
two release
sums "$R" >"$T/before"
start_fake rel --rcpt-code "554 5.7.1" --text "Relay access denied" ||
    echo "# fakesmtp did not start"
snf-queue -d "$R" release -H "127.0.0.1:$FPORT" example.com >"$T/rel.out" \
    2>"$T/rel.err"
is "$?" 111 "release -H to a server that refuses this host: exit 111"
grep -q 'refuses this host: .*Relay\\saccess\\sdenied.*the messages stay queued' \
    "$T/rel.err"
ok $? "... it says so ($(head -n 1 "$T/rel.err"))"
sums "$R" >"$T/after"
cmp -s "$T/before" "$T/after" && [ "$(queue_count "$R" origin.test)" = 0 ]
ok $? "... the messages stay, byte for byte, nothing bounced"
is "$(nlog "$T/rel" '^MAIL ')" 1 "... and the rest is not tried on that server"
stop_pid "$FPID" 5
empty_queue "$R"

# --- a report to another domain, refused for policy --------------------------
rm -f "$T/alerts"
start_fake rep --rcpt-code "554 5.7.1" --text "Relay access denied" ||
    echo "# fakesmtp did not start"
echo "origin.test 127.0.0.1:$FPORT" >"$R/control/routes"
start_fake bounce --rcpt-code "550 5.1.1" || echo "# fakesmtp did not start"
primary "$R" "127.0.0.1:$FPORT"
printf 'Subject: a bounce\n\nfour\n' >"$T/b"
mail_in "$R" sender@origin.test alice@example.com "$T/b"
send1 "$R" example.com
is "$(queue_count "$R" origin.test)" 1 "a report to origin.test is queued"
send1 "$R" origin.test
is "$(queue_count "$R" origin.test)" 1 \
    "origin.test refuses this host: the report is kept, not dropped"
is "$(state_get "$R" state origin.test)" refused "... origin.test shows refused"
is "$(cat "$T/alerts" 2>/dev/null | grep -c '|origin.test|' | tr -d ' ')" 0 \
    "... and no alert runs for a domain that is not protected"
grep -q 'alert domain=origin.test event=refused .*not a protected domain' \
    "$T/send1.log"
ok $? "... which the log says"
rm -f "$R/control/routes"
empty_queue "$R"

# --- callouts ---------------------------------------------------------------
echo 1000 >"$R/control/harderrors"
start_fake call --users alice@example.net,bob@example.net,carol@example.net \
    --defer carol@example.net || echo "# fakesmtp did not start"
set_primary "$R" "127.0.0.1:$FPORT"
fresh "$R" cache
rcpts_is "$R" "a callout: alice 250, carol (450 from the primary) 451, bob 250" \
    alice@example.net="250 2.1.5" carol@example.net="451 4.4.3" \
    bob@example.net="250 2.1.5"
[ ! -f "$R/cache/example.net/.down" ] && [ ! -f "$R/cache/example.net/.refused" ]
ok $? "a 4xx to one RCPT: the primary is not marked down, nor refused"
is "$(rec_kind "$R" carol@example.net),$(rec_kind "$R" alice@example.net),$(rec_kind "$R" bob@example.net)" \
    none,positive,positive "... nothing is recorded for carol, alice and bob are"
rcpt_is "$R" dave@example.net "550 5.1.1 " "... and the next address is asked: dave is unknown"
stop_pid "$FPID" 5

rm -f "$T/alerts"
start_fake callr --rcpt-code "554 5.7.1" --text "Relay access denied" ||
    echo "# fakesmtp did not start"
set_primary "$R" "127.0.0.1:$FPORT"
fresh "$R" cache
rcpt_is "$R" erin@example.net "451 4.4.3 " \
    "the primary refuses this host's callouts: 451 4.4.3, no verdict"
[ -f "$R/cache/example.net/.refused" ]
ok $? "... remembered as refused"
clear_down "$R"
rcpt_is "$R" frank@example.net "451 4.4.3 " "... a second callout: 451 4.4.3"
is "$(nlog "$T/callr" '^RCPT TO:<\(erin\|frank\)@')" 2 "... (it was asked twice)"
wait_for 5 test -s "$T/alerts"
sleep 0.5
is "$(nalerts)" 1 "... and the alert ran once"
is "$(cut -d '|' -f 1-3 "$T/alerts")" "refused|example.net|refused" \
    "... SNF_EVENT=refused for example.net"
snf-queue -d "$R" status example.net >"$T/st"
is "$(cut -f 3 "$T/st"),$(cut -f 10 "$T/st")" refused,refused \
    "status: example.net refused, its callouts refused"
grep -q 'Relay access denied' "$T/st" && ! grep -q 'erin\|frank' "$T/st"
ok $? "status: the primary's words, without the address it named"
stop_pid "$FPID" 5
start_fake callok --users frank@example.net || echo "# fakesmtp did not start"
set_primary "$R" "127.0.0.1:$FPORT"
clear_down "$R"
rcpt_is "$R" frank@example.net "250 2.1.5 " "the primary fixed: frank verifies"
[ ! -f "$R/cache/example.net/.refused" ]
ok $? "... and the domain is no longer refused"
stop_pid "$FPID" 5

done_testing
