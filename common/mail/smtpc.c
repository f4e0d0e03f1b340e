/*
 * smtpc.c - an SMTP client connection. Replies come through the one line
 * reader (CRLF only, 512 octets a line) and a strict parser: three
 * digits 2xx-5xx, then a space, a hyphen or the end; the same code on
 * every line; at most SMTPC_LINES_MAX lines. Anything else from the
 * server is a protocol error, which callers treat as temporary: a
 * malicious or broken server can slow a delivery, never corrupt it.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "resolve.h"
#include "smtpc.h"
#include "smtpline.h"

void
smtpc_timeouts_default(struct smtpc_timeouts *t)
{
	t->connect = 30000;
	t->greeting = 300000;
	t->helo = 300000;
	t->mail = 300000;
	t->rcpt = 300000;
	t->data_init = 120000;
	t->data_block = 180000;
	t->data_done = 600000;
	t->quit = 10000;
}

/*
 * smtpc_deadline - the deadline of a step allowed timeout ms from now,
 * cut to the connection's own until when that comes first.
 */
int64_t
smtpc_deadline(const struct smtpc *c, int64_t timeout)
{
	int64_t	d = mono_ms() + timeout;

	return c->until && c->until < d ? c->until : d;
}

/* smtpc_fail - remember a local failure as if it were a reply; -1. */
int
smtpc_fail(struct smtpc *c, const char *s)
{
	c->code = -1;
	strlcpy(c->text, s, sizeof(c->text));
	return -1;
}

/* connect_one - a non-blocking connect to one address, with a deadline. */
static int
connect_one(const struct sockaddr *sa, socklen_t len, int64_t timeout)
{
	struct pollfd	pfd;
	socklen_t	olen = sizeof(int);
	int		fd, err = 0, n;

	if (timeout < 0)
		timeout = 0;	/* the attempt's time is up: poll once */
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (connect(fd, sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		n = poll(&pfd, 1, (int)timeout);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	if (n <= 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &olen) == -1)
		goto fail;
	if (err == 0)
		return fd;
	errno = err;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * smtpc_connect - connect to host (a name or an address) and port,
 * trying each address in turn. Returns 0, or -1 with the reason in
 * c->text.
 */
int
smtpc_connect(struct smtpc *c, const char *host, const char *port)
{
	struct resolved	 r;
	const void	*ip;
	char		 why[300];
	int		 i;

	c->fd = -1;
	c->ext = 0;
	c->maxsize = 0;
	c->code = -1;
	c->text[0] = '\0';
	c->tls = NULL;
	memset(&c->tlsinfo, 0, sizeof(c->tlsinfo));
	strlcpy(c->host, host, sizeof(c->host));
	if (resolve_host(host, (unsigned short)strtoul(port, NULL, 10), &r, why,
	    sizeof(why)) <= 0)
		return smtpc_fail(c, why);
	for (i = 0; i < r.n; i++) {
		if ((c->fd = connect_one((struct sockaddr *)&r.a[i], r.len[i],
		    smtpc_deadline(c, c->t.connect) - mono_ms())) != -1)
			break;
		snprintf(why, sizeof(why), "connect to %s port %s: %s", host,
		    port, strerror(errno));
	}
	if (c->fd == -1)
		return smtpc_fail(c, why);
	ip = r.a[i].ss_family == AF_INET ?
	    (const void *)&((struct sockaddr_in *)&r.a[i])->sin_addr :
	    (const void *)&((struct sockaddr_in6 *)&r.a[i])->sin6_addr;
	if (inet_ntop(r.a[i].ss_family, ip, c->addr, sizeof(c->addr)) == NULL)
		strlcpy(c->addr, "?", sizeof(c->addr));
	outbuf_init(&c->out, c->fd, c->t.data_block);
	inbuf_init(&c->in, c->fd, &c->out);
	return 0;
}

/*
 * smtpc_parse_line - check one reply line (without CR LF): its code
 * into *code, *more set when a continuation ("250-") follows. Returns 0,
 * or -1 when the line is not a reply line.
 */
int
smtpc_parse_line(const char *s, size_t n, int *code, int *more)
{
	if (n < 3 || s[0] < '2' || s[0] > '5' || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]))
		return -1;
	if (n > 3 && s[3] != ' ' && s[3] != '-')
		return -1;
	if (memchr(s, '\0', n) != NULL)
		return -1;
	*code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	*more = n > 3 && s[3] == '-';
	return 0;
}

/*
 * smtpc_reply - read one whole reply before deadline. Returns its code,
 * or -1 with c->text saying why (connection lost, timeout, garbage).
 */
int
smtpc_reply(struct smtpc *c, int64_t deadline)
{
	char	line[SMTP_REPLY_MAX + 1];
	ssize_t	n;
	int	code, first = -1, more = 1, lines = 0;
	size_t	tl = 3, k;

	if (c->until && c->until < deadline)
		deadline = c->until;
	c->text[0] = '\0';
	while (more) {
		n = smtp_getline(&c->in, line, SMTP_REPLY_MAX, deadline);
		if (n == -1) {
			if (errno == ETIMEDOUT)
				return smtpc_fail(c, "timeout waiting for a reply");
			if (errno == ECONNRESET)
				return smtpc_fail(c, "connection lost");
			if (errno == EMSGSIZE || errno == EPROTO)
				return smtpc_fail(c, "malformed reply line");
			return smtpc_fail(c, strerror(errno));
		}
		if (smtpc_parse_line(line, (size_t)n, &code, &more) == -1)
			return smtpc_fail(c, "malformed reply");
		if (first != -1 && code != first)
			return smtpc_fail(c, "reply codes differ between lines");
		first = code;
		if (++lines > SMTPC_LINES_MAX)
			return smtpc_fail(c, "reply too long");
		/* keep "code text text ..." for logs and DSNs, bounded */
		memcpy(c->text, line, 3);
		if (n > 4 && tl + 1 < sizeof(c->text)) {
			k = (size_t)n - 4;
			if (k > sizeof(c->text) - 2 - tl)
				k = sizeof(c->text) - 2 - tl;
			c->text[tl++] = ' ';
			memcpy(c->text + tl, line + 4, k);
			tl += k;
		}
		c->text[tl] = '\0';
	}
	for (k = 0; k < tl; k++)	/* printable for logs and reports */
		if ((unsigned char)c->text[k] < 32 || (unsigned char)c->text[k] > 126)
			c->text[k] = '?';
	return c->code = first;
}

/*
 * smtpc_greeting - the 220 banner. self[0..n) are this host's names: a
 * server that greets with one of them is ourselves (a routing loop).
 * Returns the code, or -1.
 */
int
smtpc_greeting(struct smtpc *c, const char *const *self, int n)
{
	char	name[256];
	size_t	len;
	int	code, i;

	code = smtpc_reply(c, smtpc_deadline(c, c->t.greeting));
	if (code != 220 || strlen(c->text) < 5)
		return code;
	len = strcspn(c->text + 4, " ");
	if (len == 0 || len >= sizeof(name))
		return code;
	memcpy(name, c->text + 4, len);
	name[len] = '\0';
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	for (i = 0; i < n; i++)
		if (strcasecmp(name, self[i]) == 0) {
			snprintf(c->text, sizeof(c->text), "mail for %s loops "
			    "back to myself (it greets as %s)", c->host, name);
			c->code = -1;
			return -1;
		}
	return code;
}

int
smtpc_send(struct smtpc *c, const char *fmt, ...)
{
	char	line[SMTP_CMD_MAX + 1];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > sizeof(line) - 3)
		return smtpc_fail(c, "command too long");
	memcpy(line + n, "\r\n", 2);
	if (outbuf_put(&c->out, line, (size_t)n + 2) == -1)
		return smtpc_fail(c, "connection lost while sending");
	return 0;
}

/*
 * smtpc_data - send the message after a 354, dot-stuffed, with CR LF
 * line ends whatever is stored: a bare LF becomes CR LF and a bare CR a
 * space, so that no bare line end ever leaves this host (the outbound
 * half of the smuggling defence). A NUL byte (snf-smtpd refuses them;
 * one can come from an older queue or be planted) becomes a space too,
 * counted in c->nuls: a receiver that reads C strings would cut the
 * message there, or take "CR LF NUL . CR LF" for its end. Ends with "."
 * and reads the reply.
 */
int
smtpc_data(struct smtpc *c, struct qbody *b)
{
	char	 in[16384];
	int	 bol = 1, cr = 0;
	ssize_t	 n, i, run;

	c->out.timeout = c->t.data_block;
	c->nuls = 0;
	while ((n = qbody_read(b, in, sizeof(in))) > 0) {
		for (i = 0; i < n; i += run) {
			if (cr && in[i] != '\n') {	/* bare CR */
				outbuf_put(&c->out, " ", 1);
				bol = 0;
			}
			cr = 0;
			if (in[i] == '\r') {
				cr = 1;
				run = 1;
				continue;
			}
			if (in[i] == '\n') {
				outbuf_put(&c->out, "\r\n", 2);
				bol = 1;
				run = 1;
				continue;
			}
			if (bol && in[i] == '.')
				outbuf_put(&c->out, ".", 1);	/* stuff */
			bol = 0;
			if (in[i] == '\0') {
				outbuf_put(&c->out, " ", 1);
				c->nuls++;
				run = 1;
				continue;
			}
			for (run = 1; i + run < n && in[i + run] != '\r' &&
			    in[i + run] != '\n' && in[i + run] != '\0'; run++)
				;
			outbuf_put(&c->out, in + i, (size_t)run);
		}
		if (c->out.err)
			return smtpc_fail(c, "connection lost while sending data");
	}
	if (n == -1)
		return smtpc_fail(c, "queued message unreadable");
	if (cr) {
		outbuf_put(&c->out, " ", 1);
		bol = 0;	/* else " " and ".\r\n" would share a line */
	}
	if (!bol)
		outbuf_put(&c->out, "\r\n", 2);
	outbuf_put(&c->out, ".\r\n", 3);
	if (outbuf_flush(&c->out) == -1)
		return smtpc_fail(c, "connection lost while sending data");
	return smtpc_reply(c, smtpc_deadline(c, c->t.data_done));
}

void
smtpc_quit(struct smtpc *c)
{
	if (c->fd == -1)
		return;
	if (smtpc_send(c, "QUIT") == 0 && outbuf_flush(&c->out) == 0)
		(void)smtpc_reply(c, smtpc_deadline(c, c->t.quit));
	if (c->tls)
		tlsio_close(c->tls, smtpc_deadline(c, c->t.quit));
	smtpc_close(c);
}

void
smtpc_close(struct smtpc *c)
{
	if (c->tls)
		tlsio_free(c->tls);
	c->tls = c->in.tls = c->out.tls = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/*
 * smtpc_enhanced - the RFC 3463 code in a reply text ("550 5.1.1 ..."),
 * copied into buf; NULL when there is none. The class is 2, 4 or 5,
 * the subject and the detail one to three digits each.
 */
const char *
smtpc_enhanced(const char *text, char *buf, size_t size)
{
	const char	*p = text;
	size_t		 n = 2, k;
	int		 part;

	if (strlen(p) < 9)	/* "550 5.1.1" */
		return NULL;
	p += 4;
	if ((p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
		return NULL;
	for (part = 0; part < 2; part++) {
		for (k = 0; k < 4 && isdigit((unsigned char)p[n + k]); k++)
			;
		if (k == 0 || k > 3)
			return NULL;
		n += k;
		if (part == 0 && p[n++] != '.')
			return NULL;
	}
	if ((p[n] != ' ' && p[n] != '\0') || n >= size)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}
