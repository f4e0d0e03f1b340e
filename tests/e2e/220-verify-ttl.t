#!/bin/sh
# Times to live and refresh ages of the recipient cache: a fresh record
# decides alone (no callout), an older one is checked again while the
# primary answers, a dead positive defers while the primary is down
# unless keep_positive; snf-verify expire and -n.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"

R=$T/root
vroot "$R"
echo 1 >"$R/control/callout_timeout"
echo 0 >"$R/control/callout_down"	# every decision below may call out
dset "$R" positive_ttl 10s
dset "$R" positive_refresh 5
dset "$R" negative_ttl 10
dset "$R" negative_refresh 5s

start_fake up --users alice@example.net,bob@example.net,carol@example.net ||
    echo "# fakesmtp did not start"
F=$T/up
UP=127.0.0.1:$FPORT
DOWN=127.0.0.1:$(free_port)
set_primary "$R" "$UP"

next_second
verify_is "$R" alice@example.net 0 "accept alice@example.net: primary said: 250" \
    "first decision asks the primary: accept"
rcpt_is "$R" dave@example.net "550 5.1.1 " "first decision asks the primary: 550 5.1.1"
is "$(nconn "$F") $(nrcpt "$F")" "2 3" "two callouts (and one catch-all probe)"
A0=$(rec_text "$R" alice@example.net)
D0=$(rec_text "$R" dave@example.net)

# fresh: younger than the refresh age, no callout
verify_like "$R" alice@example.net 0 "accept alice@example.net: cache positive, [0-4]s old" \
    "fresh positive decides alone"
rcpt_is "$R" alice@example.net "250 2.1.5 " "fresh positive: 250 2.1.5"
verify_like "$R" dave@example.net 100 "reject dave@example.net: cache negative, [0-4]s old" \
    "fresh negative decides alone"
rcpt_is "$R" dave@example.net "550 5.1.1 " "fresh negative: 550 5.1.1"
is "$(nconn "$F") $(nrcpt "$F")" "2 3" "no callout for fresh records"
is "$(rec_text "$R" alice@example.net)" "$A0" "fresh positive not rewritten"

# older than the refresh age, primary up: checked again, record renewed
clock_skip 5
verify_is "$R" alice@example.net 0 "accept alice@example.net: primary said: 250" \
    "positive older than positive_refresh: asked again"
rcpt_is "$R" dave@example.net "550 5.1.1 " "negative older than negative_refresh: asked again (550)"
is "$(nconn "$F") $(nrcpt "$F")" "4 5" "two more callouts, one RCPT each"
[ "$(rec_text "$R" alice@example.net)" != "$A0" ]
ok $? "the positive record was renewed (new time)"
[ "$(rec_text "$R" dave@example.net)" != "$D0" ]
ok $? "the negative record was renewed (new time)"
case "$(snf-verify -d "$R" show alice@example.net | cut -f 3,4)" in
"$(printf 'positive\t')"[0-4]) ok 0 "show: positive, renewed (less than 5 s old)" ;;
*) ok 1 "show: positive, renewed (less than 5 s old)" ;;
esac

# older than refresh, primary down: the record decides while live
set_primary "$R" "$DOWN"
next_second
snf-verify -d "$R" add bob@example.net >/dev/null
snf-verify -d "$R" add erin@example.net negative >/dev/null
clock_skip 5
verify_like "$R" bob@example.net 0 "accept bob@example.net: cache positive, [5-9]s old (primary: *Connection refused)" \
    "stale but live positive, primary down: accept"
rcpt_is "$R" bob@example.net "250 2.1.5 " "stale but live positive, primary down: 250 2.1.5"
verify_like "$R" erin@example.net 100 "reject erin@example.net: cache negative, [5-9]s old (primary: *)" \
    "stale but live negative, primary down: reject"
rcpt_is "$R" erin@example.net "550 5.1.1 " "stale but live negative, primary down: 550 5.1.1"
# past the time to live
clock_skip 5
verify_is "$R" bob@example.net 111 "defer bob@example.net: no live record and the primary cannot answer" \
    "dead positive, primary down: defer"
rcpt_is "$R" bob@example.net "451 4.4.3 " "dead positive, primary down: 451 4.4.3"
verify_is "$R" erin@example.net 111 "defer erin@example.net: no live record" \
    "dead negative, primary down: defer"
rcpt_is "$R" erin@example.net "451 4.4.3 " "dead negative, primary down: 451 4.4.3"
is "$(rec_kind "$R" bob@example.net)" positive "the dead positive is still on disk (for expire)"

# keep_positive: a positive lives while the primary cannot answer
touch "$R/domains/example.net/keep_positive"
verify_is "$R" bob@example.net 0 "accept bob@example.net: cache positive, " \
    "keep_positive: dead positive, primary down: accept"
rcpt_is "$R" bob@example.net "250 2.1.5 " "keep_positive: 250 2.1.5"
verify_is "$R" erin@example.net 111 "defer erin@example.net: " \
    "keep_positive keeps no negative: defer"
# ... but not against the primary's word
set_primary "$R" "$UP"
seed "$R" zed@example.net positive $(( $(date +%s) - 100000 ))
verify_is "$R" zed@example.net 100 "reject zed@example.net: primary said: 550 5.1.1" \
    "keep_positive, primary up and says unknown: reject"
is "$(rec_kind "$R" zed@example.net)" negative "... and the record is negative"
set_primary "$R" "$DOWN"

# a very old positive (seeded by hand) under keep_positive: accept
seed "$R" old@example.net positive $(( $(date +%s) - 864000 ))
verify_is "$R" old@example.net 0 "accept old@example.net: cache positive, 10d old" \
    "keep_positive: a 10-day-old positive accepts while down"

# -n: the cache alone, never a callout
set_primary "$R" "$UP"
c0=$(nconn "$F")
snf-verify -d "$R" -n carol@example.net >"$T/n.out"
is "$? $(cat "$T/n.out")" \
    "111 defer carol@example.net: no live record and the primary cannot answer: not asked (cache only)" \
    "-n, no record: defer, not asked"
snf-verify -d "$R" -n bob@example.net >"$T/n.out"
is "$?" 0 "-n, stale positive under keep_positive: accept"
seed "$R" dave@example.net negative $(( $(date +%s) - 6 ))
snf-verify -d "$R" -n dave@example.net >/dev/null
is "$?" 100 "-n, stale but live negative: reject"
is "$(nconn "$F")" "$c0" "-n made no callout"
is "$(rec_kind "$R" carol@example.net)" "none" "-n recorded nothing"

# expire: dead records go, live ones and (under keep_positive) positives stay
# (the counts of new negative records, .rate, are 255's)
rm -f "$R"/cache/example.net/[0-9a-f]* "$R/cache/example.net/.rate"
t=$(date +%s)
seed "$R" live-pos@example.net positive "$t"
seed "$R" live-neg@example.net negative "$t"
seed "$R" dead-pos@example.net positive $((t - 100))
seed "$R" dead-neg@example.net negative $((t - 100))
seed "$R" future@example.net positive $((t + 3600))
printf 'junk\n' >"$R/cache/example.net/$(rec_hash junk@example.net)"
echo "$((t - 5)) connect refused" >"$R/cache/example.net/.down"
touch "$R/cache/example.net/.w.tmp.crashed"
touch -d '3 days ago' "$R/cache/example.net/.w.tmp.old"
H_DP=$(rec_hash dead-pos@example.net)
H_DN=$(rec_hash dead-neg@example.net)
H_J=$(rec_hash junk@example.net)

ls -a "$R/cache/example.net" >"$T/before"
snf-verify -d "$R" -n expire >"$T/exp.out"
is "$?" 0 "expire -n exits 0"
is "$(sort "$T/exp.out")" "$(printf 'would remove\texample.net\t%s\n' .down .w.tmp.old "$H_DN" "$H_J" | sort)" \
    "expire -n under keep_positive: says the dead negative, junk, .down and old temp file"
is "$(ls -a "$R/cache/example.net")" "$(cat "$T/before")" "expire -n removed nothing"

snf-verify -d "$R" expire >"$T/exp.out"
is "$?" 0 "expire exits 0"
is "$(sort "$T/exp.out")" "$(printf 'removed\texample.net\t%s\n' .down .w.tmp.old "$H_DN" "$H_J" | sort)" \
    "expire under keep_positive: removes the dead negative, junk, .down, old temp file"
is "$(rec_kind "$R" dead-pos@example.net) $(rec_kind "$R" live-pos@example.net) $(rec_kind "$R" live-neg@example.net) $(rec_kind "$R" future@example.net)" \
    "positive positive negative positive" "... keeps the positives and the live negative"
[ -f "$R/cache/example.net/.w.tmp.crashed" ] && [ -f "$R/cache/example.net/.catchall" ]
ok $? "... keeps a young temp file and .catchall"

rm "$R/domains/example.net/keep_positive"
snf-verify -d "$R" expire >"$T/exp.out"
is "$(cat "$T/exp.out")" "$(printf 'removed\texample.net\t%s' "$H_DP")" \
    "without keep_positive: the dead positive goes"
is "$(snf-verify -d "$R" list | cut -f 2,3 | sort)" \
    "$(printf 'future@example.net\tpositive\nlive-neg@example.net\tnegative\nlive-pos@example.net\tpositive')" \
    "live records stay"
snf-verify -d "$R" expire >"$T/exp.out"
is "$(cat "$T/exp.out")" "" "a second expire finds nothing"

done_testing
