/*
 * deliver.c - delivering one queued item over an SMTP session, and
 * recording the result in the queue: for snf-send's deliveries and for
 * the operator's releases (snf-queue release).
 *
 * Per recipient: 2xx delivered; 4xx kept for a later attempt; 5xx
 * reported to the sender and dropped. A message leaves the queue when
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

/* dlv_dialer - a session opener with the delivery's time limits. */
void
dlv_dialer(const struct dctx *c, struct dial *d)
{
	memset(d, 0, sizeof(*d));
	d->root = c->root;
	d->helo = c->me;
	d->t = c->t;
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

/* set_result - record a reply (or a local reason) for one recipient. */
static void
dlv_set_result(struct rcpt_result *r, int code, const char *text)
{
	char	enh[16];

	r->code = code;
	strlcpy(r->text, text, sizeof(r->text));
	if (smtpc_enhanced(text, enh, sizeof(enh)))
		strlcpy(r->status, enh, sizeof(r->status));
	else if (code >= 500)
		strlcpy(r->status, "5.0.0", sizeof(r->status));
	else if (code >= 200 && code < 300)
		strlcpy(r->status, "2.0.0", sizeof(r->status));
	else
		strlcpy(r->status, "4.0.0", sizeof(r->status));
}

void
dlv_set_all(struct rcpt_result *r, size_t n, int code, const char *text)
{
	size_t	i;

	for (i = 0; i < n; i++)
		dlv_set_result(&r[i], code, text);
}

/* set_accepted - the recipients the server accepted get code. */
static void
set_accepted(struct rcpt_result *r, size_t n, int code, const char *text)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (r[i].code >= 200 && r[i].code < 300)
			dlv_set_result(&r[i], code, text);
}

static int
dead(int code)
{
	return code == -1 || code == 421;
}

/* mail_cmd - MAIL FROM with SIZE, BODY and the DSN parameters. */
static int
mail_cmd(struct smtpc *s, const struct envelope *e)
{
	struct buf	b;
	int		r;

	buf_init(&b, 0);
	buf_printf(&b, "MAIL FROM:<%s>", e->sender);
	if (s->ext & SMTPC_SIZE)
		buf_printf(&b, " SIZE=%llu", (unsigned long long)e->size);
	if ((s->ext & SMTPC_8BITMIME) && e->body && strcmp(e->body, "8BITMIME") == 0)
		buf_adds(&b, " BODY=8BITMIME");
	if ((s->ext & SMTPC_DSN) && e->ret)
		buf_printf(&b, " RET=%s", e->ret);
	if ((s->ext & SMTPC_DSN) && e->envid)
		buf_printf(&b, " ENVID=%s", e->envid);
	r = b.p ? smtpc_send(s, "%s", b.p) : -1;
	buf_free(&b);
	return r;
}

/* rcpt_cmd - RCPT TO for recipient i, with NOTIFY and ORCPT. */
static int
rcpt_cmd(struct smtpc *s, const struct envelope *e, size_t i)
{
	const struct env_rcpt	*r = &e->rcpt[i];
	struct buf		 b;
	int			 rv;

	buf_init(&b, 0);
	buf_printf(&b, "RCPT TO:<%s>", r->addr);
	if ((s->ext & SMTPC_DSN) && r->notify)
		buf_printf(&b, " NOTIFY=%s", r->notify);
	if ((s->ext & SMTPC_DSN) && r->orcpt)
		buf_printf(&b, " ORCPT=%s", r->orcpt);
	rv = b.p ? smtpc_send(s, "%s", b.p) : -1;
	buf_free(&b);
	return rv;
}

/* rset - end a transaction that sent no message; -1 if the session died. */
static int
rset(struct smtpc *s)
{
	if (smtpc_send(s, "RSET") == -1)
		return -1;
	return dead(smtpc_reply(s, smtpc_deadline(s, s->t.mail))) ? -1 : 0;
}

/* send_message - after a 354: the message, the dot, the final reply. */
static int
send_message(struct smtpc *s, struct qitem *q, struct rcpt_result *res)
{
	struct qbody	qb;
	char		text[SMTPC_TEXT_MAX + 1];
	int		code;

	if (qbody_open(&qb, q) == -1) {
		set_accepted(res, q->env.nrcpt, -1, "queued message unreadable");
		return -1;
	}
	code = smtpc_data(s, &qb);
	qbody_close(&qb);
	strlcpy(text, s->text, sizeof(text));
	if (code == -1 && strcmp(s->text, "queued message unreadable") != 0)
		strlcat(text, " after DATA: the message may be delivered twice",
		    sizeof(text));
	set_accepted(res, q->env.nrcpt, code, text);
	return dead(code) ? -1 : 0;
}

/*
 * dlv_transaction - one message to the connected server: MAIL, every RCPT,
 * DATA (all in one write when the server offers PIPELINING, else one at
 * a time). Fills res; returns 0 while the session is usable, -1 when it
 * is lost.
 */
int
dlv_transaction(struct smtpc *s, struct qitem *q, struct rcpt_result *res)
{
	const struct envelope	*e = &q->env;
	size_t			 i, ok = 0;
	int			 code, mail, pipe = s->ext & SMTPC_PIPELINING;
	char			 text[SMTPC_TEXT_MAX + 1];

	dlv_set_all(res, e->nrcpt, -1, "not attempted");
	if (s->maxsize && e->size > s->maxsize) {
		snprintf(text, sizeof(text), "552 5.3.4 message size %llu "
		    "exceeds the limit of %s (%llu)", (unsigned long long)e->size,
		    s->host, (unsigned long long)s->maxsize);
		dlv_set_all(res, e->nrcpt, 552, text);
		return 0;
	}
	if (mail_cmd(s, e) == -1)
		return -1;
	for (i = 0; pipe && i < e->nrcpt; i++)
		if (rcpt_cmd(s, e, i) == -1)
			return -1;
	if (pipe && smtpc_send(s, "DATA") == -1)
		return -1;
	mail = smtpc_reply(s, smtpc_deadline(s, s->t.mail));
	if (mail / 100 != 2)
		dlv_set_all(res, e->nrcpt, mail, s->text);
	if (dead(mail))
		return -1;
	if (!pipe && mail / 100 != 2)
		return 0;
	for (i = 0; i < e->nrcpt; i++) {
		if (!pipe && rcpt_cmd(s, e, i) == -1)
			return -1;
		code = smtpc_reply(s, smtpc_deadline(s, s->t.rcpt));
		if (dead(code)) {
			dlv_set_all(res, e->nrcpt, code, s->text);
			return -1;
		}
		if (mail / 100 == 2) {
			dlv_set_result(&res[i], code, s->text);
			ok += code / 100 == 2;
		}
	}
	if (!pipe) {
		if (ok == 0)
			return rset(s);
		if (smtpc_send(s, "DATA") == -1)
			return -1;
	}
	code = smtpc_reply(s, smtpc_deadline(s, s->t.data_init));
	if (code == 354 && ok == 0) {
		/* 354 with no recipient accepted: end it empty, deliver nothing */
		if (smtpc_send(s, ".") == -1 ||
		    dead(smtpc_reply(s, smtpc_deadline(s, s->t.data_done))))
			return -1;
		return 0;
	}
	if (code != 354) {
		set_accepted(res, e->nrcpt, code, s->text);
		if (dead(code))
			return -1;
		return rset(s);
	}
	return send_message(s, q, res);
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
    const char *host, struct rcpt_result *res, int dsn_ext)
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
			if (res[i].code >= 500)
				res[i].code = -1;
	if (!dsn_ext)
		report_relayed(c, q, host, res, n);
	for (i = 0; i < n; i++) {
		const char *what = res[i].code >= 200 && res[i].code < 300 ?
		    "delivered" : res[i].code >= 500 ? "bounced" : "deferred";

		log_event("%s id=%s to=<%s> relay=%s reply=%s", what, id,
		    logesc(q->env.rcpt[i].addr), logesc(host),
		    logesc(res[i].text));
		if (res[i].code >= 200 && res[i].code < 300)
			done++;
		else if (res[i].code < 500)
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
 * it goes out: a damaged item stays where it is, untouched, for the
 * operator, and never costs the domain its session.
 */
int
dlv_claim(const struct qref *ref, struct qitem *q)
{
	if (qitem_claim(ref, q) == -1) {
		if (errno == EBADMSG)
			log_warnx("id=%s damaged: left in the queue untouched",
			    ref->id);
		return -1;
	}
	if (qbody_check(q) == -1) {
		log_warnx("id=%s damaged: left in the queue untouched",
		    ref->id);
		qitem_close(q);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}
