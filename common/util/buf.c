/*
 * buf.c - growable byte strings. Every function returns 0, or -1 with
 * errno ENOMEM (allocation) or EMSGSIZE (past the buffer's cap), leaving
 * the contents as they were.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static int
buf_reserve(struct buf *b, size_t n)
{
	size_t	need, ncap;
	char	*np;

	if (n > SIZE_MAX - b->len - 1) {
		errno = EMSGSIZE;
		return -1;
	}
	need = b->len + n + 1;
	if (b->max && need - 1 > b->max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = (ncap > SIZE_MAX / 2) ? need : ncap * 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		return -1;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, int c)
{
	char	ch = (char)c;

	return buf_add(b, &ch, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
