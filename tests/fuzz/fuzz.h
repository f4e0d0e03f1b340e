/*
 * fuzz.h - shared by the libFuzzer targets in tests/fuzz/: CHECK(), which
 * reports a broken invariant and aborts (libFuzzer then keeps the input
 * as a crash), and pipe_with(), which hands bytes to a reader the way a
 * network peer would: through a non-blocking pipe, write end closed, so
 * that every read is answered at once and the end is a real EOF.
 */
#ifndef FUZZ_H
#define FUZZ_H

#define _GNU_SOURCE	/* F_SETPIPE_SZ, pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* a deadline that never comes during a run: no target waits in poll */
#define FUZZ_DEADLINE(now)	((now) + 3600 * 1000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * pipe_with - a pipe holding p[0..n), its write end closed and its read
 * end non-blocking (as snf-smtpd and snf-send set their sockets). Takes
 * as much as the pipe holds (1 MB when the kernel allows, else 64 kB);
 * *fed says how much that was. Returns the read end, or aborts.
 */
static inline int
pipe_with(const uint8_t *p, size_t n, size_t *fed)
{
	ssize_t	w;
	size_t	o = 0;
	int	fd[2];

	if (pipe2(fd, O_NONBLOCK | O_CLOEXEC) == -1)
		abort();
	(void)fcntl(fd[1], F_SETPIPE_SZ, 1 << 20);
	while (o < n) {
		w = write(fd[1], p + o, n - o);
		if (w > 0) {
			o += (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		break;		/* full (EAGAIN): the rest is cut off */
	}
	close(fd[1]);
	*fed = o;
	return fd[0];
}

#endif
