#!/bin/sh
# storage.sh - bytes on disk per held message, stored raw and with zlib
# (control/compress), for a mix of plain-text and HTML messages.
#
#   sh bench/storage.sh [MESSAGES]        (default 200)
. "$(dirname "$0")/lib.sh"
need
N=${1:-200}
R=$B/snf

# message I: plain text or HTML (every other one), 2 to 40 KB of prose
message() {
	python3 - "$1" <<'PY'
import random, sys
i = int(sys.argv[1])
random.seed(i)
words = ("the primary server is down and the backup holds your mail until "
         "it returns invoice meeting tomorrow please find attached report "
         "quarterly numbers regards team schedule project update thanks").split()
def para(n):
    return " ".join(random.choice(words) for _ in range(n)).capitalize() + "."
body = [para(random.randint(20, 120)) for _ in range(random.randint(5, 60))]
hdr = ("From: Alice <alice@origin.test>\r\nTo: bob@example.com\r\n"
       "Subject: message %d\r\nMessage-ID: <%d@origin.test>\r\n"
       "MIME-Version: 1.0\r\n" % (i, i))
if i % 2:
    out = hdr + "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>\r\n"
    for p in body:
        out += "<p style=\"font-family: Arial, sans-serif; color: #333333\">%s</p>\r\n" % p
    out += "</body></html>\r\n"
else:
    out = hdr + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    for p in body:
        while len(p) > 72:
            k = p.rfind(" ", 0, 72)
            out += p[:k] + "\r\n"
            p = p[k + 1:]
        out += p + "\r\n\r\n"
sys.stdout.write(out)
PY
}

fill() {	# fill: the N messages into a fresh queue; prints "bytes blocks"
	snf_fresh "$R"
	i=0
	while [ $i -lt "$N" ]; do
		message $i >"$B/m"
		printf 'Fsender@origin.test\000Tbob@example.com\000\000' >"$B/e"
		"$BIN/snf-queue" -d "$R" <"$B/m" 1<"$B/e" 2>/dev/null ||
		    die "snf-queue failed"
		i=$((i + 1))
	done
	find "$R/queue/mail" -type f -printf '%s %b\n' |
	    awk '{ s += $1; b += $2 * 512 } END { print s, b }'
}

snf_root "$R" 127.0.0.1:1
raw=0
i=0
while [ $i -lt "$N" ]; do
	raw=$((raw + $(message $i | wc -c)))
	i=$((i + 1))
done
set -- $(fill)
plain=$1 plainb=$2
echo 1 >"$R/control/compress"
set -- $(fill)
zip=$1 zipb=$2
echo "Machine: $(machine)"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $N messages, half plain text, half HTML"
echo
echo "| stored | file bytes per message | of the message size | disk space per message (blocks) | of the message size |"
echo "|---|---|---|---|---|"
echo "$raw $plain $zip $N $plainb $zipb" | awk '{
	printf "| message as received | %.0f | 100%% | | |\n", $1 / $4
	printf "| raw (envelope and trailer added) | %.0f | %.0f%% | %.0f | %.0f%% |\n", $2 / $4, 100 * $2 / $1, $5 / $4, 100 * $5 / $1
	printf "| zlib (control/compress) | %.0f | %.0f%% | %.0f | %.0f%% |\n", $3 / $4, 100 * $3 / $1, $6 / $4, 100 * $6 / $1 }'
