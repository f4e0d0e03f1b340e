/*
 * fuzz_smtpline.c - smtp_getline, the one line reader for commands and
 * replies. Input: a byte choosing the line limit, a byte choosing how
 * the bytes arrive, then the peer's bytes, read through an inbuf on a
 * non-blocking pipe line by line until EOF. Arrival 0: all at once;
 * else in chunks of random size, the next handed over only when the
 * reader would wait (the program is linked with --wrap=poll), so lines
 * are split across reads as they are on a real connection, and nothing
 * ever waits. Each result is compared with a model written from the
 * rule: a line ends only at CR LF; a line (with its line end) longer
 * than the limit is EMSGSIZE; a bare CR or LF in it is EPROTO; bytes
 * after the last LF are ECONNRESET. The line buffer is exactly the
 * limit in size, so a write past it is caught.
 */
#include "fuzz.h"

#include <poll.h>
#include <string.h>

#include "io.h"
#include "smtpline.h"

/* limits callers use (commands, replies, DATA text lines) and odd ones */
static const size_t maxes[] = {
	SMTP_CMD_MAX, SMTP_REPLY_MAX, 1002, 1, 2, 3, 8, 64, 20000
};

enum { L_LINE, L_EMSGSIZE, L_EPROTO, L_EOF };

int	__real_poll(struct pollfd *, nfds_t, int);
int	__wrap_poll(struct pollfd *, nfds_t, int);

/* the peer: its bytes, how far they went, the chunk size generator */
static struct {
	const uint8_t	*p;
	size_t		 n, off, lim;
	uint32_t	 x;
	int		 rd, wr;	/* wr -1 once closed */
} peer = { .rd = -1, .wr = -1 };

/* trickle - the reader would wait: the next chunk, or the end */
static void
trickle(void)
{
	size_t	k;
	ssize_t	w;

	if (peer.wr == -1)
		return;
	if (peer.off == peer.n) {
		close(peer.wr);
		peer.wr = -1;
		return;
	}
	peer.x ^= peer.x << 13;
	peer.x ^= peer.x >> 17;
	peer.x ^= peer.x << 5;
	k = 1 + peer.x % peer.lim;
	if (k > peer.n - peer.off)
		k = peer.n - peer.off;
	if ((w = write(peer.wr, peer.p + peer.off, k)) > 0)
		peer.off += (size_t)w;
}

int
__wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (n == 1 && fds[0].fd == peer.rd && peer.rd != -1 && timeout != 0)
		trickle();
	return __real_poll(fds, n, timeout);
}

/* peer_pipe - the reader's end; all bytes now (arrival 0), or chunks */
static int
peer_pipe(const uint8_t *p, size_t n, int arrival, size_t *fed)
{
	int	fd[2];

	if (arrival == 0) {
		peer.rd = -1;
		return pipe_with(p, n, fed);
	}
	if (pipe2(fd, O_NONBLOCK | O_CLOEXEC) == -1)
		abort();
	peer.p = p;
	peer.n = n;
	peer.off = 0;
	peer.lim = 1 + (size_t)(arrival % 32) * 37;	/* 1 to 1148 */
	peer.x = (uint32_t)arrival * 2654435761U | 1;
	peer.rd = fd[0];
	peer.wr = fd[1];
	*fed = n;
	return fd[0];
}

/* model - what reading s[0..n) from off should give; *next after it */
static int
model(const char *s, size_t n, size_t off, size_t max, size_t *next,
    size_t *len)
{
	const char	*lf;
	size_t		 k;

	lf = memchr(s + off, '\n', n - off);
	if (lf == NULL) {
		*next = n;
		return L_EOF;
	}
	k = (size_t)(lf - (s + off)) + 1;	/* the line with its LF */
	*next = off + k;
	if (k > max)
		return L_EMSGSIZE;
	if (k < 2 || s[off + k - 2] != '\r' ||
	    memchr(s + off, '\r', k - 2) != NULL)
		return L_EPROTO;
	*len = k - 2;
	return L_LINE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct inbuf	 in;
	const char		*s;
	char			*dst;
	size_t			 max, n, off = 0, next, len = 0;
	ssize_t			 got;
	int64_t			 deadline;
	int			 fd, want, lines = 0;

	if (size < 2)
		return 0;
	max = maxes[data[0] % (sizeof(maxes) / sizeof(maxes[0]))];
	s = (const char *)data + 2;
	fd = peer_pipe(data + 2, size - 2, data[1], &n);
	if ((dst = malloc(max)) == NULL)
		abort();
	inbuf_init(&in, fd, NULL);
	deadline = FUZZ_DEADLINE(mono_ms());
	for (;;) {
		want = model(s, n, off, max, &next, &len);
		errno = 0;
		got = smtp_getline(&in, dst, max, deadline);
		CHECK(in.r <= in.w && in.w <= sizeof(in.b));
		switch (want) {
		case L_LINE:
			CHECK(got == (ssize_t)len);
			CHECK(len + 2 <= max && dst[len] == '\0');
			CHECK(memcmp(dst, s + off, len) == 0);
			break;
		case L_EMSGSIZE:
			CHECK(got == -1 && errno == EMSGSIZE);
			break;
		case L_EPROTO:
			CHECK(got == -1 && errno == EPROTO);
			break;
		case L_EOF:
			CHECK(got == -1 && errno == ECONNRESET);
			break;
		}
		if (want == L_EOF)
			break;
		off = next;
		CHECK(++lines <= (int)n);
	}
	/* and it stays at the end */
	CHECK(smtp_getline(&in, dst, max, deadline) == -1 &&
	    errno == ECONNRESET);
	CHECK(peer.rd == -1 || (peer.wr == -1 && peer.off == peer.n));
	free(dst);
	close(fd);
	peer.rd = -1;
	return 0;
}
