/*
 * t_smtpc.c - smtpc.c, the client side of SMTP, over a socketpair: the
 * test writes the server's bytes into one end, the other end (non-
 * blocking, as smtpc_connect leaves it) is the client's. Rows render
 * "code|text" (and for EHLO the extensions, SIZE and the commands the
 * client wrote); smtpc_data rows render the exact bytes that went out.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "envelope.h"
#include "fileio.h"
#include "queue.h"
#include "smtpc.h"
#include "../tap.h"

#define S(x)	(x), sizeof(x) - 1
#define ME	"me.example.net"

static struct smtpc	c;
static int		srv = -1;	/* the server's end */
static pid_t		child = -1;	/* writes large server input */
static int		dir = -1;
static char		dirpath[512];

static const char *const selfnames[] = {
	"mx2.example.com", "backup.example.net"
};

/* conn_open - a fresh connection set up as smtpc_connect leaves it. */
static void
conn_open(void)
{
	int	sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1)
		abort();
	memset(&c, 0, sizeof(c));
	smtpc_timeouts_default(&c.t);
	c.t.greeting = c.t.helo = c.t.mail = c.t.rcpt = c.t.quit = 2000;
	c.t.data_init = c.t.data_block = c.t.data_done = 2000;
	c.fd = sv[0];
	c.code = -1;
	strlcpy(c.host, "mx.example.com", sizeof(c.host));
	strlcpy(c.addr, "192.0.2.25", sizeof(c.addr));
	outbuf_init(&c.out, c.fd, c.t.data_block);
	inbuf_init(&c.in, c.fd, &c.out);
	srv = sv[1];
}

static void
conn_close(void)
{
	if (child != -1)
		waitpid(child, NULL, 0);
	child = -1;
	smtpc_close(&c);
	if (srv != -1)
		close(srv);
	srv = -1;
}

/*
 * serve - the server says p[0..n), then ends its side when hangup is
 * set (it can still read what the client wrote). Input larger than a
 * socket holds is written by a child.
 */
static void
serve(const char *p, size_t n, int hangup)
{
	if (n > 32768) {
		if ((child = fork()) == -1)
			abort();
		if (child == 0)
			_exit(write_all(srv, p, n) == -1 ||
			    (hangup && shutdown(srv, SHUT_WR) == -1));
		return;
	}
	if (n > 0 && write_all(srv, p, n) == -1)
		abort();
	if (hangup && shutdown(srv, SHUT_WR) == -1)
		abort();
}

/* sent - what the client wrote so far, flushed; length into *len. */
static char *
sent(size_t *len)
{
	static char	b[65536];
	ssize_t		n;

	*len = 0;
	(void)outbuf_flush(&c.out);
	while (srv != -1 && *len < sizeof(b) &&
	    (n = recv(srv, b + *len, sizeof(b) - *len, MSG_DONTWAIT)) > 0)
		*len += (size_t)n;
	return b;
}

/* esc - s[0..n) with CR, LF, NUL and non-ASCII bytes escaped. */
static const char *
esc(char *dst, size_t size, const char *s, size_t n)
{
	size_t		i, o = 0;
	unsigned char	ch;

	for (i = 0; i < n && o + 8 < size; i++) {
		ch = s[i];
		if (ch == '\r')
			o += snprintf(dst + o, size - o, "\\r");
		else if (ch == '\n')
			o += snprintf(dst + o, size - o, "\\n");
		else if (ch == '\0')
			o += snprintf(dst + o, size - o, "\\0");
		else if (ch < 32 || ch > 126)
			o += snprintf(dst + o, size - o, "\\x%02x", ch);
		else
			dst[o++] = ch;
	}
	dst[o] = '\0';
	return dst;
}

/* repeat - n copies of s appended to b. */
static void
repeat(struct buf *b, const char *s, size_t n)
{
	while (n-- > 0)
		if (buf_adds(b, s) == -1)
			abort();
}

struct pcase {
	const char	*label;
	const char	*in;
	size_t		 len;
	const char	*want;		/* "code/more", or "-1" */
};

static const struct pcase plines[] = {
	{ "code alone", S("250"), "250/0" },
	{ "code and text", S("250 ok"), "250/0" },
	{ "continuation", S("250-x"), "250/1" },
	{ "empty continuation", S("250-"), "250/1" },
	{ "code and a space", S("421 "), "421/0" },
	{ "highest code", S("599 x"), "599/0" },
	{ "lowest code", S("200 x"), "200/0" },
	{ "first digit 0", S("099 x"), "-1" },
	{ "first digit 1", S("199 x"), "-1" },
	{ "first digit 6", S("600 x"), "-1" },
	{ "four digits", S("2500 x"), "-1" },
	{ "two digits", S("25"), "-1" },
	{ "empty", S(""), "-1" },
	{ "letters", S("abc"), "-1" },
	{ "letter in the code", S("2a0 x"), "-1" },
	{ "letter after the code", S("250x"), "-1" },
	{ "tab after the code", S("250\tx"), "-1" },
	{ "NUL in the text", S("250 a\0b"), "-1" },
	{ "NUL after the code", S("250\0"), "-1" },
	{ "NUL in the code", S("2\00050 x"), "-1" },
	{ "8-bit text", S("250 \xff"), "250/0" },
};

static void
test_parse_line(void)
{
	char	got[32];
	size_t	i;
	int	code, more;

	for (i = 0; i < sizeof(plines) / sizeof(plines[0]); i++) {
		code = more = 7;
		if (smtpc_parse_line(plines[i].in, plines[i].len, &code,
		    &more) == -1)
			snprintf(got, sizeof(got), "-1%s", code == 7 &&
			    more == 7 ? "" : " (outputs changed)");
		else
			snprintf(got, sizeof(got), "%d/%d", code, more);
		ok_str(got, plines[i].want, "parse_line: %s", plines[i].label);
	}
}

struct rcase {
	const char	*label;
	const char	*in;
	size_t		 len;
	int		 hangup;	/* the server closes after in */
	const char	*want;		/* "code|text" */
};

static const struct rcase replies[] = {
	{ "one line", S("250 ok\r\n"), 0, "250|250 ok" },
	{ "code alone", S("250\r\n"), 0, "250|250" },
	{ "three lines joined", S("250-a\r\n250-b\r\n250 c\r\n"), 0,
	    "250|250 a b c" },
	{ "multi-line, last line bare", S("250-a\r\n250\r\n"), 0,
	    "250|250 a" },
	{ "multi-line, empty continuation", S("250-\r\n250 b\r\n"), 0,
	    "250|250 b" },
	{ "a 5xx reply", S("550-5.1.1 no\r\n550 5.1.1 such user\r\n"), 0,
	    "550|550 5.1.1 no 5.1.1 such user" },
	{ "spaces in the text kept", S("250  two  spaces\r\n"), 0,
	    "250|250  two  spaces" },
	{ "codes differ", S("250-a\r\n251 b\r\n"), 0,
	    "-1|reply codes differ between lines" },
	{ "codes differ in class", S("250-a\r\n550 b\r\n"), 0,
	    "-1|reply codes differ between lines" },
	{ "bare LF", S("250 ok\n"), 0, "-1|malformed reply line" },
	{ "bare LF on a continuation", S("250-a\r\n250 b\n"), 0,
	    "-1|malformed reply line" },
	{ "bare CR inside", S("250 o\rk\r\n"), 0, "-1|malformed reply line" },
	{ "CR CR LF", S("250 ok\r\r\n"), 0, "-1|malformed reply line" },
	{ "code 099", S("099 x\r\n"), 0, "-1|malformed reply" },
	{ "code 600", S("600 x\r\n"), 0, "-1|malformed reply" },
	{ "four digits", S("2500 x\r\n"), 0, "-1|malformed reply" },
	{ "no code", S("hello\r\n"), 0, "-1|malformed reply" },
	{ "empty line", S("\r\n"), 0, "-1|malformed reply" },
	{ "NUL inside", S("250 a\0b\r\n"), 0, "-1|malformed reply" },
	{ "closed mid-reply", S("250-a\r\n"), 1, "-1|connection lost" },
	{ "closed mid-line", S("250 o"), 1, "-1|connection lost" },
	{ "closed after a CR", S("250 ok\r"), 1, "-1|connection lost" },
	{ "closed before a byte", S(""), 1, "-1|connection lost" },
	{ "control characters shown as ?",
	    S("250 a\tb\001c\x7f" "d\xff\x80" "e\033[2J\r\n"), 0,
	    "250|250 a?b?c?d??e?[2J" },
	{ "control characters on every line",
	    S("250-\ta\r\n250 b\x01\r\n"), 0, "250|250 ?a b?" },
};

/* render_reply - "code|text" after one smtpc_reply. */
static void
render_reply(char *got, size_t size, int code)
{
	char	e[SMTPC_TEXT_MAX * 4 + 16];

	snprintf(got, size, "%d|%s", code, esc(e, sizeof(e), c.text,
	    strlen(c.text)));
	if (code != c.code)
		strlcat(got, " (c.code differs)", size);
}

static void
test_replies(void)
{
	char	got[4200];
	size_t	i;
	int	code;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		conn_open();
		serve(replies[i].in, replies[i].len, replies[i].hangup);
		code = smtpc_reply(&c, mono_ms() + 2000);
		render_reply(got, sizeof(got), code);
		ok_str(got, replies[i].want, "reply: %s", replies[i].label);
		conn_close();
	}
}

/* Replies in a row, each read alone; what follows stays buffered. */
static void
test_reply_sequence(void)
{
	char	got[SMTPC_TEXT_MAX + 64];
	int	a, b;

	conn_open();
	serve(S("220 hi\r\n250-x\r\n250 y\r\n354 go\r\n"), 1);
	a = smtpc_reply(&c, mono_ms() + 2000);
	b = smtpc_reply(&c, mono_ms() + 2000);
	snprintf(got, sizeof(got), "%d %d %s", a, b, c.text);
	ok_str(got, "220 250 250 x y", "reply sequence: 220, then 250");
	a = smtpc_reply(&c, mono_ms() + 2000);
	b = smtpc_reply(&c, mono_ms() + 2000);
	snprintf(got, sizeof(got), "%d %d %s", a, b, c.text);
	ok_str(got, "354 -1 connection lost",
	    "reply sequence: 354, then the end");
	conn_close();
}

/* Long replies: line length, line count, the text cap. */
static void
test_reply_limits(void)
{
	struct buf	b;
	char		got[4200];
	int		code;

	/* 512 octets with CR LF is the longest reply line */
	buf_init(&b, 0);
	buf_adds(&b, "250 ");
	repeat(&b, "x", 506);
	buf_adds(&b, "\r\n");
	conn_open();
	serve(b.p, b.len, 0);
	code = smtpc_reply(&c, mono_ms() + 2000);
	ok(code == 250 && strlen(c.text) == 510 &&
	    strncmp(c.text, b.p, 510) == 0,
	    "reply: a line of 512 octets is read whole (%d, %zu)", code,
	    strlen(c.text));
	conn_close();

	buf_reset(&b);
	buf_adds(&b, "250 ");
	repeat(&b, "x", 507);
	buf_adds(&b, "\r\n");
	conn_open();
	serve(b.p, b.len, 0);
	render_reply(got, sizeof(got), smtpc_reply(&c, mono_ms() + 2000));
	ok_str(got, "-1|malformed reply line", "reply: a line of 513 octets");
	conn_close();

	buf_reset(&b);
	buf_adds(&b, "250 ");
	repeat(&b, "x", 100 * 1024);
	buf_adds(&b, "\r\n");
	conn_open();
	serve(b.p, b.len, 0);
	render_reply(got, sizeof(got), smtpc_reply(&c, mono_ms() + 5000));
	ok_str(got, "-1|malformed reply line", "reply: a line of 100 KB");
	conn_close();

	/* 100 lines are allowed; the text keeps 1000 octets of them */
	buf_reset(&b);
	repeat(&b, "250-0123456789abcdefghij\r\n", 99);
	buf_adds(&b, "250 end\r\n");
	conn_open();
	serve(b.p, b.len, 0);
	code = smtpc_reply(&c, mono_ms() + 2000);
	ok(code == 250 && strlen(c.text) == SMTPC_TEXT_MAX &&
	    strncmp(c.text, "250 0123456789abcdefghij 0123", 29) == 0,
	    "reply: 100 lines, text capped at %d octets (%d, %zu)",
	    SMTPC_TEXT_MAX, code, strlen(c.text));
	conn_close();

	buf_reset(&b);
	repeat(&b, "250-x\r\n", 101);
	buf_adds(&b, "250 end\r\n");
	conn_open();
	serve(b.p, b.len, 0);
	render_reply(got, sizeof(got), smtpc_reply(&c, mono_ms() + 2000));
	ok_str(got, "-1|reply too long", "reply: 101 continuation lines");
	conn_close();
	buf_free(&b);
}

/* No data: the absolute deadline ends the wait. */
static void
test_reply_timeout(void)
{
	char	got[256];
	int64_t	t0, dt;
	int	code;

	conn_open();
	t0 = mono_ms();
	code = smtpc_reply(&c, t0 + 200);
	dt = mono_ms() - t0;
	render_reply(got, sizeof(got), code);
	ok_str(got, "-1|timeout waiting for a reply", "reply: no data");
	ok(dt >= 200 && dt < 2000, "reply: gave up after %lld ms (200)",
	    (long long)dt);
	conn_close();

	conn_open();
	serve(S("250-half\r\n250 hal"), 0);
	t0 = mono_ms();
	code = smtpc_reply(&c, t0 + 200);
	dt = mono_ms() - t0;
	render_reply(got, sizeof(got), code);
	ok_str(got, "-1|timeout waiting for a reply", "reply: half a reply");
	ok(dt >= 200 && dt < 2000, "reply: half a reply, gave up after "
	    "%lld ms (200)", (long long)dt);
	conn_close();
}

struct ecase {
	const char	*label;
	const char	*in;
	size_t		 len;
	int		 hangup;
	const char	*want;	/* code|text|extensions|SIZE|written */
};

#define EHLO_W	"EHLO " ME "\\r\\n"
#define HELO_W	EHLO_W "HELO " ME "\\r\\n"

static const struct ecase ehlos[] = {
	{ "every extension", S("250-mx.example.com hello\r\n"
	    "250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250-DSN\r\n"
	    "250 ENHANCEDSTATUSCODES\r\n"), 0,
	    "250|250 EHLO ok|P S 8 D E|1000|" EHLO_W },
	{ "lowercase", S("250-mx\r\n250-pipelining\r\n250-size 1000\r\n"
	    "250-8bitmime\r\n250-dsn\r\n250 enhancedstatuscodes\r\n"), 0,
	    "250|250 EHLO ok|P S 8 D E|1000|" EHLO_W },
	{ "mixed case", S("250-mx\r\n250-PipeLining\r\n250-Size 1000\r\n"
	    "250-8BitMime\r\n250-Dsn\r\n250 EnhancedStatusCodes\r\n"), 0,
	    "250|250 EHLO ok|P S 8 D E|1000|" EHLO_W },
	{ "no extension", S("250 mx.example.com\r\n"), 0,
	    "250|250 EHLO ok|-|0|" EHLO_W },
	{ "keyword on the greeting line is no extension",
	    S("250 PIPELINING\r\n"), 0, "250|250 EHLO ok|-|0|" EHLO_W },
	{ "SIZE without a limit", S("250-mx\r\n250 SIZE\r\n"), 0,
	    "250|250 EHLO ok|S|0|" EHLO_W },
	{ "SIZE 0", S("250-mx\r\n250 SIZE 0\r\n"), 0,
	    "250|250 EHLO ok|S|0|" EHLO_W },
	{ "SIZE largest", S("250-mx\r\n250 SIZE 18446744073709551615\r\n"),
	    0, "250|250 EHLO ok|S|18446744073709551615|" EHLO_W },
	{ "SIZE with garbage", S("250-mx\r\n250 SIZE 10x\r\n"), 0,
	    "250|250 EHLO ok|S|0|" EHLO_W },
	{ "SIZE negative", S("250-mx\r\n250 SIZE -5\r\n"), 0,
	    "250|250 EHLO ok|S|0|" EHLO_W },
	{ "SIZE with a plus", S("250-mx\r\n250 SIZE +5\r\n"), 0,
	    "250|250 EHLO ok|S|0|" EHLO_W },
	{ "SIZE with two spaces", S("250-mx\r\n250 SIZE  5\r\n"), 0,
	    "250|250 EHLO ok|S|0|" EHLO_W },
	{ "SIZE past 64 bits", S("250-mx\r\n250 SIZE 18446744073709551616\r\n"),
	    0, "250|250 EHLO ok|S|0|" EHLO_W },
	{ "longer keywords are other extensions",
	    S("250-mx\r\n250-PIPELININGX\r\n250-SIZEX 5\r\n250-DSNX\r\n"
	    "250 8BITMIMEX\r\n"), 0, "250|250 EHLO ok|-|0|" EHLO_W },
	{ "keywords with parameters", S("250-mx\r\n250-DSN x\r\n"
	    "250 STARTTLS\r\n"), 0, "250|250 EHLO ok|-|0|" EHLO_W },
	{ "HELO after a 502 to EHLO", S("502 5.5.1 no EHLO\r\n"
	    "250 mx.example.com\r\n"), 0,
	    "250|250 mx.example.com|-|0|" HELO_W },
	{ "HELO after a 500 to EHLO", S("500 what\r\n250 ok\r\n"), 0,
	    "250|250 ok|-|0|" HELO_W },
	{ "HELO refused too", S("502 no\r\n550 go away\r\n"), 0,
	    "550|550 go away|-|0|" HELO_W },
	{ "no HELO after a 421", S("421 4.3.2 busy\r\n"), 0,
	    "421|421 EHLO refused|-|0|" EHLO_W },
	{ "no HELO after a 554", S("554 no\r\n"), 0,
	    "554|554 EHLO refused|-|0|" EHLO_W },
	{ "malformed line", S("250-mx\r\n25O x\r\n"), 0,
	    "-1|malformed EHLO reply|-|0|" EHLO_W },
	{ "codes differ", S("250-mx\r\n550 x\r\n"), 0,
	    "-1|malformed EHLO reply|-|0|" EHLO_W },
	{ "bare LF", S("250-mx\n250 DSN\r\n"), 0,
	    "-1|malformed EHLO reply|-|0|" EHLO_W },
	{ "closed mid-reply", S("250-mx\r\n"), 1,
	    "-1|connection lost|-|0|" EHLO_W },
};

/* render_ehlo - code|text|extensions|maxsize|what the client wrote. */
static void
render_ehlo(char *got, size_t size, int code)
{
	char	ext[16] = "", w[1024], *p;
	size_t	n;

	if (c.ext & SMTPC_PIPELINING)
		strlcat(ext, "P ", sizeof(ext));
	if (c.ext & SMTPC_SIZE)
		strlcat(ext, "S ", sizeof(ext));
	if (c.ext & SMTPC_8BITMIME)
		strlcat(ext, "8 ", sizeof(ext));
	if (c.ext & SMTPC_DSN)
		strlcat(ext, "D ", sizeof(ext));
	if (c.ext & SMTPC_ENHANCED)
		strlcat(ext, "E ", sizeof(ext));
	if (ext[0] == '\0')
		strlcpy(ext, "- ", sizeof(ext));
	ext[strlen(ext) - 1] = '\0';
	p = sent(&n);
	snprintf(got, size, "%d|%s|%s|%llu|%s", code, c.text, ext,
	    (unsigned long long)c.maxsize, esc(w, sizeof(w), p, n));
}

static void
test_ehlo(void)
{
	char	got[2048];
	size_t	i;
	int	code;

	for (i = 0; i < sizeof(ehlos) / sizeof(ehlos[0]); i++) {
		conn_open();
		serve(ehlos[i].in, ehlos[i].len, ehlos[i].hangup);
		code = smtpc_ehlo(&c, ME);
		render_ehlo(got, sizeof(got), code);
		ok_str(got, ehlos[i].want, "ehlo: %s", ehlos[i].label);
		conn_close();
	}
}

/* Too many lines, and no reply at all. */
static void
test_ehlo_limits(void)
{
	struct buf	b;
	char		got[2048];
	int		code;

	buf_init(&b, 0);
	repeat(&b, "250-X\r\n", 101);
	buf_adds(&b, "250 DSN\r\n");
	conn_open();
	serve(b.p, b.len, 0);
	code = smtpc_ehlo(&c, ME);
	render_ehlo(got, sizeof(got), code);
	ok_str(got, "-1|malformed EHLO reply|-|0|" EHLO_W,
	    "ehlo: 101 continuation lines");
	conn_close();
	buf_free(&b);

	conn_open();
	c.t.helo = 200;
	code = smtpc_ehlo(&c, ME);
	render_ehlo(got, sizeof(got), code);
	ok_str(got, "-1|timeout waiting for a reply|-|0|" EHLO_W,
	    "ehlo: no reply before the deadline");
	conn_close();
}

struct gcase {
	const char	*label;
	const char	*in;
	size_t		 len;
	const char	*want;		/* "code|text" */
};

#define LOOP	"-1|mail for mx.example.com loops back to myself "

static const struct gcase greetings[] = {
	{ "another host", S("220 mx1.example.com ESMTP\r\n"),
	    "220|220 mx1.example.com ESMTP" },
	{ "another host, multi-line", S("220-mx1.example.com\r\n220 hi\r\n"),
	    "220|220 mx1.example.com hi" },
	{ "one of our names", S("220 mx2.example.com ESMTP\r\n"),
	    LOOP "(it greets as mx2.example.com)" },
	{ "our other name", S("220 backup.example.net ready\r\n"),
	    LOOP "(it greets as backup.example.net)" },
	{ "our name in another case", S("220 MX2.Example.COM ESMTP\r\n"),
	    LOOP "(it greets as MX2.Example.COM)" },
	{ "our name with a trailing dot", S("220 backup.example.net. x\r\n"),
	    LOOP "(it greets as backup.example.net)" },
	{ "our name alone", S("220 mx2.example.com\r\n"),
	    LOOP "(it greets as mx2.example.com)" },
	{ "our name on a multi-line greeting",
	    S("220-mx2.example.com hi\r\n220 there\r\n"),
	    LOOP "(it greets as mx2.example.com)" },
	{ "our name as a prefix", S("220 mx2.example.com.evil x\r\n"),
	    "220|220 mx2.example.com.evil x" },
	{ "our name as a suffix", S("220 xmx2.example.com x\r\n"),
	    "220|220 xmx2.example.com x" },
	{ "our name not first", S("220 mx1.example.com mx2.example.com\r\n"),
	    "220|220 mx1.example.com mx2.example.com" },
	{ "no name", S("220\r\n"), "220|220" },
	{ "a lone dot", S("220 .\r\n"), "220|220 ." },
	{ "refusal is no loop", S("554 mx2.example.com go away\r\n"),
	    "554|554 mx2.example.com go away" },
	{ "garbage", S("hello\r\n"), "-1|malformed reply" },
};

static void
test_greeting(void)
{
	char	got[2048];
	size_t	i;
	int	code;

	for (i = 0; i < sizeof(greetings) / sizeof(greetings[0]); i++) {
		conn_open();
		serve(greetings[i].in, greetings[i].len, 0);
		code = smtpc_greeting(&c, selfnames, 2);
		render_reply(got, sizeof(got), code);
		ok_str(got, greetings[i].want, "greeting: %s",
		    greetings[i].label);
		conn_close();
	}
	conn_open();
	serve(S("220 mx2.example.com\r\n"), 0);
	code = smtpc_greeting(&c, selfnames, 0);
	ok(code == 220, "greeting: no self names, no loop (%d)", code);
	conn_close();
	conn_open();
	c.t.greeting = 200;
	code = smtpc_greeting(&c, selfnames, 2);
	render_reply(got, sizeof(got), code);
	ok_str(got, "-1|timeout waiting for a reply",
	    "greeting: none before the deadline");
	conn_close();
}

struct ncase {
	const char	*in;
	size_t		 size;		/* 0: 16 */
	const char	*want;		/* NULL: none */
};

static const struct ncase enhanced[] = {
	{ "550 5.1.1 x", 0, "5.1.1" },
	{ "550 x", 0, NULL },
	{ "550 5.1", 0, NULL },
	{ "250 2.0.0", 0, "2.0.0" },
	{ "421 4.4.2 x", 0, "4.4.2" },
	{ "550 5.7.26 spf", 0, "5.7.26" },
	{ "550 5.123.456 x", 0, "5.123.456" },
	{ "550 5.1.1.1 x", 0, NULL },
	{ "550 5.1. x", 0, NULL },
	{ "550 5..1 x", 0, NULL },
	{ "550 5.1..1 x", 0, NULL },
	{ "550 5.1234.1 x", 0, NULL },
	{ "550 5.1.1234 x", 0, NULL },
	{ "550 3.1.1 x", 0, NULL },
	{ "550 5.1.1x", 0, NULL },
	{ "550 .1.1 x", 0, NULL },
	{ "550 51.1.1 x", 0, NULL },
	{ "550", 0, NULL },
	{ "", 0, NULL },
	{ "550 5.1.1", 6, "5.1.1" },
	{ "550 5.1.1", 5, NULL },
};

static void
test_enhanced(void)
{
	char		 buf[16];
	const char	*r;
	size_t		 i, size;

	for (i = 0; i < sizeof(enhanced) / sizeof(enhanced[0]); i++) {
		memset(buf, '#', sizeof(buf));
		size = enhanced[i].size ? enhanced[i].size : sizeof(buf);
		r = smtpc_enhanced(enhanced[i].in, buf, size);
		ok_str(r, enhanced[i].want, "enhanced: \"%s\" (buffer %zu)",
		    enhanced[i].in, size);
		ok(r == NULL || r == buf, "enhanced: \"%s\" returns the "
		    "buffer", enhanced[i].in);
	}
}

/* put_item - body[0..n) as queue item "item", deflated when zlib. */
static void
put_item(const char *body, size_t n, int zlib)
{
	char		 rcpt[] = "u@example.com", tr[QUEUE_TRAILER];
	unsigned char	*z = NULL;
	const void	*stored = body;
	uLongf		 zlen = 0;
	struct envelope	 env;
	struct buf	 b;
	int		 fd;

	if (zlib) {
		zlen = compressBound((uLong)n);
		if ((z = malloc(zlen)) == NULL ||
		    compress2(z, &zlen, (const Bytef *)body, (uLong)n,
		    Z_DEFAULT_COMPRESSION) != Z_OK)
			abort();
		stored = z;
	}
	env_init(&env);
	env.arrival = 1700000000;
	env.domain = "example.com";
	env.sender = "a@example.org";
	env.size = n;
	env.zlib = zlib;
	if (env_add_rcpt(&env, rcpt) == -1)
		abort();
	buf_init(&b, ENV_MAX);
	if (env_format(&env, &b) == -1 || queue_trailer(tr, b.len,
	    (uint32_t)crc32(0, stored, zlib ? (uInt)zlen : (uInt)n),
	    (uint32_t)crc32(0, (unsigned char *)b.p, (uInt)b.len)) == -1)
		abort();
	fd = openat(dir, "item", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write_all(fd, stored, zlib ? zlen : n) == -1 ||
	    write_all(fd, b.p, b.len) == -1 ||
	    write_all(fd, tr, sizeof(tr)) == -1 || close(fd) == -1)
		abort();
	buf_free(&b);
	env_free(&env);
	free(z);
}

/* send_item - smtpc_data on item "item"; the bytes sent into *out. */
static int
send_item(const char *reply, size_t rlen, struct buf *out)
{
	struct qitem	 q;
	struct qbody	 qb;
	char		*p;
	size_t		 n;
	int		 code;

	if (qitem_open(dir, "item", &q) == -1 || qbody_open(&qb, &q) == -1)
		abort();
	serve(reply, rlen, 0);
	code = smtpc_data(&c, &qb);
	p = sent(&n);
	buf_reset(out);
	if (buf_add(out, p, n) == -1)
		abort();
	qbody_close(&qb);
	qitem_close(&q);
	return code;
}

struct dcase {
	const char	*label;
	const char	*body;
	size_t		 len;
	const char	*want;		/* the bytes sent, escaped */
};

static const struct dcase datas[] = {
	{ "ordinary message", S("Subject: t\r\n\r\nhello\r\n"),
	    "Subject: t\\r\\n\\r\\nhello\\r\\n.\\r\\n" },
	{ "dot-stuffing", S(".x\r\n..y\r\nz.\r\n"),
	    "..x\\r\\n...y\\r\\nz.\\r\\n.\\r\\n" },
	{ "a lone dot line", S("a\r\n.\r\nb\r\n"),
	    "a\\r\\n..\\r\\nb\\r\\n.\\r\\n" },
	{ "a dot first", S(".\r\n"), "..\\r\\n.\\r\\n" },
	{ "bare LF becomes CR LF", S("a\nb\r\n"),
	    "a\\r\\nb\\r\\n.\\r\\n" },
	{ "dot after a bare LF is stuffed", S("a\n.b\r\n"),
	    "a\\r\\n..b\\r\\n.\\r\\n" },
	{ "bare CR becomes a space", S("a\rb\r\n"),
	    "a b\\r\\n.\\r\\n" },
	{ "CR CR LF", S("a\r\r\n"), "a \\r\\n.\\r\\n" },
	{ "bare CR then dot at a line start", S("a\r\n\r.b\r\n"),
	    "a\\r\\n .b\\r\\n.\\r\\n" },
	{ "final line without a line end", S("a\r\nlast"),
	    "a\\r\\nlast\\r\\n.\\r\\n" },
	{ "final bare CR", S("a\r"), "a \\r\\n.\\r\\n" },
	{ "final bare CR alone on its line", S("a\r\n\r"),
	    "a\\r\\n \\r\\n.\\r\\n" },
	{ "final bare LF", S("a\n"), "a\\r\\n.\\r\\n" },
	{ "final dot without a line end", S("a\r\n."),
	    "a\\r\\n..\\r\\n.\\r\\n" },
	{ "empty body", S(""), ".\\r\\n" },
	{ "only CR LF", S("\r\n"), "\\r\\n.\\r\\n" },
	{ "every repair at once", S("Subject: t\r\n\r\n.x\nbare\rcr\r\n"
	    "..y\r\nend"), "Subject: t\\r\\n\\r\\n..x\\r\\nbare cr\\r\\n"
	    "...y\\r\\nend\\r\\n.\\r\\n" },
	{ "smuggling <LF>.<LF>", S("a\n.\nMAIL FROM:<x@y>\r\n"),
	    "a\\r\\n..\\r\\nMAIL FROM:<x@y>\\r\\n.\\r\\n" },
	{ "smuggling <CR>.<CR>", S("a\r.\rMAIL FROM:<x@y>\r\n"),
	    "a . MAIL FROM:<x@y>\\r\\n.\\r\\n" },
	{ "smuggling <CR><LF>.<LF>", S("a\r\n.\nb\r\n"),
	    "a\\r\\n..\\r\\nb\\r\\n.\\r\\n" },
	{ "8-bit kept", S("a\x01\x7f\xff\r\n"),
	    "a\\x01\\x7f\\xff\\r\\n.\\r\\n" },
	{ "NUL becomes a space", S("a\0\xff\r\n"),
	    "a \\xff\\r\\n.\\r\\n" },
	{ "NUL dot line: no end, no stuffing", S("a\r\n\0.\r\nb\r\n"),
	    "a\\r\\n .\\r\\nb\\r\\n.\\r\\n" },
	{ "only NULs", S("\0\0\0"), "   \\r\\n.\\r\\n" },
	{ "NUL after a bare CR", S("a\r\0b\r\n"),
	    "a  b\\r\\n.\\r\\n" },
	{ "NUL before a dot line", S("a\0\r\n.\r\n"),
	    "a \\r\\n..\\r\\n.\\r\\n" },
};

/* nuls_in - the NUL bytes of s[0..n), which smtpc_data must count. */
static uint64_t
nuls_in(const char *s, size_t n)
{
	uint64_t	k = 0;

	while (n-- > 0)
		k += *s++ == '\0';
	return k;
}

static void
test_data(void)
{
	struct buf	out;
	char		got[4096];
	size_t		i;
	int		z, code;

	buf_init(&out, 0);
	for (i = 0; i < sizeof(datas) / sizeof(datas[0]); i++)
		for (z = 0; z < 2; z++) {
			put_item(datas[i].body, datas[i].len, z);
			conn_open();
			code = send_item(S("250 2.0.0 queued\r\n"), &out);
			esc(got, sizeof(got), out.p, out.len);
			ok_str(got, datas[i].want, "data, %s: %s",
			    z ? "zlib" : "raw", datas[i].label);
			ok(code == 250 && strcmp(c.text,
			    "250 2.0.0 queued") == 0,
			    "data, %s: %s: the reply (%d %s)",
			    z ? "zlib" : "raw", datas[i].label, code, c.text);
			ok(c.nuls == nuls_in(datas[i].body, datas[i].len),
			    "data, %s: %s: %llu NULs counted",
			    z ? "zlib" : "raw", datas[i].label,
			    (unsigned long long)c.nuls);
			conn_close();
		}
	buf_free(&out);
}

struct bcase {
	const char	*label;
	const char	*at;		/* bytes from offset 16383 on */
	const char	*want;		/* what they must become */
};

/* Line state carries across the 16 KB reads of smtpc_data. */
static const struct bcase bounds[] = {
	{ "CR LF split", "\r\n.y\r\n", "\r\n..y\r\n.\r\n" },
	{ "LF last, dot first", "\n.y\r\n", "\r\n..y\r\n.\r\n" },
	{ "bare CR last", "\r.y\r\n", " .y\r\n.\r\n" },
	{ "dot last after a line end", "\r\n\r\n.", "\r\n\r\n..\r\n.\r\n" },
};

static void
test_data_bounds(void)
{
	struct buf	body, want, out;
	size_t		i;
	int		z, code;

	buf_init(&body, 0);
	buf_init(&want, 0);
	buf_init(&out, 0);
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		buf_reset(&body);
		buf_reset(&want);
		repeat(&body, "x", 16383);
		repeat(&want, "x", 16383);
		buf_adds(&body, bounds[i].at);
		buf_adds(&want, bounds[i].want);
		for (z = 0; z < 2; z++) {
			put_item(body.p, body.len, z);
			conn_open();
			code = send_item(S("250 ok\r\n"), &out);
			ok(code == 250 && out.len == want.len &&
			    memcmp(out.p, want.p, want.len) == 0,
			    "data, %s, 16 KB boundary: %s (%d, %zu of %zu "
			    "bytes)", z ? "zlib" : "raw", bounds[i].label,
			    code, out.len, want.len);
			conn_close();
		}
	}
	buf_free(&body);
	buf_free(&want);
	buf_free(&out);
}

/* Failures: the server gone, a damaged item; never a final dot. */
static void
test_data_errors(void)
{
	static const char	body[] = "Subject: t\r\n\r\nhello\r\n";
	struct buf		out, big;
	unsigned char		ch;
	char			got[SMTPC_TEXT_MAX + 64];
	int			code, fd;

	buf_init(&out, 0);
	put_item(S(body), 0);
	conn_open();
	close(srv);
	srv = -1;
	code = send_item(NULL, 0, &out);
	snprintf(got, sizeof(got), "%d|%s", code, c.text);
	ok_str(got, "-1|connection lost while sending data",
	    "data: the server is gone");
	conn_close();

	conn_open();
	put_item(S(body), 0);
	code = send_item(S("554 5.6.0 no thanks\r\n"), &out);
	snprintf(got, sizeof(got), "%d|%s", code, c.text);
	ok_str(got, "554|554 5.6.0 no thanks", "data: refused after the dot");
	conn_close();

	/* a flipped body byte shows at the end: no "." may follow */
	buf_init(&big, 0);
	repeat(&big, "0123456789abcdefghijklmnopqrstuvwxyz\r\n", 1000);
	put_item(big.p, big.len, 0);
	fd = openat(dir, "item", O_RDWR);
	if (fd == -1 || pread(fd, &ch, 1, 100) != 1)
		abort();
	ch ^= 1;
	if (pwrite(fd, &ch, 1, 100) != 1 || close(fd) == -1)
		abort();
	conn_open();
	code = send_item(S("250 ok\r\n"), &out);
	snprintf(got, sizeof(got), "%d|%s", code, c.text);
	ok_str(got, "-1|queued message unreadable", "data: damaged item");
	ok(out.len < 5 || memcmp(out.p + out.len - 5, "\r\n.\r\n", 5) != 0,
	    "data: damaged item, no end of data sent (%zu bytes sent)",
	    out.len);
	conn_close();
	buf_free(&big);
	buf_free(&out);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 n;

	signal(SIGPIPE, SIG_IGN);
	n = snprintf(dirpath, sizeof(dirpath), "%s/t_smtpc.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(dirpath) ||
	    mkdtemp(dirpath) == NULL ||
	    (dir = open(dirpath, O_RDONLY | O_DIRECTORY)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_parse_line();
	test_replies();
	test_reply_sequence();
	test_reply_limits();
	test_reply_timeout();
	test_ehlo();
	test_ehlo_limits();
	test_greeting();
	test_enhanced();
	test_data();
	test_data_bounds();
	test_data_errors();
	unlinkat(dir, "item", 0);
	close(dir);
	ok(rmdir(dirpath) == 0, "temporary folder left empty");
	return done();
}
