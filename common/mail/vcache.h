/*
 * vcache.h - the recipient cache of cloudprotect domains, the one place
 * that knows its files (vcache.c: the records; vmemo.c: what is known
 * of the primary itself; vrate.c: how many new negative records a
 * minute may make; see snf-verify(8)): what the primary said of
 * each address, and when.
 *
 *   cache/D/HASH       one record: "positive|negative TIME ADDRESS\n"
 *   cache/D/.down      the primary could not answer: "UNTIL REASON\n"
 *   cache/D/.catchall  "yes|no TIME\n": does it accept any local part?
 *   cache/D/.slot.N    lock files: callouts in flight to the primary
 *   cache/D/.refused   the primary refuses this host: "TIME REASON\n"
 *   cache/D/.rate      new negative records this minute (vrate.c):
 *                      "MINUTE TOTAL\n", then "CLIENT COUNT\n" lines
 *
 * HASH is the SHA-256 of the normalised address in hex: an address
 * never becomes a file name, whatever bytes it holds.
 */
#ifndef SNF_VCACHE_H
#define SNF_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum { VREC_NONE = 0, VREC_POSITIVE, VREC_NEGATIVE };

struct vrec {
	int	kind;
	int64_t	when;			/* time of the primary's answer */
	char	addr[ADDR_PATH_MAX + 1];
};

struct vttl {			/* how long records of a domain live */
	int64_t	pos_ttl, neg_ttl;
	int	keep_positive;		/* positives live on past pos_ttl */
};

#define VRATE_MAX	1000	/* negative_rate: new negative records a minute */

enum { VRATE_TAKEN = 0, VRATE_SPENT = 2, VRATE_CLIENT = 3 };

struct vrate {			/* the budget of new negative records */
	unsigned	 rate;		/* a minute, for the domain */
	unsigned	 share;		/* a minute, for one client */
	const char	*client;	/* vcache_rate_client's, "" for none */
};

/* what an expiry removed (or would): domain, file name, "removed" */
typedef void	(*vcache_said)(const char *, const char *, const char *,
		    void *);

/* vcache.c */
int	vcache_folder(int, const char *, int);
int	vcache_read(int, const char *, const char *, char *, size_t);
int	vcache_write(int, const char *, const char *, const char *);
int	vcache_key(int, const struct addr *, char *, size_t);
int	vcache_get(int, const char *, const char *, struct vrec *);
int	vcache_put(int, const char *, const char *, int, int64_t);
int	vcache_del(int, const char *, const char *);
int	vcache_each(int, const char *, int (*)(const struct vrec *, void *),
	    void *);
int	vcache_expire(int, const char *, const struct vttl *, int, int64_t,
	    vcache_said, void *);
/* vmemo.c */
int	vcache_down_get(int, const char *, int64_t *, char *, size_t);
int	vcache_down_set(int, const char *, int64_t, const char *);
int	vcache_down_clear(int, const char *);
int	vcache_catchall_get(int, const char *, int *, int64_t *);
int	vcache_catchall_set(int, const char *, int, int64_t);
int	vcache_slot(int, const char *, unsigned);
int	vcache_refused_set(int, const char *, int64_t, const char *);
int	vcache_refused_get(int, const char *, int64_t *, char *, size_t);
int	vcache_refused_clear(int, const char *);
/* vrate.c */
int	vcache_rate_client(const char *, char *, size_t);
int	vcache_rate_take(int, const char *, const struct vrate *, int64_t);
void	vcache_rate_give(int, const char *, const char *, int64_t);
int	vcache_rate_dead(int, int64_t, int);

#endif
