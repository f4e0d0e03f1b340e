/*
 * rclass.h - what a server's reply means for the mail it was about
 * (rclass.c, the one table): the answer about a recipient or a message,
 * a temporary failure, or a refusal of this host, the session or the
 * transport, which never bounces anything.
 */
#ifndef SNF_RCLASS_H
#define SNF_RCLASS_H

enum rstage {
	RS_GREETING,		/* the banner, or 554 at connect */
	RS_EHLO,		/* EHLO, and HELO after it */
	RS_STARTTLS,
	RS_MAIL,
	RS_RCPT,
	RS_DATA,		/* the reply to DATA itself */
	RS_DOT			/* the reply after the final dot */
};

enum rclass {
	RC_OK,			/* taken */
	RC_TEMP,		/* not now: the same again later */
	RC_PERM,		/* the recipient's or the message's answer */
	RC_REFUSED		/* this host is refused: keep all, alert */
};

int		 rclass(int, int, const char *);
const char	*rstage_name(int);
const char	*rclass_name(int);

#endif
