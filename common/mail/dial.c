/*
 * dial.c - open an SMTP session: route the domain (or take the hosts
 * given), and for each host in turn connect within its time limit, read
 * the greeting and say EHLO (HELO when EHLO is refused). A server that
 * greets with one of this host's own names (control/me, control/mxnames)
 * is this host: mail routed there would loop, so it counts as a failure
 * of that host. With until set, no step waits past it.
 */
#include <stdio.h>
#include <string.h>

#include "dial.h"

/*
 * dial_route - connect to the first host of r that greets and takes
 * EHLO. Returns 0 with s open, or -1 with d->stage, d->code and d->err
 * saying what the last host did.
 */
int
dial_route(struct dial *d, const struct route *r, struct smtpc *s)
{
	char		 names[SELF_MAX][256];
	const char	*self[SELF_MAX];
	int		 i, ns, code;

	ns = self_names(d->root, names, SELF_MAX);
	for (i = 0; i < ns; i++)
		self[i] = names[i];
	d->stage = DIAL_CONNECT;
	d->code = -1;
	snprintf(d->err, sizeof(d->err), "no host to try");
	for (i = 0; i < r->n; i++) {
		s->t = d->t;
		s->until = d->until;
		if (smtpc_connect(s, r->h[i].host, r->h[i].port) == -1) {
			d->stage = DIAL_CONNECT;
			d->code = -1;
			snprintf(d->err, sizeof(d->err), "%s", s->text);
			continue;
		}
		d->stage = DIAL_GREETING;
		code = smtpc_greeting(s, self, ns);
		if (code == 220) {
			d->stage = DIAL_EHLO;
			code = smtpc_ehlo(s, d->helo);
		}
		if (code / 100 == 2)
			return 0;
		d->code = code;
		snprintf(d->err, sizeof(d->err), "%s[%s] said: %s",
		    r->h[i].host, s->addr, s->text);
		if (code != -1)
			smtpc_quit(s);
		else
			smtpc_close(s);
	}
	return -1;
}

/*
 * dial_domain - the same for mail to domain, routed by route_for. On a
 * failure to route, d->stage is DIAL_ROUTE and d->route its ROUTE_*.
 */
int
dial_domain(struct dial *d, const char *domain, struct smtpc *s)
{
	struct route	r;

	if ((d->route = route_for(d->root, domain, &r)) != ROUTE_OK) {
		d->stage = DIAL_ROUTE;
		d->code = -1;
		snprintf(d->err, sizeof(d->err), "%s", r.why);
		return -1;
	}
	return dial_route(d, &r, s);
}
