/*
 * qwrite.h - the queue writer: one message and its envelope (the
 * qmail-queue records, see snf-queue(8)) into the queue, durably, one
 * item per recipient domain. snf-smtpd and snf-send call it in-process;
 * snf-queue runs it over its fds 0 and 1 (queue_inject).
 */
#ifndef SNF_QWRITE_H
#define SNF_QWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

struct qw_group;

struct qw {
	int			 root;
	int			 rawfd;		/* the body being written */
	char			 rawtmp[128];
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
int	queue_inject(int);

#endif
