/*
 * deliver.c - one domain's deliveries, run in a child of the scheduler:
 * route, connect to the first host that greets, then one transaction per
 * queued message (all its recipients at once, see common/mail/deliver.c),
 * and keep the domain's state. The child works from the listing the
 * scheduler made, and lists the folder again only at the end, for what
 * still waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "domain.h"
#include "log.h"
#include "rclass.h"
#include "rootdir.h"
#include "send.h"

/* what waits for a domain */
struct waiting {
	uint64_t	count, bytes;
	int64_t		oldest;		/* arrival of the oldest */
};

static void
tally(const struct qlist *l, struct waiting *w)
{
	size_t	i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < l->n; i++) {
		w->count++;
		w->bytes += (uint64_t)l->v[i].size;
		if (w->oldest == 0 || queue_id_time(l->v[i].id) < w->oldest)
			w->oldest = queue_id_time(l->v[i].id);
	}
}

/* mine - the item is this part's and due: the share of a part comes
 * from the id itself, not from its place in a listing that other parts
 * change by delivering */
static int
mine(const struct dctx *c, const struct qent *e, int force, unsigned part,
    unsigned nparts, int64_t now)
{
	if (strtoull(e->id + 11, NULL, 16) % nparts != part)
		return 0;
	return force || qitem_due(e->mtime, now, c->backoff_max);
}

/* bounce_all - every recipient of every item due failed for good. */
static void
bounce_all(struct dctx *c, struct qref *r, const struct qlist *l, int force,
    int code, const char *text)
{
	struct rcpt_result	*res;
	struct qitem		 q;
	int64_t			 now = (int64_t)time(NULL);
	size_t			 k;

	for (k = 0; k < l->n && !stopping; k++) {
		if (!mine(c, &l->v[k], force, 0, 1, now))
			continue;
		r->id = l->v[k].id;
		if (dlv_claim(r, &q) == -1)
			continue;
		if ((res = calloc(q.env.nrcpt, sizeof(*res))) != NULL) {
			dlv_set_all(res, q.env.nrcpt, RS_RCPT, code, text);
			if (dlv_apply(c, r, &q, "none", NULL, res, 0) == -1)
				k = l->n;	/* cannot record: stop */
			free(res);
		}
		qitem_close(&q);
	}
}

/* one child's work: a part of one domain's listing over one session */
struct run {
	struct dctx		*c;
	struct qref		*r;
	const struct qlist	*l;
	struct dstate		*st;
	int			 force;
	unsigned		 part, nparts;
	int			 took;		/* a transaction went through */
	char			 tls[200];	/* the session's TLS, for the log */
	char			 refusal[SMTPC_TEXT_MAX + 1];
	int			 rstage;
};

/*
 * one_item - item k over session s: 0 done, -1 the session is lost, -2
 * the result could not be recorded, 1 the server refused this host, 2
 * out of memory (stop, the session was fine).
 */
static int
one_item(struct run *w, struct smtpc *s, size_t k, const char *host)
{
	const struct rcpt_result	*ref;
	struct rcpt_result		*res;
	struct qitem			 q;
	int				 rc;

	w->r->id = w->l->v[k].id;
	if (dlv_claim(w->r, &q) == -1)
		return 0;
	if ((res = calloc(q.env.nrcpt, sizeof(*res))) == NULL) {
		log_warn("out of memory: id=%s stays queued", w->r->id);
		qitem_close(&q);
		return 2;
	}
	rc = dlv_transaction(s, &q, res);
	dlv_nuls(s, w->r->id);
	if ((ref = dlv_refusal(res, q.env.nrcpt)) != NULL) {
		strlcpy(w->refusal, ref->text, sizeof(w->refusal));
		w->rstage = ref->stage;
	}
	if (dlv_apply(w->c, w->r, &q, host, w->tls, res, s->ext & SMTPC_DSN) ==
	    -1)
		rc = -2;
	free(res);
	qitem_close(&q);
	return rc;
}

/*
 * deliver_items - this part's share of the items over session s; the
 * domain is up from the first transaction that was not refused.
 * Returns as one_item, 0 when all are done.
 */
static int
deliver_items(struct run *w, struct smtpc *s)
{
	char	host[400];
	int64_t	now = (int64_t)time(NULL);
	size_t	k;
	int	rc = 0;

	snprintf(host, sizeof(host), "%s[%s]", s->host, s->addr);
	smtpc_tls_text(s, w->tls, sizeof(w->tls));
	for (k = 0; k < w->l->n && rc == 0 && !stopping; k++) {
		if (!mine(w->c, &w->l->v[k], w->force, w->part, w->nparts,
		    now))
			continue;
		rc = one_item(w, s, k, host);
		if (rc == 0 && !w->took && w->part == 0) {
			strlcpy(w->st->tls, w->tls, sizeof(w->st->tls));
			state_ok(w->c, w->r->domain, w->st);
		}
		w->took |= rc == 0;
	}
	return rc;
}

/*
 * writable - the queue can record what a delivery does: its folder is
 * not read-only. Else nothing may be sent: every pass would send the
 * same mail again. (A full disk is met item by item: removing a
 * delivered item needs no room, and the first result that cannot be
 * recorded stops the session.)
 */
static int
writable(int dfd, const char *domain)
{
	if (faccessat(dfd, ".", W_OK, AT_EACCESS) == -1) {
		log_warn("queue/mail/%s cannot be written: nothing delivered",
		    domain);
		return 0;
	}
	return 1;
}

/* dialed - the session opener failed: down, refused, or no domain. */
static void
dialed(struct run *w, const struct dial *d)
{
	char	err[SMTPC_TEXT_MAX + 700];

	if (d->stage == DIAL_ROUTE && d->route == ROUTE_NONE &&
	    domain_mode(w->c->root, w->r->domain) == DOMAIN_NONE) {
		snprintf(err, sizeof(err), "550 5.1.2 %s", d->err);
		bounce_all(w->c, w->r, w->l, w->force, 550, err);
	} else if (w->part != 0)
		return;
	else if (d->refused)
		state_refused(w->c, w->r->domain, w->st,
		    rstage_name(dial_rstage(d)), d->err);
	else
		state_fail(w->c, w->r->domain, w->st, d->err);
}

/* session - connect and deliver; the status of the child. */
static int
session(struct run *w)
{
	struct dial	d;
	struct smtpc	s;
	char		err[SMTPC_TEXT_MAX + 700];
	int		rc;

	dlv_dialer(w->c, &d, domain_mode(w->c->root, w->r->domain) ==
	    DOMAIN_NONE ? NULL : w->r->domain);
	if (dial_domain(&d, w->r->domain, &s) == -1) {
		dialed(w, &d);
		return 0;
	}
	rc = deliver_items(w, &s);
	if (rc == -1) {
		snprintf(err, sizeof(err), "%s[%s]: ", s.host, s.addr);
		strlcat(err, s.text, sizeof(err));
		smtpc_close(&s);
		if (w->part == 0)
			state_fail(w->c, w->r->domain, w->st, err);
		return 0;
	}
	smtpc_quit(&s);
	if (rc == -2) {
		log_warnx("domain=%s the queue cannot record what was "
		    "delivered: stopping", w->r->domain);
		return 111;
	}
	if (w->part == 0 && rc == 1)
		state_refused(w->c, w->r->domain, w->st,
		    rstage_name(w->rstage), w->refusal);
	else if (w->part == 0 && !w->took) {
		smtpc_tls_text(&s, w->st->tls, sizeof(w->st->tls));
		state_ok(w->c, w->r->domain, w->st);
	}
	return 0;
}

/*
 * deliver_domain - deliver what of listing l is due for domain
 * (everything when force), taking the items whose id falls to part of
 * nparts, so that several connections to one domain share the work.
 * Returns 0, or 111 when the queue could not record deliveries (the
 * scheduler then leaves the domain alone for a while).
 */
int
deliver_domain(struct dctx *c, const char *domain, const struct qlist *l,
    int force, unsigned part, unsigned nparts)
{
	struct dstate	st;
	struct waiting	wt;
	struct qlist	now;
	struct qref	r = { -1, RD_MAIL, domain, NULL };
	struct run	w;
	int		status = 0;

	state_read(c->root, domain, &st);
	if ((r.dfd = rdir_open(c->root, RD_MAIL, domain, 0)) == -1) {
		log_warn("unable to open queue/mail/%s", domain);
		return 111;
	}
	tally(l, &wt);
	st.count = wt.count;	/* for an alert raised on the way */
	st.bytes = wt.bytes;
	st.oldest = wt.oldest;
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.r = &r;
	w.l = l;
	w.st = &st;
	w.force = force;
	w.part = part;
	w.nparts = nparts;
	if (!writable(r.dfd, domain))
		status = 111;
	else
		status = session(&w);
	/* what was delivered leaves the queue for good: without this, a
	 * power cut brings it back and it is delivered again */
	(void)fsync(r.dfd);
	/* what waits now, for the status verb and the threshold alert */
	if (part == 0 && qscan_items(r.dfd, &now) == 0) {
		tally(&now, &wt);
		state_waiting(c, domain, &st, wt.count, wt.bytes, wt.oldest);
		if (state_write(c->root, domain, &st) == -1)
			status = 111;
		qlist_free(&now);
	}
	close(r.dfd);
	return status;
}
