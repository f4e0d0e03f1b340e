/*
 * log.c - event lines on stderr. logesc() escapes untrusted text with
 * libbsd's strvisx (C-style, white space and non-printables encoded) into
 * one of a few rotating static buffers, so a caller can escape several
 * fields for one log_event() call. Input is cut at LOGESC_MAX bytes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#define LIBBSD_NETBSD_VIS	1	/* the NetBSD strnvis argument order */
#include <vis.h>

#include "die.h"
#include "log.h"

#define LOGESC_MAX	256	/* input bytes kept per field */
#define LOGESC_BUFS	6

void
log_event(const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;
	int	n, m;

	n = snprintf(line, sizeof(line), "%s[%ld]: ", progname, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(2, line, n);
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
