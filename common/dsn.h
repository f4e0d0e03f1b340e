/*
 * dsn.h - delivery status notifications (RFC 3464, RFC 6522): the
 * report sent back to a message's envelope sender.
 */
#ifndef SNF_DSN_H
#define SNF_DSN_H

#include <stddef.h>

#include "buf.h"
#include "queue.h"

#define DSN_FULL_MAX	65536	/* larger originals come back as headers */

struct dsn_rcpt {
	const char	*addr;		/* Final-Recipient */
	const char	*orcpt;		/* Original-Recipient (type;xtext) */
	const char	*action;	/* failed, delayed, relayed */
	const char	*status;	/* x.y.z */
	const char	*remote;	/* Remote-MTA host, or NULL */
	const char	*diag;		/* Diagnostic-Code text (smtp), or NULL */
};

int	dsn_wanted(const char *, const char *);
int	dsn_make(struct buf *, const char *, struct qitem *,
	    const struct dsn_rcpt *, size_t, const char *);
int	dsn_queue(const char *, int, const char *, const char *,
	    const struct buf *,
	    char *, size_t);

#endif
