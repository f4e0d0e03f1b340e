/*
 * dsn.c - compose and queue delivery status notifications. A report goes
 * from the null sender (so that it can never cause another report),
 * carries Auto-Submitted: auto-replied (RFC 3834), one per-recipient
 * block per recipient, and the original message, or only its header
 * when RET=HDRS was asked for or the message is large.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "date.h"
#include "dsn.h"
#include "exitcodes.h"
#include "io.h"
#include "qsink.h"

/*
 * A diagnostic (smtpc keeps 1000 octets of a reply) is cut so that its
 * lines stay within 998 octets (RFC 5322 2.1.1), after an address of
 * up to 256.
 */
#define DSN_DIAG_MAX	700

/* list_has - word is one of the comma-separated words of list. */
static int
list_has(const char *list, const char *word)
{
	size_t	n = strlen(word), k;

	while (*list) {
		k = strcspn(list, ",");
		if (k == n && strncasecmp(list, word, n) == 0)
			return 1;
		list += k;
		if (*list == ',')
			list++;
	}
	return 0;
}

/*
 * dsn_wanted - whether a report of this action is wanted under the
 * recipient's NOTIFY value (RFC 3461 4.1). Without NOTIFY: failures and
 * delays are reported, success is not.
 */
int
dsn_wanted(const char *notify, const char *action)
{
	const char	*word;

	if (strcmp(action, "failed") == 0)
		word = "FAILURE";
	else if (strcmp(action, "delayed") == 0)
		word = "DELAY";
	else
		word = "SUCCESS";
	if (notify == NULL || *notify == '\0')
		return strcmp(word, "SUCCESS") != 0;
	return list_has(notify, word);
}

/*
 * header_end - where the header section of the returned message, the
 * bytes b->p[start..b->len), ends: after the CR LF that precedes its
 * first empty line (at start when the message begins with one), else
 * cut back to a line end when it is over DSN_FULL_MAX. The search
 * starts at from, a little before the bytes last added, so that it is
 * linear and sees an empty line split between reads; NUL bytes do not
 * stop it. Returns the new length, or 0 while the end is not in sight.
 */
static size_t
header_end(const struct buf *b, size_t start, size_t from)
{
	size_t	i;

	if (b->len - start >= 2 && memcmp(b->p + start, "\r\n", 2) == 0)
		return start;
	for (i = from; i + 4 <= b->len; i++)
		if (memcmp(b->p + i, "\r\n\r\n", 4) == 0)
			return i + 2;
	if (b->len - start <= DSN_FULL_MAX)
		return 0;
	for (i = start + DSN_FULL_MAX; i > start && b->p[i - 1] != '\n'; i--)
		;
	if (i == start)		/* one long line: never end it on a CR */
		i = start + DSN_FULL_MAX - (b->p[start + DSN_FULL_MAX - 1] ==
		    '\r');
	return i;
}

/* original - the returned message: all of it, or its header section. */
static int
original(struct buf *b, struct qitem *q, int full)
{
	struct qbody	qb;
	char		chunk[8192];
	ssize_t		n;
	size_t		start = b->len, from, end = 0;
	int		r = 0;

	if (qbody_open(&qb, q) == -1)
		return -1;
	while (end == 0 && (n = qbody_read(&qb, chunk, sizeof(chunk))) > 0) {
		from = b->len - start > 3 ? b->len - 3 : start;
		if (buf_add(b, chunk, (size_t)n) == -1) {
			r = -1;
			break;
		}
		if (!full && (end = header_end(b, start, from)) != 0) {
			b->len = end;
			b->p[b->len] = '\0';
		}
	}
	if (end == 0 && n == -1)
		r = -1;
	qbody_close(&qb);
	if (r == 0 && b->len > 1 && b->p[b->len - 1] != '\n')
		r = buf_adds(b, "\r\n");
	return r;
}

static int
rcpt_block(struct buf *b, const struct dsn_rcpt *r, const struct dsn_info *in)
{
	char	until[64];

	if (buf_printf(b, "\r\nFinal-Recipient: rfc822; %s\r\n", r->addr) == -1)
		return -1;
	if (r->orcpt && *r->orcpt && buf_printf(b, "Original-Recipient: %s\r\n",
	    r->orcpt) == -1)
		return -1;
	if (buf_printf(b, "Action: %s\r\nStatus: %s\r\n", r->action,
	    r->status) == -1)
		return -1;
	if (r->remote && buf_printf(b, "Remote-MTA: dns; %s\r\n", r->remote) == -1)
		return -1;
	if (r->diag && buf_printf(b, "Diagnostic-Code: smtp; %.*s\r\n",
	    DSN_DIAG_MAX, r->diag) == -1)
		return -1;
	/* RFC 3464 2.3.9: how long a delayed message is still tried */
	if (in->retry_until > 0 && strcmp(r->action, "delayed") == 0) {
		date_rfc5322(until, sizeof(until), (time_t)in->retry_until);
		if (buf_printf(b, "Will-Retry-Until: %s\r\n", until) == -1)
			return -1;
	}
	return 0;
}

/*
 * dsn_make - the whole report message for the recipients r[0..n) of the
 * queued item q, from host me, with a sentence of explanation.
 */
int
dsn_make(struct buf *b, const char *me, struct qitem *q,
    const struct dsn_rcpt *r, size_t n, const char *why)
{
	struct dsn_info	in = { why, NULL, 0 };

	return dsn_make_info(b, me, q, r, n, &in);
}

/*
 * dsn_make_info - dsn_make with more to say: a note for the text line
 * of each recipient that has no diagnostic, and Will-Retry-Until.
 */
int
dsn_make_info(struct buf *b, const char *me, struct qitem *q,
    const struct dsn_rcpt *r, size_t n, const struct dsn_info *in)
{
	const struct envelope	*e = &q->env;
	char			 now[64], arrived[64], bnd[64];
	int			 full;
	size_t			 i;

	date_rfc5322(now, sizeof(now), time(NULL));
	date_rfc5322(arrived, sizeof(arrived), (time_t)e->arrival);
	snprintf(bnd, sizeof(bnd), "%08x%08x/%s", arc4random(), arc4random(), me);
	full = !(e->ret && strcmp(e->ret, "HDRS") == 0) &&
	    e->size <= DSN_FULL_MAX;
	if (buf_printf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	    "To: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: <%lld.%08x@%s>\r\nAuto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated message.\r\n\r\n--%s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "This is the mail system at %s.\r\n\r\n%s\r\n\r\n",
	    me, e->sender, strcmp(r[0].action, "failed") == 0 ?
	    "Undelivered Mail Returned to Sender" :
	    strcmp(r[0].action, "delayed") == 0 ? "Delayed Mail (still being "
	    "retried)" : "Successful Mail Delivery Report", now,
	    (long long)time(NULL), arc4random(), me, bnd, bnd, me,
	    in->why) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (buf_printf(b, "<%s>: %.*s\r\n", r[i].addr, DSN_DIAG_MAX,
		    r[i].diag ? r[i].diag : in->note ? in->note :
		    r[i].status) == -1)
			return -1;
	if (buf_printf(b, "\r\n--%s\r\nContent-Type: message/delivery-status\r\n"
	    "\r\nReporting-MTA: dns; %s\r\n", bnd, me) == -1 ||
	    (e->envid && buf_printf(b, "Original-Envelope-Id: %s\r\n",
	    e->envid) == -1) ||
	    (e->client && buf_printf(b, "Received-From-MTA: dns; %s (%s)\r\n",
	    e->helo ? e->helo : "unknown", e->client) == -1) ||
	    buf_printf(b, "Arrival-Date: %s\r\n", arrived) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (rcpt_block(b, &r[i], in) == -1)
			return -1;
	if (buf_printf(b, "\r\n--%s\r\nContent-Type: %s\r\n\r\n", bnd,
	    full ? "message/rfc822" : "text/rfc822-headers") == -1 ||
	    original(b, q, full) == -1)
		return -1;
	return buf_printf(b, "\r\n--%s--\r\n", bnd);
}

/* held_span - an age in words: whole days, else hours, minutes, seconds. */
static void
held_span(char *dst, size_t size, int64_t age)
{
	static const struct {
		int64_t		 secs;
		const char	*name;
	} units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" },
		{ 1, "second" }
	};
	long long	n;
	size_t		i;

	if (age < 0)
		age = 0;
	for (i = 0; i < 3 && age < units[i].secs; i++)
		;
	n = (long long)(age / units[i].secs);
	snprintf(dst, size, "%lld %s%s", n, units[i].name, n == 1 ? "" : "s");
}

/*
 * dsn_held_why - the explanation of a report about a message held age
 * seconds for a destination that did not answer: "failed" (its lifetime
 * is over, it is returned) or "delayed" (tried until the time until).
 * Returns 0, or -1 when it does not fit in size.
 */
int
dsn_held_why(char *dst, size_t size, const char *action, int64_t age,
    int64_t until)
{
	char	span[64], date[64];
	int	k;

	held_span(span, sizeof(span), age);
	if (strcmp(action, "delayed") == 0) {
		date_rfc5322(date, sizeof(date), (time_t)until);
		k = snprintf(dst, size, "This message has been held %s, the "
		    "destination has not come back yet. It will be tried "
		    "until %s; you need do nothing now, and you will be told "
		    "if it has to be returned.", span, date);
	} else
		k = snprintf(dst, size, "This message was held %s, the "
		    "destination did not come back. It was not delivered to "
		    "the recipients below and will not be tried again.", span);
	return k < 0 || (size_t)k >= size ? -1 : 0;
}

/*
 * dsn_queue - queue report msg to rcpt with the null sender, in the
 * queue of root. Returns the queue's exit status; ids gets its status
 * line.
 */
int
dsn_queue(int rootfd, const char *root, const char *rcpt,
    const struct buf *msg, char *ids, size_t idsize)
{
	struct qsink	q;
	struct buf	env;
	int		st;

	buf_init(&env, 0);
	if (qsink_record(&env, 'F', "") == -1 ||
	    qsink_record(&env, 'T', rcpt) == -1) {
		buf_free(&env);
		return SNF_EXIT_TEMP;
	}
	if (qsink_start(&q, rootfd, root) == -1) {
		buf_free(&env);
		return SNF_EXIT_TEMP;
	}
	(void)qsink_write(&q, msg->p, msg->len, mono_ms() + 600000);
	st = qsink_finish(&q, &env, mono_ms() + 600000);
	strlcpy(ids, q.reply, idsize);
	buf_free(&env);
	return st;
}
