#!/bin/sh
# The selections of snf-queue's verbs on a queue of known messages:
# domain operands, -i ID (repeatable), -r RECIPIENT, -s SENDER ('<>' the
# null sender), -a AGE (at least), -b AGE (at most), combined with AND;
# the lines come by domain, oldest first, waiting messages before held
# ones. And remove: refused without -y (exit 100, nothing removed), -n
# says what it would remove, -y removes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1

# a: 3 days old, b: 2 hours, c: 30 minutes, e: new and held (example.com);
# f: 10 days, d: 1 day (example.net)
a=$(put "$R" ma s1@origin.test alice@example.com)
b=$(put "$R" mb "" bob@example.com)
c=$(put "$R" mc s2@other.test alice@example.com carol@example.com)
d=$(put "$R" md S1@origin.test x@example.net)
e=$(put "$R" me s2@other.test bob@example.com)
f=$(put "$R" mf s3@third.test y@example.net)
a=$(backdate "$R" "$a" 259200)
b=$(backdate "$R" "$b" 7200)
c=$(backdate "$R" "$c" 1800)
d=$(backdate "$R" "$d" 86400)
f=$(backdate "$R" "$f" 864000)
sq "$R" hold -i "$e"
is "$(queue_count "$R"),$(find "$R/queue/hold" -type f | wc -l | tr -d ' ')" "5,1" \
    "six messages: five waiting, one held"

# sel NAME WANT ARGS...: remove -n ARGS says exactly WANT, a list of
# letters (ids), each line "would-remove ID DOMAIN" (+ "held")
line() {
	eval "_i=\$$1"
	case $1 in
	a|b|c) tl would-remove "$_i" example.com ;;
	d|f) tl would-remove "$_i" example.net ;;
	e) tl would-remove "$_i" example.com held ;;
	esac
}
sel() {
	_name=$1 _want=$2
	shift 2
	sq "$R" remove -n "$@"
	out_is "$(for _l in $_want; do line $_l; done)" "$_name"
}
before=$(snap "$R")
sel "example.com: a b c, then held e" "a b c e" example.com
sel "example.net example.com: by domain name, oldest first" "a b c f d e" example.net example.com
sel "EXAMPLE.NET: domains in any case" "f d" EXAMPLE.NET
sel "-i a -i d" "a d" -i "$a" -i "$d"
sel "-i e: a held message" "e" -i "$e"
sel "-i a example.net: no match" "" -i "$a" example.net
sel "-r ALICE@EXAMPLE.COM: any recipient, any case" "a c" -r ALICE@EXAMPLE.COM
sel "-r carol@example.com: the second recipient counts" "c" -r carol@example.com
sel "-r alice: a whole address only" "" -r alice
sel "-s s2@other.test" "c e" -s s2@other.test
sel "-s s1@ORIGIN.test: any case" "a d" -s s1@ORIGIN.test
sel "-s '<>': the null sender" "b" -s '<>'
sel "-a 1d: at least a day old" "a f d" -a 1d
sel "-a 86400: the same in seconds" "a f d" -a 86400
sel "-b 1h: at most an hour old" "c e" -b 1h
sel "-a 1h -b 2d: between" "b d" -a 1h -b 2d
sel "-a 1h -b 2d example.com" "b" -a 1h -b 2d example.com
sel "-s s1@origin.test -r alice@example.com: both" "a" -s s1@origin.test -r alice@example.com
sel "-s s2@other.test -b 10m" "e" -s s2@other.test -b 10m
is "$(snap "$R")" "$before" "remove -n changed nothing"

# the same selections for the other verbs
sq "$R" requeue -n -b 1h
out_is "$(tl would-requeue "$c" example.com)" "requeue -n -b 1h: c (held e is not requeued)"
sq "$R" export -n -o "$T/md" -s '<>'
out_is "$(tl would-export "$b" example.com)" "export -n -s '<>': b"
sq "$R" hold -n -a 2d
out_is "$(tl would-hold "$a" example.com; tl would-hold "$f" example.net)" "hold -n -a 2d: a f"
sq "$R" unhold -n -s s2@other.test
out_is "$(tl would-unhold "$e" example.com)" "unhold -n -s s2@other.test: e (only held ones)"
sq "$R" list -s s2@other.test
is "$QRC:$(cut -f1,2,5- "$T/out")" "0:$(tl "$c" example.com s2@other.test alice@example.com carol@example.com)" \
    "list -s s2@other.test: c (list shows waiting messages only)"
age=$(cut -f3 "$T/out")
[ "$age" -ge 1800 ] && [ "$age" -le 1830 ]
ok $? "  its age: 1800 s ($age)"

# bad selections
for bad in "-i nonsense" "-a soon" "-b 5x" "bad..domain" "-i $a -q"; do
	sq "$R" remove -n $bad
	is "$QRC:$(cat "$T/out")" "100:" "remove -n $bad: exit 100, no line"
done
grep -q 'fatal: bad option for remove' "$T/err"
ok $? "  an unknown option: fatal: bad option for remove"
sq "$R" remove -n -i nonsense
grep -q 'fatal: not a queue id: nonsense' "$T/err"
ok $? "  fatal: not a queue id"
sq "$R" remove -n -a soon
grep -q 'fatal: not a duration: soon' "$T/err"
ok $? "  fatal: not a duration"

# --- remove ------------------------------------------------------------------------
sq "$R" remove -r alice@example.com
is "$QRC:$(cat "$T/out")" "100:" "remove without -y: exit 100, no line"
grep -q 'fatal: remove deletes mail for good: add -y' "$T/err"
ok $? "  fatal: ... add -y"
sq "$R" remove -y
is "$QRC:$(cat "$T/out")" "100:" "remove -y with no domain and no selection: exit 100"
is "$(snap "$R")" "$before" "  nothing removed"

sq "$R" remove -y -r alice@example.com
out_is "$(line a | sed 's/^would-remove/removed/'; line c | sed 's/^would-remove/removed/')" \
    "remove -y -r alice@example.com: removed ID example.com, a and c"
is "$(where "$R" "$a"),$(where "$R" "$c"),$(where "$R" "$b")" "gone,gone,mail/example.com" \
    "a and c are gone, b stays"
sq "$R" remove -y -s s2@other.test
out_is "$(tl removed "$e" example.com held)" "remove -y of a held message: removed ID example.com held"
is "$(where "$R" "$e")" gone "  it left queue/hold"
sq "$R" remove -y -n example.net
out_is "$(line f; line d)" "remove -y -n: -n wins, nothing removed"
sq "$R" remove -y example.net
out_is "$(tl removed "$f" example.net; tl removed "$d" example.net)" "remove -y example.net: f d"
is "$(queue_count "$R"),$(where "$R" "$b")" "1,mail/example.com" "only b is left"
sq "$R" remove -y -i "$a"
out_is "" "remove of a message already gone: no line, exit 0"
is "$(tmp_count "$R")" 0 "queue/tmp is empty"

done_testing
