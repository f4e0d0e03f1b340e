/*
 * tap.h - the unit tests' harness: TAP on stdout, one "ok"/"not ok"
 * line per check, the plan at the end; exit 1 when a check failed.
 * Use: ok(cond, "what"), ok_str(got, want, "what"), return done().
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_n, tap_failed;

static void __attribute__((__format__(printf, 4, 5)))
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond) {
		tap_failed++;
		printf("# failed at %s:%d\n", file, line);
	}
}

#define ok(cond, ...)	tap_ok((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)
#define ok_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = (g_ == NULL && w_ == NULL) ||				\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	tap_ok(c_, __FILE__, __LINE__, __VA_ARGS__);			\
	if (!c_)							\
		printf("#   got: \"%s\"\n#  want: \"%s\"\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

static int
done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
