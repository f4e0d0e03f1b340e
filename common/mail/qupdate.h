/*
 * qupdate.h - changing committed queue items: claim one (a lock that
 * keeps every other snf process off it), rewrite its envelope, remove it.
 */
#ifndef SNF_QUPDATE_H
#define SNF_QUPDATE_H

#include <stdint.h>

#include "queue.h"

int	qitem_claim(int, const char *, struct qitem *);
int	qitem_rewrite(int, const char *, struct qitem *,
	    const struct envelope *, int64_t);
int	qitem_remove(int, const char *);
int	qitem_defer(struct qitem *, int64_t);

#endif
