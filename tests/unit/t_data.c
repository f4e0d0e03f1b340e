/*
 * t_data.c - body.c, the DATA byte machine. Each row is fed whole, then
 * split into pieces of 1, 2, 3, 5 and 7 bytes, and must give the same
 * rendering every time: "END@used" (or BOGUS, MORE), the flags (nul=1
 * only when a NUL byte was seen), the Received: count, the size and the
 * message bytes. Every output buffer is exactly as large as its input,
 * as data_feed promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd.h"
#include "../tap.h"

#define S(x)	(x), sizeof(x) - 1
#define BIG	1000000

struct dcase {
	const char	*label;
	const char	*in;
	size_t		 len;
	uint64_t	 max;		/* 0: BIG */
	const char	*want;
};

/* A header, an empty line, a body line without its end. */
#define P	"Subject: t\r\n\r\nhello"
/* What a smuggler puts after a fake end: a second transaction. */
#define X	"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nevil\r\n.\r\n"

static const struct dcase cases[] = {
	{ "simple message", S("Subject: x\r\n\r\nhello\r\n.\r\n"), 0,
	    "END@24 bare=0 big=0 hops=0 size=21 "
	    "out=Subject: x\\r\\n\\r\\nhello\\r\\n" },
	{ "empty message", S(".\r\n"), 0,
	    "END@3 bare=0 big=0 hops=0 size=0 out=" },
	{ "only an empty line", S("\r\n.\r\n"), 0,
	    "END@5 bare=0 big=0 hops=0 size=2 out=\\r\\n" },
	{ "bytes after the end are left", S("a\r\n.\r\nQUIT\r\n"), 0,
	    "END@6 bare=0 big=0 hops=0 size=3 out=a\\r\\n" },
	{ "no end yet", S("a\r\nb\r\n"), 0,
	    "MORE@6 bare=0 big=0 hops=0 size=6 out=a\\r\\nb\\r\\n" },
	{ "dot then CR at the end of input", S("a\r\n.\r"), 0,
	    "MORE@5 bare=0 big=0 hops=0 size=3 out=a\\r\\n" },
	{ "dot-unstuffing ..x", S("..x\r\n.\r\n"), 0,
	    "END@8 bare=0 big=0 hops=0 size=4 out=.x\\r\\n" },
	{ "leading dot dropped .x", S(".x\r\n.\r\n"), 0,
	    "END@7 bare=0 big=0 hops=0 size=3 out=x\\r\\n" },
	{ "two dots", S("..\r\n.\r\n"), 0,
	    "END@7 bare=0 big=0 hops=0 size=3 out=.\\r\\n" },
	{ "three dots", S("...\r\n.\r\n"), 0,
	    "END@8 bare=0 big=0 hops=0 size=4 out=..\\r\\n" },
	{ "dot and space", S(". \r\n.\r\n"), 0,
	    "END@7 bare=0 big=0 hops=0 size=3 out= \\r\\n" },
	{ "dot inside a line", S("a.\r\n.b\r\n.\r\n"), 0,
	    "END@11 bare=0 big=0 hops=0 size=7 out=a.\\r\\nb\\r\\n" },
	{ "8-bit kept", S("a\x01" "b\xff\r\n.\r\n"), 0,
	    "END@9 bare=0 big=0 hops=0 size=6 out=a\\x01b\\xff\\r\\n" },
	{ "NUL marked, 8-bit kept", S("a\0b\xff\r\n.\r\n"), 0,
	    "END@9 bare=0 big=0 hops=0 nul=1 size=6 out=a\\0b\\xff\\r\\n" },
	{ "NUL dot line is no end", S("a\r\n\0.\r\n.\r\n"), 0,
	    "END@10 bare=0 big=0 hops=0 nul=1 size=7 "
	    "out=a\\r\\n\\0.\\r\\n" },
	{ "NUL first", S("\0\r\n.\r\n"), 0,
	    "END@6 bare=0 big=0 hops=0 nul=1 size=3 out=\\0\\r\\n" },
	{ "NUL after a stuffed dot", S("..\0\r\n.\r\n"), 0,
	    "END@8 bare=0 big=0 hops=0 nul=1 size=4 out=.\\0\\r\\n" },
	{ "NUL after a dropped dot", S(".\0\r\n.\r\n"), 0,
	    "END@7 bare=0 big=0 hops=0 nul=1 size=3 out=\\0\\r\\n" },
	{ "NUL inside a long body line", S("s: x\r\n\r\nabcdefgh\0ijk\r\n.\r\n"),
	    0, "END@25 bare=0 big=0 hops=0 nul=1 size=22 "
	    "out=s: x\\r\\n\\r\\nabcdefgh\\0ijk\\r\\n" },
	{ "NUL in a header field", S("Received: a\0b\r\n\r\n.\r\n"), 0,
	    "END@20 bare=0 big=0 hops=1 nul=1 size=17 "
	    "out=Received: a\\0b\\r\\n\\r\\n" },
	{ "NUL past the size limit still marked", S("abcdef\0\r\n.\r\n"), 3,
	    "END@12 bare=0 big=1 hops=0 nul=1 size=3 out=abc" },
	{ "NUL with a bare LF", S("a\0\nb\r\n.\r\n"), 0,
	    "END@9 bare=1 big=0 hops=0" },
	{ "bare LF inside a line", S("a\nb\r\n.\r\n"), 0,
	    "END@8 bare=1 big=0 hops=0" },
	{ "bare CR inside a line", S("a\rb\r\n.\r\n"), 0,
	    "END@8 bare=1 big=0 hops=0" },
	{ "CR CR LF", S("a\r\r\n.\r\n"), 0, "END@7 bare=1 big=0 hops=0" },
	{ "bare LF first", S("\na\r\n.\r\n"), 0, "END@7 bare=1 big=0 hops=0" },
	{ "bare CR at the end of input", S("a\r\nb\r"), 0,
	    "MORE@5 bare=0 big=0 hops=0 size=5 out=a\\r\\nb\\r" },

	/* SMTP smuggling, reliability catalogue A.1 */
	{ "smuggle <LF>.<LF>", S(P "\n.\n" X), 0,
	    "BOGUS@22 bare=1 big=0 hops=0" },
	{ "smuggle <CR><LF>.<LF>", S(P "\r\n.\n" X), 0,
	    "BOGUS@23 bare=1 big=0 hops=0" },
	{ "smuggle <LF>.<CR><LF>", S(P "\n.\r\n" X), 0,
	    "BOGUS@23 bare=1 big=0 hops=0" },
	{ "smuggle <CR>.<CR>", S(P "\r.\r" X), 0,
	    "BOGUS@23 bare=1 big=0 hops=0" },
	{ "smuggle <CR>.<LF>", S(P "\r.\n" X), 0,
	    "BOGUS@22 bare=1 big=0 hops=0" },
	{ "smuggle <LF>.<CR>", S(P "\n.\r" X), 0,
	    "BOGUS@23 bare=1 big=0 hops=0" },
	{ "smuggle <CR>.<CR><LF>", S(P "\r.\r\n" X), 0,
	    "BOGUS@23 bare=1 big=0 hops=0" },
	{ "smuggle <CR><LF>.<CR>", S(P "\r\n.\r" X), 0,
	    "BOGUS@24 bare=1 big=0 hops=0" },
	{ "smuggle <CR><LF><NUL>.<CR><LF>", S(P "\r\n\0.\r\n" X), 0,
	    "END@72 bare=0 big=0 hops=0 nul=1 size=69 out=Subject: t\\r\\n\\r\\n"
	    "hello\\r\\n\\0.\\r\\nMAIL FROM:<a@b>\\r\\nRCPT TO:<c@d>\\r\\n"
	    "DATA\\r\\nevil\\r\\n" },
	{ "smuggle <LF>.<LF> at the start", S("\n.\n" X), 0,
	    "BOGUS@3 bare=1 big=0 hops=0" },
	{ "smuggle .<LF> at the start", S(".\n" X), 0,
	    "BOGUS@2 bare=1 big=0 hops=0" },
	{ "smuggle .<CR>x at the start", S(".\r" X), 0,
	    "BOGUS@3 bare=1 big=0 hops=0" },
	{ "smuggle <CR><LF>.<LF> at the start", S("\r\n.\n" X), 0,
	    "BOGUS@4 bare=1 big=0 hops=0" },
	{ "smuggle <CR>.<CR><LF> at the start", S("\r.\r\n" X), 0,
	    "BOGUS@4 bare=1 big=0 hops=0" },
	{ "smuggle after an earlier bare LF", S("a\nb\r\n.\n" X), 0,
	    "BOGUS@7 bare=1 big=0 hops=0" },

	/* the size limit counts message bytes after unstuffing */
	{ "size just fits", S("0123456789\r\n.\r\n"), 12,
	    "END@15 bare=0 big=0 hops=0 size=12 out=0123456789\\r\\n" },
	{ "size one over", S("0123456789\r\n.\r\n"), 11,
	    "END@15 bare=0 big=1 hops=0 size=11 out=0123456789\\r" },
	{ "size well over", S("0123456789\r\n.\r\n"), 4,
	    "END@15 bare=0 big=1 hops=0 size=4 out=0123" },
	{ "stuffed dot not counted", S("..\r\n.\r\n"), 3,
	    "END@7 bare=0 big=0 hops=0 size=3 out=.\\r\\n" },
	{ "limit 1, empty message", S(".\r\n"), 1,
	    "END@3 bare=0 big=0 hops=0 size=0 out=" },

	{ "a long line cut by the limit", S("0123456789abcdef\r\n.\r\n"), 8,
	    "END@21 bare=0 big=1 hops=0 size=8 out=01234567" },
	{ "the limit on the last byte of a line", S("ab\r\ncd\r\n.\r\n"), 6,
	    "END@11 bare=0 big=1 hops=0 size=6 out=ab\\r\\ncd" },
	{ "a long line after a bare LF", S("a\nbcdefgh\r\n.\r\n"), 4,
	    "END@14 bare=1 big=1 hops=0" },

	/* Received: fields, counted in the header section only */
	{ "Received: in every case", S("Received: a\r\nreceived: b\r\n"
	    "RECEIVED: c\r\nrEcEiVeD:d\r\n\r\n.\r\n"), 0, "hops=4" },
	{ "not Received:", S("X-Received: a\r\nReceivedX: b\r\n"
	    "Received : c\r\nReceive: d\r\nReceived\r\n\r\n.\r\n"), 0,
	    "hops=0" },
	{ "continuation lines are not fields", S("Subject: x\r\n"
	    " Received: a\r\n\tReceived: b\r\n\r\n.\r\n"), 0, "hops=0" },
	{ "after the empty line is the body", S("Received: a\r\n\r\n"
	    "Received: b\r\nReceived: c\r\n.\r\n"), 0, "hops=1" },
	{ "empty first line: all body", S("\r\nReceived: a\r\n.\r\n"), 0,
	    "hops=0" },
	{ "stuffed .Received: is stored as Received:",
	    S(".Received: a\r\n\r\n.\r\n"), 0, "hops=1" },
	{ "..Received: is stored as .Received:",
	    S("..Received: a\r\n\r\n.\r\n"), 0, "hops=0" },
	{ "Received: with nothing after", S("Received:\r\n\r\n.\r\n"), 0,
	    "hops=1" },
	{ "Received: then dot line ends", S("Received: a\r\n.\r\n"), 0,
	    "hops=1" },
	{ "Received: after a long field", S("Subject: a long subject line\r\n"
	    "Received: a\r\nX-Long: Received: b\r\nReceived:c\r\n\r\n.\r\n"),
	    0, "hops=2" },
};

/* esc - s[0..n) with CR, LF, NUL and non-ASCII bytes escaped. */
static size_t
esc(char *dst, size_t size, const char *s, size_t n)
{
	size_t		i, o = 0;
	unsigned char	c;

	for (i = 0; i < n && o + 8 < size; i++) {
		c = s[i];
		if (c == '\r')
			o += snprintf(dst + o, size - o, "\\r");
		else if (c == '\n')
			o += snprintf(dst + o, size - o, "\\n");
		else if (c == '\0')
			o += snprintf(dst + o, size - o, "\\0");
		else if (c < 32 || c > 126)
			o += snprintf(dst + o, size - o, "\\x%02x", c);
		else
			dst[o++] = c;
	}
	dst[o] = '\0';
	return o;
}

/*
 * run - feed in[0..n) step bytes at a time into a fresh machine and
 * render the outcome. A feed that uses more than it was given, writes
 * more than its input's length, or stops early without an end is
 * reported in the rendering.
 */
static void
run(const char *in, size_t n, size_t step, uint64_t max, char *got,
    size_t size)
{
	static const char *const rname[] = { "MORE", "END", "BOGUS" };
	struct data_state	 d;
	char			*out, *msg, e[5000];
	size_t			 off = 0, k, used, olen, m = 0;
	int			 r = DATA_MORE, bad = 0;

	if ((msg = malloc(n + 1)) == NULL)
		abort();
	data_init(&d, max);
	while (off < n && r == DATA_MORE) {
		k = n - off < step ? n - off : step;
		if ((out = malloc(k)) == NULL)
			abort();
		r = data_feed(&d, in + off, k, &used, out, &olen);
		if (used > k || olen > k || (r == DATA_MORE && used != k))
			bad = 1;
		else {
			memcpy(msg + m, out, olen);
			m += olen;
			off += used;
		}
		free(out);
		if (bad)
			break;
	}
	esc(e, sizeof(e), msg, m);
	if (bad)
		snprintf(got, size, "bad feed at %zu", off);
	else if (d.bare)
		snprintf(got, size, "%s@%zu bare=1 big=%d hops=%u", rname[r],
		    off, d.toolarge, d.hops);
	else
		snprintf(got, size, "%s@%zu bare=0 big=%d hops=%u%s size=%llu "
		    "out=%s", rname[r], off, d.toolarge, d.hops,
		    d.nul ? " nul=1" : "", (unsigned long long)d.size, e);
	free(msg);
}

/* hops_of - "hops=N" from a rendering, for the rows about Received:. */
static const char *
hops_of(const char *got)
{
	const char	*h = strstr(got, "hops=");
	static char	 buf[32];

	snprintf(buf, sizeof(buf), "%.*s", h ? (int)strcspn(h, " ") : 0,
	    h ? h : "");
	return buf;
}

static void
test_cases(void)
{
	static const size_t	steps[] = { 1, 2, 3, 5, 7 };
	char			whole[1200], got[1200];
	const char		*want;
	size_t			i, j, diff;
	uint64_t		max;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		max = cases[i].max ? cases[i].max : BIG;
		run(cases[i].in, cases[i].len, cases[i].len, max, whole,
		    sizeof(whole));
		want = strncmp(cases[i].want, "hops=", 5) == 0 ?
		    hops_of(whole) : whole;
		ok_str(want, cases[i].want, "%s", cases[i].label);
		diff = 0;
		for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
			run(cases[i].in, cases[i].len, steps[j], max, got,
			    sizeof(got));
			if (strcmp(got, whole) != 0) {
				diff = steps[j];
				break;
			}
		}
		ok(diff == 0, "%s: same result fed in pieces", cases[i].label);
		if (diff)
			printf("#   in pieces of %zu: %s\n", diff, got);
	}
}

/* The end split over feeds: "." "\r" "\n" each alone, then more. */
static void
test_split_end(void)
{
	struct data_state	d;
	char			out[8];
	size_t			used, olen;

	data_init(&d, BIG);
	ok(data_feed(&d, "a\r\n", 3, &used, out, &olen) == DATA_MORE &&
	    used == 3 && olen == 3, "split end: line");
	ok(data_feed(&d, ".", 1, &used, out, &olen) == DATA_MORE &&
	    used == 1 && olen == 0, "split end: dot");
	ok(data_feed(&d, "\r", 1, &used, out, &olen) == DATA_MORE &&
	    used == 1 && olen == 0, "split end: CR");
	ok(data_feed(&d, "\nQUIT\r\n", 7, &used, out, &olen) == DATA_END &&
	    used == 1 && olen == 0, "split end: LF ends, QUIT left unused");
	ok(d.size == 3 && d.bare == 0 && d.toolarge == 0,
	    "split end: size 3, clean");
	ok(data_feed(&d, "", 0, &used, out, &olen) == DATA_MORE && used == 0 &&
	    olen == 0, "an empty feed uses nothing");
}

/*
 * A CR at the end of one feed and its LF at the start of the next: the
 * second feed's output must still fit in its input's length.
 */
static void
test_crlf_across_feeds(void)
{
	struct data_state	 d;
	char			*out;
	size_t			 used, olen;

	data_init(&d, BIG);
	if ((out = malloc(2)) == NULL)
		abort();
	data_feed(&d, "ab", 2, &used, out, &olen);
	data_feed(&d, "\r", 1, &used, out, &olen);
	ok(olen <= 1, "CR fed alone: output within 1 byte (%zu)", olen);
	data_feed(&d, "\n", 1, &used, out, &olen);
	ok(olen <= 1, "LF fed alone after CR: output within 1 byte (%zu)",
	    olen);
	ok(d.size == 4 && d.bare == 0, "CR LF across feeds counted as 2");
	free(out);
}

/*
 * Random messages from pieces that matter to the machine (line ends,
 * dots, "Received:", long runs), random limits: fed whole and in pieces
 * of every size in steps[], the renderings must agree.
 */
static void
test_random_pieces(void)
{
	static const char *const pieces[] = { "a", "abcdefghijklmnopqrstuvwx",
	    "\r\n", "\r", "\n", ".", "..", "Received:", "received: x",
	    "\r\n\r\n", "\0", "\xff" };
	static const size_t	steps[] = { 1, 2, 3, 5, 7, 64 };
	unsigned long		seed = 12345;
	char			in[1200], whole[6000], got[6000];
	size_t			n, len, i, j, bad = 0;
	uint64_t		max;
	int			t;

	for (t = 0; t < 3000 && !bad; t++) {
		n = 0;
		seed = seed * 1103515245 + 12345;
		len = (seed >> 16) % 40;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			j = (seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]));
			/* "%s" copies nothing of the "\0" piece: added by hand */
			n += (size_t)snprintf(in + n, sizeof(in) - n, "%s",
			    pieces[j]);
			if (pieces[j][0] == '\0')
				in[n++] = '\0';
		}
		memcpy(in + n, "\r\n.\r\n", 5);
		n += 5;
		seed = seed * 1103515245 + 12345;
		max = (seed >> 16) % 4 == 0 ? BIG : (seed >> 16) % 300;
		run(in, n, n, max, whole, sizeof(whole));
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			run(in, n, steps[i], max, got, sizeof(got));
			if (strcmp(got, whole) != 0) {
				bad = steps[i];
				printf("#   message %d in pieces of %zu:\n"
				    "#   %s\n#   whole: %s\n", t, bad, got, whole);
				break;
			}
		}
	}
	ok(bad == 0, "3000 random messages: same result whole and in pieces");
}

int
main(void)
{
	test_cases();
	test_random_pieces();
	test_split_end();
	test_crlf_across_feeds();
	return done();
}
