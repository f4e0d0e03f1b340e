/*
 * transaction.c - one message over an open SMTP session: MAIL, every
 * RCPT, DATA and the message (all in one write when the server offers
 * PIPELINING, else one at a time), with each recipient's result and its
 * class (rclass.c): delivered, refused for good (the recipient's or the
 * message's answer), kept for later, or kept because the server refused
 * this host. A refusal of this host ends the work with that server: the
 * caller stops and the domain is shown as refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "deliver.h"
#include "rclass.h"

/* dlv_result - record a reply (or a local reason) for one recipient. */
void
dlv_result(struct rcpt_result *r, int stage, int code, const char *text)
{
	char	enh[16];

	r->code = code;
	r->stage = stage;
	r->cls = rclass(stage, code, text);
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
dlv_set_all(struct rcpt_result *r, size_t n, int stage, int code,
    const char *text)
{
	size_t	i;

	for (i = 0; i < n; i++)
		dlv_result(&r[i], stage, code, text);
}

/* set_accepted - the recipients the server accepted get this reply. */
static void
set_accepted(struct rcpt_result *r, size_t n, int stage, int code,
    const char *text)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (r[i].cls == RC_OK)
			dlv_result(&r[i], stage, code, text);
}

/* dlv_refusal - the first result that refuses this host, or NULL. */
const struct rcpt_result *
dlv_refusal(const struct rcpt_result *r, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (r[i].cls == RC_REFUSED)
			return &r[i];
	return NULL;
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
		set_accepted(res, q->env.nrcpt, RS_DOT, -1,
		    "queued message unreadable");
		return -1;
	}
	code = smtpc_data(s, &qb);
	qbody_close(&qb);
	strlcpy(text, s->text, sizeof(text));
	if (code == -1 && strcmp(s->text, "queued message unreadable") != 0)
		strlcat(text, " after DATA: the message may be delivered twice",
		    sizeof(text));
	set_accepted(res, q->env.nrcpt, RS_DOT, code, text);
	return dead(code) ? -1 : 0;
}

/*
 * recipients - the RCPT replies (the commands already sent when
 * pipelining, else sent one at a time); ok counts those taken. -1 when
 * the session was lost.
 */
static int
recipients(struct smtpc *s, const struct envelope *e, struct rcpt_result *res,
    int pipe, int mail_ok, size_t *ok)
{
	size_t	i;
	int	code;

	for (i = 0; i < e->nrcpt; i++) {
		if (!pipe && rcpt_cmd(s, e, i) == -1)
			return -1;
		code = smtpc_reply(s, smtpc_deadline(s, s->t.rcpt));
		if (dead(code)) {
			dlv_set_all(res, e->nrcpt, RS_RCPT, code, s->text);
			return -1;
		}
		if (mail_ok) {
			dlv_result(&res[i], RS_RCPT, code, s->text);
			*ok += res[i].cls == RC_OK;
		}
	}
	return 0;
}

/* data - the reply to DATA, then the message; as dlv_transaction. */
static int
data(struct smtpc *s, struct qitem *q, struct rcpt_result *res, size_t ok)
{
	int	code = smtpc_reply(s, smtpc_deadline(s, s->t.data_init));

	if (code == 354 && ok == 0) {
		/* 354 with no recipient accepted: end it empty, deliver nothing */
		if (smtpc_send(s, ".") == -1 ||
		    dead(smtpc_reply(s, smtpc_deadline(s, s->t.data_done))))
			return -1;
		return 0;
	}
	if (code != 354) {
		set_accepted(res, q->env.nrcpt, RS_DATA, code, s->text);
		if (dead(code))
			return -1;
		return rset(s);
	}
	return send_message(s, q, res);
}

/*
 * dlv_transaction - one message to the connected server. Fills res;
 * returns 0 while the session is usable, 1 when the server refused this
 * host (the session may go on, but nothing more should be sent on it),
 * -1 when it is lost.
 */
int
dlv_transaction(struct smtpc *s, struct qitem *q, struct rcpt_result *res)
{
	const struct envelope	*e = &q->env;
	size_t			 ok = 0;
	int			 mail, r, pipe = s->ext & SMTPC_PIPELINING;
	char			 text[SMTPC_TEXT_MAX + 1];

	s->nuls = 0;
	dlv_set_all(res, e->nrcpt, RS_MAIL, -1, "not attempted");
	if (s->maxsize && e->size > s->maxsize) {
		snprintf(text, sizeof(text), "552 5.3.4 message size %llu "
		    "exceeds the limit of %s (%llu)", (unsigned long long)e->size,
		    s->host, (unsigned long long)s->maxsize);
		dlv_set_all(res, e->nrcpt, RS_MAIL, 552, text);
		return 0;
	}
	if (mail_cmd(s, e) == -1)
		return -1;
	for (size_t i = 0; pipe && i < e->nrcpt; i++)
		if (rcpt_cmd(s, e, i) == -1)
			return -1;
	if (pipe && smtpc_send(s, "DATA") == -1)
		return -1;
	mail = smtpc_reply(s, smtpc_deadline(s, s->t.mail));
	if (mail / 100 != 2)
		dlv_set_all(res, e->nrcpt, RS_MAIL, mail, s->text);
	if (dead(mail))
		return -1;
	if (!pipe && mail / 100 != 2)
		r = 0;
	else if (recipients(s, e, res, pipe, mail / 100 == 2, &ok) == -1)
		return -1;
	else if (!pipe && ok == 0)
		r = rset(s);
	else if (!pipe && smtpc_send(s, "DATA") == -1)
		return -1;
	else
		r = data(s, q, res, ok);
	if (r == -1)
		return -1;
	return dlv_refusal(res, e->nrcpt) ? 1 : 0;
}
