/*
 * dial.c - open an SMTP session: route the domain (or take the hosts
 * given), and for each host in turn connect within its time limit, read
 * the greeting, say EHLO (HELO when EHLO is refused), and STARTTLS as
 * the destination's TLS level asks. A server that greets with one of
 * this host's own names (control/me, control/mxnames) is this host:
 * mail routed there would loop, so it counts as a failure of that host.
 * With until set, no step waits past it.
 *
 * TLS: at TLS_MAY, STARTTLS when the server offers it, and clear text
 * when it does not, when it refuses STARTTLS, or (on a new connection)
 * when the handshake fails; at TLS_ENCRYPT and TLS_VERIFY, no TLS is a
 * refusal of this host (the mail stays, see rclass.c): nothing is ever
 * sent in clear text then.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "dial.h"
#include "log.h"
#include "rclass.h"

/* fail - what went wrong with this host, from the reply c has */
static void
fail(struct dial *d, const struct smtpc *s, const char *host, int stage,
    int code)
{
	d->stage = stage;
	d->code = code;
	snprintf(d->err, sizeof(d->err), "%s[%s] said: %s", host, s->addr,
	    s->text);
	d->refused = rclass(dial_rstage(d), code, s->text) == RC_REFUSED;
}

/* tls_fail - TLS was required and cannot be had: a refusal */
static void
tls_fail(struct dial *d, const char *host, const struct smtpc *s,
    const char *why)
{
	d->stage = DIAL_TLS;
	d->code = s->code;
	d->refused = 1;
	snprintf(d->err, sizeof(d->err), "TLS (%s) with %s[%s]: %s",
	    tls_level_name(d->tls), host, s->addr, why);
}

/* is_address - host is an IP address, which names no certificate */
static int
is_address(const char *host)
{
	unsigned char	a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/*
 * starttls - the TLS step with session s to host: 0 to go on (encrypted
 * or, at TLS_MAY, in clear text), 1 to try the host again without TLS
 * (TLS_MAY, the handshake failed: s is closed), -1 to give it up (s is
 * closed, d says why).
 */
static int
starttls(struct dial *d, struct smtpc *s, const char *host)
{
	struct tlsio_client	tc;
	int			r;

	if (d->tls == TLS_NONE || (d->tls == TLS_MAY &&
	    (!(s->ext & SMTPC_STARTTLS) || !tlsio_available())))
		return 0;
	if (!tlsio_available()) {
		tls_fail(d, host, s, "this build has no TLS (no libtls)");
		goto quit;
	}
	if (!(s->ext & SMTPC_STARTTLS)) {
		tls_fail(d, host, s, "required, but STARTTLS is not offered");
		goto quit;
	}
	memset(&tc, 0, sizeof(tc));
	tc.verify = d->tls == TLS_VERIFY;
	tc.name = d->tls_name[0] ? d->tls_name : host;
	tc.cafile = d->tls_ca[0] ? d->tls_ca : NULL;
	if (tc.verify && !d->tls_name[0] && is_address(host)) {
		tls_fail(d, host, s, "verify needs the name the certificate "
		    "must hold: write it after the level");
		goto quit;
	}
	/* an address is checked against the certificate's IP addresses;
	 * libtls sends no SNI for it (RFC 6066 3) */
	if ((r = smtpc_starttls(s, &tc, d->helo)) == 0)
		return 0;
	if (r == 1 && d->tls == TLS_MAY) {
		log_event("tls host=%s[%s] clear=yes reason=%s", host, s->addr,
		    logesc(s->text));
		return 0;
	}
	if (d->tls == TLS_MAY) {	/* the handshake failed: s is lost */
		log_event("tls host=%s[%s] clear=yes reason=%s: trying again "
		    "without TLS", host, s->addr, logesc(s->text));
		smtpc_close(s);
		return 1;
	}
	tls_fail(d, host, s, s->text);
	if (r == -1) {
		smtpc_close(s);
		return -1;
	}
quit:
	smtpc_quit(s);
	return -1;
}

/* one_host - connect, greet, EHLO and TLS with host h; 0 when open */
static int
one_host(struct dial *d, const struct hostport *h, struct smtpc *s,
    const char *const *self, int ns, int notls)
{
	int	code, saved = d->tls, r;

	s->t = d->t;
	s->until = d->until;
	if (smtpc_connect(s, h->host, h->port) == -1) {
		d->stage = DIAL_CONNECT;
		d->code = -1;
		d->refused = 0;
		snprintf(d->err, sizeof(d->err), "%s", s->text);
		return -1;
	}
	if ((code = smtpc_greeting(s, self, ns)) != 220) {
		fail(d, s, h->host, DIAL_GREETING, code);
		goto close;
	}
	if ((code = smtpc_ehlo(s, d->helo)) / 100 != 2) {
		fail(d, s, h->host, DIAL_EHLO, code);
		goto close;
	}
	if (notls)
		d->tls = TLS_NONE;
	r = starttls(d, s, h->host);
	d->tls = saved;
	return r;
close:
	if (code != -1)
		smtpc_quit(s);
	else
		smtpc_close(s);
	return -1;
}

/*
 * dial_route - connect to the first host of r that greets, takes EHLO
 * and meets the TLS level. Returns 0 with s open, or -1 with d->stage,
 * d->code, d->refused and d->err saying what the last host did.
 */
int
dial_route(struct dial *d, const struct route *r, struct smtpc *s)
{
	char		 names[SELF_MAX][256];
	const char	*self[SELF_MAX];
	int		 i, ns, rc;

	ns = self_names(d->root, names, SELF_MAX);
	for (i = 0; i < ns; i++)
		self[i] = names[i];
	d->stage = DIAL_CONNECT;
	d->code = -1;
	d->refused = 0;
	snprintf(d->err, sizeof(d->err), "no host to try");
	for (i = 0; i < r->n; i++) {
		if ((rc = one_host(d, &r->h[i], s, self, ns, 0)) == 1)
			rc = one_host(d, &r->h[i], s, self, ns, 1);
		if (rc == 0)
			return 0;
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
		d->refused = 0;
		snprintf(d->err, sizeof(d->err), "%s", r.why);
		return -1;
	}
	return dial_route(d, &r, s);
}

/* dial_rstage - the rclass.h stage of the step that failed */
int
dial_rstage(const struct dial *d)
{
	switch (d->stage) {
	case DIAL_EHLO:		return RS_EHLO;
	case DIAL_TLS:		return RS_STARTTLS;
	}
	return RS_GREETING;
}
