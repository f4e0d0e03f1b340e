/*
 * dstate.h - what snf-send knows about a destination domain, kept in
 * queue/state/D (see snf-queue(5)) and shown by snf-queue status.
 */
#ifndef SNF_DSTATE_H
#define SNF_DSTATE_H

#include <stdint.h>

enum {
	DS_UNKNOWN = -1,	/* never tried */
	DS_DOWN,		/* could not be reached */
	DS_UP,			/* took a session */
	DS_REFUSED		/* refused this host (rclass.c): a fault to fix */
};

struct dstate {
	int		state;		/* DS_* */
	int64_t		since;		/* when the state began */
	unsigned	fails;		/* connection failures in a row */
	int64_t		next;		/* not before this time (0: any) */
	int64_t		tried;		/* the last attempt */
	uint64_t	count, bytes;	/* waiting at the last look */
	int64_t		oldest;		/* arrival of the oldest waiting */
	int		over;		/* above the alert threshold */
	char		error[300];	/* the last error */
	char		tls[200];	/* TLS of the last session that worked */
};

const char	*dstate_name(int);
void		 state_read(int, const char *, struct dstate *);
int		 state_write(int, const char *, const struct dstate *);

#endif
