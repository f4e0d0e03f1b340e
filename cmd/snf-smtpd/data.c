/*
 * data.c - the DATA command: start snf-queue, stream the message into it
 * through the byte machine in body.c, and answer 250 only when snf-queue
 * said the message is durable. Anything short of a clean end (too big,
 * bare CR/LF, a NUL byte, a loop, the client gone) aborts snf-queue,
 * which leaves nothing in the queue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "date.h"
#include "exitcodes.h"
#include "log.h"
#include "qsink.h"
#include "smtpd.h"

/* received - our Received: header field (RFC 5321 4.4). */
static int
received(struct session *s, struct buf *b)
{
	char	date[DATE_MAX];

	date_rfc5322(date, sizeof(date), time(NULL));
	if (buf_printf(b, "Received: from %s (", s->helo) == -1)
		return -1;
	if (s->host[0] && buf_printf(b, "%s ", s->host) == -1)
		return -1;
	/* RFC 3848: ESMTPS, the protocol and cipher in a comment */
	if (buf_printf(b, "[%s])\r\n\tby %s (snf-smtpd) with %s", s->ip, s->me,
	    s->tls ? "ESMTPS" : s->esmtp ? "ESMTP" : "SMTP") == -1 ||
	    (s->tls && buf_printf(b, " (%s)", s->tlsinfo) == -1))
		return -1;
	if (s->nrcpt == 1 && buf_printf(b, "\r\n\tfor <%s>", s->rcpt[0].addr) == -1)
		return -1;
	return buf_printf(b, "; %s\r\n", date);
}

/* envelope - the records snf-queue reads on its fd 1. */
static int
envelope(struct session *s, struct buf *b)
{
	unsigned	i;

	if (qsink_record(b, 'F', s->sender) == -1 ||
	    (s->envid[0] && qsink_record(b, 'E', s->envid) == -1) ||
	    (s->ret[0] && qsink_record(b, 'R', s->ret) == -1) ||
	    (s->body[0] && qsink_record(b, 'B', s->body) == -1) ||
	    qsink_record(b, 'I', s->ip) == -1 ||
	    qsink_record(b, 'H', s->helo) == -1)
		return -1;
	for (i = 0; i < s->nrcpt; i++)
		if (qsink_record(b, 'T', s->rcpt[i].addr) == -1 ||
		    (s->rcpt[i].notify[0] &&
		    qsink_record(b, 'N', s->rcpt[i].notify) == -1) ||
		    (s->rcpt[i].orcpt[0] &&
		    qsink_record(b, 'O', s->rcpt[i].orcpt) == -1))
			return -1;
	return 0;
}

/*
 * receive - read the message into snf-queue until the end. The deadline
 * starts at the timeout and grows by the bytes received at the minimum
 * data rate, never past the timeout from now: a client that trickles
 * bytes runs out of time however often it sends one. Nor past the end
 * of the session's lifetime: a message does not extend it.
 */
static int
receive(struct session *s, struct data_state *d, struct qsink *q)
{
	char	*out;
	size_t	 used, olen;
	ssize_t	 n;
	int64_t	 deadline = session_deadline(s), cap;
	int	 r = DATA_MORE;

	if ((out = malloc(IO_BUFSIZE)) == NULL)
		return -1;
	while (r == DATA_MORE) {
		if (s->in.r == s->in.w) {
			n = inbuf_fill(&s->in, deadline);
			if (n <= 0) {
				if (n == 0)
					errno = ECONNRESET;
				r = -1;
				break;
			}
			deadline += (int64_t)n * 1000 / (int64_t)s->datarate;
			cap = session_deadline(s);
			if (deadline > cap)
				deadline = cap;
		}
		r = data_feed(d, s->in.b + s->in.r, s->in.w - s->in.r, &used,
		    out, &olen);
		s->in.r += used;
		if (olen > 0 && !d->toolarge && !d->bare && !d->nul)
			(void)qsink_write(q, out, olen, mono_ms() + s->timeout_ms);
	}
	free(out);
	return r;
}

static void
data_fail(struct session *s, struct qsink *q, const char *why)
{
	int	e = errno;
	int	late = e == ETIMEDOUT && mono_ms() >= s->end_ms;

	qsink_abort(q);
	log_event("lost ip=%s during=DATA reason=%s", s->ip,
	    late ? "session_lifetime" : e == ETIMEDOUT ? "timeout" : why);
	if (late)
		session_expire(s);
	if (e == ETIMEDOUT) {
		reply(s, "421 4.4.2 %s Error: timeout exceeded", s->me);
		session_close(s, "timeout");
	}
	session_close(s, "lost connection in DATA");
}

/* finish - after a clean end: refuse, or commit and report. */
static void
finish(struct session *s, struct data_state *d, struct qsink *q,
    size_t hdrlen)
{
	struct buf	env;
	int		st;

	if (d->bare) {
		qsink_abort(q);
		reply(s, "550 5.5.2 Error: bare <CR> or <LF> received; "
		    "use CR LF line endings");
		return;
	}
	if (d->nul) {
		/* no NUL in 7bit or 8bit data (RFC 2045 2.7, 2.8; RFC 5322
		 * 3.5 text), and C string code on the way to a mailbox
		 * would cut the message there */
		qsink_abort(q);
		reply(s, "554 5.6.0 Error: message text contains a NUL "
		    "byte");
		return;
	}
	if (d->toolarge) {
		qsink_abort(q);
		reply(s, "552 5.3.4 Error: message too big (limit %llu bytes)",
		    (unsigned long long)s->databytes);
		return;
	}
	if (d->hops >= s->maxhops) {
		qsink_abort(q);
		reply(s, "554 5.4.6 Error: too many hops (%u Received: header "
		    "fields): mail loop?", d->hops);
		return;
	}
	buf_init(&env, 0);
	if (envelope(s, &env) == -1) {
		qsink_abort(q);
		buf_free(&env);
		reply(s, "451 4.3.0 Error: out of memory");
		return;
	}
	st = qsink_finish(q, &env, mono_ms() + DEF_QUEUETIME * 1000);
	buf_free(&env);
	if (st == SNF_EXIT_OK && q->reply[0] == 'K') {	/* as reply_queue */
		s->msgs++;
		s->junk = 0;
		log_event("accept ip=%s from=<%s> rcpts=%u size=%llu ids=%s "
		    "tls=%s", s->ip, logesc(s->sender), s->nrcpt,
		    (unsigned long long)(d->size + hdrlen),
		    q->reply[0] == 'K' ? logesc(q->reply + 2) : "-",
		    s->tls ? logesc(s->tlsinfo) : "none");
	}
	reply_queue(s, st, q->reply);
}

void
cmd_data(struct session *s, const char *arg, size_t len)
{
	struct qsink		q;
	struct data_state	d;
	struct buf		hdr;
	size_t			hdrlen;

	if (len > 0) {
		reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (!s->inmail) {
		reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->nrcpt == 0) {
		if (s->badrcpt)
			reply(s, "554 5.5.1 Error: no valid recipients");
		else
			reply(s, "503 5.5.1 Error: need RCPT command");
		return;
	}
	(void)arg;
	if (sync_check(s) == -1)
		return;
	buf_init(&hdr, 0);
	if (received(s, &hdr) == -1 ||
	    qsink_start(&q, s->root, s->rootpath) == -1) {
		buf_free(&hdr);
		log_event("error ip=%s unable to start snf-queue: %s", s->ip,
		    strerror(errno));
		reply(s, "451 4.3.0 Error: queue unavailable, try again later");
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	(void)qsink_write(&q, hdr.p, hdr.len, mono_ms() + s->timeout_ms);
	hdrlen = hdr.len;
	buf_free(&hdr);
	data_init(&d, s->databytes ? s->databytes : UINT64_MAX);
	switch (receive(s, &d, &q)) {
	case -1:
		data_fail(s, &q, "eof");
		break;
	case DATA_BOGUS:
		qsink_abort(&q);
		reply(s, "421 4.5.2 %s Error: bare <CR> or <LF> around "
		    "\".\": closing connection", s->me);
		session_close(s, "bare CR/LF end of data");
	default:
		finish(s, &d, &q, hdrlen);
	}
	txn_reset(s);
}
