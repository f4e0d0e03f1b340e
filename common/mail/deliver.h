/*
 * deliver.h - delivering queued items over an SMTP session and
 * recording the results (deliver.c), and the reports to senders
 * (report.c): shared by snf-send and the release verbs of snf-queue.
 */
#ifndef SNF_DELIVER_H
#define SNF_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"
#include "route.h"
#include "smtpc.h"

struct dctx {
	int			 root;
	const char		*rootpath;
	const char		*queueprog;	/* NULL: the built-in writer */
	char			 me[256];
	struct smtpc_timeouts	 t;
	int64_t			 backoff_min, backoff_max;
	unsigned		 conc_total, conc_domain;	/* snf-send */
};

struct rcpt_result {
	int	code;		/* reply code, -1 none (temporary) */
	char	status[16];	/* enhanced status */
	char	text[SMTPC_TEXT_MAX + 1];
};

/* deliver.c */
void	dlv_settings(struct dctx *);
int64_t	dlv_delay(int64_t, int64_t, int64_t);
void	dlv_set_all(struct rcpt_result *, size_t, int, const char *);
int	dlv_claim(struct dctx *, const char *, const char *, struct qitem *);
int	dlv_session(struct dctx *, const struct route *, struct smtpc *,
	    char *, size_t);
int	dlv_transaction(struct smtpc *, struct qitem *, struct rcpt_result *);
int	dlv_apply(struct dctx *, const char *, struct qitem *, const char *,
	    struct rcpt_result *, int);

/* report.c */
int	report_failed(struct dctx *, struct qitem *, const char *,
	    struct rcpt_result *, size_t);
void	report_relayed(struct dctx *, struct qitem *, const char *,
	    struct rcpt_result *, size_t);

#endif
