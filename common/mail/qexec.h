/*
 * qexec.h - a queue program run with snf-queue's protocol (qexec.c):
 * the message on its fd 0, the envelope records on its fd 1, a socket
 * pair, so that it can answer with one status line (see snf-queue(8)).
 * Used through qsink.h when $SNF_QUEUE names a program.
 */
#ifndef SNF_QEXEC_H
#define SNF_QEXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct qexec {
	pid_t	pid;
	int	msgfd;		/* message pipe, write end */
	int	envfd;		/* our end of the socket pair */
	int	werr;		/* errno of the first failed message write */
};

int	qexec_start(struct qexec *, const char *, const char *);
int	qexec_write(struct qexec *, const void *, size_t, int64_t);
int	qexec_finish(struct qexec *, const struct buf *, int64_t, char *,
	    size_t);
void	qexec_abort(struct qexec *);

#endif
