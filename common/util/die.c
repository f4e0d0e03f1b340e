/*
 * die.c - fatal errors: the line goes through the logger (log_vline),
 * then the program exits with the code given.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "die.h"

void
die(int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vline("fatal:", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void
die_sys(int code, const char *fmt, ...)
{
	va_list	ap;
	int	err = errno;

	va_start(ap, fmt);
	log_vline("fatal:", err, fmt, ap);
	va_end(ap);
	exit(code);
}
