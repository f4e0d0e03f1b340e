/*
 * dsn.h - delivery status notifications (RFC 3464, RFC 6522): the
 * report sent back to a message's envelope sender.
 */
#ifndef SNF_DSN_H
#define SNF_DSN_H

#include <stddef.h>
#include <stdint.h>

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

struct dsn_info {		/* what a report says besides the recipients */
	const char	*why;		/* the paragraph of explanation */
	const char	*note;		/* text line when a rcpt has no diag */
	int64_t		 retry_until;	/* Will-Retry-Until (delayed), or 0 */
};

int	dsn_wanted(const char *, const char *);
int	dsn_make(struct buf *, const char *, struct qitem *,
	    const struct dsn_rcpt *, size_t, const char *);
int	dsn_make_info(struct buf *, const char *, struct qitem *,
	    const struct dsn_rcpt *, size_t, const struct dsn_info *);
int	dsn_held_why(char *, size_t, const char *, int64_t, int64_t);
int	dsn_queue(int, const char *, const char *, const struct buf *,
	    char *, size_t);

#endif
