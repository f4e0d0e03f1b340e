/*
 * rclass.c - the one table that says what a server's reply means. The
 * rule: a permanent refusal about the recipient or the message is the
 * recipient's answer, and is reported to the sender; a refusal about
 * this host, the session or the transport (a primary that will not
 * take mail from its backup, wants TLS or a login, does not relay for
 * it) is a fault of configuration: the mail stays, the domain is shown
 * as refused and the operator is alerted. Turning such a refusal into
 * bounces would return days of held mail, much of it to forged senders,
 * at the moment the primary comes back.
 *
 * Sources: RFC 5321 4.2 (reply codes) and 3.1 (554 at connect), RFC
 * 3463 (enhanced codes: X.1 addressing, X.2 mailbox, X.3 mail system,
 * X.5 protocol, X.6 content, X.7 security or policy), RFC 3207 4 (530
 * 5.7.0 "Must issue a STARTTLS command first"), RFC 4954 6 (530 5.7.0
 * authentication required), and the texts Postfix, Exim and Sendmail
 * give when they refuse a client ("Client host rejected", "Relay access
 * denied", "relaying denied", "relay not permitted").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rclass.h"
#include "smtpc.h"

/* names_client - the reply text says the refusal is about the client. */
static int
names_client(const char *text)
{
	static const char *const words[] = {
		"relay",		/* Relay access denied, relaying denied */
		"client host",		/* Postfix: Client host rejected */
		"client address",
		"starttls",		/* TLS required */
		"tls required",
		"encryption required",
		"authentication required",
		"must authenticate"
	};
	char	low[SMTPC_TEXT_MAX + 1];
	size_t	i;

	for (i = 0; text[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)text[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

/* perm_mail - a 5xx to MAIL: only the sender's address or the size is
 * the message's own answer (5.1.x, 5.3.4, 552); all else is policy */
static int
perm_mail(const char *enh, int code)
{
	if (enh == NULL)
		return code == 552 ? RC_PERM : RC_REFUSED;
	if (strncmp(enh, "5.1.", 4) == 0 || strcmp(enh, "5.3.4") == 0)
		return RC_PERM;
	return RC_REFUSED;
}

/* perm_rcpt - a 5xx to RCPT: the recipient's answer, unless it says
 * the client or relaying is refused (Postfix bounces a bare 550 too) */
static int
perm_rcpt(const char *enh, const char *text)
{
	if (enh && strcmp(enh, "5.7.0") == 0)
		return RC_REFUSED;
	if ((enh == NULL || strncmp(enh, "5.7.", 4) == 0 ||
	    strncmp(enh, "5.5.", 4) == 0 || strcmp(enh, "5.0.0") == 0) &&
	    names_client(text))
		return RC_REFUSED;
	if (enh && strncmp(enh, "5.5.", 4) == 0)
		return RC_REFUSED;	/* syntax or sequence: our fault */
	return RC_PERM;
}

/*
 * rclass - the class of reply code (-1: none, the connection failed)
 * with text ("550 5.1.1 ...") at stage.
 */
int
rclass(int stage, int code, const char *text)
{
	char		 buf[16];
	const char	*enh;

	if (code >= 200 && code < 400)
		return RC_OK;
	/* Postfix defers unauthorised relaying (454 4.7.1 Relay access
	 * denied): still a refusal of this host, only not a final one */
	if (code >= 400 && code < 500 && code != 421 &&
	    (stage == RS_MAIL || stage == RS_RCPT) && names_client(text))
		return RC_REFUSED;
	if (code < 500)			/* 4xx, 421, or no reply at all */
		return RC_TEMP;
	enh = smtpc_enhanced(text, buf, sizeof(buf));
	if (code == 530)		/* TLS or a login required */
		return RC_REFUSED;
	switch (stage) {
	case RS_GREETING:		/* 554: no service for this client */
	case RS_EHLO:
	case RS_STARTTLS:
		return RC_REFUSED;
	case RS_MAIL:
		return perm_mail(enh, code);
	case RS_RCPT:
		return perm_rcpt(enh, text);
	case RS_DATA:			/* recipients taken, DATA refused */
		return RC_REFUSED;
	}
	/* after the final dot: the content was judged */
	return RC_PERM;
}

const char *
rstage_name(int stage)
{
	static const char *const n[] = {
		"greeting", "EHLO", "STARTTLS", "MAIL", "RCPT", "DATA", "dot"
	};

	return stage >= 0 && stage <= RS_DOT ? n[stage] : "?";
}

const char *
rclass_name(int c)
{
	static const char *const n[] = { "ok", "temporary", "permanent",
	    "refused" };

	return c >= 0 && c <= RC_REFUSED ? n[c] : "?";
}
