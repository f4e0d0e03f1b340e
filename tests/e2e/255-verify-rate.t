#!/bin/sh
# negative_rate: new negative records of a cloudprotect domain come at a
# bounded rate. A flood of 1,000 made-up recipients from 8 clients at
# once (through tcpserver, each from its own 127.0.0.N) makes exactly
# negative_rate records in its minute; past it, RCPTs for addresses the
# cache does not know get 451 4.7.1 and no callout reaches the primary;
# users the cache knows get 250 all along, and a positive answer never
# spends the budget. One client (an IPv4 address, an IPv6 /64) takes a
# quarter of a minute's records at most; a client-less snf-verify only
# the domain's. A new minute brings a new budget. snf-verify expire and
# snf-expire remove a past minute's counts (cache/D/.rate), and leave
# the current minute's alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/verifylib.sh"

test_seed
R=$T/root
vroot "$R"
echo 1 >"$R/control/callout_timeout"
# one callout place for each client of the flood: none is ever busy
echo 8 >"$R/control/callout_max"
dset "$R" negative_rate 5
KNOWN=$(seq -f 'known%g@example.net' 1 12 | paste -s -d , -)
start_fake users --users "$KNOWN" || echo "# fakesmtp did not start"
U=$T/users
set_primary "$R" "127.0.0.1:$FPORT"

# rcpts: RCPTs the primary was asked, the catch-all probes left out.
rcpts() {
	grep '^RCPT ' "$U/log" 2>/dev/null | grep -vc 'snf-probe-' | tr -d ' '
}
# negatives: negative records of example.net.
negatives() {
	snf-verify -d "$R" list example.net | cut -f 3 | grep -c '^negative$' |
	    tr -d ' '
}
# minute: the minute of the clock the programs see (libfaketime's too).
minute() {
	python3 -c 'import time; print(int(time.time()) // 60)'
}

# next_minute: the clock every program started from now on sees moved
# to the first second of its next minute (clock_skip), so that what
# follows, and what it checks, falls in one minute.
next_minute() {
	clock_skip $((61 - $(python3 -c 'import time; print(int(time.time()) % 60)')))
}
# rcpt_quiet ADDR WANT: one session, a RCPT for ADDR whose reply begins
# with WANT; the status only.
rcpt_quiet() {
	printf '< 220\n> EHLO client.test\n< 250\n> MAIL FROM:<s@origin.test>\n< 250 2.1.0\n> RCPT TO:<%s>\n< %s\n> QUIT\n< 221\neof\n' \
	    "$1" "$2" >"$T/quiet.script"
	chat "$R" "$T/quiet.script"
}

# the build libfaketime needs, made now, out of the timed parts
libft && dyn_build
next_minute
M0=$(minute)

# --- positive answers never spend the budget -------------------------------
n=0
for i in 1 2 3 4 5 6 7 8; do
	rcpt_quiet "known$i@example.net" "250 2.1.5 " && n=$((n + 1))
done
is "$n" 8 "8 known users asked of the primary: 250 each (more than negative_rate)"
is "$(rcpts)" 8 "the primary was asked about each of them"
is "$(negatives)" 0 "no negative record yet"

# --- the flood ----------------------------------------------------------------
start_server "$R" || echo "# tcpserver did not start"
START=$(now)
python3 - "$PORT" "$SEED" >"$T/flood.out" 2>"$T/flood.err" <<'EOF'
import random, socket, sys, threading, time
port, seed = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
end = time.time() + 60
out, lock = [], threading.Lock()

def client(k, rcpts):
    s = socket.socket()
    s.settimeout(20)
    s.bind(('127.0.0.%d' % (k + 2), 0))
    s.connect(('127.0.0.1', port))
    f = s.makefile('rb')
    def reply():
        while True:
            ln = f.readline().decode('latin-1')
            if not ln:
                raise EOFError('connection closed')
            if len(ln) < 4 or ln[3] != '-':
                return ln.rstrip('\r\n')
    def cmd(c):
        s.sendall(c.encode() + b'\r\n')
        return reply()
    reply()
    cmd('EHLO client%d.test' % k)
    mine = []
    for i, (kind, addr) in enumerate(rcpts):
        if time.time() > end:
            raise TimeoutError('flood took over 60 s')
        if i % 50 == 0:
            if i:
                cmd('RSET')
            cmd('MAIL FROM:<s@origin.test>')
        r = cmd('RCPT TO:<%s>' % addr)
        mine.append('127.0.0.%d %s %s %s' % (k + 2, kind, r[:9], addr))
    cmd('QUIT')
    with lock:
        out.extend(mine)

work = []
for k in range(8):
    rc = [('random', 'r%016x@example.net' % rnd.getrandbits(64))
          for _ in range(125)]
    # two users the cache knows, among them at random places
    for j in (1, 2):
        rc.insert(rnd.randrange(len(rc) + 1),
                  ('known', 'known%d@example.net' % (1 + (k + j) % 8)))
    work.append(threading.Thread(target=client, args=(k, rc)))
for t in work:
    t.start()
for t in work:
    t.join(70)
print('\n'.join(sorted(out)))
EOF
FLOOD_TIME=$(elapsed "$START")
M1=$(minute)
stop_pid "$(echo "$SERVER_PIDS" | awk '{ print $NF }')" >/dev/null
[ -s "$T/flood.err" ] && sed 's/^/#   flood: /' "$T/flood.err"

is "$(wc -l <"$T/flood.out" | tr -d ' ')" 1016 "the flood: 8 clients, 1,016 RCPTs answered"
lt "$FLOOD_TIME" 30
ok $? "the flood took less than 30 s ($FLOOD_TIME s)"
is "$M1" "$M0" "the flood fell in one minute of the clock"
is "$(negatives)" 5 "the flood made exactly negative_rate (5) negative records"
is "$(grep -c ' random 550 5.1.1 ' "$T/flood.out")" 5 \
    "5 made-up recipients got 550 5.1.1"
is "$(grep -c ' random 451 4.7.1 ' "$T/flood.out")" 995 \
    "the other 995 got 451 4.7.1"
is "$(grep -c ' known 250 2.1.5 ' "$T/flood.out")" 16 \
    "the 16 RCPTs for known users got 250 in the middle of the flood"
is "$(rcpts)" 13 "the primary was asked 5 times in the flood: no callout past the budget"
m=$(awk '$3 == "550" { n[$1]++ } END { for (c in n) if (n[c] > m) m = n[c]; print m + 0 }' "$T/flood.out")
[ "$m" -ge 1 ] && [ "$m" -le 2 ]
ok $? "no client made more than its share (a quarter of 5, rounded up: 2; at most $m)"
c=$(awk '$3 == "550" { print $1 }' "$T/flood.out" | sort -u | wc -l | tr -d ' ')
[ "$c" -ge 3 ]
ok $? "... so 3 clients at least made the 5 ($c did)"
n=$(grep -cF 'defer negative_rate\sspent:\s5\snew\sunknown\susers' "$T/server.log")
[ "$n" -ge 1 ]
ok $? "the log says when negative_rate defers a RCPT ($n lines)"
grep -q '^snf-smtpd\[[0-9]*\]: verify ip=127\.0\.0\.[2-9] to=<r[0-9a-f]*@example.net> defer negative_rate\\sspent' "$T/server.log"
ok $? "... naming the client and the recipient"
cache_check "$R" >"$T/cc.out"
ok $? "the cache holds only whole files of its own shapes (.rate among them)"
show "$T/cc.out"

# --- still in the flood's minute, the budget spent -------------------------
rcpt_is "$R" known3@example.net "250 2.1.5 " "a user the cache knows: 250"
rcpt_is "$R" r-late@example.net "451 4.7.1 <r-late@example.net>: Too many unknown recipients for this domain, try again later" \
    "an address the cache does not know: 451 4.7.1 and its reason"
rcpt_is "$R" known11@example.net "451 4.7.1 " \
    "a user the cache does not know yet waits for the budget too (451 4.7.1)"
verify_is "$R" r-late@example.net 111 \
    "defer r-late@example.net: negative_rate spent: 5 new unknown users a minute for example.net; not asked" \
    "snf-verify says why it defers"
is "$(rcpts)" 13 "... and none of them reached the primary"
# records the cache has already are asked again when old: no new file
seed "$R" known12@example.net positive $(($(date +%s) - 7 * 3600))
seed "$R" old-gone@example.net negative $(($(date +%s) - 600))
rcpt_is "$R" known12@example.net "250 2.1.5 " \
    "a positive record past its refresh age is asked again: 250"
rcpt_is "$R" old-gone@example.net "550 5.1.1 " \
    "a negative record past its refresh age is asked again: 550 (no new file)"
is "$(rcpts)" 15 "those two reached the primary"
is "$(negatives)" 6 "the negative records: the flood's 5 and the old one"

# --- a new minute; the share of one client -----------------------------------
next_minute
M2=$(minute)
[ "$M2" -gt "$M0" ]
ok $? "the clock is in a new minute"

# sess IP NAME ADDR=WANT...: one session of client IP (TCPREMOTEIP).
sess() {
	_ip=$1
	shift
	TCPREMOTEIP=$_ip
	rcpts_is "$R" "$@"
	TCPREMOTEIP=127.0.0.1
}
sess 192.0.2.1 "a new minute: client 192.0.2.1 makes 2 records, then its share is spent" \
    a1@example.net="550 5.1.1 " a2@example.net="550 5.1.1 " \
    a3@example.net="451 4.7.1 " a4@example.net="451 4.7.1 " \
    known4@example.net="250 2.1.5 "
sess 2001:db8:0:1::1 "client 2001:db8:0:1::1 makes 1 record" \
    b1@example.net="550 5.1.1 "
sess 2001:db8:0:1:ffff::2 "2001:db8:0:1:ffff::2, of the same /64, shares its share: 1 more, then 451" \
    b2@example.net="550 5.1.1 " b3@example.net="451 4.7.1 "
TCPREMOTEIP=192.0.2.1
verify_is "$R" a5@example.net 111 \
    "defer a5@example.net: negative_rate spent by client 192.0.2.1: its share is 2 of 5 new unknown users a minute for example.net; not asked" \
    "snf-verify, for client 192.0.2.1 (TCPREMOTEIP): its share is spent"
TCPREMOTEIP=127.0.0.1
# with no client, only the domain's rate counts
env -u TCPREMOTEIP snf-verify -d "$R" c1@example.net >"$T/v1.out" 2>&1
is "$?" 100 "snf-verify with no TCPREMOTEIP: the 5th record of the minute"
env -u TCPREMOTEIP snf-verify -d "$R" c2@example.net >"$T/v2.out" 2>&1
is "$?$(cat "$T/v2.out")" \
    "111defer c2@example.net: negative_rate spent: 5 new unknown users a minute for example.net; not asked" \
    "then the domain's budget is spent for everyone"
sess 198.51.100.7 "a client with its share untouched waits too once the domain's is spent" \
    d1@example.net="451 4.7.1 " known5@example.net="250 2.1.5 "
is "$(negatives)" 11 "the new minute made 5 more negative records (11 in all)"
is "$(rcpts)" 20 "the primary was asked about those 5 alone"
# and the share rule is by client address, not per session
sess 192.0.2.1 "192.0.2.1 in a new session: its share is still spent" \
    a6@example.net="451 4.7.1 "

# --- the counts on disk, and their sweep --------------------------------------
rate=$R/cache/example.net/.rate
is "$(head -n 1 "$rate")" "$M2 5" ".rate: the minute and its total"
is "$(tail -n +2 "$rate" | sort | tr '\n' ' ')" "192.0.2.1 2 2001:db8:0:1::/64 2 " \
    ".rate: one line per client that made records"
snf-verify -d "$R" expire >"$T/exp.out" 2>&1
is "$?$(cat "$T/exp.out")" 0 "snf-verify expire leaves the current minute's counts"
[ -f "$rate" ]
ok $? "... .rate is still there"
next_minute
snf-verify -d "$R" -n expire >"$T/exp.out" 2>&1
is "$?$(cat "$T/exp.out")" "0would remove	example.net	.rate" \
    "snf-verify -n expire: a past minute's .rate would go"
[ -f "$rate" ]
ok $? "... and is still there"
snf-verify -d "$R" expire >"$T/exp.out" 2>&1
is "$?$(cat "$T/exp.out")" "0removed	example.net	.rate" \
    "snf-verify expire removes it, and nothing else (the records are live)"
[ ! -e "$rate" ]
ok $? "... it is gone"
is "$(negatives)" 11 "... and every negative record stays"
sess 192.0.2.1 "a new minute again: 192.0.2.1 may make records" \
    e1@example.net="550 5.1.1 "
next_minute
snf-expire -d "$R" >"$T/sx.out" 2>"$T/sx.log"
grep -q '^snf-expire\[[0-9]*\]: removed file=cache/example.net/.rate reason=dead$' "$T/sx.log"
ok $? "snf-expire removes a past minute's .rate, and logs it"
[ ! -e "$rate" ]
ok $? "... it is gone"

# --- a .rate that is not one -------------------------------------------------
printf 'garbage\n\377\n' >"$rate"
svc_own "$R"
rcpt_is "$R" f1@example.net "550 5.1.1 " "a torn .rate counts as an empty minute"
is "$(head -n 1 "$rate")" "$(minute) 1" "... and is written anew"
rm -f "$rate"
echo keep >"$T/outside"
ln -s "$T/outside" "$rate"
rcpt_is "$R" f2@example.net "451 4.4.3 " \
    "a .rate that is a link: the address is deferred, not asked"
is "$(cat "$T/outside")" keep "... and the link's target is untouched"
is "$(rec_kind "$R" f2@example.net)" none "... and no record is made"
rm -f "$rate"

# --- control/negative_rate, for a domain that says nothing ---------------------
dset "$R" negative_rate -
echo 1 >"$R/control/negative_rate"
next_minute
rcpt_is "$R" g1@example.net "550 5.1.1 " "control/negative_rate 1: one new record a minute"
rcpt_is "$R" g2@example.net "451 4.7.1 " "... then 451 4.7.1"

done_testing
