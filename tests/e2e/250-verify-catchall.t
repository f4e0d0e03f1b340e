#!/bin/sh
# Catch-all primaries: a primary that accepts any local part is found out
# by the probe (cache/D/.catchall), its positive answers are not
# recorded; domains/D/catchall says what to do while it is down (defer
# by default, or accept everything).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"

R=$T/root
vroot "$R"
echo 1 >"$R/control/callout_timeout"
echo 0 >"$R/control/callout_down"
start_fake all || echo "# fakesmtp did not start"
A=$T/all
UP=127.0.0.1:$FPORT
DOWN=127.0.0.1:$(free_port)
set_primary "$R" "$UP"

# --- detection
verify_is "$R" anyone@example.net 0 \
    "accept anyone@example.net: primary said: 250 2.1.5 ok (catch-all: not cached)" \
    "catch-all primary: accept, and says it is not cached"
case "$(cat "$R/cache/example.net/.catchall" 2>/dev/null)" in
"yes "[0-9]*) ok 0 "cache/example.net/.catchall says yes" ;;
*) ok 1 "cache/example.net/.catchall says yes"; cat "$R/cache/example.net/.catchall" 2>&1 | sed 's/^/#   /' ;;
esac
is "$(nlog "$A" '^RCPT TO:<snf-probe-[0-9a-f]*@example.net>$')" 1 \
    "the probe asked for snf-probe-RANDOM@example.net"
snf-verify -d "$R" show anyone@example.net >/dev/null
is "$?" 100 "no record for anyone@example.net"
rcpts_is "$R" "catch-all primary up: 250 2.1.5 for anyone" \
    "someone@example.net=250 2.1.5 " "else@example.net=250 2.1.5 "
is "$(snf-verify -d "$R" list)" "" "no positive recorded"
is "$(nlog "$A" '^RCPT TO:<snf-probe-')" 1 "the catch-all answer is remembered: one probe"

# --- default (defer): while it is down, recipients are deferred
set_primary "$R" "$DOWN"
verify_is "$R" anyone@example.net 111 "defer anyone@example.net: no live record" \
    "catch-all primary down: defer (snf-verify)"
rcpt_is "$R" someone@example.net "451 4.4.3 " "catch-all primary down: 451 4.4.3"
# ... unless a positive recorded before is live
snf-verify -d "$R" add known@example.net >/dev/null
dset "$R" positive_refresh 0
verify_is "$R" known@example.net 0 "accept known@example.net: cache positive" \
    "catch-all primary down, a live positive: accept"
dset "$R" positive_refresh -
echo defer >"$R/domains/example.net/catchall"
rcpt_is "$R" someone@example.net "451 4.4.3 " "catchall = defer, down: 451 4.4.3"

# --- catchall = accept: everything is accepted, up or down
echo accept >"$R/domains/example.net/catchall"
verify_is "$R" anyone@example.net 0 \
    "accept anyone@example.net: the primary accepts any address (catch-all), and the domain says accept" \
    "catchall = accept, down: accept (snf-verify)"
rcpts_is "$R" "catchall = accept, down: 250 2.1.5 for anyone" \
    "x1@example.net=250 2.1.5 " "x2@example.net=250 2.1.5 " "X3@EXAMPLE.NET=250 2.1.5 "
echo "$(( $(date +%s) + 60 )) down" >"$R/cache/example.net/.down"
rcpt_is "$R" x4@example.net "250 2.1.5 " "catchall = accept, remembered as down: 250 2.1.5"
snf-verify -d "$R" add gone@example.net negative >/dev/null
verify_is "$R" gone@example.net 0 "accept gone@example.net: the primary accepts any address" \
    "catchall = accept: even a negative record is accepted"
clear_down "$R"
set_primary "$R" "$UP"
rcpt_is "$R" x5@example.net "250 2.1.5 " "catchall = accept, up: 250 2.1.5"
is "$(snf-verify -d "$R" list | grep -c positive | tr -d ' ')" 1 \
    "catchall = accept records nothing (only the seeded positive)"

# a catch-all mark holds for a day: an older one is probed again
# (domains/D/catchall = accept must not trust it forever)
start_fake users --users alice@example.net || echo "# fakesmtp did not start"
U=$T/users
set_primary "$R" "127.0.0.1:$FPORT"
echo "yes $(( $(date +%s) - 2 * 86400 ))" >"$R/cache/example.net/.catchall"
rm -f "$R"/cache/example.net/[0-9a-f]*
rcpt_is "$R" nobody@example.net "550 5.1.1 " \
    "catchall = accept, a 2-day-old catch-all mark, primary no longer catch-all: 550 5.1.1"
is "$(nrcpt "$U")" 2 "... after a new probe and a callout"
case "$(cat "$R/cache/example.net/.catchall" 2>/dev/null)" in
"no "[0-9]*) ok 0 "... and .catchall now says no" ;;
*) ok 1 "... and .catchall now says no"; cat "$R/cache/example.net/.catchall" 2>&1 | sed 's/^/#   /' ;;
esac
rm "$R/domains/example.net/catchall"

# --- a primary that is no catch-all
fresh "$R" cache
rcpts_is "$R" "non-catch-all primary: 250 for its user, 550 for others" \
    "alice@example.net=250 2.1.5 " "bob@example.net=550 5.1.1 "
case "$(cat "$R/cache/example.net/.catchall" 2>/dev/null)" in
"no "[0-9]*) ok 0 "non-catch-all primary: .catchall says no" ;;
*) ok 1 "non-catch-all primary: .catchall says no" ;;
esac
is "$(snf-verify -d "$R" list | cut -f 2,3 | sort)" \
    "$(printf 'alice@example.net\tpositive\nbob@example.net\tnegative')" \
    "non-catch-all primary: its answers are recorded"
set_primary "$R" "$DOWN"
rcpts_is "$R" "non-catch-all primary down: the records decide, others deferred" \
    "alice@example.net=250 2.1.5 " "bob@example.net=550 5.1.1 " "carol@example.net=451 4.4.3 "

# a catch-all primary found out while positives exist: those stay, no new one
fresh "$R" cache
snf-verify -d "$R" add old@example.net >/dev/null
set_primary "$R" "$UP"
dset "$R" positive_refresh 0
rcpts_is "$R" "catch-all found later: 250 for old and new" \
    "old@example.net=250 2.1.5 " "new@example.net=250 2.1.5 "
is "$(snf-verify -d "$R" list | cut -f 2,3)" "$(printf 'old@example.net\tpositive')" \
    "the old positive stays, the new one is not recorded"

done_testing
