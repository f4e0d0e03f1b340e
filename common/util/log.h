/*
 * log.h - one line per event on stderr, for s6-log or multilog:
 * "snf-smtpd[4242]: accept ip=192.0.2.1 from=<a@b> ...".
 * Untrusted text goes through logesc() so that a log line is one line
 * and every field is free of spaces and control characters.
 */
#ifndef SNF_LOG_H
#define SNF_LOG_H

#include <stddef.h>

void		 log_event(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
const char	*logesc(const char *);
const char	*logescn(const char *, size_t);

#endif
