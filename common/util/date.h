/*
 * date.h - dates in mail headers, in UTC (qmail's choice: no time zone
 * file is read, so the same code works in any root and every header of
 * every message agrees with the logs).
 */
#ifndef SNF_DATE_H
#define SNF_DATE_H

#include <stddef.h>
#include <time.h>

#define DATE_MAX	40	/* room for either form, with its NUL */

void	date_rfc5322(char *, size_t, time_t);
void	date_ctime(char *, size_t, time_t);

#endif
