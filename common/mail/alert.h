/*
 * alert.h - running the operator's alert program (alert.c) when a
 * protected domain changes state: down, up, refused, or too much mail
 * waiting. snf-send runs it and waits; a callout in snf-smtpd starts it
 * and goes on.
 */
#ifndef SNF_ALERT_H
#define SNF_ALERT_H

#include "dstate.h"

struct alert_ctx {
	int		 root;
	const char	*rootpath;
	const char	*me;		/* SNF_HOST */
};

#define ALERT_WAIT	1	/* wait for it (at most ALERT_TIMEOUT) */

void	alert_run(const struct alert_ctx *, const char *, const char *,
	    const struct dstate *, int);

#endif
