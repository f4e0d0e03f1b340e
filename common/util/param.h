/*
 * param.h - ESMTP parameters after a MAIL or RCPT path (RFC 5321 4.1.2):
 * esmtp-keyword ["=" esmtp-value], separated by spaces.
 */
#ifndef SNF_PARAM_H
#define SNF_PARAM_H

#include <stddef.h>
#include <stdint.h>

struct param {
	const char	*key;
	size_t		 klen;
	const char	*val;		/* NULL when there was no "=" */
	size_t		 vlen;
};

int	param_next(const char **, const char *, struct param *);
int	param_is(const struct param *, const char *);
int	param_val_is(const struct param *, const char *);
int	xtext_valid(const char *, size_t);
int	size_parse(const char *, size_t, uint64_t *);
int	notify_valid(const char *, size_t);
int	orcpt_valid(const char *, size_t);

#define ENVID_MAX	100	/* RFC 3461 4.4 */
#define ORCPT_MAX	500	/* RFC 3461 4.2 */

#endif
