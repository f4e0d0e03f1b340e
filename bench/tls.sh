#!/bin/sh
# tls.sh - acceptance over STARTTLS: bench/tools/tlsload against
# snf-smtpd under tcpserver and against a private Postfix (the same
# certificate, smtpd_tls_security_level = may, tuned as lib.sh says),
# both with their primary down, alternately, ROUNDS rounds; the memory
# of one TLS session and of 50 (open and idle after STARTTLS and EHLO);
# whether each server resumes a TLS session at all (openssl s_client
# -sess_out, then -sess_in); and what libtls costs a server process for
# each connection (bench/tools/tlscost).
#
#   sh bench/tls.sh [ROUNDS]              (default 3)
#   BENCH_MSGS=2000 BENCH_SIZE=5000 BENCH_SESSIONS="10 50"
#   BENCH_TLS_MODES="full full12 resumed12" BENCH_TLS_KEY=ec
#   BENCH_SETTLE=0                        the defaults
#
# Modes: full (libtls's protocols, TLS 1.3 negotiated), full12 (TLS 1.2
# only), resumed12 (TLS 1.2, each client session offering the TLS
# session of its first connection again), resumed13 (the same in TLS
# 1.3: libtls saves the session as its handshake ends, before a TLS 1.3
# server sends its tickets, so there is nothing to offer). The key:
# ec (ECDSA P-256) or rsa (RSA 2048), signed by a throw-away CA.
. "$(dirname "$0")/lib.sh"
need_tls
ROUNDS=${1:-3}
MSGS=${BENCH_MSGS:-2000}
SIZE=${BENCH_SIZE:-5000}
SESSIONS=${BENCH_SESSIONS:-10 50}
MODES=${BENCH_TLS_MODES:-full full12 resumed12}
KEYTYPE=${BENCH_TLS_KEY:-ec}
SETTLE=${BENCH_SETTLE:-0}

# make_cert DIR: DIR/ca.pem, DIR/key.pem and DIR/chain.pem (the
# certificate for bench.invalid and 127.0.0.1, then the CA's)
make_cert() {
	mkdir -p "$1"
	case $KEYTYPE in
	ec)	set -- "$1" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 ;;
	rsa)	set -- "$1" -newkey rsa:2048 ;;
	*)	die "BENCH_TLS_KEY: ec or rsa" ;;
	esac
	_d=$1
	shift
	openssl req -x509 "$@" -nodes -keyout "$_d/ca.key" -out "$_d/ca.pem" \
	    -subj /CN=bench-ca -days 2 >/dev/null 2>&1 &&
	    openssl req "$@" -nodes -keyout "$_d/key.pem" -out "$_d/req.pem" \
	    -subj /CN=bench.invalid >/dev/null 2>&1 &&
	    echo "subjectAltName=DNS:bench.invalid,IP:127.0.0.1" >"$_d/ext" &&
	    openssl x509 -req -in "$_d/req.pem" -CA "$_d/ca.pem" \
	    -CAkey "$_d/ca.key" -CAcreateserial -days 2 -extfile "$_d/ext" \
	    -out "$_d/cert.pem" >/dev/null 2>&1 ||
	    die "openssl cannot make the certificate"
	cat "$_d/cert.pem" "$_d/ca.pem" >"$_d/chain.pem"
	chmod 600 "$_d/key.pem" "$_d/ca.key"
}

SNFPORT=$(free_port)
PFPORT=$(free_port)
R=$B/snf
make_cert "$B/tls"
snf_root "$R" 127.0.0.1:1	# the primary is down: everything is held
cp "$B/tls/chain.pem" "$R/control/tls_cert"
cp "$B/tls/key.pem" "$R/control/tls_key"
if [ -n "$SVC" ]; then		# the service's group reads the key
	chgrp "$(id -g "$SVC")" "$R/control/tls_key"
	chmod 640 "$R/control/tls_key"
fi
snf_start "$R" "$SNFPORT"
pf_setup "$PFPORT" 1
pf_tls "$B/tls/key.pem" "$B/tls/chain.pem"
pf_start "$PFPORT"


# tls_sessions PORT N NAME PARENT: N TLS sessions held open (tlsload
# -H), the memory of PARENT's children called NAME meanwhile
tls_sessions() {
	rm -f "$B/holdin" "$B/hold.out"
	mkfifo "$B/holdin"
	"$B/tools/tlsload" -H -s "$2" 127.0.0.1 "$1" <"$B/holdin" \
	    >"$B/hold.out" 2>&1 &
	_h=$!
	exec 7>"$B/holdin"
	_i=0
	until grep -q ready "$B/hold.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 300 ] && kill -0 $_h 2>/dev/null ||
		    die "TLS sessions never ready: $(cat "$B/hold.out")"
		sleep 0.1
	done
	sleep 0.5
	_m=$(mem "$3" "$4")
	exec 7>&-
	wait $_h
	echo "$_m"
}

# s_chat PORT PROTOCOL ARGS...: one STARTTLS session by openssl s_client
s_chat() {
	_port=$1 _proto=$2
	shift 2
	(sleep 0.5; echo EHLO bench.invalid; sleep 0.5; echo QUIT) |
	    timeout 10 openssl s_client -connect "127.0.0.1:$_port" \
	    -starttls smtp -crlf -ign_eof "$_proto" "$@" 2>&1
}

# resumes PORT PROTOCOL: whether a session of one connection is resumed
# by the next
resumes() {
	rm -f "$B/sess"
	_o=$(s_chat "$1" "$2" -sess_out "$B/sess")
	if ! [ -s "$B/sess" ]; then
		echo "no (no ticket, no session id: nothing to offer; $(echo "$_o" |
		    grep -c '^ *TLS session ticket:') tickets seen)"
		return
	fi
	if s_chat "$1" "$2" -sess_in "$B/sess" | grep -q '^Reused,'; then
		echo yes
	else
		echo "no (the session offered, a full handshake)"
	fi
}

flags() {
	case $1 in
	full) echo "" ;;
	full12) echo "-2" ;;
	resumed12) echo "-2 -r" ;;
	resumed13) echo "-3 -r" ;;
	*) die "unknown mode $1" ;;
	esac
}

# tls_timed PORT SESSIONS FLAGS: prints "msg/s cpu-ticks-less-tlsload
# sent failed resumed handshakes tls1.2-handshakes tls1.3-handshakes"
tls_timed() {
	_b0=$(busy)
	# shellcheck disable=SC2086
	_out=$(/usr/bin/time -f '%U %S' -o "$B/time" "$B/tools/tlsload" $3 \
	    -s "$2" -m "$MSGS" -l "$SIZE" 127.0.0.1 "$1" 2>>"$B/tlsload.err")
	_b1=$(busy)
	_own=$(awk '{ print ($1 + $2) * 100 }' "$B/time")
	echo "$_out" | awk -v b=$((_b1 - _b0)) -v o="$_own" \
	    '$1 == "messages" { print $10, b - o, $4, $6, $14, $12, $16, $18; exit }
	    END { if (NR == 0) print 0, 0, 0, 0, 0, 0, 0, 0 }'
}

proto() {	# proto TLS1.2-COUNT TLS1.3-COUNT
	if [ "$1" -gt 0 ] && [ "$2" -gt 0 ]; then
		echo "TLS 1.2 and 1.3"
	elif [ "$1" -gt 0 ]; then
		echo "TLS 1.2"
	else
		echo "TLS 1.3"
	fi
}

per1000() {	# per1000 TICKS SENT: CPU seconds per 1000 messages
	awk -v t="$1" -v n="$2" 'BEGIN { printf "%.2f", n ? t / 100 / n * 1000 : 0 }'
}

echo "Machine: $(machine)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(git -C "$SNF_TOP" rev-parse --short HEAD 2>/dev/null || echo "?"); $ROUNDS rounds of $MSGS messages of $SIZE bytes, one per connection, snf and Postfix alternately; key $KEYTYPE; BENCH_SETTLE=$SETTLE"
echo "Client: bench/tools/tlsload (libtls), the server's certificate not checked; modes: $MODES"
echo
echo "### Memory of TLS sessions (open and idle after STARTTLS and EHLO)"
echo
echo "| processes | count | RSS KB each | PSS KB each | RSS KB all | PSS KB all |"
echo "|---|---|---|---|---|---|"
calm
mem_row "snf-smtpd, 1 TLS session" "$(tls_sessions "$SNFPORT" 1 snf-smtpd "$SNF_PID")"
mem_row "Postfix smtpd, 1 TLS session" "$(tls_sessions "$PFPORT" 1 smtpd "$(pf_master)")"
mem_row "snf-smtpd, 50 TLS sessions" "$(tls_sessions "$SNFPORT" 50 snf-smtpd "$SNF_PID")"
mem_row "Postfix smtpd, 50 TLS sessions" "$(tls_sessions "$PFPORT" 50 smtpd "$(pf_master)")"
mem_row "Postfix tlsmgr (shared)" "$(mem tlsmgr "$(pf_master)")"
echo
echo "Memory: $(calm_note)"
echo
echo "### Does the server resume a TLS session? (openssl s_client -sess_out, then -sess_in)"
echo
echo "| server | TLS 1.2 | TLS 1.3 |"
echo "|---|---|---|"
echo "| snf-smtpd | $(resumes "$SNFPORT" -tls1_2) | $(resumes "$SNFPORT" -tls1_3) |"
echo "| Postfix smtpd | $(resumes "$PFPORT" -tls1_2) | $(resumes "$PFPORT" -tls1_3) |"
echo
echo "### Acceptance over STARTTLS"
echo
echo "| mode | protocol | sessions | snf msg/s | Postfix msg/s | ratio | snf CPU s/1000 | Postfix CPU s/1000 | resumed of handshakes, snf / Postfix | 1-min load at the runs |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for mode in $MODES; do
	f=$(flags "$mode")
	for s in $SESSIONS; do
		sr="" pr="" sc="" pc="" srs="" prs=""
		r=0
		while [ $r -lt "$ROUNDS" ]; do
			snf_empty
			calm
			set -- $(tls_timed "$SNFPORT" "$s" "$f")
			[ "$4" = 0 ] && [ "$3" = "$MSGS" ] ||
			    die "snf, $mode, $s sessions: $3 of $MSGS sent ($(tail -n 1 "$B/tlsload.err"))"
			sr="$sr $1" sc="$sc $(per1000 "$2" "$3")" srs="$5/$6"
			proto=$(proto "$7" "$8")
			pf_empty
			calm
			set -- $(tls_timed "$PFPORT" "$s" "$f")
			[ "$4" = 0 ] && [ "$3" = "$MSGS" ] ||
			    die "Postfix, $mode, $s sessions: $3 of $MSGS sent"
			pr="$pr $1" pc="$pc $(per1000 "$2" "$3")" prs="$5/$6"
			r=$((r + 1))
		done
		ms=$(median $sr)
		mp=$(median $pr)
		echo "| $mode | $proto | $s | $ms | $mp | $(echo "$ms $mp" | awk '{ printf "%.2f", $1 / $2 }') | $(median $sc) | $(median $pc) | $srs / $prs | $(calm_note) |"
	done
done
echo
echo "### What libtls costs the server for each connection (bench/tools/tlscost, static as snf-smtpd, the same key; CPU ms, means of 200)"
echo
echo "| server process | by stage | the whole process |"
echo "|---|---|---|"
calm
"$B/tools/tlscost" "$R/control/tls_cert" "$B/tls/key.pem" 200 ||
    die "tlscost failed"
echo
echo "tlscost: $(calm_note)"
