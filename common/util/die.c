/*
 * die.c - fatal errors and warnings for every program. Each message is
 * formatted into one buffer and written with one write(2), so lines from
 * concurrent processes sharing a log do not interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"

const char *progname = "snf";

static void
emit(const char *kind, int err, const char *fmt, va_list ap)
{
	char	line[1024];
	int	n, m;

	n = snprintf(line, sizeof(line), "%s[%ld]: %s: ", progname,
	    (long)getpid(), kind);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		m = 0;
	n = ((size_t)(n + m) >= sizeof(line) - 1) ? (int)sizeof(line) - 2 :
	    n + m;
	if (err) {
		m = snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
		if (m > 0)
			n = ((size_t)(n + m) >= sizeof(line) - 1) ?
			    (int)sizeof(line) - 2 : n + m;
	}
	line[n++] = '\n';
	(void)!write(2, line, n);
}

void
die(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	emit("fatal", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void
die_sys(int code, const char *fmt, ...)
{
	va_list	ap;
	int	err = errno;

	va_start(ap, fmt);
	emit("fatal", err, fmt, ap);
	va_end(ap);
	exit(code);
}

void
warnx_(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	emit("warning", 0, fmt, ap);
	va_end(ap);
}

void
warn_sys(const char *fmt, ...)
{
	va_list	ap;
	int	err = errno;

	va_start(ap, fmt);
	emit("warning", err, fmt, ap);
	va_end(ap);
	errno = err;
}
