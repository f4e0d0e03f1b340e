/*
 * report.h - the reports a delivery sends back to a message's sender
 * (report.c): "failed" for recipients refused for good, "relayed" for
 * those that asked for a success notice the next server cannot give.
 */
#ifndef SNF_REPORT_H
#define SNF_REPORT_H

#include <stddef.h>

#include "dctx.h"
#include "queue.h"

int	report_failed(struct dctx *, struct qitem *, const char *,
	    struct rcpt_result *, size_t);
void	report_relayed(struct dctx *, struct qitem *, const char *,
	    struct rcpt_result *, size_t);

#endif
