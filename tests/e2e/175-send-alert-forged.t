#!/bin/sh
# An outsider cannot page the operator: a message to a listed user with
# forged senders in victim1.test and victim2.test, refused by the
# primary, bounces to those domains, whose server is dead. Their
# failures are logged and shown by status, and the alert program runs
# for none of them, not even past the alert threshold; for example.com,
# a protected domain, it still runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"

R=$T/root
mkroot "$R"
echo 1 >"$R/control/alert_threshold"
cat >"$R/control/alert" <<EOF
#!/bin/sh
echo "\$SNF_EVENT \$SNF_DOMAIN" >>"$T/alerts"
EOF
chmod +x "$R/control/alert"
start_fake primary --reject alice@example.com ||
    echo "# fakesmtp for example.com did not start"
primary "$R" "127.0.0.1:$FPORT"
DEAD=$(free_port)
printf 'victim1.test 127.0.0.1:%s\nvictim2.test 127.0.0.1:%s\n' "$DEAD" "$DEAD" \
    >"$R/control/routes"

printf 'Subject: forged\n\nspam\n' >"$T/m"
mail_in "$R" joe@victim1.test alice@example.com "$T/m" &&
    mail_in "$R" ann@victim2.test alice@example.com "$T/m"
ok $? "two messages for alice, from forged senders in two domains"
send1 "$R" example.com
is "$(queue_count "$R" example.com),$(queue_count "$R" victim1.test),$(queue_count "$R" victim2.test)" \
    0,1,1 "the primary refuses alice: one report queued for each forged domain"
send1 "$R"
cp "$T/send1.log" "$T/pass1.log"
send1 "$R"
cat "$T/send1.log" >>"$T/pass1.log"
is "$(queue_count "$R" victim1.test),$(queue_count "$R" victim2.test)" 1,1 \
    "the forged domains' server is dead: the reports wait"
is "$(cat "$T/alerts" 2>/dev/null | wc -l | tr -d ' ')" 0 \
    "the alert program ran for neither domain, down or past the threshold"
n=$(grep -c 'alert domain=victim[12].test event=[a-z]* skipped: not a protected domain' \
    "$T/pass1.log")
[ "$n" -ge 2 ]
ok $? "the skipped alerts are logged ($n lines)"
grep -q "down domain=victim1.test .*port\\\\s$DEAD:\\\\sConnection\\\\srefused" "$T/pass1.log"
ok $? "the failure for victim1.test is logged"
st=$(snf-queue -d "$R" status victim1.test)
echo "$st" | grep -q '^victim1.test	' && echo "$st" | grep -q 'Connection refused'
ok $? "status shows victim1.test's failure: $(echo "$st" | cut -f 1,2,11)"

# a protected domain still pages
stop_pid "$FPID"
mail_in "$R" sender@origin.test bob@example.com "$T/m"
send1 "$R" example.com
grep -q '^down example.com$' "$T/alerts" 2>/dev/null
ok $? "example.com's primary down: the alert runs for it"
done_testing
