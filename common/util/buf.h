/*
 * buf.h - a growable byte string with overflow-checked growth and a hard
 * cap, for envelopes and replies whose size comes from outside.
 * The bytes are always NUL-terminated; len does not count the NUL.
 */
#ifndef SNF_BUF_H
#define SNF_BUF_H

#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* 0: no limit beyond SIZE_MAX */
};

void	buf_init(struct buf *, size_t);
void	buf_free(struct buf *);
void	buf_reset(struct buf *);
int	buf_add(struct buf *, const void *, size_t);
int	buf_adds(struct buf *, const char *);
int	buf_addc(struct buf *, int);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));

#endif
