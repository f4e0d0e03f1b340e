#!/bin/sh
# snf-send's alerts: the alert program (domains/D/alert, else
# control/alert) runs once when a domain goes down, once when it comes
# back, and once when the mail waiting reaches the alert threshold, with
# the facts in SNF_* variables.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
P=$(free_port)
primary "$R" "127.0.0.1:$P"

mkalert() {	# mkalert PROGRAM OUTFILE
	cat >"$1" <<EOF
#!/bin/sh
printf 'event=%s|domain=%s|state=%s|since=%s|count=%s|bytes=%s|oldest=%s|host=%s|dir=%s|error=%s\n' \\
    "\$SNF_EVENT" "\$SNF_DOMAIN" "\$SNF_STATE" "\$SNF_SINCE" "\$SNF_COUNT" \\
    "\$SNF_BYTES" "\$SNF_OLDEST" "\$SNF_HOST" "\$SNFDIR" "\$SNF_ERROR" >>"$2"
echo "alert program output for \$SNF_EVENT"
if read -r line; then echo "alert stdin was not empty"; fi
exit 3
EOF
	chmod +x "$1"
}
mkalert "$R/control/alert" "$T/alerts"
field() {	# field LINE NAME
	echo "$1" | tr '|' '\n' | sed -n "s/^$2=//p"
}
nalerts() {
	cat "$1" 2>/dev/null | wc -l | tr -d ' '
}

printf 'Subject: alert 1\n\none\n' >"$T/d1"
mail_in "$R" sender@origin.test alice@example.com "$T/d1"
ok $? "message 1 accepted"
mail_in "$R" sender@origin.test alice@example.com,bob@example.com "$T/d1"
ok $? "message 2 accepted"
next_second	# so that the oldest message is at least a second old

# --- down ----------------------------------------------------------------
t0=$(date +%s)
send1 "$R" example.com
is "$(nalerts "$T/alerts")" 1 "the primary is down: the alert program ran once"
a=$(sed -n 1p "$T/alerts")
is "$(field "$a" event)" down "SNF_EVENT=down"
is "$(field "$a" domain)" example.com "SNF_DOMAIN=example.com"
is "$(field "$a" state)" down "SNF_STATE=down"
is "$(field "$a" count)" 2 "SNF_COUNT=2"
is "$(field "$a" bytes)" "$(cat "$R"/queue/mail/example.com/* | wc -c | tr -d ' ')" \
    "SNF_BYTES= the size of the two items"
o=$(field "$a" oldest)
[ -n "$o" ] && [ "$o" -ge 1 ] && [ "$o" -le 30 ]
ok $? "SNF_OLDEST= the age of the oldest message ($o s)"
s=$(field "$a" since)
[ -n "$s" ] && [ "$s" -ge "$t0" ] && [ "$s" -le "$(date +%s)" ]
ok $? "SNF_SINCE= the time it went down"
is "$(field "$a" since)" "$(state_get "$R" since)" "SNF_SINCE is the state file's since="
field "$a" error | grep -q "connect to 127.0.0.1 port $P: Connection refused"
ok $? "SNF_ERROR= the reason ($(field "$a" error))"
is "$(field "$a" host)" mx.test.invalid "SNF_HOST= control/me"
is "$(field "$a" dir)" "$R" "SNFDIR= the root folder"
grep -q '^alert program output for down$' "$T/send1.log"
ok $? "the program's output is in the log"
! grep -q 'alert stdin was not empty' "$T/send1.log"
ok $? "its standard input is empty (/dev/null)"
grep -q "^snf-send\[[0-9]*\]: alert domain=example.com event=down program=$R/control/alert status=3\$" \
    "$T/send1.log"
ok $? "log: alert domain=example.com event=down program=.../control/alert status=3"

send1 "$R" example.com
is "$(nalerts "$T/alerts")" 1 "still down: no second alert"
is "$(state_get "$R" fails)" 2 "fails=2"

# --- up -------------------------------------------------------------------
start_fake fs --port "$P" || echo "# fakesmtp did not start on port $P"
t1=$(date +%s)
send1 "$R" example.com
is "$(nmsgs "$T/fs")" 2 "the primary is back: both delivered"
is "$(nalerts "$T/alerts")" 2 "the alert program ran once more"
a=$(sed -n 2p "$T/alerts")
is "$(field "$a" event),$(field "$a" state),$(field "$a" domain)" "up,up,example.com" \
    "SNF_EVENT=up SNF_STATE=up SNF_DOMAIN=example.com"
s=$(field "$a" since)
[ -n "$s" ] && [ "$s" -ge "$t1" ] && [ "$s" -le "$(date +%s)" ]
ok $? "SNF_SINCE= the time it came back"
send1 "$R" example.com
is "$(nalerts "$T/alerts")" 2 "still up: no more alerts"

# --- domains/D/alert overrides control/alert -----------------------------------
mkalert "$R/domains/example.com/alert" "$T/alerts.dom"
stop_pid "$FPID" 5
mail_in "$R" sender@origin.test alice@example.com "$T/d1"
ok $? "message 3 accepted, the primary down again"
send1 "$R" example.com
is "$(nalerts "$T/alerts.dom"),$(nalerts "$T/alerts")" "1,2" \
    "down again: domains/example.com/alert ran, control/alert did not"
is "$(field "$(cat "$T/alerts.dom")" event),$(field "$(cat "$T/alerts.dom")" count)" \
    "down,1" "the domain's program: SNF_EVENT=down SNF_COUNT=1"
grep -q "alert domain=example.com event=down program=$R/domains/example.com/alert status=3" \
    "$T/send1.log"
ok $? "log: program=.../domains/example.com/alert"
rm -f "$R/domains/example.com/alert"

# --- the threshold ---------------------------------------------------------------
echo 3 >"$R/control/alert_threshold"
mail_in "$R" sender@origin.test alice@example.com "$T/d1"
ok $? "message 4 accepted (2 waiting)"
send1 "$R" example.com
is "$(nalerts "$T/alerts")" 2 "2 waiting, threshold 3: no alert"
mail_in "$R" sender@origin.test bob@example.com "$T/d1"
ok $? "message 5 accepted (3 waiting)"
send1 "$R" example.com
is "$(nalerts "$T/alerts")" 3 "3 waiting: the alert program ran"
a=$(sed -n 3p "$T/alerts")
is "$(field "$a" event),$(field "$a" count),$(field "$a" state)" "threshold,3,down" \
    "SNF_EVENT=threshold SNF_COUNT=3 SNF_STATE=down"
is "$(field "$a" bytes)" "$(cat "$R"/queue/mail/example.com/* | wc -c | tr -d ' ')" \
    "SNF_BYTES= the size of the three items"
mail_in "$R" sender@origin.test bob@example.com "$T/d1"
send1 "$R" example.com
is "$(nalerts "$T/alerts")" 3 "4 waiting: no second threshold alert"
is "$(state_get "$R" over)" 1 "queue/state/example.com: over=1"

# back up: delivered, below the threshold again; a new pile-up alerts again
start_fake fs2 --port "$P" || echo "# fakesmtp did not start on port $P"
send1 "$R" example.com
is "$(nmsgs "$T/fs2"),$(queue_count "$R")" "4,0" "the primary is back: the 4 are delivered"
is "$(nalerts "$T/alerts")" 4 "one alert more (up)"
is "$(field "$(sed -n 4p "$T/alerts")" event)" up "SNF_EVENT=up"
is "$(state_get "$R" over)" 0 "over=0"

# control/alert_threshold 0: never
echo 0 >"$R/control/alert_threshold"
stop_pid "$FPID" 5
for i in 1 2 3 4; do
	mail_in "$R" sender@origin.test alice@example.com "$T/d1"
done
send1 "$R" example.com
is "$(sed -n 's/.*event=\([a-z]*\)|.*/\1/p' "$T/alerts" | sed 's/|.*//' | tr '\n' ' ')" \
    "down up threshold up down " "threshold 0: only the down alert, no threshold alert"


# domains/D/alert_threshold overrides control/alert_threshold
echo 5 >"$R/domains/example.com/alert_threshold"
send1 "$R" example.com
is "$(nalerts "$T/alerts")" 5 "domains/example.com/alert_threshold 5, 4 waiting: no alert"
mail_in "$R" sender@origin.test alice@example.com "$T/d1"
send1 "$R" example.com
is "$(nalerts "$T/alerts")" 6 "5 waiting: an alert"
is "$(field "$(sed -n 6p "$T/alerts")" event),$(field "$(sed -n 6p "$T/alerts")" count)" \
    "threshold,5" "SNF_EVENT=threshold SNF_COUNT=5"

done_testing
