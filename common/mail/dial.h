/*
 * dial.h - opening an SMTP session to a destination (dial.c), the one
 * way every program that sends begins: delivery (snf-send), the release
 * verbs (snf-queue) and the callouts (snf-verify, snf-smtpd).
 */
#ifndef SNF_DIAL_H
#define SNF_DIAL_H

#include <stdint.h>

#include "route.h"
#include "smtpc.h"

enum dial_stage {
	DIAL_ROUTE,		/* no route: the reason in err */
	DIAL_CONNECT,		/* no host could be reached */
	DIAL_GREETING,		/* a host greeted with other than 220 */
	DIAL_EHLO		/* a host refused EHLO and HELO */
};

struct dial {
	int			 root;
	const char		*helo;		/* this host's name, for EHLO */
	struct smtpc_timeouts	 t;
	int64_t			 until;		/* the whole attempt; 0: none */
	/* what went wrong with the last host tried */
	int			 stage;
	int			 route;		/* DIAL_ROUTE: the ROUTE_* code */
	int			 code;		/* its reply, -1 none */
	char			 err[SMTPC_TEXT_MAX + 300];
};

int	dial_route(struct dial *, const struct route *, struct smtpc *);
int	dial_domain(struct dial *, const char *, struct smtpc *);

#endif
