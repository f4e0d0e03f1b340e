/*
 * log.h - one line per event on stderr, for s6-log or multilog:
 * "snf-smtpd[4242]: accept ip=192.0.2.1 from=<a@b> ...". A warning is
 * an event line whose first word is "warning"; log_warn appends the
 * text of errno, as warn(3) does, log_warnx does not.
 * Untrusted text goes through logesc() so that a log line is one line
 * and every field is free of spaces and control characters.
 */
#ifndef SNF_LOG_H
#define SNF_LOG_H

#include <stdarg.h>
#include <stddef.h>

extern const char *progname;	/* set once by main */

void		 log_event(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_warn(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
void		 log_vline(const char *, int, const char *, va_list)
		    __attribute__((__format__(printf, 3, 0)));
const char	*logesc(const char *);
const char	*logescn(const char *, size_t);

#endif
