# pflib.sh - a private Postfix as the primary of example.com, for the
# tests that need a real server (source it after lib.sh and sendlib.sh).
# Its configuration, queue, logs and mailboxes live under $T/pf; it
# listens on 127.0.0.1:PF_PORT only, and is stopped by lib.sh's cleanup.
# It needs root (postfix start) and Debian's postfix package.

PF=$T/pf

# pf_usable: this machine can run a private Postfix.
pf_usable() {
	[ "$(id -u)" = 0 ] && command -v postfix >/dev/null 2>&1 &&
	    [ -f /etc/postfix/master.cf ]
}

# pf_setup PORT [MAIN.CF LINES...]: the instance, configured as the
# primary of example.com (virtual mailboxes for alice and bob, Maildirs
# under $PF/mail, owned by nobody), the lines given added to main.cf.
pf_setup() {
	PF_PORT=$1
	shift
	rm -rf "$PF"
	mkdir -p "$PF/conf" "$PF/queue" "$PF/data" "$PF/mail"
	# the postfix and nobody users must reach their folders in here
	chmod 711 "$T" "$PF"
	chown postfix "$PF/data"
	chown nobody:nogroup "$PF/mail"
	# no chroot: the services run in this folder's queue, as configured
	awk -v port="$PF_PORT" '
		$1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port }
		$2 ~ /^(inet|unix|unix-dgram|fifo|pass)$/ && NF >= 8 { $5 = "n" }
		{ print }' /etc/postfix/master.cf >"$PF/conf/master.cf"
	PF_EXTRA=$(printf '%s\n' "$@")
	pf_config
}

# pf_config [MAIN.CF LINES...]: rewrite main.cf with other extra lines
# (the setup's when none are given); the running instance reloads it.
pf_config() {
	[ $# -gt 0 ] && PF_EXTRA=$(printf '%s\n' "$@")
	cat >"$PF/conf/main.cf" <<EOT
compatibility_level = 3.7
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = primary.example.com
mydomain = example.com
myorigin = example.com
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
virtual_mailbox_domains = example.com
virtual_mailbox_maps = inline:{ alice@example.com=example.com/alice/, bob@example.com=example.com/bob/ }
virtual_mailbox_base = $PF/mail
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
alias_maps =
alias_database =
biff = no
disable_dns_lookups = yes
smtpd_peername_lookup = no
$PF_EXTRA
EOT
	if [ -n "${PF_UP:-}" ]; then
		postfix -c "$PF/conf" reload >/dev/null 2>&1
		sleep 1	# the running smtpd processes finish with the old one
	fi
}

# pf_start: start it, wait (at most 10 s) until it listens.
pf_start() {
	postfix -c "$PF/conf" start >"$PF/start.out" 2>&1 || return 1
	PF_UP=1
	pf_stop_at_exit
	wait_for 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
s.recv(100)' "$PF_PORT" 2>/dev/null
}

# pf_stop: stop it.
pf_stop() {
	[ -n "${PF_UP:-}" ] && postfix -c "$PF/conf" stop >/dev/null 2>&1
	PF_UP=""
}

# pf_stop_at_exit: stop the instance when the test ends, however it ends.
pf_stop_at_exit() {
	trap 'pf_stop; cleanup' EXIT
}

# pf_cert: a key and a self-signed certificate for primary.example.com
# in $PF/tls.key and $PF/tls.crt, for an instance that offers STARTTLS.
pf_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
	    -subj /CN=primary.example.com -keyout "$PF/tls.key" \
	    -out "$PF/tls.crt" >/dev/null 2>&1
}

# pf_delivered USER: messages in USER's mailbox (new/).
pf_delivered() {
	find "$PF/mail/example.com/$1/new" -type f 2>/dev/null | wc -l |
	    tr -d ' '
}

# pf_got TAG: "USER:X ..." for each message <TAG.X@...> delivered to
# USER's mailbox, sorted: the same message twice shows twice.
pf_got() {
	# what Postfix took is delivered a moment after its 250: wait, at
	# most 10 s, until nothing is in its incoming or active queue
	wait_for 10 pf_settled
	for _u in alice bob; do
		for _f in "$PF/mail/example.com/$_u/new"/*; do
			[ -f "$_f" ] || continue
			sed -n "s/^Message-ID: <$1\\.\\([a-z]*\\)@.*/$_u:\\1/p" "$_f"
		done
	done | sort | tr '\n' ' ' | sed 's/ $//'
}

# pf_settled: nothing waits in the private Postfix's incoming, active
# or maildrop queue (what it accepted is delivered, or deferred)
pf_settled() {
	[ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/maildrop" \
	    -type f 2>/dev/null | head -n 1)" ]
}

# pf_ids: the Message-ID lines of every message delivered, one a line.
pf_ids() {
	find "$PF/mail" -path '*/new/*' -type f -exec grep -h '^Message-ID:' {} + \
	    2>/dev/null | sort
}
