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

