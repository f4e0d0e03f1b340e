/*
 * qinject.c - the client side of snf-queue, for snf-smtpd and for any
 * program that queues a message (bounces). snf-queue's exit status is
 * the truth: 0 queued, 100 refused for good, anything else temporary.
 * Its status line ("K ids", "Z4.3.1 text", "D5.6.0 text") only adds
 * detail for the reply.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "exitcodes.h"
#include "fileio.h"
#include "io.h"
#include "qinject.h"
#include "qwrite.h"

/*
 * qinject_prog - the queue program to run: $SNF_QUEUE (tests put a fake
 * there), or NULL for the built-in writer, the code snf-queue runs.
 */
const char *
qinject_prog(void)
{
	const char	*e = getenv("SNF_QUEUE");

	return e && *e ? e : NULL;
}

static int
reap(struct qinject *q)
{
	int	st;

	while (waitpid(q->pid, &st, 0) == -1)
		if (errno != EINTR)
			return SNF_EXIT_TEMP;
	q->pid = -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return SNF_EXIT_TEMP;
}

/*
 * qinject_start - start the queue writer: the built-in one, in this
 * process (prog NULL: the code snf-queue runs, without a fork or an
 * exec per message), or program prog with -d root. For a program, a
 * pipe closed on exec tells whether the exec worked, so that a missing
 * or broken one is a 451 before DATA, not after the client has sent the
 * whole message. Returns 0, or -1 with errno.
 */
int
qinject_start(struct qinject *q, const char *prog, int rootfd,
    const char *root)
{
	q->w = NULL;
	if (prog == NULL) {
		q->pid = -1;
		q->msgfd = q->envfd = -1;
		q->werr = 0;
		q->reply[0] = '\0';
		if ((q->w = malloc(sizeof(*q->w))) == NULL)
			return -1;
		if (qw_begin(q->w, rootfd) == -1) {
			free(q->w);
			q->w = NULL;
			errno = EIO;
			return -1;
		}
		return 0;
	}
	int	mp[2], sp[2], ep[2], err;
	ssize_t	n;

	q->pid = -1;
	q->msgfd = q->envfd = -1;
	q->werr = 0;
	q->reply[0] = '\0';
	if (pipe(mp) == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		close(mp[0]);
		close(mp[1]);
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) == -1) {
		close(mp[0]); close(mp[1]); close(sp[0]); close(sp[1]);
		return -1;
	}
	switch (q->pid = fork()) {
	case -1:
		close(mp[0]); close(mp[1]); close(sp[0]); close(sp[1]);
		close(ep[0]); close(ep[1]);
		return -1;
	case 0:
		close(ep[0]);
		if (dup2(mp[0], 0) == -1 || dup2(sp[1], 1) == -1)
			_exit(SNF_EXIT_TEMP);
		close(mp[0]); close(mp[1]); close(sp[0]); close(sp[1]);
		signal(SIGPIPE, SIG_DFL);
		execl(prog, "snf-queue", "-d", root, (char *)NULL);
		err = errno;
		(void)!write(ep[1], &err, sizeof(err));
		_exit(SNF_EXIT_TEMP);
	}
	close(mp[0]);
	close(sp[1]);
	close(ep[1]);
	while ((n = read(ep[0], &err, sizeof(err))) == -1 && errno == EINTR)
		;
	close(ep[0]);
	if (n > 0) {
		close(mp[1]);
		close(sp[0]);
		(void)reap(q);
		errno = n == sizeof(err) ? err : EIO;
		return -1;
	}
	q->msgfd = mp[1];
	q->envfd = sp[0];
	fcntl(q->msgfd, F_SETFD, FD_CLOEXEC);
	fcntl(q->envfd, F_SETFD, FD_CLOEXEC);
	fcntl(q->msgfd, F_SETFL, fcntl(q->msgfd, F_GETFL) | O_NONBLOCK);
	fcntl(q->envfd, F_SETFL, fcntl(q->envfd, F_GETFL) | O_NONBLOCK);
	return 0;
}

/*
 * qinject_write - message bytes to snf-queue. After the first failure
 * (snf-queue gave up, e.g. on a full disk) later writes are dropped:
 * the caller keeps reading its input and asks qinject_finish why.
 */
int
qinject_write(struct qinject *q, const void *p, size_t n, int64_t deadline)
{
	if (q->werr)
		return -1;
	if (q->w) {
		if (qw_write(q->w, p, n) == -1) {
			q->werr = EIO;
			return -1;
		}
		return 0;
	}
	if (write_deadline(q->msgfd, p, n, deadline) == -1) {
		q->werr = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* env_record - append one envelope record "Kvalue\0" to b. */
int
env_record(struct buf *b, char key, const char *val)
{
	if (buf_addc(b, key) == -1 || buf_adds(b, val) == -1)
		return -1;
	return buf_addc(b, '\0');
}

/* read_reply - snf-queue's status line, until EOF or the deadline. */
static void
read_reply(struct qinject *q, int64_t deadline)
{
	struct inbuf	*in;
	size_t		 n = 0;
	int		 c;

	if ((in = malloc(sizeof(*in))) == NULL)
		return;
	inbuf_init(in, q->envfd, NULL);
	while (n + 1 < sizeof(q->reply) &&
	    (c = inbuf_getc(in, deadline)) != -1 && c != '\n')
		q->reply[n++] = (char)c;
	q->reply[n] = '\0';
	free(in);
}

/*
 * qinject_finish - end the message, send the envelope (records ending
 * with an empty one), collect the status line and the exit status.
 * Returns snf-queue's exit status (SNF_EXIT_TEMP when it could not
 * run or was killed, or the deadline passed).
 */
int
qinject_finish(struct qinject *q, const struct buf *env, int64_t deadline)
{
	int	st;

	if (q->w) {
		/* the records and, from buf's terminating NUL, the empty one */
		st = q->werr ? (q->w->status[0] == 'D' ? SNF_EXIT_PERM :
		    SNF_EXIT_TEMP) : qw_commit(q->w, env->p ? env->p : "",
		    env->p ? env->len + 1 : 1);
		strlcpy(q->reply, q->w->status, sizeof(q->reply));
		free(q->w);
		q->w = NULL;
		return st;
	}
	close(q->msgfd);
	q->msgfd = -1;
	if (q->werr == 0 &&
	    (write_deadline(q->envfd, env->p, env->len, deadline) == -1 ||
	    write_deadline(q->envfd, "", 1, deadline) == -1))
		q->werr = errno ? errno : EIO;
	/* a snf-queue that gave up early (a full disk) said why first */
	if (q->werr == 0 || q->werr == EPIPE) {
		shutdown(q->envfd, SHUT_WR);
		read_reply(q, deadline);
	}
	close(q->envfd);
	q->envfd = -1;
	if (mono_ms() >= deadline)
		kill(q->pid, SIGKILL);
	return reap(q);
}

/*
 * qinject_abort - the message will not be queued (client gone, too big,
 * bad input): close both channels without an envelope; snf-queue sees an
 * incomplete envelope and removes its temporary file.
 */
void
qinject_abort(struct qinject *q)
{
	if (q->w) {
		qw_abort(q->w);
		free(q->w);
		q->w = NULL;
		return;
	}
	if (q->msgfd != -1)
		close(q->msgfd);
	if (q->envfd != -1)
		close(q->envfd);
	q->msgfd = q->envfd = -1;
	if (q->pid > 0)
		(void)reap(q);
}
