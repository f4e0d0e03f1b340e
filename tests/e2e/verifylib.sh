# verifylib.sh - helpers for the recipient verification end-to-end tests
# (2NN-verify-*.t). Source it after lib.sh and sendlib.sh. Everything is
# about example.net, the cloudprotect domain of mkroot.

# vroot DIR: mkroot with room for many refused RCPTs in a session
# (harderrors 1000) and for many new negative records in a minute from
# one client (negative_rate 1000: 255 tests the rate), and nothing in
# example.net's cache.
vroot() {
	mkroot "$1"
	echo 1000 >"$1/control/harderrors"
	echo 1000 >"$1/control/negative_rate"
	fresh "$1" cache
}

# set_primary DIR HOST:PORT: domains/example.net/primary.
set_primary() {
	echo "$2" >"$1/domains/example.net/primary"
}

# dset DIR NAME VALUE: domains/example.net/NAME := VALUE ("-" removes it).
dset() {
	if [ "$3" = - ]; then
		rm -f "$1/domains/example.net/$2"
	else
		echo "$3" >"$1/domains/example.net/$2"
	fi
}

# clear_down DIR: forget that example.net's primary was down.
clear_down() {
	rm -f "$1/cache/example.net/.down"
}

# rec_hash ADDR: the SHA-256 (hex) of ADDR, already normalised.
rec_hash() {
	printf '%s' "$1" | sha256sum | cut -d ' ' -f 1
}

# rec_file DIR ADDR: the record file of normalised ADDR of example.net.
rec_file() {
	echo "$1/cache/example.net/$(rec_hash "$2")"
}

# rec_text DIR ADDR: the record of ADDR as stored, "-" when there is none.
rec_text() {
	if [ -f "$(rec_file "$1" "$2")" ]; then
		cat "$(rec_file "$1" "$2")"
	else
		echo -
	fi
}

# rec_kind DIR ADDR: positive, negative or none, as snf-verify show says.
rec_kind() {
	snf-verify -d "$1" show "$2" 2>/dev/null | cut -f 3
}

# seed DIR ADDR KIND WHEN: write a record by hand, dated WHEN (seconds
# since the epoch), as snf-verify would (to make old records).
seed() {
	printf '%s %s %s\n' "$3" "$4" "$2" >"$T/seed.tmp"
	mkdir -p "$1/cache/example.net"
	mv "$T/seed.tmp" "$(rec_file "$1" "$2")"
	svc_own "$1"
}

# nrcpt FAKEDIR: RCPT commands the fake primary received.
nrcpt() {
	nlog "$1" '^RCPT '
}

# nconn FAKEDIR: connections the fake primary accepted.
nconn() {
	nlog "$1" '^connect$'
}

# rcpt_is DIR ADDR WANT NAME: one SMTP session with snf-smtpd -d DIR on a
# pipe, a RCPT for ADDR whose reply must begin with WANT ("250 2.1.5 ");
# one TAP line, the transcript as comments when it fails.
rcpt_is() {
	printf '< 220\n> EHLO client.test\n< 250\n> MAIL FROM:<s@origin.test>\n< 250 2.1.0\n> RCPT TO:<%s>\n< %s\n> QUIT\n< 221\neof\n' \
	    "$2" "$3" >"$T/rcpt.script"
	chat_ok "$1" "$4" <"$T/rcpt.script"
}

# rcpts_is DIR NAME ADDR=WANT...: the same, several RCPTs in one
# transaction.
rcpts_is() {
	_r=$1 _name=$2
	shift 2
	{
		printf '< 220\n> EHLO client.test\n< 250\n'
		printf '> MAIL FROM:<s@origin.test>\n< 250 2.1.0\n'
		for _a; do
			printf '> RCPT TO:<%s>\n< %s\n' "${_a%%=*}" "${_a#*=}"
		done
		printf '> QUIT\n< 221\neof\n'
	} >"$T/rcpt.script"
	chat_ok "$_r" "$_name" <"$T/rcpt.script"
}

# rcpts_pipe_is DIR NAME ADDR=REPLY...: as rcpts_is, but every RCPT in
# one write (PIPELINING), the replies read after it.
rcpts_pipe_is() {
	_r=$1 _name=$2
	shift 2
	{
		printf '< 220\n> EHLO client.test\n< 250\n'
		printf '> MAIL FROM:<s@origin.test>\n< 250 2.1.0\n>> '
		for _a; do
			printf 'RCPT TO:<%s>\\r\\n' "${_a%%=*}"
		done
		printf '\n'
		for _a; do
			printf '< %s\n' "${_a#*=}"
		done
		printf '> QUIT\n< 221\neof\n'
	} >"$T/rcpt.script"
	chat_ok "$_r" "$_name" <"$T/rcpt.script"
}

# verify_is DIR ADDR RC LINE NAME: snf-verify -d DIR ADDR exits RC and
# prints one line that begins with LINE.
verify_is() {
	snf-verify -d "$1" "$2" >"$T/verify.out" 2>"$T/verify.err"
	_rc=$?
	_line=$(cat "$T/verify.out")
	_n=$(wc -l <"$T/verify.out" | tr -d ' ')
	case "$_line" in
	"$4"*) _m=0 ;;
	*) _m=1 ;;
	esac
	if [ "$_rc" = "$3" ] && [ "$_m" = 0 ] && [ "$_n" = 1 ]; then
		ok 0 "$5"
	else
		ok 1 "$5"
		printf 'exit %s (want %s)\nout: %s\nwant prefix: %s\n' "$_rc" \
		    "$3" "$_line" "$4" | sed 's/^/#   /'
		sed 's/^/#   err: /' "$T/verify.err"
	fi
}

# verify_like DIR ADDR RC GLOB NAME: the same, the whole line matching
# the shell pattern GLOB.
verify_like() {
	snf-verify -d "$1" "$2" >"$T/verify.out" 2>"$T/verify.err"
	_rc=$?
	_line=$(cat "$T/verify.out")
	# shellcheck disable=SC2254
	case "$_line" in
	$4) _m=0 ;;
	*) _m=1 ;;
	esac
	if [ "$_rc" = "$3" ] && [ "$_m" = 0 ]; then
		ok 0 "$5"
	else
		ok 1 "$5"
		printf 'exit %s (want %s)\nout: %s\nwant: %s\n' "$_rc" \
		    "$3" "$_line" "$4" | sed 's/^/#   /'
		sed 's/^/#   err: /' "$T/verify.err"
	fi
}

# now: seconds since the epoch, with fractions.
now() {
	python3 -c 'import time; print("%.3f" % time.time())'
}

# elapsed START: seconds since START (from now), with fractions.
elapsed() {
	python3 -c 'import sys, time; print("%.3f" % (time.time() - float(sys.argv[1])))' "$1"
}

# lt A B: status 0 when number A < number B.
lt() {
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"
}

# cache_check DIR: every file of cache/example.net is a record named by
# the SHA-256 of the address it holds and holding one whole
# "positive|negative TIME ADDRESS" line, or .down, .catchall, .slot.N,
# a whole .rate;
# nothing else anywhere under cache/. Prints what is wrong; status 0
# when nothing is.
cache_check() {
	python3 - "$1/cache" <<'EOF'
import hashlib, os, re, sys
top = sys.argv[1]
bad = []
for d, dirs, files in os.walk(top):
    rel = os.path.relpath(d, top)
    if rel not in ('.', 'example.net'):
        bad.append('unexpected folder %r' % rel)
        continue
    for f in files:
        p = os.path.join(d, f)
        if rel == '.':
            bad.append('unexpected file cache/%r' % f)
            continue
        if os.path.islink(p) or not os.path.isfile(p):
            bad.append('not a plain file: %r' % f)
        elif f in ('.down', '.catchall', '.refused') or re.fullmatch(r'\.slot\.\d+', f):
            pass
        elif f == '.rate':
            data = open(p, 'rb').read()
            if not re.fullmatch(rb'\d+ \d+\n([^ \n]+ \d+\n)*', data):
                bad.append('torn .rate: %r' % data)
        elif re.fullmatch(r'[0-9a-f]{64}', f):
            data = open(p, 'rb').read()
            m = re.fullmatch(rb'(positive|negative) (\d+) ([^\n]+)\n', data)
            if not m:
                bad.append('torn or foreign record %s: %r' % (f, data))
            elif hashlib.sha256(m.group(3)).hexdigest() != f:
                bad.append('record %s holds another address: %r' % (f, data))
        else:
            bad.append('unexpected file %r' % f)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
}
