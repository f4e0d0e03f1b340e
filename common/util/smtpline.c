/*
 * smtpline.c - the one SMTP line reader, for snf-smtpd's commands and the
 * client side's replies. Only CR LF ends a line: a bare LF, or a CR not
 * followed by LF, is refused (never guessed at), which closes the SMTP
 * smuggling hole (RFC 5321 2.3.8). NUL bytes are kept in the line; callers
 * compare with lengths, not strlen().
 */
#include <errno.h>
#include <string.h>

#include "smtpline.h"

/*
 * skip_line - discard input up to and including the next LF, so that the
 * rest of an over-long line is never read as a command. End of input is
 * -1/ECONNRESET, as for smtp_getline.
 */
static int
skip_line(struct inbuf *in, int64_t deadline)
{
	char	*lf;
	ssize_t	 got;

	for (;;) {
		if (in->r < in->w) {
			lf = memchr(in->b + in->r, '\n', in->w - in->r);
			if (lf) {
				in->r = (size_t)(lf - in->b) + 1;
				return 0;
			}
			in->r = in->w;
		}
		if ((got = inbuf_fill(in, deadline)) <= 0) {
			if (got == 0)
				errno = ECONNRESET;
			return -1;
		}
	}
}

/*
 * smtp_getline - read one line before the absolute deadline into dst
 * (size max, the line limit including CRLF). Returns the length without
 * CRLF (dst is NUL-terminated), or -1 with errno: EMSGSIZE (line too
 * long; the rest was skipped), EPROTO (bare LF or bare CR), ECONNRESET
 * (end of input), ETIMEDOUT, or a read error.
 */
ssize_t
smtp_getline(struct inbuf *in, char *dst, size_t max, int64_t deadline)
{
	size_t	 n = 0, k;
	char	*p, *lf;
	ssize_t	 got;

	for (;;) {
		p = in->b + in->r;
		k = in->w - in->r;
		lf = memchr(p, '\n', k);
		if (lf)
			k = (size_t)(lf - p) + 1;
		if (n + k > max) {
			/* no room for this chunk: the line is too long */
			if (lf) {
				in->r += k;
			} else {
				in->r = in->w;
				if (skip_line(in, deadline) == -1)
					return -1;
			}
			errno = EMSGSIZE;
			return -1;
		}
		memcpy(dst + n, p, k);
		n += k;
		in->r += k;
		if (lf)
			break;
		got = inbuf_fill(in, deadline);
		if (got <= 0) {
			if (got == 0)
				errno = ECONNRESET;
			return -1;
		}
	}
	/* dst[0..n) ends with LF */
	if (n < 2 || dst[n - 2] != '\r' ||
	    memchr(dst, '\r', n - 2) != NULL) {
		errno = EPROTO;
		return -1;
	}
	n -= 2;
	dst[n] = '\0';
	return (ssize_t)n;
}
