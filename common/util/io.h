/*
 * io.h - buffered fd I/O with absolute deadlines on the monotonic clock.
 * A deadline is a time in milliseconds from mono_ms(); every read and
 * write waits in poll(2) at most until it, so a peer that trickles bytes
 * cannot stretch a command past its deadline. An inbuf may be tied to an
 * outbuf that is flushed before the inbuf blocks (replies go out before
 * we wait for more commands, which makes pipelining work).
 * The fds must be non-blocking (O_NONBLOCK): a read or write is tried
 * first and waited for in poll(2) only when it would block. A buffer
 * with tls set reads or writes through it (tlsio.h), with the same
 * deadlines.
 */
#ifndef SNF_IO_H
#define SNF_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IO_BUFSIZE	16384

struct tlsio;

int64_t	mono_ms(void);

struct outbuf {
	int	fd;
	struct tlsio *tls;	/* writes go through TLS, when set */
	int	err;		/* sticky errno of the first failed write */
	int64_t	timeout;	/* ms allowed for one flush */
	size_t	n;
	char	b[IO_BUFSIZE];
};

struct inbuf {
	int		 fd;
	struct tlsio	*tls;	/* reads come through TLS, when set */
	int		 eof;
	size_t		 r, w;
	struct outbuf	*flush;	/* flushed before blocking, may be NULL */
	char		 b[IO_BUFSIZE];
};

void	outbuf_init(struct outbuf *, int, int64_t);
int	outbuf_put(struct outbuf *, const void *, size_t);
int	outbuf_puts(struct outbuf *, const char *);
int	outbuf_flush(struct outbuf *);
int	write_deadline(int, const void *, size_t, int64_t);

void	inbuf_init(struct inbuf *, int, struct outbuf *);
ssize_t	inbuf_fill(struct inbuf *, int64_t);
int	inbuf_getc(struct inbuf *, int64_t);
int	inbuf_pending(struct inbuf *);

#endif
