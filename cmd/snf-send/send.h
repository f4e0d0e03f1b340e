/*
 * send.h - snf-send's parts: the scheduler (main.c), per-domain state,
 * backoff and alerts (state.c) and one domain's deliveries (deliver.c),
 * on top of the shared delivery code (common/deliver.h).
 */
#ifndef SEND_H
#define SEND_H

#include <signal.h>
#include <stdint.h>

#include "deliver.h"
#include "dstate.h"
#include "queue.h"
#include "smtpc.h"



extern volatile sig_atomic_t	stopping;

/* state.c */
void	state_fail(struct dctx *, const char *, struct dstate *,
	    const char *);
void	state_ok(struct dctx *, const char *, struct dstate *);
void	state_waiting(struct dctx *, const char *, struct dstate *,
	    uint64_t, uint64_t, int64_t);

/* deliver.c */
int	deliver_domain(struct dctx *, const char *, int, unsigned, unsigned);

#endif
