/*
 * send.h - snf-send's parts: the scheduler (main.c), per-domain state,
 * backoff and alerts (state.c), one domain's deliveries (deliver.c) and
 * the reports to senders (report.c).
 */
#ifndef SEND_H
#define SEND_H

#include <signal.h>
#include <stdint.h>

#include "dstate.h"
#include "queue.h"
#include "smtpc.h"

struct ctx {
	int			 root;
	const char		*rootpath;
	const char		*queueprog;
	char			 me[256];
	struct smtpc_timeouts	 t;
	int64_t			 backoff_min, backoff_max;
	unsigned		 conc_total, conc_domain;
};


extern volatile sig_atomic_t	stopping;

/* state.c */
void	state_fail(struct ctx *, const char *, struct dstate *, const char *);
void	state_ok(struct ctx *, const char *, struct dstate *);
void	state_waiting(struct ctx *, const char *, struct dstate *,
	    uint64_t, uint64_t, int64_t);
int64_t	msg_delay(int64_t, int64_t, int64_t);

/* deliver.c */
void	deliver_domain(struct ctx *, const char *, int, unsigned, unsigned);

/* report.c */
struct rcpt_result;
int	report_failed(struct ctx *, struct qitem *, const char *,
	    struct rcpt_result *, size_t);
void	report_relayed(struct ctx *, struct qitem *, const char *,
	    struct rcpt_result *, size_t);

struct rcpt_result {
	int	code;		/* reply code, -1 none (temporary) */
	char	status[16];	/* enhanced status */
	char	text[SMTPC_TEXT_MAX + 1];
};

#endif
