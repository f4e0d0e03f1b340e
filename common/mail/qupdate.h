/*
 * qupdate.h - changing committed queue items (qupdate.c): claim one (a
 * lock that keeps every other snf process off it; whole: its message
 * checked too), name a damaged one, rewrite its envelope, remove it,
 * move it between queue/mail and queue/hold.
 */
#ifndef SNF_QUPDATE_H
#define SNF_QUPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"

/* where an item is: its folder, open, and its name in it */
struct qref {
	int		 dfd;		/* queue/mail/D or queue/hold/D */
	int		 where;		/* RD_MAIL or RD_HOLD */
	const char	*domain;
	const char	*id;
};

int	qref_path(char *, size_t, const struct qref *);
int	qitem_claim(const struct qref *, struct qitem *);
int	qitem_claim_whole(const struct qref *, struct qitem *);
int	qitem_damaged(const struct qref *, int);
int	qitem_rewrite(int, const struct qref *, struct qitem *,
	    const struct envelope *, int64_t);
int	qitem_remove(const struct qref *);
int	qitem_defer(struct qitem *, int64_t);
int	qitem_move(int, const struct qref *, int);

#endif
