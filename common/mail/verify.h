/*
 * verify.h - deciding one recipient of a protected domain (verify.c):
 * the users list of a userprotect domain, or, for a cloudprotect domain,
 * the recipient cache and a callout to the primary (see snf-verify(8)).
 */
#ifndef SNF_VERIFY_H
#define SNF_VERIFY_H

#include <stdint.h>

#include "addr.h"
#include "callout.h"
#include "vcache.h"

enum {
	VERDICT_ACCEPT = 0,	/* the exit codes of snf-verify */
	VERDICT_REJECT = 100,
	VERDICT_DEFER = 111
};

struct verifier {
	int		root;
	const char	*rootpath;	/* for the alert program */
	int		cache_only;	/* never call out (snf-verify -n) */
	const char	*client;	/* its IP address (TCPREMOTEIP), or NULL */
	int		limited;	/* the last defer was negative_rate's */
	struct callout	co;
};

void	verify_init(struct verifier *, int, const char *);
int	verify(struct verifier *, const struct addr *, char *, size_t);
void	verify_close(struct verifier *);
int	verify_expire(int, int, int64_t, vcache_said, void *);

#endif
