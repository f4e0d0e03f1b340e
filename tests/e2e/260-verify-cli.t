#!/bin/sh
# snf-verify's cache verbs: add, show, remove, list, their exact
# tab-separated output and exit codes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verifylib.sh"

R=$T/root
vroot "$R"
mkdir -p "$R/domains/example.org"
echo cloudprotect >"$R/domains/example.org/mode"
echo 127.0.0.1:1 >"$R/domains/example.org/primary"
TAB=$(printf '\t')

# run ARGS...: snf-verify -d $R ARGS; sets OUT (stdout), ERR, RC.
run() {
	snf-verify -d "$R" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

run add alice@example.net
is "$RC $OUT" "0 added${TAB}example.net${TAB}alice@example.net" "add: exit 0, added DOMAIN ADDRESS"
run show alice@example.net
case "$RC $OUT" in
"0 example.net${TAB}alice@example.net${TAB}positive${TAB}"[01]) ok 0 "show: DOMAIN ADDRESS positive AGE" ;;
*) ok 1 "show: DOMAIN ADDRESS positive AGE"; echo "#   $RC $OUT" ;;
esac
run add Bob@Example.NET negative
is "$RC $OUT" "0 added${TAB}example.net${TAB}bob@example.net" "add negative: the address lowercased"
run show BOB@example.net
case "$RC $OUT" in
"0 example.net${TAB}bob@example.net${TAB}negative${TAB}"[01]) ok 0 "show: negative, any case" ;;
*) ok 1 "show: negative, any case"; echo "#   $RC $OUT" ;;
esac
run add '<carol@example.net>' positive
is "$RC $OUT" "0 added${TAB}example.net${TAB}carol@example.net" "add <ADDRESS> positive"
run add '"d e"@example.net'
is "$RC $OUT" "0 added${TAB}example.net${TAB}d e@example.net" "add of a quoted local part: unquoted key"
run add alice@example.net maybe
is "$RC" 100 "add with a kind other than positive or negative: exit 100"
run add alice@example.net positive extra
is "$RC" 100 "add with too many arguments: exit 100"
run add
is "$RC" 100 "add without an address: exit 100"
run add alice@example.com
case "$RC $ERR" in
"100 "*"example.com is not a cloudprotect domain"*) ok 0 "add for a userprotect domain: exit 100 and why" ;;
*) ok 1 "add for a userprotect domain: exit 100 and why"; echo "#   $RC $ERR" ;;
esac
run add x@other.test
is "$RC" 100 "add for an unprotected domain: exit 100"
run add 'a..b@example.net'
is "$RC $OUT" "100 reject a..b@example.net: address syntax error" "add of a bad address: exit 100"

# the record as stored
case "$(rec_text "$R" bob@example.net)" in
"negative "[0-9]*" bob@example.net") ok 0 "the record file: negative TIME ADDRESS" ;;
*) ok 1 "the record file: negative TIME ADDRESS" ;;
esac
run add bob@example.net
is "$(rec_kind "$R" bob@example.net)" positive "add over a negative makes it positive"

# list
run add zed@example.org negative
is "$RC $OUT" "0 added${TAB}example.org${TAB}zed@example.org" "add for a second domain"
seed "$R" old@example.net positive $(( $(date +%s) - 3600 ))
run list
is "$RC" 0 "list exits 0"
printf '%s\n' "$OUT" | sed -e "s/${TAB}[01]\$/${TAB}AGE/" -e "s/${TAB}360[012]\$/${TAB}HOUR/" | sort >"$T/list"
is "$(cat "$T/list")" "$(printf 'example.net\t%s\n' \
    "alice@example.net	positive	AGE" "bob@example.net	positive	AGE" \
    "carol@example.net	positive	AGE" "d e@example.net	positive	AGE" \
    "old@example.net	positive	HOUR" ; printf 'example.org\tzed@example.org\tnegative\tAGE\n' | sort)" \
    "list: DOMAIN ADDRESS KIND AGE, every domain"
old=$(printf '%s\n' "$OUT" | grep "^example.net${TAB}old@" | cut -f 4)
[ "$old" -ge 3600 ] && [ "$old" -le 3602 ]
ok $? "list: the age of a one-hour-old record is 3600 s ($old)"
run list example.org
case "$RC $OUT" in
"0 example.org${TAB}zed@example.org${TAB}negative${TAB}"[01]) ok 0 "list DOMAIN: that domain only" ;;
*) ok 1 "list DOMAIN: that domain only"; echo "#   $RC $OUT" ;;
esac
run list EXAMPLE.ORG example.net
is "$RC $(printf '%s\n' "$OUT" | cut -f 1 | sort | uniq -c | tr -s ' \n' '  ')" \
    "0  5 example.net 1 example.org " "list of two domains (any case): both"
run list example.com
is "$RC $OUT" "0 " "list of a domain without a cache: nothing, exit 0"
run list 'bad/domain'
is "$RC $OUT" "100 " "list of something that is no domain name: exit 100"
echo "$(( $(date +%s) + 60 )) down" >"$R/cache/example.net/.down"
run list example.net
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 5 "list: .down, .catchall, .slot files are not records"

# remove
run remove alice@example.net
is "$RC $OUT" "0 removed${TAB}example.net${TAB}alice@example.net" "remove: exit 0, removed DOMAIN ADDRESS"
run show alice@example.net
is "$RC $OUT" "100 example.net${TAB}alice@example.net${TAB}none${TAB}0" "show of a missing record: none, exit 100"
run remove alice@example.net
case "$RC $OUT $ERR" in
"100  "*"no record for alice@example.net"*) ok 0 "remove of a missing record: exit 100, says so" ;;
*) ok 1 "remove of a missing record: exit 100, says so"; echo "#   $RC $OUT $ERR" ;;
esac
run remove 'D E@example.net'
is "$RC $OUT" "100 reject D E@example.net: address syntax error" "remove of a bad address: exit 100"
run remove '"D E"@Example.Net'
is "$RC $OUT" "0 removed${TAB}example.net${TAB}d e@example.net" "remove of a quoted address, any case"
run remove x@other.test
is "$RC" 100 "remove for an unprotected domain: exit 100"
run show
is "$RC" 100 "show without an address: exit 100 (usage)"
run frobnicate
is "$RC" 100 "an unknown verb: exit 100"
run
is "$RC" 100 "no argument: exit 100"
run -d /nonexistent/folder list
is "$RC" 111 "a root folder that does not exist: exit 111"
SNFDIR=$R snf-verify show carol@example.net >"$T/out" 2>&1
case "$?$(cat "$T/out")" in
"0example.net${TAB}carol@example.net${TAB}positive${TAB}"*) ok 0 "SNFDIR names the root folder" ;;
*) ok 1 "SNFDIR names the root folder" ;;
esac

# case_sensitive: local parts kept as written
touch "$R/domains/example.net/case_sensitive"
run add Frank@Example.NET
is "$RC $OUT" "0 added${TAB}example.net${TAB}Frank@example.net" "case_sensitive: the local part as written"
run show frank@example.net
is "$RC" 100 "case_sensitive: frank is another address"
[ -f "$(rec_file "$R" Frank@example.net)" ]
ok $? "case_sensitive: the record is under the hash of Frank@example.net"

done_testing
