/*
 * inject.c - snf-queue's first job: the message on fd 0, the envelope
 * records on fd 1, through the queue writer (common/mail/qwrite.c), and
 * the status line back on fd 1 when it is a socket (see snf-queue(8)).
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "exitcodes.h"
#include "qwrite.h"
#include "snfq.h"

#define CHUNK	65536

/* status_line - tell the caller, when fd 1 is a socket it can read. */
static void
status_line(const char *line)
{
	struct stat	st;

	if (fstat(1, &st) == 0 && S_ISSOCK(st.st_mode)) {
		(void)!write(1, line, strlen(line));
		(void)!write(1, "\n", 1);
	}
}

/*
 * read_envelope - records "Kvalue\0" from fd 1 up to an empty record.
 * Returns 0, or -1 when the envelope ended before its empty record.
 */
static int
read_envelope(struct buf *b)
{
	char	chunk[4096], *z;
	size_t	pos = 0;
	ssize_t	n;

	for (;;) {
		while (pos < b->len) {
			if (b->p[pos] == '\0') {
				b->len = pos + 1;
				return 0;
			}
			if ((z = memchr(b->p + pos, '\0', b->len - pos)) == NULL)
				break;
			pos = (size_t)(z - b->p) + 1;
		}
		n = read(1, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || buf_add(b, chunk, (size_t)n) == -1)
			return -1;
	}
}

/* read_message - fd 0 into the writer; -1 with w->status on failure. */
static int
read_message(struct qw *w)
{
	char	*b;
	ssize_t	 n;

	if ((b = malloc(CHUNK)) == NULL)
		die_sys(SNF_EXIT_TEMP, "out of memory");
	for (;;) {
		n = read(0, b, CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			qw_abort(w);
			snprintf(w->status, sizeof(w->status),
			    "Z4.3.0 unable to read the message");
			break;
		}
		if (n == 0 || qw_write(w, b, (size_t)n) == -1)
			break;
	}
	free(b);
	return n == 0 ? 0 : -1;
}

/* queue_inject - the whole job; returns the exit status (or dies). */
int
queue_inject(int root)
{
	struct qw	 w;
	struct buf	 env;
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	alarm(86400);		/* a stuck writer must not live forever */
	umask(077);
	if (qw_begin(&w, root) == -1 || read_message(&w) == -1) {
		status_line(w.status);
		die(w.status[0] == 'D' ? SNF_EXIT_PERM : SNF_EXIT_TEMP, "%s",
		    w.status + 1);
	}
	buf_init(&env, ENV_MAX);
	if (read_envelope(&env) == -1) {
		/* the caller gave up (client gone, message refused):
		 * nothing to report, nothing kept */
		qw_abort(&w);
		buf_free(&env);
		return SNF_EXIT_TEMP;
	}
	r = qw_commit(&w, env.p, env.len);
	buf_free(&env);
	status_line(w.status);
	if (r != SNF_EXIT_OK)
		die(r, "%s", w.status + 1);
	return SNF_EXIT_OK;
}
