#!/bin/sh
# Hostile recipients of a cloudprotect domain never become paths: the
# cache holds only records named by a hash, whatever the address. Fifty
# concurrent sessions verifying the same addresses never leave a torn or
# foreign record, and the cap on callouts in flight holds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"

R=$T/root
vroot "$R"
echo 2 >"$R/control/callout_timeout"
start_fake users --users alice@example.net,a/b@example.net ||
    echo "# fakesmtp did not start"
F=$T/users
set_primary "$R" "127.0.0.1:$FPORT"

L250=$(printf '%0250d' 0 | tr 0 x)
L64=$(printf '%064d' 0 | tr 0 y)
L65=$(printf '%065d' 0 | tr 0 y)

find "$R" -path "$R/cache" -prune -o -print | sort >"$T/tree.before"
# address=reply: the reply must begin with it
set -- \
    'alice@example.net=250 2.1.5 ' \
    'a/b@example.net=250 2.1.5 ' \
    'A/B@EXAMPLE.NET=250 2.1.5 ' \
    'x/../../y@example.net=501 5.1.3 ' \
    'etc/passwd@example.net=550 5.1.1 ' \
    'a/./b@example.net=550 5.1.1 ' \
    '../../x@example.net=501 5.1.3 ' \
    '..@example.net=501 5.1.3 ' \
    'a..b@example.net=501 5.1.3 ' \
    '.x@example.net=501 5.1.3 ' \
    '"../../x"@example.net=550 5.1.1 ' \
    '"../../../../../../tmp/x"@example.net=550 5.1.1 ' \
    '".."@example.net=550 5.1.1 ' \
    '"."@example.net=550 5.1.1 ' \
    '"/"@example.net=550 5.1.1 ' \
    '"a b"@example.net=550 5.1.1 ' \
    '"a\\"b"@example.net=550 5.1.1 ' \
    '~root@example.net=550 5.1.1 ' \
    '*@example.net=550 5.1.1 ' \
    "$L64@example.net=550 5.1.1 " \
    "$L65@example.net=501 5.1.3 " \
    "$L250@example.net=501 5.1.3 " \
    '"'"$L250"'"@example.net=501 5.1.3 ' \
    'a%b@example.net=550 5.7.1 ' \
    'a%b@other.test=550 5.7.1 ' \
    '"a%b"@example.net=550 5.7.1 ' \
    'a!b@example.net=550 5.7.1 ' \
    'other.test!a@example.net=550 5.7.1 ' \
    '"a@other.test"@example.net=550 5.7.1 ' \
    '@other.test:alice@example.net=250 2.1.5 ' \
    'alice@[127.0.0.1]=550 5.7.1 ' \
    'alice@example.net.=250 2.1.5 ' \
    'a@example.net/../x=501 5.1.3 ' \
    'a@../x=501 5.1.3 ' \
    'a@example.net@other.test=501 5.1.3 ' \
    'a@cache=550 5.7.1 ' \
    'a@..=501 5.1.3 '
rcpts_is "$R" "hostile recipients get the right reply each" "$@"
n=$(nrcpt "$F")
is "$n" 15 "14 callouts and the probe: no other address reached the primary"
[ "$n" = 15 ] || grep '^RCPT' "$F/log" | sed 's/^/#   primary: /'
find "$R" -path "$R/cache" -prune -o -print | sort >"$T/tree.after"
is "$(diff "$T/tree.before" "$T/tree.after")" "" "nothing changed outside cache/"
[ ! -e "$T/x" ] && [ ! -e "$R/x" ] && [ ! -e /tmp/x ] && [ ! -e "$R/cache/x" ]
ok $? "no x escaped anywhere"
is "$(ls -A "$R/cache")" "example.net" "cache/ holds only example.net"
cache_check "$R" | sed 's/^/#   /'
cache_check "$R" >/dev/null
ok $? "cache/example.net holds only 64-hex records under their hash, .catchall, .slot.N"
snf-verify -d "$R" list | cut -f 1-3 | sort >"$T/list"
printf 'example.net\t%s\n' \
    "alice@example.net	positive" \
    "a/b@example.net	positive" \
    "etc/passwd@example.net	negative" \
    "a/./b@example.net	negative" \
    "../../x@example.net	negative" \
    "../../../../../../tmp/x@example.net	negative" \
    "..@example.net	negative" \
    ".@example.net	negative" \
    "/@example.net	negative" \
    "a b@example.net	negative" \
    "a\"b@example.net	negative" \
    "~root@example.net	negative" \
    "*@example.net	negative" \
    "$L64@example.net	negative" | sort >"$T/want"
is "$(cat "$T/list")" "$(cat "$T/want")" "snf-verify list shows each address once, unquoted"
is "$(ls "$R/cache/example.net" | wc -l | tr -d ' ')" 14 "14 record files"

# the same through snf-verify
verify_is "$R" '"../../x"@example.net' 100 'reject "../../x"@example.net: cache negative' \
    "snf-verify: quoted ../../x is a cached negative"
verify_is "$R" '../../x@example.net' 100 "reject ../../x@example.net: " \
    "snf-verify: unquoted ../../x is bad syntax"
verify_is "$R" "$L250@example.net" 100 "reject $L250@example.net: " \
    "snf-verify: a 250-byte local part is refused"
verify_is "$R" 'a%b@example.net' 100 "reject a%b@example.net: routing through the address is refused" \
    "snf-verify: % is refused as routing"
snf-verify -d "$R" show '"../../x"@example.net' >"$T/show.out"
is "$? $(cut -f 2,3 "$T/show.out")" "0 ../../x@example.net	negative" "snf-verify show finds the quoted one"
snf-verify -d "$R" add '"../../y"@example.net' >/dev/null
is "$?" 0 "snf-verify add of a quoted ../../y works"
[ -f "$(rec_file "$R" ../../y@example.net)" ] && [ ! -e "$R/y" ] && [ ! -e "$R/cache/y" ]
ok $? "... under its hash"
# a record for a routing address (snf-verify add takes it) is never used
snf-verify -d "$R" add "a%b@example.net" >/dev/null 2>&1
verify_is "$R" 'a%b@example.net' 100 "reject a%b@example.net: routing through the address is refused" \
    "a positive record for a%b does not make it accepted (snf-verify)"
rcpt_is "$R" 'a%b@example.net' "550 5.7.1 " "... nor through snf-smtpd"
snf-verify -d "$R" remove "a%b@example.net" >/dev/null 2>&1
snf-verify -d "$R" list ../.. >/dev/null 2>&1
is "$?" 100 "snf-verify list ../..: exit 100"
snf-verify -d "$R" list "example.net/../../control" >/dev/null 2>&1
is "$?" 100 "snf-verify list example.net/../../control: exit 100"

# --- 50 concurrent sessions, overlapping addresses, callout_max 2
fresh "$R" cache
echo 2 >"$R/control/callout_max"
echo 5 >"$R/control/callout_timeout"
dset "$R" positive_refresh 0	# every RCPT calls out and rewrites
dset "$R" negative_refresh 0
start_fake slow --users u1@example.net,u2@example.net,u3@example.net,u4@example.net \
    --rcpt-delay 0.02 || echo "# fakesmtp did not start"
S=$T/slow
set_primary "$R" "127.0.0.1:$FPORT"
# seed half of the addresses: a busy callout decides from them
for a in u1 u2 u5 u6; do
	case $a in u1|u2) k=positive ;; *) k=negative ;; esac
	snf-verify -d "$R" add "$a@example.net" $k >/dev/null
done
start_server "$R" || echo "# tcpserver did not start"
python3 - "$PORT" >"$T/swarm.out" 2>&1 <<'EOF'
import socket, sys, threading, time
port = int(sys.argv[1])
known = {'u1', 'u2', 'u3', 'u4'}
seeded = {'u1', 'u2', 'u5', 'u6'}
pool = ['u%d' % i for i in range(1, 9)]
bad, counts, lock = [], {}, threading.Lock()

def session(n):
    time.sleep((n % 10) * 0.05)	# ten waves, 50 ms apart
    try:
        s = socket.create_connection(('127.0.0.1', port), 30)
        f = s.makefile('rb')
        def cmd(line):
            if line:
                s.sendall(line.encode() + b'\r\n')
            while True:
                r = f.readline().decode()
                if len(r) < 4 or r[3] != '-':
                    return r.strip()
        cmd(None)
        cmd('EHLO c%d.test' % n)
        cmd('MAIL FROM:<s%d@origin.test>' % n)
        for j in range(8):
            u = pool[(n + j * 3) % 8]
            r = cmd('RCPT TO:<%s@EXAMPLE.net>' % u.upper() if j % 2 else
                    'RCPT TO:<%s@example.net>' % u)
            ok = ['250 2.1.5 '] if u in known else ['550 5.1.1 ']
            if u not in seeded:
                ok.append('451 4.4.3 ')
            with lock:
                counts[r[:3]] = counts.get(r[:3], 0) + 1
                if not any(r.startswith(o) for o in ok):
                    bad.append('session %d %s: %s' % (n, u, r))
        cmd('QUIT')
        s.close()
    except Exception as e:
        with lock:
            bad.append('session %d: %r' % (n, e))

ts = [threading.Thread(target=session, args=(n,)) for n in range(50)]
for t in ts:
    t.start()
for t in ts:
    t.join(60)
for b in bad:
    print(b)
print('replies', ' '.join('%s=%d' % kv for kv in sorted(counts.items())))
sys.exit(1 if bad else 0)
EOF
ok $? "50 concurrent sessions x 8 RCPTs: every reply right (or 451 for an unseeded address)"
sed 's/^/#   /' "$T/swarm.out"
max=$(cat "$S/maxconns" 2>/dev/null)
[ -n "$max" ] && [ "$max" -le 2 ]
ok $? "the primary never saw more than 2 connections at once (saw ${max:-none})"
is "$max" 2 "... and did see 2 (the cap was reached)"
[ "$(nconn "$S")" -ge 3 ]
ok $? "slots were freed and taken again: more than 2 callouts ($(nconn "$S") connections)"
grep -q '^replies.* 451=' "$T/swarm.out"
ok $? "some RCPTs found every callout slot taken (451)"
cache_check "$R" | sed 's/^/#   /'
cache_check "$R" >/dev/null
ok $? "no torn, foreign or temporary file in the cache"
[ ! -e "$R/cache/example.net/.slot.2" ]
ok $? "only two slot files"
snf-verify -d "$R" list | cut -f 2,3 | sort >"$T/list"
bad=0
while IFS='	' read -r addr kind; do
	case "$addr $kind" in
	"u1@example.net positive" | "u2@example.net positive" | \
	"u3@example.net positive" | "u4@example.net positive" | \
	"u5@example.net negative" | "u6@example.net negative" | \
	"u7@example.net negative" | "u8@example.net negative") ;;
	*) bad=$((bad + 1)); echo "# wrong record: $addr $kind" ;;
	esac
done <"$T/list"
is "$bad" 0 "every record says what the primary says"
is "$(cut -f 1 "$T/list" | sort -u | wc -l | tr -d ' ')" "$(wc -l <"$T/list" | tr -d ' ')" \
    "one record per address"

done_testing
