/*
 * callout.h - asking a cloudprotect domain's primary about one
 * recipient (callout.c): connect, EHLO, MAIL FROM, RCPT TO, and no DATA.
 * The connection is kept for the next recipient of the same domain.
 */
#ifndef SNF_CALLOUT_H
#define SNF_CALLOUT_H

#include <stdint.h>

#include "addr.h"
#include "smtpc.h"

enum {
	CO_POSITIVE,		/* the primary took the recipient */
	CO_NEGATIVE,		/* it said the user is unknown */
	CO_TEMP,		/* an answer about this recipient, not final */
	CO_UNAVAILABLE,		/* it could not answer: down for a while */
	CO_REFUSED,		/* it refuses this host: cannot answer */
	CO_BUSY			/* every callout place was taken */
};

struct callout_limits {
	int64_t		timeout_ms;	/* connect and each reply */
	int64_t		total_ms;	/* one whole callout */
	unsigned	max_inflight;	/* callouts at once to one primary */
};

struct callout {		/* one connection, kept for the next RCPT */
	int		open;
	char		domain[ADDR_DOMAIN_MAX + 1];
	int		slot;		/* our place among the callouts in flight */
	unsigned	rcpts;		/* RCPTs in the current MAIL transaction */
	int		catchall;	/* the probe said: 1 yes, 0 no, -1 unknown */
	char		sender[ADDR_PATH_MAX + 1];
	struct smtpc	s;
};

void	callout_init(struct callout *);
int	callout_ask(struct callout *, int, const char *, const struct addr *,
	    const struct callout_limits *, char *, size_t);
void	callout_close(struct callout *);

#endif
