/*
 * notice.c - the reports snf-expire sends (RFC 3464): "failed" when a
 * message outlived its domain's lifetime, "delayed" once when it is
 * late, both with Status 4.4.7 (RFC 3463: delivery time expired) and no
 * Remote-MTA, since no server ever answered. Never to the null sender,
 * never for a recipient whose NOTIFY does not ask for it (RFC 3461).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "exitcodes.h"
#include "log.h"
#include "expire.h"

/* notice_wanted - some recipient of e wants a report of action. */
int
notice_wanted(const struct envelope *e, const char *action)
{
	size_t	i;

	if (e->sender[0] == '\0')
		return 0;	/* a report never answers a report */
	for (i = 0; i < e->nrcpt; i++)
		if (dsn_wanted(e->rcpt[i].notify, action))
			return 1;
	return 0;
}

/* compose - the report of action about q for the recipients who want it. */
static int
compose(struct ectx *c, struct qitem *q, const char *action, int64_t age,
    int64_t until, struct buf *msg, size_t *k)
{
	struct dsn_rcpt	*d;
	struct dsn_info	 in;
	char		 why[512];
	size_t		 i;
	int		 r;

	if ((d = calloc(q->env.nrcpt, sizeof(*d))) == NULL)
		return -1;
	for (i = *k = 0; i < q->env.nrcpt; i++) {
		if (!dsn_wanted(q->env.rcpt[i].notify, action))
			continue;
		d[*k].addr = q->env.rcpt[i].addr;
		d[*k].orcpt = q->env.rcpt[i].orcpt;
		d[*k].action = action;
		d[*k].status = "4.4.7";
		(*k)++;
	}
	in.why = why;
	in.note = strcmp(action, "delayed") == 0 ? "4.4.7 delivery delayed, "
	    "still trying" : "4.4.7 delivery time expired";
	in.retry_until = strcmp(action, "delayed") == 0 ? until : 0;
	r = dsn_held_why(why, sizeof(why), action, age, until);
	if (r == 0)
		r = dsn_make_info(msg, c->me, q, d, *k, &in);
	free(d);
	return r;
}

/*
 * notice_send - queue a report of action ("failed" or "delayed") about
 * claimed item q, held age seconds, tried until the time until. Returns
 * 1 when it is queued, 0 when nobody wants it, -1 when it could not be
 * queued (the caller keeps the message).
 */
int
notice_send(struct ectx *c, struct qitem *q, const char *action,
    int64_t age, int64_t until)
{
	struct buf	msg;
	char		ids[512];
	size_t		k;
	int		st;

	if (!notice_wanted(&q->env, action))
		return 0;
	buf_init(&msg, 0);
	if (compose(c, q, action, age, until, &msg, &k) == -1) {
		log_warnx("unable to compose a report to <%s> (%s)",
		    logesc(q->env.sender), errno == EBADMSG ?
		    "the stored message is damaged" : strerror(errno));
		buf_free(&msg);
		return -1;
	}
	st = dsn_queue(c->root, c->rootpath, q->env.sender, &msg, ids,
	    sizeof(ids));
	buf_free(&msg);
	if (st != SNF_EXIT_OK) {
		log_warnx("report to <%s> not queued (snf-queue "
		    "exit %d)", logesc(q->env.sender), st);
		return -1;
	}
	log_event("report to=<%s> action=%s rcpts=%zu ids=%s",
	    logesc(q->env.sender), action, k,
	    logesc(strlen(ids) > 2 ? ids + 2 : "-"));
	return 1;
}
