/*
 * deliver.c - delivering one queued item over an SMTP session, and
 * recording the result in the queue: for snf-send's deliveries and for
 * the operator's releases (snf-queue release).
 *
 * Per recipient, as rclass.c classes the reply: delivered; refused for
 * good, reported to the sender and dropped; kept for a later attempt
 * (a 4xx, or a refusal of this host). A message leaves the queue when
 * its last recipient is done; a partly delivered one keeps only the
 * rest. A connection lost after the final dot is temporary: the message
 * is sent again later (a duplicate is acceptable, a loss is not).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "deliver.h"
#include "log.h"
#include "qupdate.h"
#include "rclass.h"
#include "report.h"
#include "settings.h"

/* ms - a duration setting of control/, given and returned in ms */
static int64_t
ms(int root, const char *name, int64_t dflt)
{
	int64_t	v;

	(void)setting_duration(root, NULL, name, dflt / 1000, &v);
	return v * 1000;
}

/*
 * dlv_settings - fill c (root and rootpath set) from the root folder:
 * this host's name, the client time limits (RFC 5321 4.5.3.2 defaults)
 * and the backoff bounds.
 */
void
dlv_settings(struct dctx *c)
{
	struct smtpc_timeouts	*t = &c->t;
	int			 r = c->root;

	smtpc_timeouts_default(t);
	control_me(r, c->me, sizeof(c->me));
	t->connect = ms(r, "timeout_connect", t->connect);
	t->greeting = ms(r, "timeout_greeting", t->greeting);
	t->helo = ms(r, "timeout_helo", t->helo);
	t->mail = ms(r, "timeout_mail", t->mail);
	t->rcpt = ms(r, "timeout_rcpt", t->rcpt);
	t->data_init = ms(r, "timeout_data", t->data_init);
	t->data_block = ms(r, "timeout_block", t->data_block);
	t->data_done = ms(r, "timeout_dot", t->data_done);
	(void)setting_duration(r, NULL, "backoff_min", 60, &c->backoff_min);
	(void)setting_duration(r, NULL, "backoff_max", 3600, &c->backoff_max);
	if (c->backoff_min < 1)
		c->backoff_min = 1;
	if (c->backoff_max < c->backoff_min)
		c->backoff_max = c->backoff_min;
}

/*
 * dlv_dialer - a session opener with the delivery's time limits and the
 * TLS level of mail to domain (NULL: another destination than a
 * protected domain's primary, see tlspolicy.c).
 */
void
dlv_dialer(const struct dctx *c, struct dial *d, const char *domain)
{
	memset(d, 0, sizeof(*d));
	d->root = c->root;
	d->helo = c->me;
	d->t = c->t;
	(void)tls_policy(d, c->root, c->rootpath, domain);
}

/*
 * dlv_delay - how long a message that got a temporary refusal waits:
 * half its age, within the backoff bounds (older mail is tried less).
 */
int64_t
dlv_delay(int64_t age, int64_t min, int64_t max)
{
	int64_t	d = age / 2;

	if (d < min)
		d = min;
	return d > max ? max : d;
}

/*
 * dlv_nuls - after a transaction of item id over s: the warning that
 * the message held NUL bytes, which smtpc_data sent as spaces.
 */
void
dlv_nuls(const struct smtpc *s, const char *id)
{
	if (s->nuls > 0)
		log_warnx("id=%s held %llu NUL bytes: sent as spaces", id,
		    (unsigned long long)s->nuls);
}

/*
 * dlv_apply - record the results of one transaction in the queue: report
 * permanent failures (the report is queued before the recipient is
 * dropped, so a crash can duplicate a report, never lose one), then
 * remove, rewrite with the remaining recipients, or defer the item.
 * Returns -1 when the result could not be recorded (a full disk): the
 * caller must stop delivering, or it would send the same mail again and
 * again; the item is still deferred when its time can be set.
 */
int
dlv_apply(struct dctx *c, const struct qref *ref, struct qitem *q,
    const char *host, const char *tls, struct rcpt_result *res, int dsn_ext)
{
	struct envelope	 keep = q->env;
	struct env_rcpt	*kr;
	size_t		 i, n = q->env.nrcpt, nk = 0, done = 0;
	int64_t		 now = (int64_t)time(NULL), due;
	const char	*id = ref->id;
	char		 path[600];
	int		 r = 0;

	(void)qref_path(path, sizeof(path), ref);
	if ((kr = calloc(n, sizeof(*kr))) == NULL) {
		log_warn("out of memory: %s stays queued", id);
		return -1;
	}
	if (report_failed(c, q, host, res, n) == -1)
		for (i = 0; i < n; i++)	/* report not queued: retry later */
			if (res[i].cls == RC_PERM)
				res[i].cls = RC_TEMP;
	if (!dsn_ext)
		report_relayed(c, q, host, res, n);
	for (i = 0; i < n; i++) {
		/* a refusal of this host keeps the recipient, as 4xx does */
		const char *what = res[i].cls == RC_OK ? "delivered" :
		    res[i].cls == RC_PERM ? "bounced" : "deferred";

		log_event("%s id=%s to=<%s> relay=%s reply=%s tls=%s", what, id,
		    logesc(q->env.rcpt[i].addr), logesc(host),
		    logesc(res[i].text), tls ? logesc(tls) : "none");
		if (res[i].cls == RC_OK)
			done++;
		else if (res[i].cls != RC_PERM)
			kr[nk++] = q->env.rcpt[i];
	}
	due = now + dlv_delay(now - q->env.arrival, c->backoff_min,
	    c->backoff_max);
	if (nk == 0) {
		if (qitem_remove(ref) == -1) {
			log_warn("unable to remove %s: it may be delivered again",
			    path);
			r = -1;
		}
	} else if (nk < n) {
		keep.rcpt = kr;
		keep.nrcpt = nk;
		if (qitem_rewrite(c->root, ref, q, &keep, due) == -1) {
			log_warn("unable to rewrite %s (%zu of %zu done): "
			    "they may be delivered again", path, done, n);
			r = -1;
		}
	} else if (qitem_defer(q, due) == -1) {
		log_warn("unable to defer %s", path);
		r = -1;
	}
	if (r == -1)
		(void)qitem_defer(q, due);	/* at least not again at once */
	free(kr);
	return r;
}

/*
 * dlv_claim - lock item ref and check that it is whole before a byte of
 * it goes out (qitem_claim_whole): a damaged item stays where it is,
 * untouched, named in the one warning (qitem_damaged), and never costs
 * the domain its session.
 */
int
dlv_claim(const struct qref *ref, struct qitem *q)
{
	if (qitem_claim_whole(ref, q) == -1) {
		(void)qitem_damaged(ref, errno);
		return -1;
	}
	return 0;
}
