#!/bin/sh
# ETRN (RFC 1985) over SMTP: the customer's server, back up, asks for its
# mail, and the snf-send service delivers it at once, whatever the backoff.
# The replies: 250 (started), 251 (nothing waiting), 459 (not a domain held
# here), 503 (before EHLO).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
echo 2 >"$R/control/backoff_min"
echo 1h >"$R/control/backoff_max"
P=$(free_port)
primary "$R" "127.0.0.1:$P"

# fail_to N: N forced passes against the closed port: the backoff doubles
# from 2 s each time, so after 8 the next attempt is minutes away.
fail_to() {
	_i=0
	while [ $_i -lt "$1" ]; do
		send1 "$R" example.com
		_i=$((_i + 1))
	done
}
# away: seconds until the next attempt
away() {
	echo $(( $(state_get "$R" next) - $(date +%s) ))
}

printf 'Subject: etrn 1\n\none\n' >"$T/d1"
printf 'Subject: etrn 2\n\ntwo\n' >"$T/d2"
mail_in "$R" sender@origin.test alice@example.com "$T/d1"
ok $? "message 1 accepted"
mail_in "$R" sender@origin.test bob@example.com "$T/d2"
ok $? "message 2 accepted"
fail_to 8
is "$(state_get "$R" state),$(state_get "$R" fails)" "down,8" \
    "8 attempts with the primary down: state=down fails=8"
a=$(away)
[ "$a" -ge 150 ]
ok $? "the next attempt is minutes away (${a}s)"
clock_skip 3	# longer ago than backoff_min

# the primary comes back; without ETRN the service would wait its minutes
start_fake fs --port "$P" || echo "# fakesmtp did not start on port $P"
F=$T/fs
start_send "$R"
sleep 2
is "$(nlog "$F" '^connect$'),$(queue_count "$R" example.com)" "0,2" \
    "the service runs, and respects the backoff: no attempt, both messages wait"

start_server "$R" || echo "# tcpserver did not start"
tcpchat_ok "ETRN example.com after EHLO: 250" <<'EOF'
< 220
> EHLO customer.example.com
< 250
> ETRN example.com
<~ ^250 2\.0\.0 Queuing for node example\.com started
> QUIT
< 221
EOF
wait_is 10 0 queue_count "$R" example.com
ok $? "the service delivers at once"
is "$(nmsgs "$F")" 2 "the primary stored both messages"
is "$(nlog "$F" '^connect$')" 1 "over one connection"
grep -q '^snf-send\[[0-9]*\]: etrn domain=example.com$' "$SENDLOG"
ok $? "service log: etrn domain=example.com"
grep -q 'etrn ip=127.0.0.1 domain=example.com' "$T/server.log"
ok $? "snf-smtpd log: etrn ip=127.0.0.1 domain=example.com"
wait_is 5 up state_get "$R" state
ok $? "state=up"
is "$(ls "$R/queue/etrn" 2>/dev/null | wc -l | tr -d ' ')" 0 "the request in queue/etrn/ is used up"

tcpchat_ok "ETRN for a domain with nothing waiting: 251" <<'EOF'
< 220
> EHLO customer.example.com
< 250
> ETRN example.com
<~ ^251 2\.0\.0 example\.com: no messages waiting
> ETRN example.net
<~ ^251 
> QUIT
< 221
EOF
tcpchat_ok "ETRN for a domain not protected here: 459" <<'EOF'
< 220
> EHLO customer.example.com
< 250
> ETRN origin.test
<~ ^459 4\.7\.1 origin\.test: not a domain
> ETRN other.example.com
< 459
> QUIT
< 221
EOF
tcpchat_ok "ETRN before EHLO: 503" <<'EOF'
< 220
> ETRN example.com
< 503
> QUIT
< 221
EOF
is "$(ls "$R/queue/etrn" 2>/dev/null | wc -l | tr -d ' ')" 0 "none of these left a request"
stop_pid "$SEND_PID" 10
ok $? "the service stops on SIGTERM"

# --- ETRN right after a failed attempt -----------------------------------------
# The primary answers again seconds after the last failed attempt (which
# put the next one minutes away): its ETRN gets 250, and the mail goes at
# once, or at the latest 10 s after that attempt (an ETRN may ask for one
# attempt every 10 s); it must not wait for the minutes of the backoff.
stop_pid "$FPID" 5
echo 5 >"$R/control/backoff_min"
mail_in "$R" sender@origin.test alice@example.com "$T/d1"
ok $? "message 3 accepted, the primary down again"
fail_to 7
a=$(away)
[ "$a" -ge 150 ]
ok $? "7 attempts: the next is minutes away (${a}s)"
start_fake fs2 --port "$P" || echo "# fakesmtp did not start on port $P"
: >"$SENDLOG"
start_send "$R"
tcpchat_ok "ETRN example.com, seconds after the last attempt: 250" <<'EOF'
< 220
> EHLO customer.example.com
< 250
> ETRN example.com
< 250
> QUIT
< 221
EOF
wait_is 16 0 queue_count "$R" example.com
rc=$?
ok $rc "the service delivers within 10 s of the last attempt, not minutes later"
[ $rc -eq 0 ] || show "$SENDLOG"
is "$(nmsgs "$T/fs2")" 1 "the primary stored the message"
stop_pid "$SEND_PID" 10
ok $? "the service stops on SIGTERM"
rm -f "$R"/queue/mail/example.com/*	# whatever this left, for what follows

# --- without the service: the request waits for the next one-shot pass ----
echo 2 >"$R/control/backoff_min"
stop_pid "$FPID" 5
mail_in "$R" sender@origin.test alice@example.com "$T/d1"
ok $? "message 4 accepted, the primary down again"
fail_to 8
start_fake fs3 --port "$P" || echo "# fakesmtp did not start on port $P"
clock_skip 11	# longer ago than an ETRN must wait after an attempt (10 s)
send1 "$R"
is "$(nlog "$T/fs3" '^connect$')" 0 "a pass in backoff does not try"
tcpchat_ok "ETRN example.com with no service running: 250" <<'EOF'
< 220
> EHLO customer.example.com
< 250
> ETRN example.com
< 250
> QUIT
< 221
EOF
[ -f "$R/queue/etrn/example.com" ]
ok $? "the request waits in queue/etrn/example.com"
send1 "$R"
is "$(nmsgs "$T/fs3"),$(queue_count "$R")" "1,0" "the next one-shot pass honours it: delivered"
[ ! -e "$R/queue/etrn/example.com" ]
ok $? "and uses the request up"

done_testing
