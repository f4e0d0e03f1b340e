/*
 * date.c - RFC 5322 and ctime(3) style dates in UTC, computed here
 * rather than with localtime(3) and strftime(3): no time zone data, no
 * locale, and a smaller static program.
 */
#include <stdint.h>
#include <stdio.h>

#include "date.h"

static const char	days[7][4] = {
	"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"	/* day 0 was a Thursday */
};
static const char	months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

struct civil {
	int64_t	year;
	int	month, mday, wday, hour, min, sec;
};

/*
 * civil - t split into the proleptic Gregorian calendar, UTC. Days are
 * counted in 400-year eras of 146,097 days from 0000-03-01, so that the
 * leap day falls at the end of each counted year.
 */
static void
civil(time_t t, struct civil *c)
{
	int64_t	s = (int64_t)t, d, era, doe, yoe, doy, mp;

	d = s / 86400;
	s %= 86400;
	if (s < 0) {
		s += 86400;
		d--;
	}
	c->hour = (int)(s / 3600);
	c->min = (int)(s / 60 % 60);
	c->sec = (int)(s % 60);
	c->wday = (int)(((d % 7) + 7) % 7);
	d += 719468;			/* from 1970-01-01 to 0000-03-01 */
	era = (d >= 0 ? d : d - 146096) / 146097;
	doe = d - era * 146097;		/* day of the era, 0 to 146096 */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;	/* March is 0 */
	c->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->month = (int)(mp < 10 ? mp + 2 : mp - 10);	/* January is 0 */
	c->year = yoe + era * 400 + (c->month < 2);
}

/* date_rfc5322 - "Mon, 23 Nov 2026 16:40:05 +0000" (RFC 5322 3.3). */
void
date_rfc5322(char *buf, size_t size, time_t t)
{
	struct civil	c;

	civil(t, &c);
	snprintf(buf, size, "%s, %02d %s %04lld %02d:%02d:%02d +0000",
	    days[c.wday], c.mday, months[c.month], (long long)c.year,
	    c.hour, c.min, c.sec);
}

/* date_ctime - "Mon Nov 23 16:40:05 2026", for mbox From_ lines. */
void
date_ctime(char *buf, size_t size, time_t t)
{
	struct civil	c;

	civil(t, &c);
	snprintf(buf, size, "%s %s %2d %02d:%02d:%02d %04lld",
	    days[c.wday], months[c.month], c.mday, c.hour, c.min, c.sec,
	    (long long)c.year);
}
