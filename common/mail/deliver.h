/*
 * deliver.h - delivering one queued item over an open SMTP session
 * (transaction.c) and recording the result in the queue (deliver.c):
 * for snf-send and for the release verbs of snf-queue.
 */
#ifndef SNF_DELIVER_H
#define SNF_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "dctx.h"
#include "dial.h"
#include "qupdate.h"

void	dlv_settings(struct dctx *);
void	dlv_dialer(const struct dctx *, struct dial *, const char *);
int64_t	dlv_delay(int64_t, int64_t, int64_t);
int	dlv_claim(const struct qref *, struct qitem *);
void	dlv_nuls(const struct smtpc *, const char *);

/* transaction.c */
void	dlv_result(struct rcpt_result *, int, int, const char *);
void	dlv_set_all(struct rcpt_result *, size_t, int, int, const char *);
const struct rcpt_result *dlv_refusal(const struct rcpt_result *, size_t);
int	dlv_transaction(struct smtpc *, struct qitem *, struct rcpt_result *);
int	dlv_apply(struct dctx *, const struct qref *, struct qitem *,
	    const char *, const char *, struct rcpt_result *, int);

#endif
