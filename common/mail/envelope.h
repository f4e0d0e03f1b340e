/*
 * envelope.h - the envelope of one queued item, as stored in the queue
 * (see snf-queue(5)): text lines "K value", one key letter each.
 */
#ifndef SNF_ENVELOPE_H
#define SNF_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define ENV_VERSION	1
#define ENV_MAX		(4 * 1024 * 1024)	/* bytes of envelope text */
#define ENV_RCPT_MAX	10000			/* recipients per item */

struct env_rcpt {
	char	*addr;		/* local@domain */
	char	*notify;	/* DSN NOTIFY value, or NULL */
	char	*orcpt;		/* DSN ORCPT value (type;xtext), or NULL */
};

struct envelope {
	int64_t		 arrival;	/* unix time the message arrived */
	char		*domain;	/* the one domain this item is for */
	char		*sender;	/* "" for the null sender */
	char		*envid;		/* DSN ENVID (xtext) or NULL */
	char		*ret;		/* DSN RET: FULL or HDRS, or NULL */
	char		*body;		/* BODY: 7BIT or 8BITMIME, or NULL */
	char		*client;	/* client IP, or NULL */
	char		*helo;		/* client's HELO name, or NULL */
	int		 smtputf8;	/* SMTPUTF8 was given */
	int		 zlib;		/* body stored deflated (zlib format) */
	uint64_t	 size;		/* message bytes before compression */
	int64_t		 warned;	/* time of the delay warning, or 0 */
	size_t		 nrcpt;
	size_t		 rcptcap;
	struct env_rcpt	*rcpt;
};

void	env_init(struct envelope *);
void	env_free(struct envelope *);
int	env_add_rcpt(struct envelope *, char *);
int	env_parse(struct envelope *, char *, size_t);
int	env_format(const struct envelope *, struct buf *);
int	env_value_ok(const char *);
int	env_domain_ok(const char *);

#endif
