# faultlib.sh - helpers for the fault tests (5NN-fault-*.t). Source it
# after lib.sh and sendlib.sh.
#
# Processes that the tests kill on purpose run in process groups of their
# own (setsid), so that a killer can find them, orphans included, without
# ever looking at anything else on the machine, and so that cleanup can
# end a whole group by its id. FAULT_GROUPS lists them; fault_cleanup
# kills them and then runs lib.sh's cleanup (umounts, rm -rf $T).

FAULT_GROUPS=""
FCLIENT="$SNF_TOP/tests/tools/faultclient.py"
FKILL="$SNF_TOP/tests/tools/faultkill.py"
BADSMTP="$SNF_TOP/tests/tools/badsmtp.py"

fault_cleanup() {
	for g in $FAULT_GROUPS; do
		kill -KILL "-$g" 2>/dev/null
	done
	cleanup
}
trap fault_cleanup EXIT

# group_start CMD [ARG...]: run CMD in the background as the leader of a
# new process group and session (setsid); sets GROUP to its id.
group_start() {
	setsid "$@" &
	GROUP=$!
	FAULT_GROUPS="$FAULT_GROUPS $GROUP"
}

# group_alive PGID: status 0 while a process of group PGID lives.
group_alive() {
	[ -n "$(group_pids "$1")" ]
}

# group_pids PGID: the live processes of group PGID (not zombies).
group_pids() {
	python3 - "$1" <<'EOF'
import os, sys
g = int(sys.argv[1])
for d in os.listdir('/proc'):
    if not d.isdigit():
        continue
    try:
        st = open('/proc/%s/stat' % d).read()
    except OSError:
        continue
    f = st[st.rfind(')') + 2:].split()
    if f[0] != 'Z' and int(f[2]) == g:
        print(d)
EOF
}

# group_stop PGID [SECONDS]: SIGTERM to the group, wait at most SECONDS
# (10) for all of it to end, then SIGKILL. Status 0 when the SIGTERM was
# enough.
group_stop() {
	kill -TERM "-$1" 2>/dev/null
	_w=$(( ${2:-10} * 10 ))
	while group_alive "$1"; do
		_w=$((_w - 1))
		if [ $_w -le 0 ]; then
			kill -KILL "-$1" 2>/dev/null
			sleep 0.2
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# group_wait PGID SECONDS: wait until group PGID has no live process;
# status 0 when it ended in time.
group_wait() {
	_w=$(( $2 * 10 ))
	while group_alive "$1"; do
		_w=$((_w - 1))
		[ $_w -gt 0 ] || return 1
		sleep 0.1
	done
}

# msgid_counts FAKEDIR: "COUNT KEY" for each Message-ID local part found
# in the messages a fakesmtp stored (msg.N), KEY as faultclient names it.
msgid_counts() {
	python3 - "$1" <<'EOF'
import os, re, sys
d = sys.argv[1]
n = {}
for f in os.listdir(d):
    if not re.fullmatch(r'msg\.\d+', f):
        continue
    data = open(os.path.join(d, f), 'rb').read()
    for m in re.finditer(rb'^Message-ID: <([^@>]+)@origin\.test>\r?$', data, re.M):
        k = m.group(1).decode('latin-1')
        n[k] = n.get(k, 0) + 1
for k in sorted(n):
    print(n[k], k)
EOF
}

# fault_compare SENTDIR FAKEDIR OUT: compare each message a fakesmtp
# stored (msg.N, without snf-smtpd's Received: field) with what the
# client sent under its Message-ID. Writes OUT: one line per stored
# message, "same KEY", "differs KEY" or "unknown msg.N"; prints the
# number of stored messages that are not exactly what was sent.
fault_compare() {
	python3 - "$1" "$2" "$3" <<'EOF'
import os, re, sys
sent, fake, out = sys.argv[1:4]
bad = 0
with open(out, 'w') as o:
    for f in sorted(os.listdir(fake)):
        if not re.fullmatch(r'msg\.\d+', f):
            continue
        d = open(os.path.join(fake, f), 'rb').read()
        m = re.search(rb'^Message-ID: <([^@>]+)@origin\.test>\r$', d, re.M)
        key = m.group(1).decode() if m else None
        if not d.startswith(b'Received: ') or key is None or \
                not os.path.exists(os.path.join(sent, key)):
            o.write('unknown %s\n' % f)
            bad += 1
            continue
        i = d.index(b'\r\n') + 2
        while d[i:i + 1] in (b'\t', b' '):
            i = d.index(b'\r\n', i) + 2
        if d[i:] == open(os.path.join(sent, key), 'rb').read():
            o.write('same %s\n' % key)
        else:
            o.write('differs %s (%s, %d bytes)\n' % (key, f, len(d) - i))
            bad += 1
print(bad)
EOF
}

# tmp_leftovers DIR: the files in queue/tmp/ and the temporary files of
# queue/state/, one path (relative to DIR) a line, sorted.
tmp_leftovers() {
	( cd "$1" && find queue/tmp -type f 2>/dev/null;
	    find queue/state -type f -name '.*.tmp' 2>/dev/null ) | sort
}

# dyn_build (lib.sh): the programs linked dynamically, for libfaketime.

# sweepable DIR: the leftovers that snf-expire -n, run 2 days from now
# (faketime, on a dynamically linked snf-expire), would remove, one path
# a line, sorted; "-" when that cannot be run.
sweepable() {
	if libft && command -v snf-expire >/dev/null 2>&1 && dyn_build; then
		# libfaketime without the faketime program, which fails
		# under clock_skip's libfaketime
		env LD_PRELOAD="$LIBFT" FAKETIME=+2d \
		    "$DYN/snf-expire" -d "$1" -n 2>/dev/null |
		    sed -n 's/^would-remove	\(queue\/\(tmp\|state\)\/.*\)/\1/p' | sort
	else
		echo -
	fi
}

# rand_between A B: a random integer from A to B.
rand_between() {
	python3 -c 'import random, sys; print(random.randint(int(sys.argv[1]), int(sys.argv[2])))' "$1" "$2"
}

# elapsed_ms START_MS: milliseconds since START_MS (date +%s%3N).
elapsed_ms() {
	echo $(( $(date +%s%3N) - $1 ))
}
