/*
 * smtp.c - the command loop of one SMTP session (RFC 5321) and the
 * commands that need no module of their own. Commands are read with an
 * absolute deadline per line; each is dispatched through one table.
 */
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
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

int	path_arg(struct session *, const char *, size_t, const char *, int,
	    struct addr *, const char **);

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
	reply(s, "250-ENHANCEDSTATUSCODES");
	reply(s, "250 DSN");
}

/*
 * path_arg - "FROM:" or "TO:" and a path at arg, with the reply for a
 * bad one already sent (enhanced code X.1.7 for a sender, X.1.3 for a
 * recipient). *rest points after the path. Returns 0 or -1.
 */
int
path_arg(struct session *s, const char *arg, size_t len, const char *prefix,
    int opts, struct addr *a, const char **rest)
{
	const char	*p = arg, *end = arg + len;
	const char	*what = prefix[0] == 'F' ? "sender" : "recipient";
	const char	*enh = prefix[0] == 'F' ? "5.1.7" : "5.1.3";
	size_t		 plen = strlen(prefix), used;
	int		 r;

	if (len < plen || strncasecmp(p, prefix, plen) != 0) {
		reply(s, "501 5.5.4 Syntax: %s <address>",
		    prefix[0] == 'F' ? "MAIL FROM:" : "RCPT TO:");
		return -1;
	}
	p += plen;
	while (p < end && *p == ' ')	/* "FROM: <a>" is common enough */
		p++;
	r = addr_parse_path(p, (size_t)(end - p), opts, a, &used);
	if (r == ADDR_OK && p + used < end && p[used] != ' ')
		r = ADDR_ESYNTAX;
	switch (r) {
	case ADDR_OK:
		*rest = p + used;
		return 0;
	case ADDR_E8BIT:
		reply(s, "553 5.6.7 Error: non-ASCII %s address needs SMTPUTF8",
		    what);
		break;
	case ADDR_ENODOMAIN:
		reply(s, "550 5.1.1 Error: %s address needs a domain: this "
		    "backup MX has no local mailboxes", what);
		break;
	case ADDR_ELONGPATH:
	case ADDR_ELONGLOCAL:
	case ADDR_ELONGDOMAIN:
		reply(s, "501 %s Error: %s: %s", enh, what, addr_strerror(r));
		break;
	default:
		reply(s, "501 %s Error: bad %s address syntax", enh, what);
	}
	return -1;
}

/* mail_params - SIZE, BODY, RET, ENVID; 0 when all are acceptable. */
static int
mail_params(struct session *s, const char *p, const char *end,
    uint64_t *size)
{
	struct param	pa;
	int		k;

	*size = 0;
	while ((k = param_next(&p, end, &pa)) == 1) {
		if (!s->esmtp)
			goto unsupported;
		if (param_is(&pa, "SIZE")) {
			if (pa.val == NULL || size_parse(pa.val, pa.vlen, size) == -1) {
				reply(s, "501 5.5.4 Error: bad message size syntax");
				return -1;
			}
		} else if (param_is(&pa, "BODY")) {
			if (param_val_is(&pa, "7BIT"))
				strlcpy(s->body, "7BIT", sizeof(s->body));
			else if (param_val_is(&pa, "8BITMIME"))
				strlcpy(s->body, "8BITMIME", sizeof(s->body));
			else
				goto bad;
		} else if (param_is(&pa, "RET")) {
			if (param_val_is(&pa, "FULL"))
				strlcpy(s->ret, "FULL", sizeof(s->ret));
			else if (param_val_is(&pa, "HDRS"))
				strlcpy(s->ret, "HDRS", sizeof(s->ret));
			else
				goto bad;
		} else if (param_is(&pa, "ENVID")) {
			if (pa.val == NULL || pa.vlen > ENVID_MAX ||
			    !xtext_valid(pa.val, pa.vlen))
				goto bad;
			memcpy(s->envid, pa.val, pa.vlen);
			s->envid[pa.vlen] = '\0';
		} else
			goto unsupported;
	}
	if (k == 0)
		return 0;
bad:
	reply(s, "501 5.5.4 Error: bad MAIL parameter syntax");
	return -1;
unsupported:
	reply(s, "555 5.5.4 Error: unsupported MAIL parameter");
	return -1;
}

/* space_ok - room in the queue for size more bytes (and minfree). */
static int
space_ok(struct session *s, uint64_t size)
{
	struct statvfs	sv;
	uint64_t	avail;

	int		fd, r;

	/* the queue's file system, which may be a mount of its own */
	if ((fd = openat(s->root, "queue", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		fd = dup(s->root);
	r = fstatvfs(fd, &sv);
	close(fd);
	if (r == -1)
		return 1;	/* cannot tell: let the write decide */
	if (sv.f_files > 0 && sv.f_favail == 0)
		return 0;
	avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return avail >= size && avail - size >= s->minfree;
}

static void
cmd_mail(struct session *s, const char *arg, size_t len)
{
	struct addr	 a;
	const char	*rest;
	uint64_t	 size;

	if (!s->greeted) {
		reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->inmail) {
		reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (path_arg(s, arg, len, "FROM:", ADDR_NULL_OK | ADDR_LAX_LOCAL, &a,
	    &rest) == -1)
		return;
	if (mail_params(s, rest, arg + len, &size) == -1) {
		txn_reset(s);
		return;
	}
	if (s->databytes && size > s->databytes) {
		txn_reset(s);
		reply(s, "552 5.3.4 Error: message size exceeds the limit of "
		    "%llu bytes", (unsigned long long)s->databytes);
		return;
	}
	if (!space_ok(s, size)) {
		txn_reset(s);
		reply(s, "452 4.3.1 Error: insufficient system storage");
		return;
	}
	strlcpy(s->sender, a.full, sizeof(s->sender));
	s->inmail = 1;
	reply(s, "250 2.1.0 Ok");
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
	    "QUIT VRFY ETRN HELP; see snf-smtpd(8)");
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
	{ "EHLO", cmd_ehlo, C_LAST },
	{ "HELO", cmd_helo, C_LAST },
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
	{ "STARTTLS", cmd_notimpl, 0 },
	{ "ETRN", cmd_etrn, C_JUNK },
	{ "TURN", cmd_notimpl, 0 },
	{ "ATRN", cmd_notimpl, 0 },
	{ "SEND", cmd_notimpl, 0 },
	{ "SOML", cmd_notimpl, 0 },
	{ "SAML", cmd_notimpl, 0 },
};

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
		if ((cmds[i].flags & C_JUNK) && ++s->junk > s->junkmax) {
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
		    mono_ms() + s->timeout_ms);
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
			reply(s, "421 4.4.2 %s Error: timeout exceeded", s->me);
			session_close(s, "timeout");
		case ECONNRESET:
			session_close(s, "eof");
		default:
			session_close(s, strerror(errno));
		}
	}
}
