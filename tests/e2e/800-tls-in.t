#!/bin/sh
# STARTTLS into snf-smtpd under tcpserver, with a CA and certificates
# made for the test (tlslib.sh): offered only with control/tls_cert and
# control/tls_key; the chain and the name a verifying client sees; TLS
# 1.2 and 1.3 only; a message over TLS says so in its Received field
# and its log line; clear text pipelined behind STARTTLS is thrown away
# unread; EHLO again after STARTTLS, which is not offered twice; a
# stalled handshake ends within control/timeout; a renewed certificate
# serves the next connection; a key that is broken, does not match or
# cannot be read costs TLS, never mail; a Postfix that verifies its
# next hop delivers to snf, and defers when snf's certificate names
# another host; session resumption, as far as the TLS library allows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/tlslib.sh"
. "$(dirname "$0")/pflib.sh"

if ! tls_usable; then
	skip "STARTTLS into snf-smtpd" \
	    "this build has no TLS (configure found no libtls) or openssl is missing"
	done_testing
	exit
fi

R=$T/root
mkroot "$R"
tls_ca && tls_cert mx.test.invalid mx && tls_cert wrong.test.invalid wrong
ok $? "a throw-away root CA, an intermediate, certificates for mx.test.invalid and wrong.test.invalid"
start_server "$R"
ok $? "snf-smtpd under tcpserver on 127.0.0.1:$PORT"
SERVER_PID=${SERVER_PIDS##* }

# the server's log from a mark on
log_mark() {
	LOGMARK=$(wc -l <"$T/server.log" | tr -d ' ')
}
log_since() {
	tail -n +$((LOGMARK + 1)) "$T/server.log"
}

# --- offered or not ------------------------------------------------------
log_mark
tcpchat_ok "without control/tls_cert and tls_key: no STARTTLS in EHLO, STARTTLS 502" <<'EOF'
< 220
> EHLO client.test
<! ^250.STARTTLS
> STARTTLS
< 502 5.5.1
> QUIT
< 221
EOF
is "$(log_since | grep -c warning)" 0 "... and no warning: TLS is simply not set up"

cp "$TLS/mx.pem" "$R/control/tls_cert"
log_mark
tcpchat_ok "a certificate without its key: STARTTLS not offered" <<'EOF'
< 220
> EHLO client.test
<! ^250.STARTTLS
> QUIT
< 221
EOF
log_since | grep -q 'warning ip=127.0.0.1 control/tls_key cannot be read: STARTTLS not offered: No such file or directory'
ok $? "... a warning names the missing key"
rm -f "$R/control/tls_cert"

tls_install "$R" mx
tcpchat_ok "with both: EHLO offers STARTTLS, before the last line" <<'EOF'
< 220
> EHLO client.test
<* ^250-STARTTLS$
> QUIT
< 221
EOF
tcpchat_ok "STARTTLS after HELO (no extensions), or with an argument: 502, 501" <<'EOF'
< 220
> HELO client.test
< 250
> STARTTLS
< 502 5.5.1
> EHLO client.test
< 250
> STARTTLS now
< 501 5.5.4
> QUIT
< 221
EOF

# --- what a verifying client sees ------------------------------------------
s_client "$PORT" -verify_return_error -verify_hostname mx.test.invalid
ok $? "openssl s_client -starttls smtp verifies the server against the test root CA, name mx.test.invalid"
grep -q 'Verify return code: 0 (ok)' "$T/s_client.out"
ok $? "... verify return code 0"
awk '/^Certificate chain/ { c = 1; next } c && /^---$/ { exit }
    c && /^ *[0-9]+ s:/ { sub(/^ */, ""); print }' "$T/s_client.out" >"$T/chain"
is "$(tr '\n' '|' <"$T/chain")" \
    "0 s:O = snf tests, CN = mx.test.invalid|1 s:O = snf tests, CN = snf test intermediate CA|" \
    "... the chain sent: the certificate for mx.test.invalid, then the intermediate"
s_client "$PORT" -verify_return_error -verify_hostname other.test.invalid
[ $? -ne 0 ]
ok $? "... a client that wants another name refuses it (the name is checked, not just the chain)"

for v in 1_2 1_3; do
	s_client "$PORT" "-tls$v"
	rc=$?
	want=$(echo "TLSv$v" | tr _ .)
	[ $rc -eq 0 ] && grep -q "^New, $want, Cipher is " "$T/s_client.out"
	ok $? "$want: a session ($(sed -n 's/^New, //p' "$T/s_client.out"))"
done
log_mark
s_client "$PORT" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -msg
rc=$?
grep -q 'TLS 1.1, Handshake .*ClientHello' "$T/s_client.out" &&
    grep -q '<<< .*Alert .*protocol_version' "$T/s_client.out" && [ $rc -ne 0 ]
ok $? "TLS 1.1 (a client willing to use it): the server answers protocol_version, no session"
log_since | grep -q 'lost ip=127.0.0.1 during=STARTTLS reason=TLS\\shandshake'
ok $? "... logged as a handshake that failed"

# --- a message over TLS ----------------------------------------------------
log_mark
swaks --server 127.0.0.1 --port "$PORT" --tls --helo client.test \
    --from sender@origin.test --to alice@example.com \
    --header 'Subject: over TLS' --body 'sent encrypted' >"$T/swaks.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^<~  250 2.0.0 Ok: queued as ' "$T/swaks.out"
ok $? "swaks --tls: STARTTLS, then the message, queued (250 over TLS)"
# swaks: "TLS started with cipher TLSv1.3:TLS_AES_256_GCM_SHA384:256"
sw=$(sed -n 's/^=== TLS started with cipher \([^:]*\):\([^:]*\):\([0-9]*\)$/\1 \2 \3/p' "$T/swaks.out")
f=$(qitem_for "$R" example.com)
qitem_body "$f" >"$T/body"
rcv=$(sed -n '1,3p' "$T/body" | tr -d '\r')
echo "$rcv" | grep -q "^	by mx.test.invalid (snf-smtpd) with ESMTPS ($sw)\$"
rc=$?
ok $rc "the queued message's Received field: with ESMTPS ($sw), as the client saw it"
[ $rc -eq 0 ] || echo "$rcv" | sed 's/^/#   /'
[ -n "$sw" ] || echo "# swaks said no cipher"
esc=$(echo "$sw" | sed 's/ /\\\\s/g')
log_since | grep -q "accept ip=127.0.0.1 .* tls=$esc\$"
ok $? "the accept log line carries the protocol, cipher and bits"
log_since | grep -q "tls ip=127.0.0.1 version=${sw%% *} cipher=$(echo "$sw" | cut -d ' ' -f 2) bits=${sw##* } resumed=no"
ok $? "... and a tls line when the session began"
empty_queue "$R"

# --- the session starts again after STARTTLS -------------------------------
log_mark
pipelined='MAIL FROM:<sender@origin.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n'
tcpchat_ok "STARTTLS with MAIL, RCPT and DATA behind it in the same packet: 220, then nothing" <<EOF
< 220
> EHLO client.test
< 250
>> STARTTLS\\r\\n$pipelined
< 220 2.0.0
tls
quiet 1.5
> MAIL FROM:<sender@origin.test>
< 503 5.5.1
> EHLO client.test
<! ^250.STARTTLS
> DATA
< 503 5.5.1
> STARTTLS
< 503 5.5.1
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> QUIT
< 221
EOF
n=$(printf "$pipelined" | wc -c | tr -d ' ')
log_since | grep -q "starttls ip=127.0.0.1 discarded=$n bytes sent behind STARTTLS"
ok $? "... the $n bytes behind STARTTLS thrown away, and logged"
is "$(log_since | grep -c 'reject ip=.* cmd=MAIL\|reject ip=.* cmd=RCPT\|reject ip=.* cmd=DATA')" 2 \
    "... only the MAIL before EHLO and the DATA without a transaction, over TLS, were refused"
is "$(queue_count "$R")" 0 "... nothing queued: the pipelined DATA never ran"

# --- a stalled handshake ---------------------------------------------------
echo 2 >"$R/control/timeout"
log_mark
t0=$(date +%s)
tcpchat_ok "STARTTLS, then silence: the server closes the connection" <<'EOF'
< 220
> EHLO client.test
< 250
> STARTTLS
< 220
eof
EOF
el=$(( $(date +%s) - t0 ))
[ "$el" -ge 1 ] && [ "$el" -le 5 ]
ok $? "... within control/timeout (2 s): ${el}s"
log_since | grep -q 'lost ip=127.0.0.1 during=STARTTLS reason=TLS\\shandshake:\\stimeout'
ok $? "... logged as a handshake timeout"
echo 30 >"$R/control/timeout"
echo 2 >"$R/control/session_lifetime"
t0=$(date +%s)
tcpchat_ok "... and one that stalls near the end of control/session_lifetime (2 s, timeout 30 s)" <<'EOF'
< 220
> EHLO client.test
< 250
> STARTTLS
< 220
eof
EOF
el=$(( $(date +%s) - t0 ))
[ "$el" -le 5 ]
ok $? "... ends with the session's lifetime: ${el}s"
rm -f "$R/control/timeout" "$R/control/session_lifetime"

# --- a renewed certificate -------------------------------------------------
s_client "$PORT"
old=$(tls_serial "$T/s_client.out")
tls_cert mx.test.invalid mx2 && tls_install "$R" mx2
s_client "$PORT" -verify_return_error -verify_hostname mx.test.invalid
new=$(tls_serial "$T/s_client.out")
[ "$old" = "$(tls_serial "$TLS/mx.crt")" ] && [ "$new" = "$(tls_serial "$TLS/mx2.crt")" ] &&
    [ "$old" != "$new" ]
ok $? "the certificate replaced: the next connection gets the new one (serial $old, then $new)"
kill -0 "$SERVER_PID" 2>/dev/null && [ "$(head -n 1 "$T/port")" = "$PORT" ]
ok $? "... with the same tcpserver, never restarted"

# --- a broken key pair -----------------------------------------------------
# key_case LABEL CERT [KEYFILE]: tls_install's CERT and KEYFILE make
# STARTTLS answer 454 4.7.0 with a log line, and the message goes
# through in clear text all the same
key_case() {
	tls_install "$R" "$2" "${3:-}"
	log_mark
	tcpchat_ok "$1: STARTTLS offered, answered 454 4.7.0; the message goes in clear text" <<'EOF'
< 220
> EHLO client.test
<* ^250-STARTTLS$
> STARTTLS
< 454 4.7.0
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> DATA
< 354
> Subject: clear
>> \r\n
> in clear text
> .
< 250 2.0.0 Ok: queued as
> QUIT
< 221
EOF
	log_since | grep -q 'error ip=127.0.0.1 STARTTLS not available: TLS\\skey\\spair:'
	ok $? "... logged: $(log_since | sed -n 's/.*STARTTLS not available: //p')"
	log_since | grep -q 'accept ip=127.0.0.1 .* tls=none$'
	ok $? "... accepted, tls=none"
	empty_queue "$R"
}
key_case "a key that does not match the certificate" mx2 "$TLS/wrong.key"
tls_broken "$T/broken.key"
key_case "a key file that holds no key" mx2 "$T/broken.key"
printf 'not a certificate\n' >"$TLS/junk.pem"
cp "$TLS/mx2.key" "$TLS/junk.key"
key_case "a certificate file that holds no certificate" junk
tls_install "$R" mx2
if [ "$(id -u)" -eq 0 ]; then
	chown root "$R/control/tls_key"
	log_mark
	tcpchat_ok "a key the service user cannot read: STARTTLS not offered, mail flows" <<'EOF'
< 220
> EHLO client.test
<! ^250.STARTTLS
> MAIL FROM:<sender@origin.test>
< 250
> RCPT TO:<alice@example.com>
< 250
> QUIT
< 221
EOF
	log_since | grep -q 'warning ip=127.0.0.1 control/tls_key cannot be read: STARTTLS not offered: Permission denied'
	ok $? "... a warning says why"
	is "$(log_since | grep -c 'warning')" 1 "... once per session, though EHLO asked twice"
	tls_install "$R" mx2
else
	skip "a key the service user cannot read" "needs root (the service user is another)"
fi

# --- a Postfix that verifies its next hop ---------------------------------
if pf_usable; then
	PFPORT=$(free_port)
	pf_setup "$PFPORT"
	printf '[127.0.0.1]:%s verify match=mx.test.invalid\n' "$PORT" >"$PF/tls_policy"
	pf_config "virtual_mailbox_domains =" "relay_domains = example.com" \
	    "transport_maps = inline:{ example.com=smtp:[127.0.0.1]:$PORT }" \
	    "smtp_tls_policy_maps = texthash:$PF/tls_policy" \
	    "smtp_tls_CAfile = $TLS/ca.crt" "smtp_tls_loglevel = 1"
	pf_start
	ok $? "a private Postfix that relays example.com to snf, TLS verify against the test CA"
	# pf_mail TAG: a message through Postfix for alice@example.com
	pf_mail() {
		swaks --server 127.0.0.1 --port "$PFPORT" --helo client.test \
		    --from sender@origin.test --to alice@example.com \
		    --header "Message-ID: <$1@origin.test>" \
		    --body "through Postfix" >"$T/pf-swaks.out" 2>&1
	}
	log_mark
	pf_mail pf1
	wait_is 30 1 queue_count "$R" example.com
	ok $? "Postfix delivered it to snf"
	grep -q 'Verified TLS connection established to 127.0.0.1\[127.0.0.1\]:'"$PORT" "$PF/maillog"
	ok $? "... over a verified TLS connection (Postfix's log)"
	qitem_body "$(qitem_for "$R" example.com)" | tr -d '\r' | sed -n 2p |
	    grep -q 'with ESMTPS (TLSv1\.[23] '
	ok $? "... and snf's Received field says ESMTPS"
	empty_queue "$R"

	tls_install "$R" wrong
	pf_mail pf2
	wait_for 30 grep -q 'status=deferred.*certificate' "$PF/maillog"
	ok $? "snf's certificate names wrong.test.invalid: Postfix defers ($(sed -n 's/.*status=deferred //p' "$PF/maillog" | head -n 1))"
	postqueue -c "$PF/conf" -p >"$T/pfq" 2>&1
	grep -q 'alice@example.com' "$T/pfq"
	ok $? "... the message stays in Postfix's queue"
	is "$(queue_count "$R")" 0 "... nothing reached snf's queue"
	pf_stop
	tls_install "$R" mx2
else
	skip "a private Postfix sending to snf over verified TLS" "needs root and Debian's postfix"
fi

# --- session resumption ----------------------------------------------------
# snf gives libtls the ticket keys of cache/.tls-tickets; whether a
# client can resume is the library's doing. The outcome is shown either
# way: resumed (snf's log must agree with the client), or not, which
# snf-smtpd(8) BUGS must say.
tk=$R/cache/.tls-tickets
[ -f "$tk" ] && [ "$(stat -c '%a %U' "$tk")" = "600 $SVC_USER" ] &&
    grep -Eq '^1 [0-9]+ [0-9a-f]{96}$' "$tk"
ok $? "the first STARTTLS made cache/.tls-tickets: mode 0600, the service user's, one key"
resumed=""
for v in 1_2 1_3; do
	want=$(echo "TLSv$v" | tr _ .)
	rm -f "$T/sess"
	s_client "$PORT" "-tls$v" -sess_out "$T/sess" -msg -tlsextdebug
	if [ ! -s "$T/sess" ]; then
		# what the server sent instead of a ticket
		n=$(grep -c '<<< .*NewSessionTicket' "$T/s_client.out")
		len=$(sed -n 's/^<<< .*Handshake \[length \([0-9a-f]*\)\], NewSessionTicket$/\1/p' \
		    "$T/s_client.out" | head -n 1)
		echo "# finding: $want: the client got no session to resume: $n NewSessionTicket message(s)${len:+ of $((0x$len)) bytes (an empty ticket)}, no session id"
		res=none
	else
		log_mark
		s_client "$PORT" "-tls$v" -sess_in "$T/sess"
		if grep -q "^Reused, $want" "$T/s_client.out"; then
			res=yes
		else
			res=no
		fi
		log_since | grep -q "tls ip=127.0.0.1 version=$want .* resumed=$res\$"
		ok $? "$want: the client's view (resumed: $res) and snf's log agree"
	fi
	if [ "$res" = yes ]; then
		ok 0 "$want: a session resumed with a ticket from another snf-smtpd process"
		resumed="$resumed $want"
	else
		sed -n '/^\.Sh BUGS/,/^\.Sh SEC/p' "$SNF_TOP/man/snf-smtpd.8" |
		    tr '\n' ' ' | grep "TLS ${want#TLSv}" | grep -q 'no session is resumed'
		ok $? "$want: no session resumed, as snf-smtpd(8) BUGS says"
	fi
done
[ -n "$resumed" ] ||
    echo "# finding: libtls (libretls) on OpenSSL 3 issues no usable session ticket: every STARTTLS is a full handshake"

# snf-expire rotates the keys: a new one first, the newest kept behind it
awk '{ $2 = $2 - 3601; print }' "$tk" >"$tk.tmp" && mv "$tk.tmp" "$tk"
svc_own "$R"
k1=$(cut -d ' ' -f 3 "$tk")
snf-expire -d "$R" >/dev/null 2>"$T/expire.log"
grep -q 'rotated file=cache/.tls-tickets' "$T/expire.log" &&
    [ "$(wc -l <"$tk" | tr -d ' ')" = 2 ] &&
    [ "$(sed -n 1p "$tk" | cut -d ' ' -f 1)" = 2 ] &&
    [ "$(sed -n 2p "$tk" | cut -d ' ' -f 3)" = "$k1" ] &&
    [ "$(sed -n 1p "$tk" | cut -d ' ' -f 3)" != "$k1" ]
ok $? "snf-expire: a key older than an hour is followed by a new one, the old kept second"
s_client "$PORT"
ok $? "... and STARTTLS works with the rotated keys"

done_testing
