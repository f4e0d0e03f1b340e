/*
 * dial.h - opening an SMTP session to a destination (dial.c), the one
 * way every program that sends begins: delivery (snf-send), the release
 * verbs (snf-queue) and the callouts (snf-verify, snf-smtpd); with the
 * destination's TLS level (tlspolicy.c).
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
	DIAL_EHLO,		/* a host refused EHLO and HELO */
	DIAL_TLS		/* TLS was required and could not be had */
};

enum tls_level {
	TLS_NONE,		/* never STARTTLS */
	TLS_MAY,		/* when offered; clear text when it fails */
	TLS_ENCRYPT,		/* required, any certificate */
	TLS_VERIFY		/* required, the certificate and name checked */
};

struct dial {
	int			 root;
	const char		*helo;		/* this host's name, for EHLO */
	struct smtpc_timeouts	 t;
	int64_t			 until;		/* the whole attempt; 0: none */
	/* TLS, see tlspolicy.c */
	int			 tls;		/* TLS_* */
	char			 tls_name[256];	/* verify: the name, "" the host's */
	char			 tls_ca[600];	/* trust these, "" the system's */
	/* what went wrong with the last host tried */
	int			 stage;
	int			 route;		/* DIAL_ROUTE: the ROUTE_* code */
	int			 code;		/* its reply, -1 none */
	int			 refused;	/* a refusal of this host */
	char			 err[SMTPC_TEXT_MAX + 600];
};

int	dial_route(struct dial *, const struct route *, struct smtpc *);
int	dial_domain(struct dial *, const char *, struct smtpc *);
int	dial_rstage(const struct dial *);

/* tlspolicy.c */
int	tls_policy(struct dial *, int, const char *, const char *);
int	tls_level_parse(const char *, int *, char *, size_t);
const char *tls_level_name(int);

#endif
