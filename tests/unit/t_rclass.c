/*
 * t_rclass.c - rclass.c, the table of what a server's reply means: every
 * row is a reply a real server gives (Postfix, Exim, Sendmail, Microsoft
 * and Google texts among them) at one stage, and the class it must get.
 * A refusal of this host is never the recipient's answer.
 */
#include <stdio.h>
#include <string.h>

#include "rclass.h"
#include "../tap.h"

struct rcase {
	int		 stage;
	int		 code;
	const char	*text;
	int		 want;
};

static const struct rcase rows[] = {
	/* taken */
	{ RS_GREETING, 220, "220 mail.example.com ESMTP", RC_OK },
	{ RS_DATA, 354, "354 End data with <CR><LF>.<CR><LF>", RC_OK },
	{ RS_DOT, 250, "250 2.0.0 Ok: queued as 4B1C", RC_OK },
	/* temporary, whatever the stage */
	{ RS_GREETING, 421, "421 4.3.2 Service not available", RC_TEMP },
	{ RS_MAIL, 451, "451 4.3.0 try again", RC_TEMP },
	{ RS_RCPT, 450, "450 4.2.0 <a@b>: Recipient address rejected: "
	    "Greylisted", RC_TEMP },
	{ RS_RCPT, 452, "452 4.5.3 Too many recipients", RC_TEMP },
	{ RS_DOT, 451, "451 4.7.1 Please try again later", RC_TEMP },
	{ RS_RCPT, -1, "timeout waiting for a reply", RC_TEMP },
	{ RS_STARTTLS, 454, "454 4.7.0 TLS not available", RC_TEMP },
	/* refusals of this host: at connect, EHLO, STARTTLS */
	{ RS_GREETING, 554, "554 5.7.1 mail.example.com: no SMTP service "
	    "here", RC_REFUSED },
	{ RS_GREETING, 554, "554 firewall says no", RC_REFUSED },
	{ RS_EHLO, 550, "550 5.7.1 Your HELO name is refused", RC_REFUSED },
	{ RS_EHLO, 502, "502 5.5.2 Error: command not recognized",
	    RC_REFUSED },
	{ RS_STARTTLS, 554, "554 5.7.3 TLS handshake refused", RC_REFUSED },
	/* TLS or a login required, at any stage */
	{ RS_MAIL, 530, "530 5.7.0 Must issue a STARTTLS command first",
	    RC_REFUSED },
	{ RS_RCPT, 530, "530 5.7.0 Authentication required", RC_REFUSED },
	{ RS_DOT, 530, "530 5.7.0 Must issue a STARTTLS command first",
	    RC_REFUSED },
	/* MAIL: policy refusals are refusals of this host */
	{ RS_MAIL, 550, "550 5.7.1 Client host rejected: Access denied",
	    RC_REFUSED },
	{ RS_MAIL, 554, "554 5.7.1 <x@y>: Sender address rejected: Access "
	    "denied", RC_REFUSED },
	{ RS_MAIL, 550, "550 5.7.23 SPF validation failed", RC_REFUSED },
	{ RS_MAIL, 550, "550 not accepted from this host", RC_REFUSED },
	{ RS_MAIL, 501, "501 5.5.4 Syntax: MAIL FROM:<address>", RC_REFUSED },
	/* MAIL: the message's own answer */
	{ RS_MAIL, 553, "553 5.1.8 <x@nowhere.test>: Sender address "
	    "rejected: Domain not found", RC_PERM },
	{ RS_MAIL, 552, "552 5.3.4 Message size exceeds fixed limit",
	    RC_PERM },
	{ RS_MAIL, 552, "552 message too big", RC_PERM },
	/* RCPT: the recipient's answer */
	{ RS_RCPT, 550, "550 5.1.1 <bob@example.com>: Recipient address "
	    "rejected: User unknown in local recipient table", RC_PERM },
	{ RS_RCPT, 550, "550 No such user here", RC_PERM },
	{ RS_RCPT, 552, "552 5.2.2 Mailbox full", RC_PERM },
	{ RS_RCPT, 550, "550 5.2.1 The email account that you tried to "
	    "reach is disabled", RC_PERM },
	{ RS_RCPT, 554, "554 5.7.1 <bob@example.com>: Recipient address "
	    "rejected: Access denied", RC_PERM },
	{ RS_RCPT, 550, "550 5.4.1 Recipient address rejected: Access "
	    "denied. AS(201806281)", RC_PERM },
	/* RCPT: refusals of this host, final or not */
	{ RS_RCPT, 454, "454 4.7.1 <bob@example.com>: Relay access denied",
	    RC_REFUSED },
	{ RS_MAIL, 450, "450 4.7.1 Client host rejected: cannot find your "
	    "hostname", RC_REFUSED },
	{ RS_RCPT, 421, "421 4.7.0 relay closing", RC_TEMP },
	{ RS_RCPT, 554, "554 5.7.1 <bob@example.com>: Relay access denied",
	    RC_REFUSED },
	{ RS_RCPT, 554, "554 5.7.1 <unknown[192.0.2.9]>: Client host "
	    "rejected: Access denied", RC_REFUSED },
	{ RS_RCPT, 550, "550 relaying denied", RC_REFUSED },
	{ RS_RCPT, 550, "550 5.7.0 Not allowed", RC_REFUSED },
	{ RS_RCPT, 503, "503 5.5.1 Error: need MAIL command", RC_REFUSED },
	/* DATA refused after recipients were taken: policy */
	{ RS_DATA, 554, "554 5.5.1 Error: no valid recipients", RC_REFUSED },
	/* after the dot: the content was judged */
	{ RS_DOT, 554, "554 5.7.1 Message content rejected", RC_PERM },
	{ RS_DOT, 550, "550 5.6.0 Headers refused", RC_PERM },
	{ RS_DOT, 552, "552 5.3.4 Message size exceeds fixed maximum",
	    RC_PERM },
};

int
main(void)
{
	size_t	i;
	int	got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = rclass(rows[i].stage, rows[i].code, rows[i].text);
		ok_str(rclass_name(got), rclass_name(rows[i].want), "%s %s",
		    rstage_name(rows[i].stage), rows[i].text);
	}
	ok_str(rstage_name(RS_DOT), "dot", "rstage_name");
	ok_str(rclass_name(RC_REFUSED), "refused", "rclass_name");
	return done();
}
