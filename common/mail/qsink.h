/*
 * qsink.h - where a message goes to be queued (qsink.c): the queue
 * writer (qwrite.c) in this process, or, when $SNF_QUEUE names one, a
 * program run with snf-queue's protocol (qexec.c), as qmail's
 * QMAILQUEUE does. A caller writes the message, then finishes it with
 * its envelope records or aborts it; the exit status says what became
 * of it: 0 queued, 100 refused for good, 111 (or anything else) not
 * queued this time.
 */
#ifndef SNF_QSINK_H
#define SNF_QSINK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct qsink_ops;

struct qsink {
	const struct qsink_ops	*ops;
	void			*impl;
	int			 werr;		/* a write failed: drop the rest */
	char			 reply[512];	/* "K ids", "Zx.y.z why", ... */
};

int	qsink_start(struct qsink *, int, const char *);
int	qsink_write(struct qsink *, const void *, size_t, int64_t);
int	qsink_finish(struct qsink *, const struct buf *, int64_t);
void	qsink_abort(struct qsink *);
int	qsink_record(struct buf *, char, const char *);

#endif
