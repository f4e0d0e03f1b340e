/*
 * qwrite.h - the queue writer: one message and its envelope (the
 * qmail-queue records, see snf-queue(8)) into the queue, durably, one
 * item per recipient domain (qwrite.c: the protocol and the items;
 * qcommit.c: their names; qrecords.c: the records). Used through
 * qsink.h by every program that queues.
 */
#ifndef SNF_QWRITE_H
#define SNF_QWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "queue.h"

struct qw_group {		/* the item for one recipient domain */
	struct envelope	 env;
	int		 compress;
	int		 fd;		/* the item, open until committed */
	int		 dfd;		/* queue/mail/D, open while committing */
	int		 raw;		/* the item is the raw file */
	char		 tmp[128];	/* its name in queue/tmp/, or "" */
	char		 id[QUEUE_ID_MAX];
	int		 committed;
};

struct qw {
	int			 root;
	int			 tmpfd;		/* queue/tmp */
	int			 unnamed;	/* O_TMPFILE usable: 1, no: -1 */
	int			 rawfd;		/* the body being written */
	char			 rawtmp[128];	/* its name in queue/tmp/, or "" */
	int			 rawkeep;	/* it became an item */
	uint64_t		 rawsize;
	uint32_t		 rawcrc;
	struct qw_group		*groups;	/* one per recipient domain */
	size_t			 ngroups, gcap;
	struct envelope		 proto;		/* message-level fields */
	char			*sender;
	char			 status[256];	/* "K ids", "Zx.y.z why", "Dx.y.z why" */
};

int	qw_begin(struct qw *, int);
int	qw_write(struct qw *, const void *, size_t);
int	qw_commit(struct qw *, const char *, size_t);
void	qw_abort(struct qw *);

/* for qrecords.c and qcommit.c */
int	qw_fail(struct qw *, char, const char *, const char *);
int	qw_fail_io(struct qw *, const char *);
int	qw_name(struct qw *);
int	qrec_parse(struct qw *, char *, const char *);
void	qrec_free(struct qw *);

#endif
