/*
 * rcpt.c - RCPT TO: the relay decision. Mail is accepted only for a
 * protected domain (a folder under domains/), and for a userprotect
 * domain only for a listed user. Every address trick a primary might
 * honour as onward routing ('%', '!', an '@' in quotes) is refused here,
 * before the primary can be talked into relaying it.
 */
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "log.h"
#include "smtpd.h"

/* rcpt_params - NOTIFY and ORCPT (RFC 3461); 0 when all are good. */
static int
rcpt_params(struct session *s, const char *p, const char *end,
    struct srcpt *r)
{
	struct param	pa;
	int		k;

	r->notify[0] = r->orcpt[0] = '\0';
	while ((k = param_next(&p, end, &pa)) == 1) {
		if (s->esmtp && param_is(&pa, "NOTIFY") && pa.val &&
		    !r->notify[0]) {
			if (!notify_valid(pa.val, pa.vlen) ||
			    pa.vlen >= sizeof(r->notify))
				goto bad;
			memcpy(r->notify, pa.val, pa.vlen);
			r->notify[pa.vlen] = '\0';
		} else if (s->esmtp && param_is(&pa, "ORCPT") && pa.val &&
		    !r->orcpt[0]) {
			if (!orcpt_valid(pa.val, pa.vlen))
				goto bad;
			memcpy(r->orcpt, pa.val, pa.vlen);
			r->orcpt[pa.vlen] = '\0';
		} else {
			reply(s, "555 5.5.4 Error: unsupported RCPT parameter");
			return -1;
		}
	}
	if (k == 0)
		return 0;
bad:
	reply(s, "501 5.5.4 Error: bad RCPT parameter syntax");
	return -1;
}

/*
 * cloud - a cloudprotect recipient: the cache, or the primary itself
 * (see verify.c). The callout connection stays open for the next RCPT of
 * this transaction to the same domain.
 */
static int
cloud(struct session *s, const struct addr *a)
{
	char	why[1200];

	switch (verify(&s->vf, a, why, sizeof(why))) {
	case VERDICT_ACCEPT:
		log_event("verify ip=%s to=<%s> accept %s", s->ip,
		    logesc(a->full), logesc(why));
		return 1;
	case VERDICT_REJECT:
		log_event("verify ip=%s to=<%s> reject %s", s->ip,
		    logesc(a->full), logesc(why));
		reply(s, "550 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown", a->full);
		return 0;
	}
	log_event("verify ip=%s to=<%s> defer %s", s->ip, logesc(a->full),
	    logesc(why));
	if (s->vf.limited)	/* negative_rate: a flood of unknown users */
		reply(s, "451 4.7.1 <%s>: Too many unknown recipients for "
		    "this domain, try again later", a->full);
	else
		reply(s, "451 4.4.3 <%s>: Recipient address verification "
		    "unavailable, try again later", a->full);
	return 0;
}

/*
 * grow - room for more recipients: the array starts small and doubles up
 * to control/maxrcpt, so that a session of one recipient (most are)
 * does not carry the room for a hundred.
 */
static int
grow(struct session *s)
{
	struct srcpt	*n;
	unsigned	 cap = s->rcptcap ? s->rcptcap * 2 : 4;

	if (cap > s->maxrcpt)
		cap = s->maxrcpt;
	if ((n = reallocarray(s->rcpt, cap, sizeof(*n))) == NULL)
		return -1;
	s->rcpt = n;
	s->rcptcap = cap;
	return 0;
}

/* decide - the relay and user-list decision; 1 to accept. */
static int
decide(struct session *s, const struct addr *a)
{
	if ((a->flags & ADDR_F_LITERAL) || addr_has_routing(a)) {
		reply(s, "550 5.7.1 <%s>: Relay access denied", a->full);
		return 0;
	}
	switch (domain_mode(s->root, a->domain)) {
	case DOMAIN_NONE:
		reply(s, "550 5.7.1 <%s>: Relay access denied", a->full);
		return 0;
	case DOMAIN_BROKEN:
		log_event("error domain=%s domains/D/mode unreadable or unknown",
		    logesc(a->domain));
		reply(s, "451 4.3.0 <%s>: configuration error, try again later",
		    a->full);
		return 0;
	case DOMAIN_CLOUD:
		return cloud(s, a);
	case DOMAIN_USER:
		break;
	}
	switch (domain_user_listed(s->root, a)) {
	case 1:
		return 1;
	case 0:
		reply(s, "550 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown", a->full);
		return 0;
	}
	log_event("error domain=%s unable to read the users list",
	    logesc(a->domain));
	reply(s, "451 4.3.0 <%s>: user list unavailable, try again later",
	    a->full);
	return 0;
}

void
cmd_rcpt(struct session *s, const char *arg, size_t len)
{
	struct addr	 a;
	struct srcpt	 r;
	const char	*rest;
	unsigned	 i;

	if (!s->inmail) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (path_arg(s, arg, len, "TO:", 0, &a, &rest) == -1 ||
	    rcpt_params(s, rest, arg + len, &r) == -1) {
		s->badrcpt++;
		return;
	}
	if (s->nrcpt >= s->maxrcpt) {
		reply(s, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (!decide(s, &a)) {
		s->badrcpt++;
		return;
	}
	for (i = 0; i < s->nrcpt; i++)
		if (strcmp(s->rcpt[i].addr, a.full) == 0)
			break;
	if (i == s->nrcpt) {
		if (s->nrcpt == s->rcptcap && grow(s) == -1) {
			reply(s, "452 4.3.1 Error: out of memory, "
			    "try the other recipients later");
			return;
		}
		strlcpy(r.addr, a.full, sizeof(r.addr));
		s->rcpt[s->nrcpt++] = r;
	}
	reply(s, "250 2.1.5 Ok");
}
