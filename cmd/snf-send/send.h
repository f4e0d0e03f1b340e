/*
 * send.h - snf-send's parts: the service loop and options (main.c), the
 * scheduler that starts one child per domain with mail due (sched.c),
 * the ETRN requests (etrn.c), one domain's deliveries in a child
 * (deliver.c), and per-domain state, backoff and alerts (state.c), on
 * top of the shared delivery code (common/mail/deliver.h).
 */
#ifndef SEND_H
#define SEND_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "dctx.h"
#include "dirlist.h"
#include "dstate.h"
#include "qscan.h"

struct child {
	pid_t	pid;
	char	domain[256];
};

/*
 * A domain whose last delivery could not be recorded (a full or
 * read-only queue) is left alone for backoff_min, in memory, since its
 * state file may not be writable either.
 */
struct pause {
	char	domain[256];
	int64_t	until;
};

struct sched {
	struct dctx	 ctx;
	unsigned	 conc_total;	/* connections at once, in all */
	unsigned	 conc_domain;	/* and to one domain */
	int64_t		 etrn_gap;	/* seconds between attempts an ETRN asks */
	struct child	*kids;
	unsigned	 nkids;
	struct pause	*pauses;
	size_t		 npauses;
	int		 failed;	/* a delivery ended with 111 */
};

/* main.c: set by SIGTERM and SIGINT, read by every loop */
extern volatile sig_atomic_t	stopping;

/* sched.c */
int	sched_init(struct sched *, int, const char *);
int64_t	sched_pass(struct sched *, struct names *, int, struct names *, int);
void	sched_reap(struct sched *, int);
void	sched_stop(struct sched *);
void	sched_free(struct sched *);

/* etrn.c */
void	etrn_requests(struct sched *, struct names *);
void	etrn_done(struct sched *, const char *);
int	etrn_wait(struct sched *, const struct dstate *, int64_t, int64_t *);

/* deliver.c */
int	deliver_domain(struct dctx *, const char *, const struct qlist *, int,
	    unsigned, unsigned);

/* state.c */
void	state_fail(struct dctx *, const char *, struct dstate *,
	    const char *);
void	state_refused(struct dctx *, const char *, struct dstate *,
	    const char *, const char *);
void	state_ok(struct dctx *, const char *, struct dstate *);
void	state_waiting(struct dctx *, const char *, struct dstate *,
	    uint64_t, uint64_t, int64_t);

#endif
