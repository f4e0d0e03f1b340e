/*
 * release.c - releasing held mail somewhere else than the primary:
 *  -H HOST[:PORT]: every message selected is delivered to that server
 *   now, recipients unchanged, over one connection (a server in another
 *   region); the results are recorded as snf-send records its own.
 *  -m ADDRESS: every message selected is queued anew for that one
 *   mailbox, from this host's own sender (so that SPF and DMARC pass at
 *   the receiving provider), with the original envelope kept in
 *   X-Original-To and X-Original-Sender fields, and leaves the queue.
 * Without either, release makes the messages due now and asks snf-send
 * to try their primary at once (verbs.c). Either way each message is
 * checked whole first, as snf-send checks it: a damaged one stays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "control.h"
#include "deliver.h"
#include "die.h"
#include "exitcodes.h"
#include "io.h"
#include "log.h"
#include "qsink.h"
#include "rclass.h"
#include "qupdate.h"
#include "snfq.h"

struct rel {
	struct dctx	 c;
	struct smtpc	 s;
	char		 host[400];	/* -H: "name[address]" */
	char		 sender[ADDR_PATH_MAX + 1];	/* -m */
	struct addr	 to;		/* -m */
};

/* outcome - "delivered N kept N bounced N" from the results. */
static void
outcome(char *buf, size_t size, const struct rcpt_result *res, size_t n)
{
	size_t	i, d = 0, b = 0;

	for (i = 0; i < n; i++) {
		if (res[i].cls == RC_OK)
			d++;
		else if (res[i].cls == RC_PERM)
			b++;
	}
	snprintf(buf, size, "delivered %zu, kept %zu, bounced %zu", d,
	    n - d - b, b);
}

static int
to_host(struct sel *s, const struct qref *it, void *arg)
{
	struct rel			*r = arg;
	struct rcpt_result		*res;
	const struct rcpt_result	*why;
	struct qitem			 q;
	char				 text[200], tls[200];
	char				 refusal[SMTPC_TEXT_MAX + 1] = "";
	int				 rc;

	if (s->dry) {
		sel_say(s, "release", it, s->host);
		return 1;
	}
	if (sel_claim(s, it, &q, 1) == -1)
		return 0;
	if ((res = calloc(q.env.nrcpt, sizeof(*res))) == NULL)
		die_sys(SNF_EXIT_TEMP, "out of memory");
	rc = dlv_transaction(&r->s, &q, res);
	dlv_nuls(&r->s, it->id);
	if ((why = dlv_refusal(res, q.env.nrcpt)) != NULL)
		strlcpy(refusal, why->text, sizeof(refusal));
	smtpc_tls_text(&r->s, tls, sizeof(tls));
	dlv_apply(&r->c, it, &q, r->host, tls, res, r->s.ext & SMTPC_DSN);
	outcome(text, sizeof(text), res, q.env.nrcpt);
	sel_say(s, "released", it, text);
	free(res);
	qitem_close(&q);
	if (rc == 1) {
		/* the rest would be refused the same way: they stay */
		log_warnx("%s refuses this host: %s; the messages stay queued",
		    s->host, logesc(refusal));
		s->failures++;
		return -1;
	}
	if (rc == -1) {
		log_warnx("the session with %s ended: %s", s->host,
		    logesc(r->s.text));
		s->failures++;
		return -1;
	}
	return 1;
}

/* release_host - one session to the server, then every message. */
static int
release_host(struct sel *s, struct rel *r)
{
	struct route	rt;
	struct dial	d;

	memset(&rt, 0, sizeof(rt));
	if (hostport_parse(s->host, &rt.h[0]) == -1)
		die(SNF_EXIT_PERM, "not a host[:port]: %s", s->host);
	rt.n = 1;
	if (!s->dry) {
		dlv_dialer(&r->c, &d, NULL);
		if (dial_route(&d, &rt, &r->s) == -1)
			die(SNF_EXIT_TEMP, "cannot deliver to %s: %s", s->host,
			    d.err);
		snprintf(r->host, sizeof(r->host), "%s[%s]", r->s.host,
		    r->s.addr);
	}
	sel_each(s, SEL_MAIL | SEL_HOLD, to_host, r);
	if (!s->dry && r->s.fd != -1)
		smtpc_quit(&r->s);
	return sel_exit(s);
}

/* rewrap - the message for one mailbox: new fields, then the original. */
static int
rewrap(struct buf *b, struct qitem *q)
{
	struct qbody	qb;
	char		chunk[16384];
	ssize_t		n;
	size_t		i;

	if (buf_adds(b, "X-Original-To: ") == -1)
		return -1;
	for (i = 0; i < q->env.nrcpt; i++)
		if (buf_printf(b, "%s<%s>", i ? ",\r\n\t" : "",
		    q->env.rcpt[i].addr) == -1)
			return -1;
	if (buf_printf(b, "\r\nX-Original-Sender: <%s>\r\n", q->env.sender) == -1 ||
	    qbody_open(&qb, q) == -1)
		return -1;
	while ((n = qbody_read(&qb, chunk, sizeof(chunk))) > 0)
		if (buf_add(b, chunk, (size_t)n) == -1) {
			n = -1;
			break;
		}
	qbody_close(&qb);
	return n == 0 ? 0 : -1;
}

static int
to_mailbox(struct sel *s, const struct qref *it, void *arg)
{
	struct rel	*r = arg;
	struct qitem	 q;
	struct qsink	 qi;
	struct buf	 msg, env;
	int		 st;

	if (s->dry) {
		sel_say(s, "release", it, r->to.full);
		return 1;
	}
	if (sel_claim(s, it, &q, 1) == -1)
		return 0;
	buf_init(&msg, 0);
	buf_init(&env, 0);
	st = SNF_EXIT_TEMP;
	qi.reply[0] = '\0';
	if (rewrap(&msg, &q) == 0 && qsink_record(&env, 'F', r->sender) == 0 &&
	    qsink_record(&env, 'T', r->to.full) == 0 &&
	    qsink_start(&qi, s->root, s->rootpath) == 0) {
		(void)qsink_write(&qi, msg.p, msg.len, mono_ms() + 600000);
		st = qsink_finish(&qi, &env, mono_ms() + 600000);
	}
	if (st == SNF_EXIT_OK && qitem_remove(it) == 0) {
		log_event("released id=%s to=<%s> as %s", it->id,
		    logesc(r->to.full), logesc(qi.reply + 2));
		sel_say(s, "released", it, qi.reply + 2);
	} else {
		sel_say(s, "error", it, st == SNF_EXIT_OK ? strerror(errno) :
		    "could not queue the new message; the original stays");
		s->failures++;
	}
	buf_free(&msg);
	buf_free(&env);
	qitem_close(&q);
	return 1;
}

/* release_mailbox - every message anew for one mailbox. */
static int
release_mailbox(struct sel *s, struct rel *r)
{
	char	me[256];
	int	root = s->root;

	if (addr_parse_mailbox(s->mailbox, strlen(s->mailbox), ADDR_LAX_LOCAL,
	    &r->to) != ADDR_OK)
		die(SNF_EXIT_PERM, "not a mailbox address: %s", s->mailbox);
	if (control_line(root, "control/release_sender", r->sender,
	    sizeof(r->sender)) != 1) {
		control_me(root, me, sizeof(me));
		strlcpy(r->sender, "postmaster@", sizeof(r->sender));
		strlcat(r->sender, me, sizeof(r->sender));
	}
	sel_each(s, SEL_MAIL | SEL_HOLD, to_mailbox, r);
	if (!s->dry)
		queue_trigger(root);
	return sel_exit(s);
}

int
queue_release(struct sel *s, int argc, char **argv)
{
	struct rel	r;

	sel_parse(argc, argv, "nr:s:a:b:i:H:m:", s);
	if (s->host == NULL && s->mailbox == NULL) {
		sel_free(s);
		return queue_requeue(s, argc, argv, 1);
	}
	if (s->host && s->mailbox)
		die(SNF_EXIT_PERM, "release -H or -m, not both");
	if (!s->filtered && s->domains.n == 0)
		die(SNF_EXIT_PERM, "release what? name domains, or select "
		    "messages with -i, -r, -s, -a or -b");
	memset(&r, 0, sizeof(r));
	r.s.fd = -1;
	r.c.root = s->root;
	r.c.rootpath = s->rootpath;
	dlv_settings(&r.c);
	if (s->host)
		return release_host(s, &r);
	return release_mailbox(s, &r);
}
