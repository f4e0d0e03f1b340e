/*
 * smtp.c - the command loop of one SMTP session (RFC 5321) and the
 * commands that need no module of their own. Commands are read with an
 * absolute deadline per line; each is dispatched through one table.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "smtpd.h"
#include "smtpline.h"

#define C_LAST	0x01	/* must end a pipelined group (RFC 2920 3.1) */
#define C_JUNK	0x02	/* counts against junkcommands */
#define C_HELO	0x04	/* EHLO, HELO: junk past the second */

void
txn_reset(struct session *s)
{
	verify_close(&s->vf);
	s->inmail = 0;
	s->sender[0] = s->envid[0] = s->ret[0] = s->body[0] = '\0';
	s->nrcpt = 0;
	s->badrcpt = 0;
}

/* helo_ok - one token of printable ASCII, as a Received: line can hold. */
static int
helo_ok(struct session *s, const char *arg, size_t len, const char *verb)
{
	size_t	i;

	if (len == 0 || len >= sizeof(s->helo)) {
		reply(s, "501 5.5.4 Syntax: %s hostname", verb);
		return 0;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)arg[i] <= 32 || (unsigned char)arg[i] >= 127) {
			reply(s, "501 5.5.4 Syntax: %s hostname", verb);
			return 0;
		}
	memcpy(s->helo, arg, len);
	s->helo[len] = '\0';
	return 1;
}

static void
cmd_helo(struct session *s, const char *arg, size_t len)
{
	if (!helo_ok(s, arg, len, "HELO"))
		return;
	txn_reset(s);
	s->greeted = 1;
	s->esmtp = 0;
	reply(s, "250 %s", s->me);
}

static void
cmd_ehlo(struct session *s, const char *arg, size_t len)
{
	if (!helo_ok(s, arg, len, "EHLO"))
		return;
	txn_reset(s);
	s->greeted = 1;
	s->esmtp = 1;
	reply(s, "250-%s", s->me);
	reply(s, "250-PIPELINING");
	reply(s, "250-SIZE %llu", (unsigned long long)s->databytes);
	reply(s, "250-8BITMIME");
	reply(s, "250-ETRN");
	if (tls_offered(s))
		reply(s, "250-STARTTLS");
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250 DSN");
}

static void
cmd_rset(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	if (len > 0) {
		reply(s, "501 5.5.4 Syntax: RSET");
		return;
	}
	txn_reset(s);
	reply(s, "250 2.0.0 Ok");
}

static void
cmd_noop(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply(s, "250 2.0.0 Ok");
}

static void
cmd_quit(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	if (len > 0) {
		reply(s, "501 5.5.4 Syntax: QUIT");
		return;
	}
	reply(s, "221 2.0.0 %s closing connection", s->me);
	session_close(s, "quit");
}

static void
cmd_vrfy(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	if (len == 0) {
		reply(s, "501 5.5.4 Syntax: VRFY address");
		return;
	}
	reply(s, "252 2.0.0 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
}

static void
cmd_help(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP "
	    "QUIT VRFY ETRN STARTTLS HELP; see snf-smtpd(8)");
}

static void
cmd_bdat(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	/* raw message bytes follow BDAT: never read them as commands */
	reply(s, "521 5.5.1 Error: BDAT without CHUNKING; closing connection");
	session_close(s, "BDAT not offered");
}

static void
cmd_notimpl(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply(s, "502 5.5.1 Error: command not implemented");
}

static void
cmd_auth(struct session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	reply(s, "503 5.5.1 Error: authentication not enabled");
}

static const struct {
	const char	*verb;
	void		(*fn)(struct session *, const char *, size_t);
	int		 flags;
} cmds[] = {
	{ "EHLO", cmd_ehlo, C_LAST | C_HELO },
	{ "HELO", cmd_helo, C_LAST | C_HELO },
	{ "MAIL", cmd_mail, 0 },
	{ "RCPT", cmd_rcpt, 0 },
	{ "DATA", cmd_data, 0 },	/* checks sync itself, after RCPTs */
	{ "RSET", cmd_rset, C_JUNK },
	{ "NOOP", cmd_noop, C_JUNK },
	{ "QUIT", cmd_quit, 0 },
	{ "VRFY", cmd_vrfy, C_JUNK },
	{ "HELP", cmd_help, C_JUNK },
	{ "EXPN", cmd_notimpl, C_JUNK },
	{ "BDAT", cmd_bdat, 0 },
	{ "AUTH", cmd_auth, 0 },
	{ "STARTTLS", cmd_starttls, 0 },
	{ "ETRN", cmd_etrn, C_JUNK },
	{ "TURN", cmd_notimpl, 0 },
	{ "ATRN", cmd_notimpl, 0 },
	{ "SEND", cmd_notimpl, 0 },
	{ "SOML", cmd_notimpl, 0 },
	{ "SAML", cmd_notimpl, 0 },
};

/*
 * is_junk - whether a command with these flags counts against
 * junkcommands. A sender greets once, and once more after STARTTLS;
 * more greetings do nothing but reset the transaction, so they count.
 */
static int
is_junk(struct session *s, int flags)
{
	if (flags & C_JUNK)
		return 1;
	return (flags & C_HELO) && ++s->helos > 2;
}

/* dispatch - run one command line of len bytes (NULs included). */
static void
dispatch(struct session *s, const char *line, size_t len)
{
	size_t	vlen, i;
	const char *arg;

	s->cmd = line;
	s->cmdlen = len;
	if (memchr(line, '\0', len) != NULL) {
		reply(s, "500 5.5.2 Error: NUL character in command");
		return;
	}
	vlen = strcspn(line, " ");
	arg = line + vlen;
	if (*arg == ' ')
		arg++;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strlen(cmds[i].verb) != vlen ||
		    strncasecmp(line, cmds[i].verb, vlen) != 0)
			continue;
		if ((cmds[i].flags & C_LAST) || !s->esmtp)
			if (sync_check(s) == -1)
				return;
		if (is_junk(s, cmds[i].flags) && ++s->junk > s->junkmax) {
			reply(s, "421 4.7.0 %s Error: too many commands "
			    "without mail", s->me);
			session_close(s, "too many junk commands");
		}
		cmds[i].fn(s, arg, len - (size_t)(arg - line));
		return;
	}
	reply(s, "500 5.5.2 Error: command not recognized");
}

/*
 * greet - refuse a client that talks before the greeting (RFC 5321
 * 4.3.1: it must wait for the 220); greetdelay gives it rope first.
 */
static void
greet(struct session *s)
{
	struct pollfd	pfd = { .fd = s->in.fd, .events = POLLIN };
	int		n;

	if (s->greetdelay_ms > 0) {
		do
			n = poll(&pfd, 1, (int)s->greetdelay_ms);
		while (n == -1 && errno == EINTR);
	}
	if (inbuf_pending(&s->in)) {
		s->cmd = "(before greeting)";
		s->cmdlen = strlen(s->cmd);
		reply(s, "554 5.5.0 %s Error: SMTP protocol synchronization "
		    "(input before the greeting)", s->me);
		session_close(s, "early talker");
	}
	reply(s, "220 %s ESMTP", s->me);
}

void
smtp_session(struct session *s)
{
	char	line[SMTP_CMD_MAX + 1];
	ssize_t	n;

	greet(s);
	for (;;) {
		/* a callout connection is kept only for RCPTs already sent:
		 * never hold the primary's slot while waiting on a client */
		if (s->vf.co.open && !inbuf_pending(&s->in))
			verify_close(&s->vf);
		n = smtp_getline(&s->in, line, SMTP_CMD_MAX,
		    session_deadline(s));
		if (n >= 0 && mono_ms() >= s->end_ms) {
			s->cmd = line;
			s->cmdlen = (size_t)n;
			session_expire(s);
		}
		if (n >= 0) {
			dispatch(s, line, (size_t)n);
			continue;
		}
		s->cmd = "";
		s->cmdlen = 0;
		switch (errno) {
		case EMSGSIZE:
			reply(s, "500 5.5.2 Error: line too long");
			continue;
		case EPROTO:
			/* a line end this server and a filter in front of
			 * it may read differently: stop talking (RFC 5321
			 * 3.8 allows a close only after a 421) */
			reply(s, "421 4.5.2 %s Error: bare <CR> or <LF> in "
			    "command; closing connection", s->me);
			session_close(s, "bare CR/LF in command");
		case ETIMEDOUT:
			if (mono_ms() >= s->end_ms)
				session_expire(s);
			reply(s, "421 4.4.2 %s Error: timeout exceeded", s->me);
			session_close(s, "timeout");
		case ECONNRESET:
			session_close(s, "eof");
		default:
			session_close(s, strerror(errno));
		}
	}
}
