# lib.sh - helpers for the end-to-end tests (sourced; POSIX sh).
# Each test makes its own root folder under $T, runs the real programs
# from bin/, and prints TAP. Network traffic stays on 127.0.0.1.

: "${SNF_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
PATH="$SNF_TOP/bin:$PATH"
CHAT="$SNF_TOP/tests/tools/smtpchat.py"
export PATH TCPREMOTEIP=127.0.0.1

tap_n=0
tap_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/snf-e2e.XXXXXX") || exit 111
SERVER_PIDS=""
cleanup() {
	for p in $SERVER_PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {	# ok CONDITION-STATUS NAME
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() {	# skip NAME REASON
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# mkroot DIR: a root folder with example.com (userprotect: alice, bob)
# and example.net (cloudprotect), tuned for fast tests.
mkroot() {
	mkdir -p "$1/control" "$1/domains/example.com" "$1/domains/example.net"
	echo mx.test.invalid >"$1/control/me"
	echo 0 >"$1/control/errorsleep"
	echo userprotect >"$1/domains/example.com/mode"
	printf 'alice\nbob@example.com\n# a comment\nCarol\n' \
	    >"$1/domains/example.com/users"
	echo cloudprotect >"$1/domains/example.net/mode"
}

# queue_count DIR [DOMAIN]: committed items in the queue.
queue_count() {
	find "$1/queue/mail${2:+/$2}" -type f 2>/dev/null | wc -l | tr -d ' '
}

# tmp_count DIR: files left in queue/tmp.
tmp_count() {
	find "$1/queue/tmp" -type f 2>/dev/null | wc -l | tr -d ' '
}

# chat DIR SCRIPT: run a chat script against snf-smtpd on stdin/stdout.
chat() {
	python3 "$CHAT" --stdio "$2" -- snf-smtpd -d "$1" >"$T/chat.out" 2>&1
}

# start_server DIR: snf-smtpd under tcpserver on 127.0.0.1, a free port.
# Sets PORT. Logs go to $T/server.log.
start_server() {
	tcpserver -1 -R -H -l localhost -b 100 -c 100 127.0.0.1 0 \
	    snf-smtpd -d "$1" >"$T/port" 2>>"$T/server.log" &
	SERVER_PIDS="$SERVER_PIDS $!"
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	PORT=$(head -n 1 "$T/port")
	[ -n "$PORT" ]
}
