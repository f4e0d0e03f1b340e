#!/bin/sh
# The cloudprotect decision, DESIGN.md's table row by row, through
# snf-smtpd (the RCPT reply) and snf-verify (exit code and line): what
# the primary says, what is recorded, what the sender is told; a failed
# callout never touches a record, and an answer about one recipient (a
# 4xx, a 5xx that is not "no such user") defers that recipient alone,
# records nothing and is not taken for a primary that is down. Also
# userprotect, unprotected domains and bad addresses through snf-verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"

R=$T/root
vroot "$R"
echo 1 >"$R/control/callout_timeout"
# a record of any age is checked again by a callout (and decides only
# when the primary cannot answer): every RCPT below asks the primary
dset "$R" positive_refresh 0
dset "$R" negative_refresh 0

start_fake users --users alice@example.net,bob@example.net,carol@example.net ||
    echo "# fakesmtp did not start"
U=$T/users
UPORT=$FPORT
set_primary "$R" "127.0.0.1:$UPORT"

# --- 2xx to RCPT: positive, accept
rcpt_is "$R" alice@example.net "250 2.1.5 " "2xx: snf-smtpd says 250 2.1.5"
case "$(rec_text "$R" alice@example.net)" in
"positive "[0-9]*" alice@example.net") ok 0 "2xx: positive record (snf-smtpd)" ;;
*) ok 1 "2xx: positive record (snf-smtpd)"; rec_text "$R" alice@example.net | sed 's/^/#   /' ;;
esac
verify_is "$R" bob@example.net 0 "accept bob@example.net: primary said: 250 2.1.5 ok" \
    "2xx: snf-verify exits 0, says accept and what the primary said"
is "$(rec_kind "$R" bob@example.net)" positive "2xx: positive record (snf-verify)"
verify_is "$R" Carol@Example.NET 0 "accept Carol@example.net: primary said: 250" \
    "2xx for a mixed-case address: accept"
is "$(rec_text "$R" carol@example.net | cut -d ' ' -f 1,3)" \
    "positive carol@example.net" "the record is under the lowercased address"
[ -f "$R/cache/example.net/.down" ]
ok $((! $?)) "a primary that answered is not remembered as down"
is "$(nconn "$U") $(nrcpt "$U")" "3 4" \
    "three callouts, one RCPT each plus one catch-all probe"

# --- 5xx user unknown: negative, reject
rcpt_is "$R" dave@example.net "550 5.1.1 " "550 5.1.1: snf-smtpd says 550 5.1.1"
case "$(rec_text "$R" dave@example.net)" in
"negative "[0-9]*" dave@example.net") ok 0 "550 5.1.1: negative record (snf-smtpd)" ;;
*) ok 1 "550 5.1.1: negative record (snf-smtpd)" ;;
esac
verify_is "$R" erin@example.net 100 \
    "reject erin@example.net: primary said: 550 5.1.1 <erin@example.net>: user unknown" \
    "550 5.1.1: snf-verify exits 100 and says what the primary said"
is "$(rec_kind "$R" erin@example.net)" negative "550 5.1.1: negative record (snf-verify)"

# a user deleted on the primary: its positive record becomes negative,
# and a negative one becomes positive when the primary takes the user
snf-verify -d "$R" add zed@example.net >/dev/null
snf-verify -d "$R" add carol@example.net negative >/dev/null
rcpt_is "$R" zed@example.net "550 5.1.1 " "a positive user the primary now refuses: 550 5.1.1"
is "$(rec_kind "$R" zed@example.net)" negative "... and its record is now negative"
verify_is "$R" carol@example.net 0 "accept carol@example.net: primary said: 250" \
    "a negative user the primary now takes: accept"
is "$(rec_kind "$R" carol@example.net)" positive "... and its record is now positive"

start_fake p550 --rcpt-code 550 || echo "# fakesmtp did not start"
set_primary "$R" "127.0.0.1:$FPORT"
rcpt_is "$R" frank@example.net "550 5.1.1 " "550 without enhanced code: snf-smtpd says 550 5.1.1"
is "$(rec_kind "$R" frank@example.net)" negative "550 without enhanced code: negative record"
verify_is "$R" grace@example.net 100 "reject grace@example.net: primary said: 550 <grace@example.net>: refused" \
    "550 without enhanced code: snf-verify exits 100"
is "$(rec_kind "$R" grace@example.net)" negative "550 without enhanced code: negative record (snf-verify)"
is "$(nrcpt "$T/p550")" 2 "one RCPT per callout (the catch-all answer is known)"

start_fake p553 --rcpt-code 553 || echo "# fakesmtp did not start"
set_primary "$R" "127.0.0.1:$FPORT"
verify_is "$R" heidi@example.net 100 "reject heidi@example.net: primary said: 553 " \
    "553 without enhanced code: reject"
is "$(rec_kind "$R" heidi@example.net)" negative "553 without enhanced code: negative record"

# --- the primary cannot answer: nothing recorded, the cache decides.
# unavailable LABEL HOST:PORT [FAKEDIR]: live positive pos@ -> accept,
# live negative neg@ -> reject, no record (none@) -> defer, through
# snf-smtpd and snf-verify, each after a real callout attempt (counted
# at FAKEDIR when given); the records are the very same files after.
unavailable() {
	_l=$1
	set_primary "$R" "$2"
	rm -f "$R"/cache/example.net/[0-9a-f]*
	snf-verify -d "$R" add pos@example.net >/dev/null
	snf-verify -d "$R" add neg@example.net negative >/dev/null
	_pos=$(ls -i "$(rec_file "$R" pos@example.net)" | cut -d ' ' -f 1)
	_neg=$(ls -i "$(rec_file "$R" neg@example.net)" | cut -d ' ' -f 1)
	_ptext=$(rec_text "$R" pos@example.net)
	_ntext=$(rec_text "$R" neg@example.net)
	_c0=$( [ -n "${3:-}" ] && nconn "$3")
	clear_down "$R"
	rcpt_is "$R" pos@example.net "250 2.1.5 " "$_l: live positive: 250 2.1.5"
	[ -f "$R/cache/example.net/.down" ]
	ok $? "$_l: the primary is remembered as down"
	clear_down "$R"
	rcpt_is "$R" neg@example.net "550 5.1.1 " "$_l: live negative: 550 5.1.1"
	clear_down "$R"
	rcpt_is "$R" none@example.net "451 4.4.3 " "$_l: no record: 451 4.4.3"
	clear_down "$R"
	verify_is "$R" pos@example.net 0 "accept pos@example.net: cache positive, " \
	    "$_l: live positive: snf-verify exits 0"
	clear_down "$R"
	verify_is "$R" neg@example.net 100 "reject neg@example.net: cache negative, " \
	    "$_l: live negative: snf-verify exits 100"
	clear_down "$R"
	verify_is "$R" none@example.net 111 \
	    "defer none@example.net: no live record and the primary cannot answer: " \
	    "$_l: no record: snf-verify exits 111"
	if [ -n "${3:-}" ]; then
		is "$(( $(nconn "$3") - _c0 ))" 6 "$_l: each decision made a callout"
	fi
	is "$(ls -i "$(rec_file "$R" pos@example.net)" | cut -d ' ' -f 1) $(rec_text "$R" pos@example.net)" \
	    "$_pos $_ptext" "$_l: the positive record is untouched (same file, same text)"
	is "$(ls -i "$(rec_file "$R" neg@example.net)" | cut -d ' ' -f 1) $(rec_text "$R" neg@example.net)" \
	    "$_neg $_ntext" "$_l: the negative record is untouched"
	is "$(snf-verify -d "$R" show none@example.net; echo "exit $?")" \
	    "$(printf 'example.net\tnone@example.net\tnone\t0\nexit 100')" \
	    "$_l: nothing recorded for the unknown address (show exits 100)"
	is "$(rec_kind "$R" pos@example.net)" positive "$_l: show still says positive"
}

# about_this LABEL HOST:PORT FAKEDIR: an answer about the one recipient
# that is not final (a 4xx, a 5xx that is not "no such user"): the RCPT
# is deferred whatever the cache holds, nothing is recorded, and the
# primary is not remembered as down, so the next address is asked too.
about_this() {
	_l=$1
	set_primary "$R" "$2"
	rm -f "$R"/cache/example.net/[0-9a-f]*
	snf-verify -d "$R" add pos@example.net >/dev/null
	snf-verify -d "$R" add neg@example.net negative >/dev/null
	_ptext=$(rec_text "$R" pos@example.net)
	_ntext=$(rec_text "$R" neg@example.net)
	_c0=$(nconn "$3")
	clear_down "$R"
	rcpt_is "$R" pos@example.net "451 4.4.3 " "$_l: live positive: 451 4.4.3, deferred"
	[ ! -f "$R/cache/example.net/.down" ]
	ok $? "$_l: the primary is not remembered as down"
	rcpt_is "$R" neg@example.net "451 4.4.3 " "$_l: live negative: 451 4.4.3, deferred"
	rcpt_is "$R" none@example.net "451 4.4.3 " "$_l: no record: 451 4.4.3"
	verify_is "$R" none@example.net 111 "defer none@example.net: primary said: " \
	    "$_l: snf-verify exits 111 with the primary's words"
	is "$(( $(nconn "$3") - _c0 ))" 4 "$_l: each decision made a callout"
	is "$(rec_text "$R" pos@example.net)|$(rec_text "$R" neg@example.net)" \
	    "$_ptext|$_ntext" "$_l: the records are untouched"
	is "$(snf-verify -d "$R" show none@example.net; echo "exit $?")" \
	    "$(printf 'example.net\tnone@example.net\tnone\t0\nexit 100')" \
	    "$_l: nothing recorded for the unknown address"
	[ ! -f "$R/cache/example.net/.refused" ]
	ok $? "$_l: the primary is not taken to refuse this host"
}

start_fake p450 --rcpt-code 450 || echo "# fakesmtp did not start"
about_this "450 to RCPT" "127.0.0.1:$FPORT" "$T/p450"
is "$(nlog "$T/p450" '^RCPT TO:<pos@example.net>$')" 1 "450: the RCPT for pos@ was asked"

start_fake p421 --rcpt-code 421 || echo "# fakesmtp did not start"
unavailable "421 to RCPT" "127.0.0.1:$FPORT" "$T/p421"

start_fake p554 --rcpt-code "554 5.7.1" || echo "# fakesmtp did not start"
about_this "554 5.7.1 (a policy about the recipient) to RCPT" "127.0.0.1:$FPORT" "$T/p554"

start_fake p552 --rcpt-code "550 5.2.1" || echo "# fakesmtp did not start"
about_this "550 5.2.1 (mailbox disabled, not unknown)" "127.0.0.1:$FPORT" "$T/p552"

start_fake pmail --mail-code "550 5.7.1" || echo "# fakesmtp did not start"
unavailable "5xx to MAIL" "127.0.0.1:$FPORT" "$T/pmail"
is "$(nrcpt "$T/pmail")" 0 "5xx to MAIL: no RCPT was sent"

start_fake pmail4 --mail-code "451 4.3.0" || echo "# fakesmtp did not start"
unavailable "4xx to MAIL" "127.0.0.1:$FPORT" "$T/pmail4"

start_fake pgreet --greet 554 || echo "# fakesmtp did not start"
unavailable "554 greeting" "127.0.0.1:$FPORT" "$T/pgreet"

start_fake pself --name mx.test.invalid || echo "# fakesmtp did not start"
unavailable "greets as this host" "127.0.0.1:$FPORT" "$T/pself"
is "$(nrcpt "$T/pself")" 0 "greets as this host: no RCPT was sent"

start_fake pslow --no-greet || echo "# fakesmtp did not start"
unavailable "timeout (no greeting)" "127.0.0.1:$FPORT" "$T/pslow"

unavailable "connection refused" "127.0.0.1:$(free_port)"
grep -q '^[0-9]* .*Connection refused' "$R/cache/example.net/.down"
ok $? "connection refused: .down says why"

# --- userprotect, unprotected domains, bad addresses
verify_is "$R" alice@example.com 0 "accept alice@example.com: listed in domains/example.com/users" \
    "userprotect, listed: exit 0"
verify_is "$R" ALICE@Example.COM 0 "accept ALICE@example.com: listed" \
    "userprotect, listed, other case: exit 0"
verify_is "$R" dave@example.com 100 "reject dave@example.com: not listed in domains/example.com/users" \
    "userprotect, not listed: exit 100"
verify_is "$R" someone@other.test 100 "reject someone@other.test: not a protected domain" \
    "unprotected domain: exit 100"
verify_is "$R" "a..b@example.net" 100 "reject a..b@example.net: address syntax error" \
    "a..b: exit 100, syntax error"
verify_is "$R" "a b@example.net" 100 "reject a b@example.net: " "a blank in the local part: exit 100"
verify_is "$R" "@example.net" 100 "reject @example.net: " "empty local part: exit 100"
verify_is "$R" "<alice@example.net" 100 "reject <alice@example.net: " "unclosed bracket: exit 100"
verify_is "$R" "alice@[127.0.0.1]" 100 "reject alice@[127.0.0.1]: " "address literal: exit 100"
verify_is "$R" "a%b@example.net" 100 "reject a%b@example.net: routing through the address is refused" \
    "%: refused as routing"
verify_is "$R" "a!b@example.net" 100 "reject a!b@example.net: routing" "!: refused as routing"
verify_is "$R" '"a@b"@example.net' 100 'reject "a@b"@example.net: routing' \
    "quoted @: refused as routing"
snf-verify -d "$R" example.net >/dev/null 2>&1
is $? 100 "no @ at all: usage, exit 100"
is "$(ls "$R/cache/example.net" | grep -c '%\|!\|@' | tr -d ' ')" 0 \
    "no file named after an address"
cache_check "$R" | sed 's/^/#   /'
cache_check "$R" >/dev/null
ok $? "every file in the cache is a whole record under its hash"

done_testing
