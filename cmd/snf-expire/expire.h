/*
 * expire.h - snf-expire: what the queue walk (expire.c), the reports
 * (notice.c) and the sweeps (sweep.c) share. One run, one ectx; every
 * action prints one tab-separated line on stdout and logs on stderr.
 */
#ifndef SNF_EXPIRE_H
#define SNF_EXPIRE_H

#include <stdint.h>

#include "queue.h"

#define EXPIRE_LIFETIME	(5 * 86400)	/* default lifetime: 5 days */
#define EXPIRE_LEFTOVER	129600		/* crash leftovers: 36 hours */

struct ectx {
	int		 root;
	const char	*rootpath;
	char		 me[256];
	int		 dry;		/* -n: say what would be done */
	int64_t		 now;
	int		 failed;	/* something could not be done: 111 */
};

/* main.c */
void	say(const char *, ...) __attribute__((__format__(printf, 1, 2)));

/* expire.c */
void	expire_queue(struct ectx *);

/* notice.c */
int	notice_send(struct ectx *, struct qitem *, const char *, int64_t,
	    int64_t);
int	notice_wanted(const struct envelope *, const char *);

/* sweep.c */
void	sweep_leftovers(struct ectx *, int);
void	sweep_etrn(struct ectx *);
void	sweep_cache(struct ectx *);

#endif
