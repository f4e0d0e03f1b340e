/*
 * t_smtpline.c - smtp_getline over a real pipe, read end non-blocking as
 * snf-smtpd sets it. Each row is fed twice: written whole, and trickled
 * by a child a byte (or a block) at a time; both runs must read the
 * same lines. Results are rendered "line|line|ERRNO" with bytes that
 * are not printable shown escaped and long runs shown as {c*N}.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "smtpline.h"
#include "../tap.h"

#define S(x)	(x), sizeof(x) - 1

struct lcase {
	const char	*label;
	const char	*spec;		/* "{c*N}" is N copies of c */
	size_t		 len;
	size_t		 max;		/* 0: SMTP_CMD_MAX */
	const char	*want;
};

static const struct lcase lines[] = {
	{ "two CRLF lines", S("HELO x\r\nQUIT\r\n"), 0,
	    "HELO x|QUIT|ECONNRESET" },
	{ "pipelined commands", S("EHLO x\r\nMAIL FROM:<a@b>\r\n"
	    "RCPT TO:<c@d>\r\nDATA\r\n"), 0,
	    "EHLO x|MAIL FROM:<a@b>|RCPT TO:<c@d>|DATA|ECONNRESET" },
	{ "empty line", S("\r\n"), 0, "|ECONNRESET" },
	{ "no input", S(""), 0, "ECONNRESET" },
	{ "bare LF", S("HELO\n"), 0, "EPROTO|ECONNRESET" },
	{ "bare LF, next line intact", S("HELO\nQUIT\r\n"), 0,
	    "EPROTO|QUIT|ECONNRESET" },
	{ "lone LF", S("\n"), 0, "EPROTO|ECONNRESET" },
	{ "empty bare-LF line between", S("A\r\n\nB\r\n"), 0,
	    "A|EPROTO|B|ECONNRESET" },
	{ "bare CR inside", S("HE\rLO\r\n"), 0, "EPROTO|ECONNRESET" },
	{ "CR CR LF", S("HELO\r\r\n"), 0, "EPROTO|ECONNRESET" },
	{ "bare CR first", S("\rHELO\r\nNOOP\r\n"), 0,
	    "EPROTO|NOOP|ECONNRESET" },
	{ "bare CR LF.CR smuggle", S("DATA\r.\rMAIL\r\n"), 0,
	    "EPROTO|ECONNRESET" },
	{ "CR then EOF", S("HELO\r"), 0, "ECONNRESET" },
	{ "no line end then EOF", S("HELO"), 0, "ECONNRESET" },
	{ "NUL inside kept", S("MAIL\0FROM\r\n"), 0,
	    "MAIL\\0FROM|ECONNRESET" },
	{ "NUL alone", S("\0\r\n"), 0, "\\0|ECONNRESET" },
	{ "8-bit kept", S("\xff\xfe\r\n"), 0, "\\xff\\xfe|ECONNRESET" },
	{ "512 with CRLF accepted", S("{a*510}\r\nNEXT\r\n"), 0,
	    "{a*510}|NEXT|ECONNRESET" },
	{ "two 512-octet lines", S("{a*510}\r\n{b*510}\r\n"), 0,
	    "{a*510}|{b*510}|ECONNRESET" },
	{ "513 refused, next intact", S("{a*511}\r\nNEXT\r\n"), 0,
	    "EMSGSIZE|NEXT|ECONNRESET" },
	{ "513 with bare LF", S("{a*512}\nNEXT\r\n"), 0,
	    "EMSGSIZE|NEXT|ECONNRESET" },
	{ "512 ending in bare LF", S("{a*511}\nNEXT\r\n"), 0,
	    "EPROTO|NEXT|ECONNRESET" },
	{ "600 refused, next intact", S("{a*600}\r\nNEXT\r\n"), 0,
	    "EMSGSIZE|NEXT|ECONNRESET" },
	{ "600 CRs refused", S("{\r*600}\r\nNEXT\r\n"), 0,
	    "EMSGSIZE|NEXT|ECONNRESET" },
	{ "600 NULs refused", S("{\0*600}\r\nNEXT\r\n"), 0,
	    "EMSGSIZE|NEXT|ECONNRESET" },
	{ "20000 refused, next intact", S("{a*20000}\r\nNEXT\r\n"), 0,
	    "EMSGSIZE|NEXT|ECONNRESET" },
	{ "20000 then a full line", S("{a*20000}\r\n{b*510}\r\n"), 0,
	    "EMSGSIZE|{b*510}|ECONNRESET" },
	{ "buffer-sized line", S("{a*16384}\r\nNEXT\r\n"), 0,
	    "EMSGSIZE|NEXT|ECONNRESET" },
	{ "long line then EOF", S("{a*600}"), 0, "ECONNRESET" },
	{ "long line, CR, then EOF", S("{a*20000}\r"), 0, "ECONNRESET" },
	{ "small max: fits", S("123456\r\n"), 8, "123456|ECONNRESET" },
	{ "small max: one over", S("1234567\r\nOK\r\n"), 8,
	    "EMSGSIZE|OK|ECONNRESET" },
};

/* expand - spec[0..len) with each "{c*N}" as N copies of c. */
static size_t
expand(char *dst, size_t size, const char *spec, size_t len)
{
	const char	*end = spec + len;
	size_t		 n = 0;
	char		 c, *e;
	long		 k;

	while (spec < end) {
		if (end - spec > 3 && spec[0] == '{' && spec[2] == '*') {
			c = spec[1];
			k = strtol(spec + 3, &e, 10);
			spec = e + 1;
			while (k-- > 0 && n < size)
				dst[n++] = c;
		} else if (n < size)
			dst[n++] = *spec++;
	}
	return n;
}

static const char *
errname(int e)
{
	static char	buf[32];

	switch (e) {
	case EPROTO:	return "EPROTO";
	case EMSGSIZE:	return "EMSGSIZE";
	case ECONNRESET: return "ECONNRESET";
	case ETIMEDOUT:	return "ETIMEDOUT";
	}
	snprintf(buf, sizeof(buf), "errno=%d", e);
	return buf;
}

/* render - s[0..n) printable: escapes, and runs of 8 or more as {c*N}. */
static size_t
render(char *dst, size_t size, const char *s, size_t n)
{
	size_t		i = 0, run, o = 0;
	unsigned char	c;

	while (i < n && o + 16 < size) {
		c = s[i];
		for (run = 1; i + run < n && s[i + run] == s[i]; run++)
			;
		if (run >= 8 && c >= 32 && c < 127) {
			o += snprintf(dst + o, size - o, "{%c*%zu}", c, run);
			i += run;
			continue;
		}
		if (c == '\0')
			o += snprintf(dst + o, size - o, "\\0");
		else if (c == '\r')
			o += snprintf(dst + o, size - o, "\\r");
		else if (c < 32 || c > 126)
			o += snprintf(dst + o, size - o, "\\x%02x", c);
		else
			dst[o++] = c;
		i++;
	}
	dst[o] = '\0';
	return o;
}

/*
 * read_all - call smtp_getline until end of input or an error other
 * than EPROTO/EMSGSIZE, rendering each result. dst has exactly max
 * bytes, so a write past it is caught under a sanitizer.
 */
static void
read_all(int fd, size_t max, int64_t deadline, char *got, size_t size)
{
	struct inbuf	*in;
	char		*dst;
	size_t		 o = 0;
	ssize_t		 n;
	int		 i;

	in = malloc(sizeof(*in));
	dst = malloc(max);
	if (in == NULL || dst == NULL)
		abort();
	inbuf_init(in, fd, NULL);
	got[0] = '\0';
	for (i = 0; i < 10; i++) {
		if (i > 0)
			got[o++] = '|';
		errno = 0;
		n = smtp_getline(in, dst, max, deadline);
		if (n >= 0 && (size_t)n < max && dst[n] == '\0') {
			o += render(got + o, size - o, dst, (size_t)n);
			continue;
		}
		if (n >= 0)
			o += snprintf(got + o, size - o, "(not terminated)");
		else
			o += snprintf(got + o, size - o, "%s", errname(errno));
		if (n >= 0 || (errno != EPROTO && errno != EMSGSIZE))
			break;
	}
	free(dst);
	free(in);
}

static int
nonblock_pipe(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	return fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
}

/* feed_whole - the input is all there before the first read. */
static void
feed_whole(const char *b, size_t n, size_t max, char *got, size_t size)
{
	int	p[2];

	if (nonblock_pipe(p) == -1 || write(p[1], b, n) != (ssize_t)n)
		abort();
	close(p[1]);
	read_all(p[0], max, mono_ms() + 5000, got, size);
	close(p[0]);
}

/*
 * feed_trickle - a child writes step bytes at a time with a pause
 * between, so that lines arrive in pieces; we read with a deadline of
 * wait_ms from now.
 */
static void
feed_trickle(const char *b, size_t n, size_t max, size_t step, int pause_us,
    int64_t wait_ms, char *got, size_t size)
{
	pid_t	pid;
	size_t	i, k;
	int	p[2];

	if (nonblock_pipe(p) == -1 || (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(p[0]);
		for (i = 0; i < n; i += k) {
			k = n - i < step ? n - i : step;
			if (write(p[1], b + i, k) != (ssize_t)k)
				_exit(1);
			usleep(pause_us);
		}
		_exit(0);
	}
	close(p[1]);
	read_all(p[0], max, mono_ms() + wait_ms, got, size);
	close(p[0]);
	waitpid(pid, NULL, 0);
}

static void
test_lines(void)
{
	static char	in[40000];
	char		got[512];
	size_t		i, n, max;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		n = expand(in, sizeof(in), lines[i].spec, lines[i].len);
		max = lines[i].max ? lines[i].max : SMTP_CMD_MAX;
		feed_whole(in, n, max, got, sizeof(got));
		ok_str(got, lines[i].want, "whole: %s", lines[i].label);
		feed_trickle(in, n, max, n > 2000 ? 997 : 1, 100, 20000, got,
		    sizeof(got));
		ok_str(got, lines[i].want, "trickled: %s", lines[i].label);
	}
}

/* wait_empty - smtp_getline on a pipe that stays open; ms it took. */
static int64_t
wait_empty(const char *pre, size_t n, int64_t wait_ms, int *err)
{
	struct inbuf	in;
	char		dst[SMTP_CMD_MAX];
	int64_t		t0;
	int		p[2];

	if (nonblock_pipe(p) == -1 || write(p[1], pre, n) != (ssize_t)n)
		abort();
	inbuf_init(&in, p[0], NULL);
	t0 = mono_ms();
	errno = 0;
	*err = smtp_getline(&in, dst, sizeof(dst), t0 + wait_ms) == -1 ?
	    errno : 0;
	t0 = mono_ms() - t0;
	close(p[0]);
	close(p[1]);
	return t0;
}

/* Deadlines: nothing arrives, half a line, or bytes come too slowly. */
static void
test_deadlines(void)
{
	char	got[128];
	int64_t	dt, t0;
	int	e;

	dt = wait_empty("", 0, -1, &e);
	ok(e == ETIMEDOUT && dt < 100,
	    "deadline already past, no data: ETIMEDOUT at once (%s)",
	    errname(e));
	dt = wait_empty("", 0, 100, &e);
	ok(e == ETIMEDOUT && dt >= 100 && dt < 2000,
	    "deadline 100 ms, no data: ETIMEDOUT after %lld ms",
	    (long long)dt);
	dt = wait_empty("HELO", 4, 100, &e);
	ok(e == ETIMEDOUT && dt >= 100 && dt < 2000,
	    "deadline 100 ms, half a line: ETIMEDOUT after %lld ms",
	    (long long)dt);

	/* a byte every 30 ms keeps coming, but the deadline is absolute */
	t0 = mono_ms();
	feed_trickle(S("HELO example.com\r\n"), SMTP_CMD_MAX, 1, 30000, 150,
	    got, sizeof(got));
	dt = mono_ms() - t0;
	ok_str(got, "ETIMEDOUT", "slowloris: one byte per 30 ms, 150 ms "
	    "deadline");
	ok(dt >= 150 && dt < 2000, "slowloris: gave up after %lld ms",
	    (long long)dt);
	feed_trickle(S("HELO example.com\r\n"), SMTP_CMD_MAX, 1, 30000, 5000,
	    got, sizeof(got));
	ok_str(got, "HELO example.com|ECONNRESET",
	    "slow trickle within its deadline is read whole");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_lines();
	test_deadlines();
	return done();
}
