/*
 * qinject.h - hand one message to snf-queue: the message on its fd 0,
 * the envelope on its fd 1 (qmail-queue's protocol, see snf-queue(8)).
 * fd 1 is a socket pair, so snf-queue can answer with one status line.
 * The writer is the built-in one (qwrite.c), called in-process, or the
 * program named by $SNF_QUEUE, run with that protocol.
 */
#ifndef SNF_QINJECT_H
#define SNF_QINJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#include "qwrite.h"

struct qinject {
	struct qw	*w;		/* the built-in writer, or NULL */
	pid_t	pid;
	int	msgfd;		/* message pipe, write end */
	int	envfd;		/* our end of the socket pair */
	int	werr;		/* errno of the first failed message write */
	char	reply[512];	/* snf-queue's status line, if any */
};

const char	*qinject_prog(void);
int		 qinject_start(struct qinject *, const char *, int,
		    const char *);
int		 qinject_write(struct qinject *, const void *, size_t, int64_t);
int		 qinject_finish(struct qinject *, const struct buf *, int64_t);
void		 qinject_abort(struct qinject *);
int		 env_record(struct buf *, char, const char *);

#endif
