/*
 * report.c - delivery status notifications from a delivery: "failed" for
 * recipients refused for good, "relayed" for recipients that asked for
 * NOTIFY=SUCCESS when the next server could not carry the request on.
 * Never for a message with the null sender: no report ever answers a
 * report, so there are no report loops.
 */
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "exitcodes.h"
#include "log.h"
#include "rclass.h"
#include "report.h"

/* queue_report - compose and queue one report; 0 when queued. */
static int
queue_report(struct dctx *c, struct qitem *q, struct dsn_rcpt *d, size_t n,
    const char *why)
{
	struct buf	msg;
	char		ids[512];
	int		st;

	buf_init(&msg, 0);
	if (dsn_make(&msg, c->me, q, d, n, why) == -1) {
		buf_free(&msg);
		log_warn("unable to compose a delivery report");
		return -1;
	}
	st = dsn_queue(c->root, c->rootpath, q->env.sender, &msg, ids,
	    sizeof(ids));
	buf_free(&msg);
	if (st != SNF_EXIT_OK) {
		log_warnx("report to <%s> not queued (snf-queue exit %d)",
		    logesc(q->env.sender), st);
		return -1;
	}
	log_event("report to=<%s> action=%s rcpts=%zu ids=%s",
	    logesc(q->env.sender), d[0].action, n, logesc(ids + 2));
	return 0;
}

/*
 * collect - recipients whose result matches action and who want it;
 * name (room for 256) holds the Remote-MTA they point at.
 */
static size_t
collect(struct qitem *q, const char *host, struct rcpt_result *res,
    size_t n, const char *action, struct dsn_rcpt *d, char *name)
{
	size_t	i, k = 0;
	int	want;

	/* Remote-MTA is the host's name, without the [address] of the log */
	strlcpy(name, host, 256);
	name[strcspn(name, "[")] = '\0';
	host = strcmp(name, "none") == 0 ? NULL : name;

	for (i = 0; i < n; i++) {
		if (strcmp(action, "failed") == 0)
			want = res[i].cls == RC_PERM;
		else
			want = res[i].cls == RC_OK;
		if (!want || !dsn_wanted(q->env.rcpt[i].notify, action))
			continue;
		d[k].addr = q->env.rcpt[i].addr;
		d[k].orcpt = q->env.rcpt[i].orcpt;
		d[k].action = action;
		d[k].status = res[i].status;
		d[k].remote = host;
		d[k].diag = res[i].text;
		k++;
	}
	return k;
}

/*
 * report_failed - tell the sender about recipients refused for good.
 * Returns 0 when nothing more is needed (reported, not wanted, or a
 * null sender), -1 when the report could not be queued.
 */
int
report_failed(struct dctx *c, struct qitem *q, const char *host,
    struct rcpt_result *res, size_t n)
{
	struct dsn_rcpt	*d;
	char		 name[256];
	size_t		 k;
	int		 r = 0;

	if ((d = calloc(n, sizeof(*d))) == NULL)
		return -1;
	k = collect(q, host, res, n, "failed", d, name);
	if (k > 0 && q->env.sender[0] == '\0')
		log_warnx("no report for a failure: the sender is <>");
	else if (k > 0)
		r = queue_report(c, q, d, k, "Your message could not be "
		    "delivered to the recipients below; the remote server "
		    "refused them for good.");
	free(d);
	return r;
}

/* report_relayed - NOTIFY=SUCCESS, carried no further: say "relayed". */
void
report_relayed(struct dctx *c, struct qitem *q, const char *host,
    struct rcpt_result *res, size_t n)
{
	struct dsn_rcpt	*d;
	char		 name[256];
	size_t		 k;

	if (q->env.sender[0] == '\0' || (d = calloc(n, sizeof(*d))) == NULL)
		return;
	k = collect(q, host, res, n, "relayed", d, name);
	if (k > 0)
		(void)queue_report(c, q, d, k, "Your message was relayed to "
		    "the recipients' server, which does not report delivery "
		    "status: no further notice will follow.");
	free(d);
}
