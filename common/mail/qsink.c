/*
 * qsink.c - one interface to the two ways of queueing a message. The
 * writer in this process is the product: snf-smtpd, snf-send (for
 * reports) and the release verbs call it without a fork or an exec,
 * which is why they must run as the queue's owner (snf(7)). A program
 * named by $SNF_QUEUE takes its place for interoperation and tests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qexec.h"
#include "qsink.h"
#include "qwrite.h"

struct qsink_ops {
	int	(*write)(struct qsink *, const void *, size_t, int64_t);
	int	(*finish)(struct qsink *, const struct buf *, int64_t);
	void	(*abort)(struct qsink *);
};

static int
w_write(struct qsink *q, const void *p, size_t n, int64_t deadline)
{
	(void)deadline;
	return qw_write(q->impl, p, n);
}

static int
w_finish(struct qsink *q, const struct buf *env, int64_t deadline)
{
	struct qw	*w = q->impl;
	int		 st;

	(void)deadline;
	/* the records and, from buf's terminating NUL, the empty one; a
	 * writer that failed on a write says so (its status is kept) */
	st = qw_commit(w, env->p ? env->p : "", env->p ? env->len + 1 : 1);
	strlcpy(q->reply, w->status, sizeof(q->reply));
	return st;
}

static void
w_abort(struct qsink *q)
{
	qw_abort(q->impl);
}

static const struct qsink_ops writer_ops = { w_write, w_finish, w_abort };

static int
x_write(struct qsink *q, const void *p, size_t n, int64_t deadline)
{
	return qexec_write(q->impl, p, n, deadline);
}

static int
x_finish(struct qsink *q, const struct buf *env, int64_t deadline)
{
	return qexec_finish(q->impl, env, deadline, q->reply,
	    sizeof(q->reply));
}

static void
x_abort(struct qsink *q)
{
	qexec_abort(q->impl);
}

static const struct qsink_ops exec_ops = { x_write, x_finish, x_abort };

/*
 * qsink_start - begin a message for the queue of root (its path is for
 * a program, which takes -d). Returns 0, or -1 with errno: a queue
 * that cannot take a message now.
 */
int
qsink_start(struct qsink *q, int root, const char *rootpath)
{
	const char	*prog = getenv("SNF_QUEUE");
	int		 e;

	memset(q, 0, sizeof(*q));
	if (prog && *prog) {
		q->ops = &exec_ops;
		if ((q->impl = malloc(sizeof(struct qexec))) == NULL)
			return -1;
		if (qexec_start(q->impl, prog, rootpath) == 0)
			return 0;
	} else {
		q->ops = &writer_ops;
		if ((q->impl = malloc(sizeof(struct qw))) == NULL)
			return -1;
		if (qw_begin(q->impl, root) == 0)
			return 0;
		strlcpy(q->reply, ((struct qw *)q->impl)->status,
		    sizeof(q->reply));
		errno = EIO;
	}
	e = errno;
	free(q->impl);
	q->impl = NULL;
	errno = e;
	return -1;
}

/*
 * qsink_write - message bytes. After the first failure (the writer gave
 * up, on a full disk say) later writes are dropped: the caller reads
 * its input to the end and asks qsink_finish why.
 */
int
qsink_write(struct qsink *q, const void *p, size_t n, int64_t deadline)
{
	if (q->werr)
		return -1;
	if (q->ops->write(q, p, n, deadline) == -1) {
		q->werr = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/*
 * qsink_finish - the envelope records (see qsink_record), and the end of
 * the message. Returns the exit status; q->reply says more.
 */
int
qsink_finish(struct qsink *q, const struct buf *env, int64_t deadline)
{
	int	st = q->ops->finish(q, env, deadline);

	free(q->impl);
	q->impl = NULL;
	return st;
}

/* qsink_abort - the message will not be queued; nothing of it is kept. */
void
qsink_abort(struct qsink *q)
{
	if (q->impl == NULL)
		return;
	q->ops->abort(q);
	free(q->impl);
	q->impl = NULL;
}

/* qsink_record - append one envelope record "Kvalue\0" to b. */
int
qsink_record(struct buf *b, char key, const char *val)
{
	if (buf_addc(b, key) == -1 || buf_adds(b, val) == -1)
		return -1;
	return buf_addc(b, '\0');
}
