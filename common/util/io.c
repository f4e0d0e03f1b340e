/*
 * io.c - buffered reads and writes that never wait past a deadline.
 * Functions return -1 with errno set: ETIMEDOUT when the deadline passed,
 * or the errno of the failing system call. End of input is not an error
 * for inbuf_fill (it returns 0); inbuf_getc reports it as -1/ECONNRESET.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "tlsio.h"

int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* wait_fd - poll fd for events until deadline; 0 when ready. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd	pfd;
	int64_t		left;
	int		n;

	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

int
write_deadline(int fd, const void *p, size_t n, int64_t deadline)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno != EAGAIN)
			return -1;
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
	}
	return 0;
}

void
outbuf_init(struct outbuf *o, int fd, int64_t timeout)
{
	o->fd = fd;
	o->tls = NULL;
	o->err = 0;
	o->timeout = timeout;
	o->n = 0;
}

int
outbuf_flush(struct outbuf *o)
{
	if (o->err) {
		errno = o->err;
		return -1;
	}
	if (o->n == 0)
		return 0;
	if ((o->tls ? tlsio_write(o->tls, o->b, o->n, mono_ms() + o->timeout) :
	    write_deadline(o->fd, o->b, o->n, mono_ms() + o->timeout)) == -1) {
		o->err = errno;
		return -1;
	}
	o->n = 0;
	return 0;
}

int
outbuf_put(struct outbuf *o, const void *p, size_t n)
{
	const char	*s = p;
	size_t		 k;

	while (n > 0) {
		if (o->n == sizeof(o->b) && outbuf_flush(o) == -1)
			return -1;
		k = sizeof(o->b) - o->n;
		if (k > n)
			k = n;
		memcpy(o->b + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
	}
	return o->err ? -1 : 0;
}

int
outbuf_puts(struct outbuf *o, const char *s)
{
	return outbuf_put(o, s, strlen(s));
}

void
inbuf_init(struct inbuf *in, int fd, struct outbuf *flush)
{
	in->fd = fd;
	in->tls = NULL;
	in->eof = 0;
	in->r = in->w = 0;
	in->flush = flush;
}

/*
 * inbuf_fill - read more bytes into the buffer, flushing the tied outbuf
 * first. Returns bytes added, 0 at end of input, -1 on error/timeout.
 */
ssize_t
inbuf_fill(struct inbuf *in, int64_t deadline)
{
	ssize_t	n;

	if (in->r == in->w)
		in->r = in->w = 0;
	if (in->w == sizeof(in->b)) {
		if (in->r == 0) {
			errno = ENOBUFS;
			return -1;
		}
		memmove(in->b, in->b + in->r, in->w - in->r);
		in->w -= in->r;
		in->r = 0;
	}
	if (in->eof)
		return 0;
	if (in->flush && outbuf_flush(in->flush) == -1)
		return -1;
	if (in->tls) {
		if ((n = tlsio_read(in->tls, in->b + in->w, sizeof(in->b) - in->w,
		    deadline)) > 0)
			in->w += (size_t)n;
		else if (n == 0)
			in->eof = 1;
		return n;
	}
	for (;;) {
		n = read(in->fd, in->b + in->w, sizeof(in->b) - in->w);
		if (n > 0) {
			in->w += (size_t)n;
			return n;
		}
		if (n == 0) {
			in->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (wait_fd(in->fd, POLLIN, deadline) == -1)
			return -1;
	}
}

int
inbuf_getc(struct inbuf *in, int64_t deadline)
{
	ssize_t	n;

	if (in->r == in->w) {
		n = inbuf_fill(in, deadline);
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
	}
	return (unsigned char)in->b[in->r++];
}

/* inbuf_pending - 1 when input is buffered or readable right now. */
int
inbuf_pending(struct inbuf *in)
{
	struct pollfd	pfd;

	if (in->r < in->w)
		return 1;
	if (in->eof)
		return 0;
	pfd.fd = in->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}
