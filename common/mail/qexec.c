/*
 * qexec.c - running a queue program with snf-queue's protocol. Its exit
 * status is the truth: 0 queued, 100 refused for good, anything else
 * temporary. Its status line ("K ids", "Z4.3.1 text", "D5.6.0 text")
 * only adds detail for the reply.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "io.h"
#include "qexec.h"

static int
reap(struct qexec *q)
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
 * qexec_start - run program prog with -d root. A pipe closed on exec
 * tells whether the exec worked, so that a missing or broken program is
 * a 451 before DATA, not after the client has sent the whole message.
 * Returns 0, or -1 with errno.
 */
int
qexec_start(struct qexec *q, const char *prog, const char *root)
{
	int	mp[2], sp[2], ep[2], err;
	ssize_t	n;

	q->pid = -1;
	q->msgfd = q->envfd = -1;
	q->werr = 0;
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
 * qexec_write - message bytes to the program. After the first failure
 * (it gave up, e.g. on a full disk) later writes are dropped.
 */
int
qexec_write(struct qexec *q, const void *p, size_t n, int64_t deadline)
{
	if (q->werr)
		return -1;
	if (write_deadline(q->msgfd, p, n, deadline) == -1) {
		q->werr = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* read_reply - snf-queue's status line, until EOF or the deadline. */
static void
read_reply(struct qexec *q, int64_t deadline, char *reply, size_t size)
{
	struct inbuf	*in;
	size_t		 n = 0;
	int		 c;

	reply[0] = '\0';
	if ((in = malloc(sizeof(*in))) == NULL)
		return;
	inbuf_init(in, q->envfd, NULL);
	while (n + 1 < size &&
	    (c = inbuf_getc(in, deadline)) != -1 && c != '\n')
		reply[n++] = (char)c;
	reply[n] = '\0';
	free(in);
}

/*
 * qexec_finish - end the message, send the envelope (records ending
 * with an empty one), collect the status line into reply and the exit
 * status (SNF_EXIT_TEMP when the program could not run or was killed,
 * or the deadline passed).
 */
int
qexec_finish(struct qexec *q, const struct buf *env, int64_t deadline,
    char *reply, size_t size)
{
	reply[0] = '\0';
	close(q->msgfd);
	q->msgfd = -1;
	if (q->werr == 0 &&
	    (write_deadline(q->envfd, env->p, env->len, deadline) == -1 ||
	    write_deadline(q->envfd, "", 1, deadline) == -1))
		q->werr = errno ? errno : EIO;
	/* a snf-queue that gave up early (a full disk) said why first */
	if (q->werr == 0 || q->werr == EPIPE) {
		shutdown(q->envfd, SHUT_WR);
		read_reply(q, deadline, reply, size);
	}
	close(q->envfd);
	q->envfd = -1;
	if (mono_ms() >= deadline)
		kill(q->pid, SIGKILL);
	return reap(q);
}

/*
 * qexec_abort - the message will not be queued (client gone, too big,
 * bad input): close both channels without an envelope; the program sees
 * an incomplete envelope and removes its temporary file.
 */
void
qexec_abort(struct qexec *q)
{
	if (q->msgfd != -1)
		close(q->msgfd);
	if (q->envfd != -1)
		close(q->envfd);
	q->msgfd = q->envfd = -1;
	if (q->pid > 0)
		(void)reap(q);
}
