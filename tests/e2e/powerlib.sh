# powerlib.sh - helpers for the power-loss tests (6NN-power-*.t). Source
# it after lib.sh, sendlib.sh and faultlib.sh.
#
# The layer is tests/tools/powerfs (built by tests/tools/build-powerfs.sh
# into tests/tools/bin): a FUSE file system over a backing folder that
# keeps what a power cut would leave (see the top of
# tests/tools/powerfs/powerfs.c). power_mount puts it over a folder of $T,
# power_cut cuts the power (every later operation fails with EIO, the
# backing folder becomes the durable tree), power_umount unmounts. Each
# step is bounded in time; every layer has a lifetime of its own (-t),
# and power_cleanup, run at exit, ends and unmounts whatever is left.
#
# SNF_POWER_CUTS sets the number of cuts of each test (3 by default; the
# long run is 20). SNF_POWER_MODEL=worst or journal runs the tests on
# another model than strict (a test that names its model keeps it).

CUTS=${SNF_POWER_CUTS:-3}
PCHECK="$SNF_TOP/tests/tools/powercheck.py"
PFS_PIDS=""
PFS_MNTS=""
PFS_N=0

power_cleanup() {
	for _p in $PFS_PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	for g in $FAULT_GROUPS; do
		kill -KILL "-$g" 2>/dev/null
	done
	sleep 0.5
	for _p in $PFS_PIDS; do
		kill -KILL "$_p" 2>/dev/null
	done
	for _m in $PFS_MNTS; do
		grep -q " $_m fuse" /proc/mounts 2>/dev/null && umount -l "$_m"
	done
	fault_cleanup
}
trap power_cleanup EXIT

# power_can: status 0 when the layer can run here (root, /dev/fuse,
# libfuse3 to build it); sets POWERFS, else prints why on stdout (call it
# as power_can >FILE, not in a subshell).
power_can() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root (FUSE mounts)"
		return 1
	fi
	if [ ! -c /dev/fuse ]; then
		echo "no /dev/fuse"
		return 1
	fi
	POWERFS=$(sh "$SNF_TOP/tests/tools/build-powerfs.sh" 2>"$T/build.err")
	if [ -z "$POWERFS" ]; then
		echo "powerfs does not build (libfuse3-dev: scripts/install-deps)"
		return 1
	fi
	# the connections folder, to abort a layer that does not answer
	mountpoint -q /sys/fs/fuse/connections 2>/dev/null ||
	    mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null
	return 0
}

# power_mount BACKING MOUNTPOINT [POWERFS OPTIONS...]: the layer over
# BACKING at MOUNTPOINT (made if missing), its store in $T. Sets PFS_PID
# and PFS_LOG. Status 0 once it is mounted (at most 10 s).
power_mount() {
	_b=$1 _m=$2
	shift 2
	PFS_N=$((PFS_N + 1))
	PFS_STORE=$T/pfs.store.$PFS_N
	PFS_LOG=$T/pfs.log.$PFS_N
	rm -rf "$PFS_STORE"
	mkdir -p "$PFS_STORE" "$_m" || return 1
	"$POWERFS" -t 900 ${SNF_POWER_MODEL:+-m "$SNF_POWER_MODEL"} "$@" \
	    -s "$PFS_STORE" "$_b" "$_m" >"$PFS_LOG" 2>&1 &
	PFS_PID=$!
	PFS_MNT=$_m
	PFS_PIDS="$PFS_PIDS $PFS_PID"
	case " $PFS_MNTS " in *" $_m "*) ;; *) PFS_MNTS="$PFS_MNTS $_m" ;; esac
	wait_for 10 grep -qs "^powerfs: ready" "$PFS_LOG"
}

# power_cut: cut the power of the last layer mounted; status 0 once the
# durable tree is in place (at most 60 s). PFS_CUT is its summary line.
power_cut() {
	kill -USR1 "$PFS_PID" 2>/dev/null || return 1
	wait_for 60 grep -qs "^powerfs: cut" "$PFS_LOG" || return 1
	PFS_CUT=$(grep '^powerfs: cut' "$PFS_LOG" | head -n 1)
	case "$PFS_CUT" in
	"powerfs: cut failed"*) return 1 ;;
	esac
}

# power_stat KEY: a figure of the last cut's summary (tmpfiles, fsyncs...).
power_stat() {
	echo "$PFS_CUT" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# power_umount: unmount the last layer and end it (at most 10 s, then it
# is killed and the mount detached); its store is removed.
power_umount() {
	kill -TERM "$PFS_PID" 2>/dev/null
	_w=100
	while kill -0 "$PFS_PID" 2>/dev/null && [ $_w -gt 0 ]; do
		sleep 0.1
		_w=$((_w - 1))
	done
	if kill -0 "$PFS_PID" 2>/dev/null; then
		echo "# powerfs $PFS_PID did not end: killed"
		kill -KILL "$PFS_PID" 2>/dev/null
	fi
	wait "$PFS_PID" 2>/dev/null
	grep -q " $PFS_MNT fuse" /proc/mounts && umount -l "$PFS_MNT"
	rm -rf "$PFS_STORE"
}

# power_kill_groups: SIGKILL every process group of the test (a power
# cut stops every program), and wait until they are gone (10 s).
power_kill_groups() {
	for g in $FAULT_GROUPS; do
		kill -KILL "-$g" 2>/dev/null
	done
	for g in $FAULT_GROUPS; do
		group_wait "$g" 10
	done
	FAULT_GROUPS=""
}

# power_figures NAME FILE: add the "key=value" figures of powercheck's
# output FILE to the totals kept in $T/fig.NAME.
power_figures() {
	cat "$2" >>"$T/fig.$1"
}

# power_total NAME KEY: the sum of KEY over the figures kept for NAME.
power_total() {
	tr ' ' '\n' <"$T/fig.$1" 2>/dev/null | sed -n "s/^$2=//p" |
	    awk '{ s += $1 } END { print s + 0 }'
}

# (wait_for and friends use _n, _w: the helpers here keep to other names)
# power_seed DIR N CLIENTDIR [RCPT=WEIGHT...]: N messages queued in root
# folder DIR (no layer: all of it on disk) by faultclient through
# snf-smtpd under tcpserver; CLIENTDIR gets sent/ and acked. Status 0
# when at least 9 in 10 got 250 (a connection may fail; at most 60 s).
power_seed() {
	_sd=$1 _sn=$2 _sc=$3
	shift 3
	_sr=""
	for _x in "$@"; do
		_sr="$_sr --rcpt $_x"
	done
	group_start tcpserver -1 -R -H -l localhost -b 100 -c 40 127.0.0.1 0 \
	    snf-smtpd -d "$_sd" >"$T/seed.port" 2>>"$T/server.log"
	_sg=$GROUP
	wait_for 10 test -s "$T/seed.port" || return 1
	mkdir -p "$_sc"
	# shellcheck disable=SC2086
	python3 "$FCLIENT" --port "$(head -n 1 "$T/seed.port")" --dir "$_sc" \
	    --threads 4 --seconds 60 --max "$_sn" --big-every 10 $_sr \
	    >"$_sc.out" 2>&1
	group_stop "$_sg" 10
	rm -f "$T/seed.port"
	[ "$(wc -l <"$_sc/acked" | tr -d ' ')" -ge $((_sn * 9 / 10)) ]
}
