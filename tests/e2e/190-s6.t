#!/bin/sh
# The s6 service folders written by scripts/s6-services run: snf-smtpd
# under tcpserver and snf-send under s6-svscan, each with its s6-log,
# and a message goes in through one and out through the other.
. "$(dirname "$0")/lib.sh"

if ! command -v s6-svscan >/dev/null 2>&1; then
	skip "s6 service folders" "s6 is not installed"
	done_testing
	exit
fi
if [ "$(id -u)" -ne 0 ]; then
	skip "s6 service folders" "s6-setuidgid needs root"
	done_testing
	exit
fi

R=$T/root
mkroot "$R"
echo 1 >"$R/control/backoff_min"
rm -rf "$T/fk"
python3 "$SNF_TOP/tests/tools/fakesmtp.py" --dir "$T/fk" &
SERVER_PIDS="$SERVER_PIDS $!"
wait_port() {	# wait_port FILE: until FILE exists (at most 5 s)
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
wait_port "$T/fk/port"
echo "127.0.0.1:$(cat "$T/fk/port")" >"$R/domains/example.com/primary"

# a free port for snf-smtpd
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sh "$SNF_TOP/scripts/s6-services" -b "$(dirname "$SMTPD")" -d "$R" -u "$SVC_USER" \
    -i 127.0.0.1 -p "$PORT" -n mx.test.invalid -l "$T/log" "$T/svc" \
    >"$T/s6.out" 2>&1
ok $? "s6-services writes the service folders"
for f in snf-smtpd/run snf-smtpd/log/run snf-send/run snf-send/log/run; do
	[ -x "$T/svc/$f" ]
	ok $? "$f is an executable script"
done

s6-svscan "$T/svc" >"$T/svscan.out" 2>&1 &
SVSCAN=$!
SERVER_PIDS="$SERVER_PIDS $SVSCAN"
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || break
	sleep 0.1
done
[ $i -lt 100 ]
ok $? "snf-smtpd answers on 127.0.0.1:$PORT under s6"

swaks --server 127.0.0.1 --port "$PORT" --helo client.test \
    --from sender@origin.test --to alice@example.com >"$T/swaks.out" 2>&1
ok $? "a message is accepted through the supervised snf-smtpd"

i=0
while [ ! -f "$T/fk/msg.1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$T/fk/msg.1" ]
ok $? "the supervised snf-send delivered it to the primary"
[ "$(queue_count "$R")" = 0 ]
ok $? "the queue is empty again"

i=0
while ! grep -q 'accept ip=127.0.0.1' "$T/log/snf-smtpd/current" 2>/dev/null &&
    [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q 'accept ip=127.0.0.1' "$T/log/snf-smtpd/current"
ok $? "snf-smtpd's log lines reach s6-log"
grep -q 'delivered id=' "$T/log/snf-send/current" 2>/dev/null
ok $? "snf-send's log lines reach s6-log"

s6-svscanctl -t "$T/svc"
i=0
while kill -0 "$SVSCAN" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
! kill -0 "$SVSCAN" 2>/dev/null
ok $? "s6-svscanctl -t stops everything"
done_testing
