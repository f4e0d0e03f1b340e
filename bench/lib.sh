# lib.sh - shared by the benchmarks (sourced; POSIX sh). Everything runs
# on 127.0.0.1; Postfix runs from a private configuration folder of our
# own under $B, never the system instance; bench_cleanup stops it all.

: "${SNF_TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
BIN=$SNF_TOP/bin
B=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/snf-bench.XXXXXX")}
# as root, the root folders are a service user's (scripts/install-deps
# makes snftest), who must reach them
SVC=""
if [ "$(id -u)" -eq 0 ]; then
	SVC=${BENCH_USER:-snftest}
	chmod 755 "$B"
fi
mkdir -p "$B" && chmod 755 "$B"	# Postfix daemons must reach $B/pf
PIDS=""
PF_UP=""

bench_cleanup() {
	[ -n "$PF_UP" ] && postfix -c "$B/pf/conf" stop >/dev/null 2>&1
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$B"
}
trap bench_cleanup EXIT
trap 'exit 1' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

# need: the tools every benchmark uses, installed when missing.
need() {
	[ -x "$BIN/snf-smtpd" ] ||
	    die "build snf first: ./configure && make (in $SNF_TOP)"
	if ! command -v smtp-source >/dev/null 2>&1 ||
	    ! command -v tcpserver >/dev/null 2>&1 ||
	    ! command -v postfix >/dev/null 2>&1; then
		sh "$SNF_TOP/scripts/install-deps" || die "cannot install tools"
	fi
	[ -x "$B/tools/dwrite" ] && return
	mkdir -p "$B/tools"
	cc -O2 -o "$B/tools/dwrite" "$SNF_TOP/bench/tools/dwrite.c" &&
	    cc -O2 -o "$B/tools/connrate" "$SNF_TOP/bench/tools/connrate.c" ||
	    die "cannot build bench/tools"
}

# need_tls: need, bench/tools/tlsload and tlscost (libtls, OpenSSL's
# command).
need_tls() {
	need
	command -v openssl >/dev/null 2>&1 || die "openssl is missing"
	[ -x "$B/tools/tlsload" ] && return
	cc -O2 -o "$B/tools/tlsload" "$SNF_TOP/bench/tools/tlsload.c" -ltls \
	    -lpthread || die "cannot build bench/tools/tlsload (libtls-dev?)"
	# static, as snf-smtpd is linked (through scripts/link, as make does)
	sh "$SNF_TOP/scripts/link" cc -O2 -static -o "$B/tools/tlscost" \
	    "$SNF_TOP/bench/tools/tlscost.c" -ltls -lssl -lcrypto -lpthread ||
	    die "cannot build bench/tools/tlscost"
}

# free_port: a TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something listens (at most 10 s).
wait_port() {
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "nothing listens on $1"
		sleep 0.1
	done
}

# busy: the whole machine's busy CPU time so far, in clock ticks.
busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# now: seconds since the epoch with nanoseconds.
now() {
	date +%s.%N
}

# mem NAME PID: "count rss-sum-KB pss-sum-KB rss-max-KB" over PID and
# its children whose command name is NAME (pgrep -x), from
# /proc/PID/smaps_rollup; only ours, as others may run the same programs.
mem() {
	_n=0 _rss=0 _pss=0 _max=0
	for _p in $(pgrep -x "$1" | grep -x "$2"; pgrep -x -P "$2" "$1"); do
		set -- $(awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } END { print r + 0, p + 0 }' \
		    "/proc/$_p/smaps_rollup" 2>/dev/null)
		[ $# -eq 2 ] || continue
		_n=$((_n + 1)) _rss=$((_rss + $1)) _pss=$((_pss + $2))
		[ "$1" -gt "$_max" ] && _max=$1
	done
	echo "$_n $_rss $_pss $_max"
}

# mem_row LABEL "count rss pss max": a row of memory.sh's tables
mem_row() {
	set -- "$1" $2
	[ "$2" -gt 0 ] || die "$1: no process found"
	echo "| $1 | $2 | $(($3 / $2)) | $(($4 / $2)) | $3 | $4 |"
}

# median N...: the median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# snf_root DIR PRIMARY: a root folder protecting example.com (alice).
snf_root() {
	mkdir -p "$1/control" "$1/domains/example.com"
	echo bench.invalid >"$1/control/me"
	echo 0 >"$1/control/errorsleep"
	echo 104857600 >"$1/control/databytes"
	echo userprotect >"$1/domains/example.com/mode"
	echo alice >"$1/domains/example.com/users"
	echo "$2" >"$1/domains/example.com/primary"
	echo 1000000 >"$1/control/alert_threshold"
	[ -z "$SVC" ] || "$SNF_TOP/bin/snf-setup" -d "$1" -u "$SVC" >/dev/null
}

# snf_fresh DIR: DIR's queue emptied, made again for the service user
snf_fresh() {
	rm -rf "$1/queue"
	[ -z "$SVC" ] || "$SNF_TOP/bin/snf-setup" -d "$1" -u "$SVC" >/dev/null
}

# snf_empty, pf_empty: the snf root folder $R (snf-smtpd on $SNFPORT
# restarted) or the private Postfix emptied, then $SETTLE seconds of
# rest. Emptying a queue frees thousands of inodes; ext4 then skips the
# ones freed in the last 30 s or so (recently_deleted) each time it
# allocates an inode, which costs every file created in the next round
# (the same for both servers): the rest lets that pass.
snf_empty() {
	snf_stop
	snf_fresh "$R"
	sync
	sleep "$SETTLE"
	snf_start "$R" "$SNFPORT"
}

pf_empty() {
	postsuper -c "$B/pf/conf" -d ALL >/dev/null 2>&1
	sync
	sleep "$SETTLE"
}

# snf_start DIR PORT: snf-smtpd under tcpserver, as the README says: as
# root, for the service user SVC (snf-smtpd never runs as root)
snf_start() {
	_ids=""
	[ -z "$SVC" ] || _ids="-u $(id -u "$SVC") -g $(id -g "$SVC")"
	# shellcheck disable=SC2086
	tcpserver -b 200 -c 200 -H -R -l bench.invalid $_ids 127.0.0.1 "$2" \
	    "$BIN/snf-smtpd" -d "$1" 2>>"$B/snf.log" &
	SNF_PID=$!
	PIDS="$PIDS $SNF_PID"
	wait_port "$2"
}

snf_stop() {
	kill "$SNF_PID" 2>/dev/null
	wait "$SNF_PID" 2>/dev/null
}

# pf_setup PORT RELAYPORT: a private Postfix, a backup MX for example.com
# (relay_domains, relay_recipient_maps, a transport to 127.0.0.1:RELAYPORT),
# its smtpd on 127.0.0.1:PORT. Its queue and logs live under $B/pf.
# Tuned for speed as an operator would, and as snf runs under tcpserver
# -H -R: no look-up of the client's name (smtpd_peername_lookup = no), no
# daemon chrooted. BENCH_PF_TUNED=0: master.cf as Debian ships it (every
# daemon but smtpd chrooted) and the client's name looked up.
pf_setup() {
	P=$B/pf
	rm -rf "$P"
	mkdir -p "$P/conf" "$P/queue" "$P/data"
	chown postfix "$P/data"
	sed -e "s/^smtp      inet  n       -       y       -       -       smtpd/127.0.0.1:$1 inet n - n - - smtpd/" \
	    /etc/postfix/master.cf >"$P/conf/master.cf"
	cat >"$P/conf/main.cf" <<EOT
compatibility_level = 3.7
queue_directory = $P/queue
data_directory = $P/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.invalid
mydomain = bench.invalid
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
relay_domains = example.com
relay_recipient_maps = inline:{ alice@example.com=ok }
transport_maps = inline:{ example.com=smtp:[127.0.0.1]:$2 }
smtpd_recipient_restrictions = reject_unauth_destination
message_size_limit = 104857600
maillog_file = $P/maillog
maillog_file_prefixes = $B
alias_maps =
alias_database =
biff = no
disable_dns_lookups = yes
EOT
	[ "${BENCH_PF_TUNED:-1}" = 0 ] && return
	echo "smtpd_peername_lookup = no" >>"$P/conf/main.cf"
	postconf -c "$P/conf" -F '*/*/chroot = n' ||
	    die "postconf cannot edit $P/conf/master.cf"
}

# pf_tls KEY CHAIN: STARTTLS offered by the private Postfix
# (smtpd_tls_security_level = may), with the key and the certificate
# chain given; session tickets (its default: keys from tlsmgr), no
# session cache database, no TLS logging.
pf_tls() {
	cat >>"$B/pf/conf/main.cf" <<EOT
smtpd_tls_security_level = may
smtpd_tls_chain_files = $1, $2
smtpd_tls_loglevel = 0
smtpd_tls_session_cache_database =
EOT
}

# calm: before a measured run, until the 1-minute load is at most
# BENCH_LOAD (1.5), or the machine was nearly idle (under 25% of its
# CPUs busy over a second, the load then being what the last run left),
# waiting at most BENCH_LOAD_WAIT (300) seconds, and so much in all over
# the script (a machine that others keep busy would make every run
# wait); appends "load busy% waited" to $B/load, for calm_note.
CALM_LEFT=${BENCH_LOAD_WAIT:-300}
calm() {
	_w=0
	while :; do
		_l=$(cut -d' ' -f1 /proc/loadavg)
		_b0=$(busy)
		sleep 1
		_b=$(( ($(busy) - _b0) / $(nproc) ))	# ticks of 10 ms
		awk -v l="$_l" -v m="${BENCH_LOAD:-1.5}" -v b="$_b" \
		    'BEGIN { exit !(l <= m || b < 25) }' && break
		[ "$_w" -lt "$CALM_LEFT" ] || break
		sleep 9
		_w=$((_w + 10))
	done
	CALM_LEFT=$((CALM_LEFT - _w))
	echo "$_l $_b $_w" >>"$B/load"
}

# calm_note: the loads seen by calm since the last note, one phrase
calm_note() {
	[ -s "$B/load" ] || return
	awk 'NR == 1 || $1 < lo { lo = $1 } NR == 1 || $1 > hi { hi = $1 }
	    $2 > bm { bm = $2 } { w += $3 }
	    END { printf "load %.2f-%.2f, busy before a run at most %d%%, waited %d s", lo, hi, bm, w }' "$B/load"
	rm -f "$B/load"
}

pf_start() {
	postfix -c "$B/pf/conf" start >/dev/null 2>&1 || die "postfix start failed"
	PF_UP=1
	wait_port "$1"
}

# pf_master: the pid of the private Postfix's master
pf_master() {
	tr -d ' ' <"$B/pf/queue/pid/master.pid"
}

pf_stop() {
	postfix -c "$B/pf/conf" stop >/dev/null 2>&1
	PF_UP=""
	sleep 1
}

# pf_count: messages in the private Postfix's queue.
pf_count() {
	find "$B/pf/queue/incoming" "$B/pf/queue/active" \
	    "$B/pf/queue/deferred" "$B/pf/queue/maildrop" -type f 2>/dev/null |
	    wc -l | tr -d ' '
}

# send_timed PORT SESSIONS PERCONN SIZE: smtp-source sends $MSGS
# messages (with PERCONN > 1, whole rounds of SESSIONS x PERCONN, at
# least one); prints "seconds busy-ticks-less-smtp-source messages-sent".
send_timed() {
	t0=$(now)
	b0=$(busy)
	own=0
	sent=$MSGS
	if [ "$3" -eq 1 ]; then
		/usr/bin/time -f '%U %S' -o "$B/time" smtp-source -s "$2" \
		    -m "$MSGS" -l "$4" -f sender@origin.test \
		    -t alice@example.com "127.0.0.1:$1" >/dev/null 2>&1
		own=$(awk '{ print ($1 + $2) * 100 }' "$B/time")
	else
		n=$((MSGS / ($2 * $3)))
		[ "$n" -ge 1 ] || n=1
		sent=$((n * $2 * $3))
		i=0
		while [ $i -lt $n ]; do
			/usr/bin/time -f '%U %S' -o "$B/time" smtp-source -d \
			    -s "$2" -m $(($2 * $3)) -l "$4" \
			    -f sender@origin.test -t alice@example.com \
			    "127.0.0.1:$1" >/dev/null 2>&1
			own=$(awk -v o="$own" '{ print o + ($1 + $2) * 100 }' "$B/time")
			i=$((i + 1))
		done
	fi
	t1=$(now)
	b1=$(busy)
	echo "$t0 $t1 $b0 $b1 $own $sent" |
	    awk '{ printf "%f %f %d\n", $2 - $1, $4 - $3 - $5, $6 }'
}

# machine: one line about the machine, for the report.
machine() {
	printf '%s CPUs (%s), %s, kernel %s, %s\n' "$(nproc)" \
	    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
	    "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)" \
	    "$(uname -r)" "$(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $2 }') under ${TMPDIR:-/tmp}"
}
