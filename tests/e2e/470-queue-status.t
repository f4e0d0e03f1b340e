#!/bin/sh
# snf-queue status: one line of 12 tab-separated fields per domain
# (domain, mode, primary state, seconds in it, held, messages, bytes,
# oldest age, seconds to the next attempt, callout state, last error,
# TLS of the last session), held messages counted; status -v: one line
# per message (id, domain, queued or held, age, size, seconds to its
# next attempt, sender, recipients); a "#" summary line only when standard output is a
# terminal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sendlib.sh"
. "$(dirname "$0")/queuelib.sh"

R=$T/root
mkroot "$R"
primary "$R" 127.0.0.1:1
echo 1h >"$R/control/backoff_min"
echo 2h >"$R/control/backoff_max"
mkdir -p "$R/domains/example.org"
echo bogus >"$R/domains/example.org/mode"

# attty ARGS...: snf-queue -d $R ARGS with its output on a terminal
attty() {
	python3 - "$R" "$@" <<'EOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp("snf-queue", ["snf-queue", "-d"] + sys.argv[1:])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r\n", "\n"))
EOF
}
# within LO HI VALUE: LO <= VALUE <= HI
within() {
	[ -n "$3" ] && [ "$3" -ge "$1" ] && [ "$3" -le "$2" ]
}

sq "$R" status
out_is "$(tl example.com userprotect unknown 0 - 0 0 0 0 - "" -
    tl example.net cloudprotect unknown 0 - 0 0 0 0 - "" -
    tl example.org broken unknown 0 - 0 0 0 0 - "" -)" \
    "an empty queue: every protected domain, by name; a bad mode file is broken"

i1=$(put "$R" m1 s1@origin.test alice@example.com)
i1=$(backdate "$R" "$i1" 600)
i2=$(put "$R" m2 s1@origin.test bob@example.com carol@example.com)
i3=$(put "$R" m3 "" s1@origin.test)	# a report on its way out
sq "$R" hold -i "$i2"
send1 "$R" example.com	# the primary is down
touch "$R/domains/example.com/hold"
touch -d "@$(( $(date +%s) + 1000 ))" "$(item "$R" "$i1")"	# due later
err=$(state_get "$R" error)
case $err in
"connect to 127.0.0.1 port 1: "*) ok 0 "queue/state/example.com has the error ($err)" ;;
*) ok 1 "queue/state/example.com has the error ($err)" ;;
esac

sq "$R" status
is "$QRC" 0 "status: exit 0"
is "$(awk -F'\t' '{ print NF }' "$T/out" | tr '\n' ' ')" "12 12 12 12 " "4 lines of 12 fields each"
is "$(cut -f1 "$T/out" | tr '\n' ' ')" "example.com example.net example.org origin.test " \
    "every domain protected or with mail, by name"
sz() { stat -c %s "$(item "$R" "$1")"; }
L=$(grep '^example.com	' "$T/out")
is "$(echo "$L" | cut -f1-3,5-7,10-11)" "$(tl example.com userprotect down held 2 $(( $(sz "$i1") + $(sz "$i2") )) - "$err")" \
    "example.com: userprotect, down, held, 2 messages (one held), their bytes, no callout state, the error"
within 0 10 "$(echo "$L" | cut -f4)"
ok $? "  down for 0 s ($(echo "$L" | cut -f4))"
within 600 630 "$(echo "$L" | cut -f8)"
ok $? "  oldest 600 s ($(echo "$L" | cut -f8))"
within 2600 4500 "$(echo "$L" | cut -f9)"
ok $? "  next attempt in about an hour ($(echo "$L" | cut -f9))"
is "$(grep '^example.net	' "$T/out")" "$(tl example.net cloudprotect unknown 0 - 0 0 0 0 - "" -)" \
    "example.net: cloudprotect, never tried, empty"
L=$(grep '^origin.test	' "$T/out")
is "$(echo "$L" | cut -f1-7,9-11)" "$(tl origin.test - unknown 0 - 1 "$(sz "$i3")" 0 - "")" \
    "origin.test: not protected (-), one message"

sq "$R" status EXAMPLE.ORG example.net
out_is "$(tl example.net cloudprotect unknown 0 - 0 0 0 0 - "" -
    tl example.org broken unknown 0 - 0 0 0 0 - "" -)" "status with domains named: those, by name"
sq "$R" status nowhere.test
out_is "$(tl nowhere.test - unknown 0 - 0 0 0 0 - "" -)" "status of an unknown domain: an empty line for it"

# --- status -v -------------------------------------------------------------------------
msz() { wc -c <"$T/msg.$1" | tr -d ' '; }
sq "$R" status -v
is "$QRC:$(cut -f1-3,5,7- "$T/out")" "0:$(tl "$i1" example.com queued "$(msz m1)" s1@origin.test alice@example.com
    tl "$i3" origin.test queued "$(msz m3)" "<>" s1@origin.test
    tl "$i2" example.com held "$(msz m2)" s1@origin.test bob@example.com carol@example.com)" \
    "status -v: id, domain, queued|held, size, sender (<> for none), recipients; waiting ones first"
is "$(awk -F'\t' '{ print NF }' "$T/out" | tr '\n' ' ')" "8 8 9 " "  one field per recipient at the end"
within 600 630 "$(sed -n 1p "$T/out" | cut -f4)" && within 0 10 "$(sed -n 2p "$T/out" | cut -f4)"
ok $? "  ages: 600 s and 0 s"
within 980 1000 "$(sed -n 1p "$T/out" | cut -f6)"
ok $? "  the deferred message: next attempt in 1000 s ($(sed -n 1p "$T/out" | cut -f6))"
is "$(sed -n '2,3p' "$T/out" | cut -f6 | tr '\n' ' ')" "0 0 " "  the others: 0 (a held one is never due)"
sq "$R" status -v example.net
out_is "" "status -v example.net: no message, no line"
sq "$R" status -v origin.test
is "$(cut -f1 "$T/out")" "$i3" "status -v origin.test: its message"

sq "$R" list
is "$(cut -f1 "$T/out" | tr '\n' ' ')" "$i1 $i3 " "list: the waiting messages only"

# --- at a terminal ---------------------------------------------------------------------
attty status >"$T/tty"
is "$(sed '$d' "$T/tty")" "$(snf-queue -d "$R" status)" "at a terminal: the same lines"
is "$(tail -n 1 "$T/tty")" "# 4 domains, 1 down, 1 held; 3 messages, 0.0 MB, oldest 0d00h10m" \
    "  then one summary line"
is "$(snf-queue -d "$R" status | grep -c '^#')" 0 "into a pipe: no summary line"
attty status -v >"$T/tty"
is "$(grep -c '^#' "$T/tty")" 0 "status -v at a terminal: no summary line"
rm -f "$R/domains/example.com/hold"
attty status example.net >"$T/tty"
is "$(tail -n 1 "$T/tty")" "# 1 domains, 0 down, 0 held; 0 messages, 0.0 MB, oldest 0d00h00m" \
    "the summary covers the domains shown"

done_testing
