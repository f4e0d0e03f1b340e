/*
 * callout.c - the callout client. One connection per domain is kept
 * while its RCPTs come (a new MAIL transaction every RCPTS_PER_MAIL),
 * and it holds one of the domain's callout places (cache/D/.slot.N
 * locks, see vcache.c) for as long as it is open. A primary that takes
 * a local part nobody has is a catch-all: its 2xx says nothing about
 * real users (probe_catchall). Every step waits at most the callout's
 * own limits, and the whole callout at most its total.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callout.h"
#include "control.h"
#include "dial.h"
#include "rclass.h"
#include "settings.h"
#include "vcache.h"

#define CATCHALL_TTL	86400	/* seconds a catch-all probe result holds */
#define RCPTS_PER_MAIL	50	/* RCPTs before a new MAIL transaction */

void
callout_init(struct callout *co)
{
	memset(co, 0, sizeof(*co));
	co->slot = -1;
	co->s.fd = -1;
}

/* callout_close - end the connection, if any, and give back its place. */
void
callout_close(struct callout *co)
{
	if (co->open)
		smtpc_quit(&co->s);
	if (co->slot != -1)
		close(co->slot);
	co->open = 0;
	co->slot = -1;
}

/* user_unknown - a 5xx that says this user does not exist. */
static int
user_unknown(int code, const char *text)
{
	char	enh[16];

	if (code < 500 || code > 599)
		return 0;
	if (smtpc_enhanced(text, enh, sizeof(enh)))
		return strncmp(enh, "5.1.", 4) == 0;
	return code == 550 || code == 551 || code == 553;
}

/* mail_from - start a probe transaction: the reply code, -1 for none. */
static int
mail_from(struct callout *co)
{
	co->rcpts = 0;
	if (smtpc_send(&co->s, "MAIL FROM:<%s>", co->sender) == -1)
		return -1;
	return smtpc_reply(&co->s, smtpc_deadline(&co->s, co->s.t.mail));
}

/*
 * probe_catchall - RCPT a local part nobody has: a primary that takes it
 * takes anything, and its 2xx says nothing about real users.
 */
static void
probe_catchall(int root, struct callout *co, const char *domain)
{
	int	yes, code;
	int64_t	when, now = (int64_t)time(NULL);

	co->catchall = -1;
	if (vcache_catchall_get(root, domain, &yes, &when) &&
	    now - when < CATCHALL_TTL && when <= now) {
		co->catchall = yes;
		return;
	}
	if (smtpc_send(&co->s, "RCPT TO:<snf-probe-%08x%04x@%s>", arc4random(),
	    arc4random() & 0xffff, domain) == -1)
		return;
	code = smtpc_reply(&co->s, smtpc_deadline(&co->s, co->s.t.rcpt));
	co->rcpts++;
	if (code / 100 == 2)
		co->catchall = 1;
	else if (user_unknown(code, co->s.text))
		co->catchall = 0;
	if (co->catchall != -1)
		vcache_catchall_set(root, domain, co->catchall, now);
}

/* limits - every step of the callout within timeout, all within until. */
static void
limits(struct smtpc_timeouts *t, int64_t timeout)
{
	t->connect = t->greeting = t->helo = t->mail = t->rcpt =
	    t->data_init = t->data_block = t->data_done = t->quit = timeout;
}

/* open_session - a place, then the primary: route, greet, EHLO, MAIL. */
static int
open_session(struct callout *co, int root, const char *rootpath,
    const char *domain, const struct callout_limits *lim, int64_t until,
    char *why, size_t wn)
{
	struct dial	d;
	char		me[256];
	int		code;

	if ((co->slot = vcache_slot(root, domain, lim->max_inflight)) == -1) {
		if (errno == EAGAIN)
			snprintf(why, wn, "%u callouts to the primary already "
			    "in flight", lim->max_inflight);
		else
			snprintf(why, wn, "the recipient cache cannot be used "
			    "(cache/%s: %s)", domain, strerror(errno));
		return CO_BUSY;
	}
	(void)setting_line(root, domain, "callout_sender", co->sender,
	    sizeof(co->sender));
	memset(&d, 0, sizeof(d));
	control_me(root, me, sizeof(me));
	d.root = root;
	d.helo = me;
	limits(&d.t, lim->timeout_ms);
	d.until = until;
	(void)tls_policy(&d, root, rootpath, domain);
	if (dial_domain(&d, domain, &co->s) == -1) {
		snprintf(why, wn, "%s%s", d.stage == DIAL_ROUTE ? "no route: " :
		    "", d.err);
		return d.refused ? CO_REFUSED : CO_UNAVAILABLE;
	}
	if ((code = mail_from(co)) / 100 != 2) {
		snprintf(why, wn, "%s[%s] said: %s", co->s.host, co->s.addr,
		    co->s.text);
		if (code == -1 || code == 421)
			smtpc_close(&co->s);
		else
			smtpc_quit(&co->s);
		return rclass(RS_MAIL, code, co->s.text) == RC_REFUSED ?
		    CO_REFUSED : CO_UNAVAILABLE;
	}
	strlcpy(co->domain, domain, sizeof(co->domain));
	co->open = 1;
	probe_catchall(root, co, domain);
	return CO_POSITIVE;	/* open */
}

/* next_transaction - RSET and MAIL again after RCPTS_PER_MAIL RCPTs. */
static int
next_transaction(struct callout *co)
{
	if (co->rcpts < RCPTS_PER_MAIL)
		return 0;
	if (smtpc_send(&co->s, "RSET") == -1 ||
	    smtpc_reply(&co->s, smtpc_deadline(&co->s, co->s.t.mail)) / 100 != 2)
		return -1;
	return mail_from(co) / 100 == 2 ? 0 : -1;
}

/*
 * callout_ask - ask the primary about address a, within lim. Returns
 * CO_POSITIVE, CO_NEGATIVE, CO_UNAVAILABLE or CO_BUSY, with the reply
 * or the reason in why.
 */
int
callout_ask(struct callout *co, int root, const char *rootpath,
    const struct addr *a, const struct callout_limits *lim, char *why,
    size_t wn)
{
	int64_t	until = mono_ms() + lim->total_ms;
	int	code, r;

	if (co->open && strcmp(co->domain, a->domain) != 0)
		callout_close(co);
	if (!co->open && (r = open_session(co, root, rootpath, a->domain, lim,
	    until, why, wn)) != CO_POSITIVE) {
		callout_close(co);
		return r;
	}
	co->s.until = until;
	if (next_transaction(co) == -1) {
		snprintf(why, wn, "%s", co->s.text);
		callout_close(co);
		return CO_UNAVAILABLE;
	}
	if (smtpc_send(&co->s, "RCPT TO:<%s@%s>", a->local, a->domain) == -1)
		code = -1;
	else
		code = smtpc_reply(&co->s, smtpc_deadline(&co->s, co->s.t.rcpt));
	co->rcpts++;
	snprintf(why, wn, "%s", co->s.text);
	if (code == -1 || code == 421) {
		/* no QUIT to a server that stopped answering: it would wait
		 * once more, past callout_total */
		smtpc_close(&co->s);
		co->open = 0;
		callout_close(co);
		return CO_UNAVAILABLE;
	}
	if (code / 100 == 2)
		return CO_POSITIVE;
	if (rclass(RS_RCPT, code, co->s.text) == RC_REFUSED)
		return CO_REFUSED;	/* relaying or this host refused */
	if (user_unknown(code, co->s.text))
		return CO_NEGATIVE;
	/* a 4xx, or a 5xx that is not "no such user" (a full mailbox, a
	 * policy): about this recipient only, and not final */
	return CO_TEMP;
}
