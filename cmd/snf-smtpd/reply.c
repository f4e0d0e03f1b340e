/*
 * reply.c - everything snf-smtpd says: replies (with the error counting
 * that follows a 4xx or 5xx), the one mapping from snf-queue's status to
 * an SMTP reply, and the end of a session.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitcodes.h"
#include "log.h"
#include "smtpd.h"

/*
 * reply - send one reply line (fmt has no CR LF). A 4xx or 5xx counts
 * as an error and is logged with the command it answers; past the soft
 * limit each error costs errorsleep, at the hard limit the session ends
 * with 421.
 */
void
reply(struct session *s, const char *fmt, ...)
{
	char	line[600];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	memcpy(line + n, "\r\n", 2);
	outbuf_put(&s->out, line, (size_t)n + 2);
	if (line[0] != '4' && line[0] != '5')
		return;
	line[n] = '\0';
	log_event("reject ip=%s cmd=%s reply=%s", s->ip,
	    logescn(s->cmd, s->cmdlen), logesc(line));
	if (strncmp(line, "421", 3) == 0)
		return;
	if (++s->errors >= s->harderr) {
		reply(s, "421 4.7.0 %s Error: too many errors", s->me);
		session_close(s, "too many errors");
	}
	if (s->errors > s->softerr && s->errsleep_ms > 0) {
		struct timespec ts = { s->errsleep_ms / 1000,
		    (s->errsleep_ms % 1000) * 1000000 };

		outbuf_flush(&s->out);
		nanosleep(&ts, NULL);
	}
}

/*
 * reply_queue - the one place that turns snf-queue's exit status and
 * status line into the reply to the end of DATA. Only exit 0 with its
 * "K ids" line is a 250.
 */
void
reply_queue(struct session *s, int status, const char *line)
{
	const char	*text = line + 1;
	char		 enh[16];
	size_t		 n;

	if (status == SNF_EXIT_OK && line[0] == 'K') {
		reply(s, "250 2.0.0 Ok: queued as%s", text);
		return;
	}
	n = strspn(text, "0123456789.");
	if (n >= 5 && n < sizeof(enh) && text[n] == ' ') {
		memcpy(enh, text, n);
		enh[n] = '\0';
		text += n + 1;
	} else {
		strlcpy(enh, "", sizeof(enh));
		text = "";
	}
	if (status == SNF_EXIT_PERM) {
		if (line[0] == 'D' && enh[0] == '5')
			reply(s, "554 %s Error: %s", enh, text);
		else
			reply(s, "554 5.3.0 Error: message refused by the queue");
		return;
	}
	if (line[0] == 'Z' && strcmp(enh, "4.3.1") == 0)
		reply(s, "452 4.3.1 Error: insufficient system storage");
	else if (line[0] == 'Z' && enh[0] == '4')
		reply(s, "451 %s Error: %s", enh, text);
	else
		reply(s, "451 4.3.0 Error: queue write failed, try again later");
}

/* session_close - flush, log the session's one summary line, exit. */
void
session_close(struct session *s, const char *why)
{
	outbuf_flush(&s->out);
	if (s->tls) {
		tlsio_close(s->tls, mono_ms() + 1000);
		tlsio_free(s->tls);
		s->in.tls = s->out.tls = s->tls = NULL;
	}
	verify_close(&s->vf);
	log_event("end ip=%s helo=%s msgs=%u errors=%u reason=%s", s->ip,
	    s->helo[0] ? logesc(s->helo) : "-", s->msgs, s->errors,
	    logesc(why));
	exit(SNF_EXIT_OK);
}

/*
 * session_deadline - when a read that starts now must end: the command
 * timeout from now, never past the end of the session's lifetime.
 */
int64_t
session_deadline(const struct session *s)
{
	int64_t	d = mono_ms() + s->timeout_ms;

	return d < s->end_ms ? d : s->end_ms;
}

/*
 * session_expire - the session outlived control/session_lifetime: a
 * client that sends something harmless just inside the timeout, time
 * after time, must not hold a connection for ever.
 */
void
session_expire(struct session *s)
{
	reply(s, "421 4.4.2 %s Error: session too long; closing connection",
	    s->me);
	session_close(s, "session lifetime");
}

/*
 * sync_check - a command that must end a pipelined group (RFC 2920 3.1:
 * EHLO, HELO, DATA) came with more input behind it, or a client that
 * was not offered PIPELINING did not wait for a reply: that is how
 * smuggled commands travel, so refuse and close. Returns 0 when in sync.
 */
int
sync_check(struct session *s)
{
	if (!inbuf_pending(&s->in))
		return 0;
	reply(s, "554 5.5.0 Error: SMTP protocol synchronization");
	session_close(s, "pipelining violation");
}
