/*
 * log.c - event lines on stderr. Each line is formatted into one buffer
 * and written with one write(2), so lines from concurrent processes
 * sharing a log do not interleave. logesc() escapes untrusted text with
 * libbsd's strvisx (C-style, white space and non-printables encoded)
 * into one of a few rotating static buffers, so a caller can escape
 * several fields for one line. Input is cut at LOGESC_MAX bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#define LIBBSD_NETBSD_VIS	1	/* the NetBSD strnvis argument order */
#include <vis.h>

#include "log.h"

#define LOG_LINE_MAX	2048
#define LOGESC_MAX	256	/* input bytes kept per field */
#define LOGESC_BUFS	6

const char	*progname = "snf";

/* grow - n after adding m to it, kept below the room for "\n" */
static int
grow(int n, int m)
{
	if (m < 0)
		return n;
	return n + m >= LOG_LINE_MAX - 1 ? LOG_LINE_MAX - 2 : n + m;
}

/*
 * log_vline - "prog[pid]: KIND TEXT[: strerror(err)]" (kind NULL: no
 * word before the text; err 0: no error text).
 */
void
log_vline(const char *kind, int err, const char *fmt, va_list ap)
{
	char	line[LOG_LINE_MAX];
	int	n;

	n = grow(0, snprintf(line, sizeof(line), "%s[%ld]: %s%s", progname,
	    (long)getpid(), kind ? kind : "", kind ? " " : ""));
	n = grow(n, vsnprintf(line + n, sizeof(line) - n, fmt, ap));
	if (err)
		n = grow(n, snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(err)));
	line[n++] = '\n';
	(void)!write(2, line, n);
}

void
log_event(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline(NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("warning", 0, fmt, ap);
	va_end(ap);
}

/* log_warn - a warning with the text of errno; errno is kept. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	err = errno;

	va_start(ap, fmt);
	log_vline("warning", err, fmt, ap);
	va_end(ap);
	errno = err;
}

const char *
logescn(const char *s, size_t len)
{
	static char	bufs[LOGESC_BUFS][4 * LOGESC_MAX + 4];
	static int	next;
	char		*dst = bufs[next];
	int		cut = 0;

	next = (next + 1) % LOGESC_BUFS;
	if (s == NULL)
		return "-";
	if (len > LOGESC_MAX) {
		len = LOGESC_MAX;
		cut = 1;
	}
	strvisx(dst, s, len, VIS_CSTYLE | VIS_OCTAL | VIS_WHITE);
	if (cut)
		strlcat(dst, "...", sizeof(bufs[0]));
	return dst;
}

const char *
logesc(const char *s)
{
	return logescn(s, s ? strlen(s) : 0);
}
