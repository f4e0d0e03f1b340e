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
			dlv_set_all(res, q.env.nrcpt, code, text);
			if (dlv_apply(c, r, &q, "none", res, 0) == -1)
				k = l->n;	/* cannot record: stop */
			free(res);
		}
		qitem_close(&q);
	}
}

/*
 * deliver_items - this part's share of the items over session s.
 * Returns 0, -1 when the session was lost, -2 when results could not be
 * recorded in the queue (then nothing more may be sent).
 */
static int
deliver_items(struct dctx *c, struct qref *r, const struct qlist *l,
    struct smtpc *s, int force, unsigned part, unsigned nparts)
{
	struct rcpt_result	*res;
	struct qitem		 q;
	char			 host[400];
	int64_t			 now = (int64_t)time(NULL);
	size_t			 k;
	int			 alive = 1;

	snprintf(host, sizeof(host), "%s[%s]", s->host, s->addr);
	for (k = 0; k < l->n && alive && !stopping; k++) {
		if (!mine(c, &l->v[k], force, part, nparts, now))
			continue;
		r->id = l->v[k].id;
		if (dlv_claim(r, &q) == -1)
			continue;
		if ((res = calloc(q.env.nrcpt, sizeof(*res))) == NULL) {
			qitem_close(&q);
			break;
		}
		alive = dlv_transaction(s, &q, res) == 0;
		if (dlv_apply(c, r, &q, host, res, s->ext & SMTPC_DSN) == -1) {
			free(res);
			qitem_close(&q);
			return -2;
		}
		free(res);
		qitem_close(&q);
	}
	return alive ? 0 : -1;
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

/* session - connect and deliver; the status of the child. */
static int
session(struct dctx *c, struct qref *r, const struct qlist *l,
    struct dstate *st, int force, unsigned part, unsigned nparts)
{
	struct dial	d;
	struct smtpc	s;
	char		err[SMTPC_TEXT_MAX + 400];
	int		protected;

	protected = domain_mode(c->root, r->domain) != DOMAIN_NONE;
	dlv_dialer(c, &d);
	if (dial_domain(&d, r->domain, &s) == -1) {
		if (d.stage == DIAL_ROUTE && d.route == ROUTE_NONE && !protected) {
			snprintf(err, sizeof(err), "550 5.1.2 %s", d.err);
			bounce_all(c, r, l, force, 550, err);
		} else if (part == 0)
			state_fail(c, r->domain, st, d.err);
		return 0;
	}
	if (part == 0)
		state_ok(c, r->domain, st);
	switch (deliver_items(c, r, l, &s, force, part, nparts)) {
	case -1:
		snprintf(err, sizeof(err), "%s[%s]: ", s.host, s.addr);
		strlcat(err, s.text, sizeof(err));
		smtpc_close(&s);
		if (part == 0)
			state_fail(c, r->domain, st, err);
		return 0;
	case -2:
		log_warnx("domain=%s the queue cannot record what was "
		    "delivered: stopping", r->domain);
		smtpc_quit(&s);
		return 111;
	}
	smtpc_quit(&s);
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
	struct waiting	w;
	struct qlist	now;
	struct qref	r = { -1, RD_MAIL, domain, NULL };
	int		status = 0;

	state_read(c->root, domain, &st);
	if ((r.dfd = rdir_open(c->root, RD_MAIL, domain, 0)) == -1) {
		log_warn("unable to open queue/mail/%s", domain);
		return 111;
	}
	tally(l, &w);
	st.count = w.count;	/* for an alert raised on the way */
	st.bytes = w.bytes;
	st.oldest = w.oldest;
	if (!writable(r.dfd, domain))
		status = 111;
	else
		status = session(c, &r, l, &st, force, part, nparts);
	/* what was delivered leaves the queue for good: without this, a
	 * power cut brings it back and it is delivered again */
	(void)fsync(r.dfd);
	/* what waits now, for the status verb and the threshold alert */
	if (part == 0 && qscan_items(r.dfd, &now) == 0) {
		tally(&now, &w);
		state_waiting(c, domain, &st, w.count, w.bytes, w.oldest);
		if (state_write(c->root, domain, &st) == -1)
			status = 111;
		qlist_free(&now);
	}
	close(r.dfd);
	return status;
}
