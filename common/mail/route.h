/*
 * route.h - where mail for a domain goes: a protected domain's primary
 * hosts (domains/D/primary) or its MX hosts better than this one; any
 * other domain by control/routes, else by MX.
 */
#ifndef SNF_ROUTE_H
#define SNF_ROUTE_H

#define ROUTE_MAX	16
#define SELF_MAX	32	/* names of this host: control/me, mxnames */

struct hostport {
	char	host[256];
	char	port[8];
};

struct mx {
	int	pref;
	char	name[256];
};

struct route {
	int		n;
	struct hostport	h[ROUTE_MAX];
	char		why[256];	/* when there is no route */
};

enum {
	ROUTE_OK = 0,
	ROUTE_TEMP = -1,	/* DNS trouble: try again later */
	ROUTE_SELF = -2,	/* this host is the best MX: keep, alert */
	ROUTE_NONE = -3		/* the domain does not exist */
};

int	hostport_parse(const char *, struct hostport *);
int	route_for(int, const char *, struct route *);
int	mx_select(struct mx *, int, int, const char *const *);
int	self_names(int, char [][256], int);

#endif
