/*
 * ehlo.c - EHLO (HELO when the server does not know EHLO), and the
 * extensions a server offers in its reply, one keyword a line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtpc.h"
#include "smtpline.h"

/*
 * size_value - the SIZE parameter (RFC 1870): digits only, no sign or
 * space that strtoull would take, nothing past 64 bits. 0 when invalid.
 */
static uint64_t
size_value(const char *s)
{
	uint64_t	v = 0;

	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) ||
		    v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

/* ehlo_ext - note one EHLO keyword line. */
static void
ehlo_ext(struct smtpc *c, const char *kw)
{
	if (strcasecmp(kw, "PIPELINING") == 0)
		c->ext |= SMTPC_PIPELINING;
	else if (strcasecmp(kw, "8BITMIME") == 0)
		c->ext |= SMTPC_8BITMIME;
	else if (strcasecmp(kw, "DSN") == 0)
		c->ext |= SMTPC_DSN;
	else if (strcasecmp(kw, "ENHANCEDSTATUSCODES") == 0)
		c->ext |= SMTPC_ENHANCED;
	else if (strcasecmp(kw, "STARTTLS") == 0)
		c->ext |= SMTPC_STARTTLS;
	else if (strncasecmp(kw, "SIZE", 4) == 0 && (kw[4] == '\0' ||
	    kw[4] == ' ')) {
		c->ext |= SMTPC_SIZE;
		if (kw[4] == ' ')
			c->maxsize = size_value(kw + 5);
	}
}

/*
 * smtpc_ehlo - EHLO, or HELO when the server does not know EHLO. The
 * extension lines are read from the reply text kept by smtpc_reply, one
 * keyword per continuation line. Returns the final code or -1.
 */
int
smtpc_ehlo(struct smtpc *c, const char *me)
{
	char	line[SMTP_REPLY_MAX + 1];
	ssize_t	n;
	int	code = 0, first = -1, more = 1, lines = 0;
	int64_t	deadline;

	if (smtpc_send(c, "EHLO %s", me) == -1)
		return -1;
	deadline = smtpc_deadline(c, c->t.helo);
	while (more) {
		n = smtp_getline(&c->in, line, SMTP_REPLY_MAX, deadline);
		if (n == -1 && errno == ETIMEDOUT)
			return smtpc_fail(c, "timeout waiting for a reply");
		if (n == -1 && errno != EMSGSIZE && errno != EPROTO)
			return smtpc_fail(c, "connection lost");
		if (n == -1 ||
		    smtpc_parse_line(line, (size_t)n, &code, &more) == -1 ||
		    (first != -1 && code != first) || ++lines > SMTPC_LINES_MAX)
			return smtpc_fail(c, "malformed EHLO reply");
		first = code;
		if (code / 100 == 2 && lines > 1 && n > 4)
			ehlo_ext(c, line + 4);
	}
	if (code / 100 == 2) {
		snprintf(c->text, sizeof(c->text), "%d EHLO ok", code);
		return c->code = code;
	}
	c->ext = 0;
	c->maxsize = 0;
	snprintf(c->text, sizeof(c->text), "%d EHLO refused", code);
	if (code == 421 || code == 554 || smtpc_send(c, "HELO %s", me) == -1)
		return c->code = code;
	return smtpc_reply(c, smtpc_deadline(c, c->t.helo));
}


/*
 * smtpc_starttls - STARTTLS (RFC 3207) on a session that has said EHLO,
 * then EHLO again over TLS, as the server forgets what came before.
 * Returns 0 encrypted, 1 when the server did not say 220 (its reply in
 * c->code and c->text: the session goes on in clear text), -1 when the
 * handshake or what follows failed (the connection is unusable).
 */
int
smtpc_starttls(struct smtpc *c, const struct tlsio_client *tc, const char *me)
{
	char	err[SMTPC_TEXT_MAX + 1];
	int	code;

	if (smtpc_send(c, "STARTTLS") == -1)
		return -1;
	code = smtpc_reply(c, smtpc_deadline(c, c->t.helo));
	if (code == -1)
		return -1;
	if (code != 220)
		return 1;
	/* anything the server sent behind its 220 is not read as TLS */
	c->in.r = c->in.w = 0;
	if (tlsio_client(&c->tls, tc, c->fd, err, sizeof(err)) == -1 ||
	    tlsio_handshake(c->tls, smtpc_deadline(c, c->t.greeting), err,
	    sizeof(err)) == -1) {
		smtpc_fail(c, err);
		return -1;
	}
	c->in.tls = c->out.tls = c->tls;
	tlsio_get_info(c->tls, &c->tlsinfo);
	c->ext = 0;
	c->maxsize = 0;
	code = smtpc_ehlo(c, me);
	return code / 100 == 2 ? 0 : -1;
}

/* smtpc_tls_text - "TLSv1.3/CIPHER/256/verified", or "none" in clear. */
void
smtpc_tls_text(const struct smtpc *c, char *buf, size_t size)
{
	if (c->tls == NULL) {
		strlcpy(buf, "none", size);
		return;
	}
	snprintf(buf, size, "%s/%s/%d/%s", c->tlsinfo.version,
	    c->tlsinfo.cipher, c->tlsinfo.bits, c->tlsinfo.verified ?
	    "verified" : "unverified");
}
