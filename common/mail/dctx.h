/*
 * dctx.h - what a delivery needs to know (the root folder, this host's
 * name, the client's time limits, the backoff bounds) and what it
 * learns per recipient: shared by deliver.c, report.c and the programs
 * that deliver (snf-send, snf-queue's release verbs).
 */
#ifndef SNF_DCTX_H
#define SNF_DCTX_H

#include <stdint.h>

#include "smtpc.h"

struct dctx {
	int			 root;
	const char		*rootpath;
	char			 me[256];
	struct smtpc_timeouts	 t;
	int64_t			 backoff_min, backoff_max;
};

struct rcpt_result {
	int	code;		/* reply code, -1 none (temporary) */
	int	stage;		/* RS_* where it came (rclass.h) */
	int	cls;		/* RC_*: what it means for the recipient */
	char	status[16];	/* enhanced status */
	char	text[SMTPC_TEXT_MAX + 1];
};

#endif
