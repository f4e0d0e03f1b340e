#!/bin/sh
# userprotect: domains/D/users (local parts and full addresses, any case,
# comments), the same list compiled by snf-userdb into users.cdb, a stale
# cdb that must not be trusted, and a 100,000-line list.
. "$(dirname "$0")/lib.sh"

R=$T/root
mkroot "$R"
echo 1000 >"$R/control/harderrors"
cat >"$R/domains/example.com/users" <<'EOF'
# users of example.com
alice
bob@example.com
Carol
  Frank  
#dave
eve@other.test
	
EOF

# rcpts LABEL ADDR=REPLY...: one session with a RCPT per address and
# the exact reply to each, then QUIT.
rcpts() {
	_label=$1
	shift
	{
		printf '< 220\n> EHLO client.test\n< 250\n'
		printf '> MAIL FROM:<sender@origin.test>\n< 250 2.1.0\n'
		for _a; do
			printf '> RCPT TO:<%s>\n< %s\n' "${_a%%=*}" "${_a#*=}"
		done
		printf '> QUIT\n< 221 2.0.0\neof\n'
	} >"$T/rcpts"
	chat_ok "$R" "$_label" <"$T/rcpts"
}

check_list() {	# check_list HOW
	rcpts "$1: local-part entry, any case" \
	    'alice@example.com=250 2.1.5' 'ALICE@example.com=250 2.1.5' \
	    'Alice@EXAMPLE.COM=250 2.1.5'
	rcpts "$1: full-address entry, any case" \
	    'bob@example.com=250 2.1.5' 'BOB@Example.Com=250 2.1.5'
	rcpts "$1: entry written in capitals matches lowercase" \
	    'carol@example.com=250 2.1.5' 'CAROL@example.com=250 2.1.5'
	rcpts "$1: entry with blanks around it" 'frank@example.com=250 2.1.5'
	rcpts "$1: unknown users get 550 5.1.1" \
	    'dave@example.com=550 5.1.1' 'mallory@example.com=550 5.1.1' \
	    'alic@example.com=550 5.1.1' 'alicea@example.com=550 5.1.1'
	rcpts "$1: a comment line is no entry" '#dave@example.com=550 5.1.1' \
	    '#@example.com=550 5.1.1'
	rcpts "$1: a full address for another domain grants nothing here" \
	    'eve@example.com=550 5.1.1' 'eve@other.test=550 5.7.1'
	rcpts "$1: the domain part of a full entry must match" \
	    'bob@example.net=451 4.4.3'
}

check_list "users text"
is "$(queue_count "$R")" 0 "RCPT checks queue nothing"

# compiled
snf-userdb -d "$R" >"$T/userdb.out" 2>"$T/userdb.err"
ok $? "snf-userdb exits 0"
is "$(cat "$T/userdb.out")" "$(printf 'example.com\t5\t0')" \
    "snf-userdb reports 5 keys and no bad line for example.com"
[ -f "$R/domains/example.com/users.cdb" ]
ok $? "users.cdb written"
# without the text file only the cdb can accept anyone
mv "$R/domains/example.com/users" "$T/users.saved"
check_list "users.cdb"
mv "$T/users.saved" "$R/domains/example.com/users"
rcpts "users.cdb made from this very text: used" 'alice@example.com=250 2.1.5'
grep -q 'users changed since users.cdb' "$T/chat.out"
[ $? -ne 0 ]
ok $? "no stale-cdb warning while the text is the one compiled"
# the same content copied in with an old time is another file: the cdb
# no longer vouches for it, whatever the times say
cp "$R/domains/example.com/users" "$T/users.copy"
touch -d '2001-01-01 00:00:00' "$T/users.copy"
cp -p "$T/users.copy" "$R/domains/example.com/users.new"
mv "$R/domains/example.com/users.new" "$R/domains/example.com/users"
rcpts "a replaced text with an old time: scanned, same answers" \
    'alice@example.com=250 2.1.5' 'mallory@example.com=550 5.1.1'
grep -q 'users changed since users.cdb' "$T/chat.out"
ok $? "a replaced text with an old time: the cdb is not trusted"
cp "$T/users.copy" "$T/users.saved"

# stale: the text changes after compiling; the cdb must not be trusted
cp "$T/users.saved" "$R/domains/example.com/users"
snf-userdb -d "$R" -f >/dev/null 2>&1
printf 'grace\n' >>"$R/domains/example.com/users"
sed -i '/^alice$/d' "$R/domains/example.com/users"
rcpts "stale cdb: an entry added after compiling is accepted" \
    'grace@example.com=250 2.1.5'
grep -q 'warning domain=example.com users changed since users.cdb was made' \
    "$T/chat.out"
ok $? "stale cdb: a warning is logged"
rcpts "stale cdb: an entry removed after compiling is refused" \
    'alice@example.com=550 5.1.1'
snf-userdb -d "$R" >"$T/userdb.out" 2>&1
is "$(cat "$T/userdb.out")" "$(printf 'example.com\t5\t0')" \
    "snf-userdb without -f recompiles the stale list"
rcpts "recompiled: grace accepted, alice refused" \
    'grace@example.com=250 2.1.5' 'alice@example.com=550 5.1.1'

# a bad line is reported and skipped, the rest compiles
printf 'good\nbad user\n<x>\n' >"$R/domains/example.com/users"
snf-userdb -d "$R" example.com >"$T/userdb.out" 2>"$T/userdb.err"
ok $? "snf-userdb with bad lines still exits 0"
is "$(cat "$T/userdb.out")" "$(printf 'example.com\t1\t2')" \
    "bad lines counted: 1 key, 2 bad"
grep -q 'line 2' "$T/userdb.err"
ok $? "the bad line is named on stderr"
rcpts "only the good line compiled" 'good@example.com=250 2.1.5'

# quoted local parts, full addresses in any case, CR LF, no final newline
printf '"John Smith"\r\nAlice@Example.COM\r\nbob@example.com.\r\nzed' \
    >"$R/domains/example.com/users"
rcpts "users text: quoted, mixed-case, trailing-dot and CR LF entries" \
    '"john smith"@example.com=250 2.1.5' '"JOHN SMITH"@example.com=250 2.1.5' \
    'alice@example.com=250 2.1.5' 'bob@example.com=250 2.1.5' \
    'zed@example.com=250 2.1.5' 'john.smith@example.com=550 5.1.1' \
    'johnsmith@example.com=550 5.1.1'
snf-userdb -d "$R" example.com >"$T/userdb.out" 2>&1
is "$(cat "$T/userdb.out")" "$(printf 'example.com\t4\t0')" \
    "snf-userdb reads the same 4 entries"
rm "$R/domains/example.com/users"
rcpts "users.cdb: the same entries match as in the text" \
    '"john smith"@example.com=250 2.1.5' '"JOHN SMITH"@example.com=250 2.1.5' \
    'alice@example.com=250 2.1.5' 'bob@example.com=250 2.1.5' \
    'zed@example.com=250 2.1.5' 'john.smith@example.com=550 5.1.1' \
    'johnsmith@example.com=550 5.1.1'

# 100,000 users
mkdir -p "$R/domains/big.test"
echo userprotect >"$R/domains/big.test/mode"
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "user%06d\n", i }' \
    >"$R/domains/big.test/users"
is "$(wc -l <"$R/domains/big.test/users" | tr -d ' ')" 100000 \
    "100,000-line users file"
start=$(date +%s)
snf-userdb -d "$R" big.test >"$T/userdb.out" 2>&1
ok $? "snf-userdb compiles it"
is "$(cat "$T/userdb.out")" "$(printf 'big.test\t100000\t0')" \
    "100000 keys, no bad line"
[ $(($(date +%s) - start)) -le 20 ]
ok $? "compiling took at most 20 s"
rcpts "cdb: first, last and middle entries accepted, others refused" \
    'user000001@big.test=250 2.1.5' 'user100000@big.test=250 2.1.5' \
    'USER050000@BIG.TEST=250 2.1.5' 'user100001@big.test=550 5.1.1' \
    'user000000@big.test=550 5.1.1'
grep -q 'older than users' "$T/chat.out"
[ $? -ne 0 ]
ok $? "the cdb was used (no stale warning)"

done_testing
