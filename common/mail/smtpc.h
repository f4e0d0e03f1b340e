/*
 * smtpc.h - the client side of SMTP, for delivery (snf-send) and
 * recipient callouts: connect with a time limit, read replies with a
 * bounded parser, commands and DATA (smtpc.c); EHLO with extension
 * discovery (ehlo.c).
 */
#ifndef SNF_SMTPC_H
#define SNF_SMTPC_H

#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "queue.h"
#include "tlsio.h"

#define SMTPC_TEXT_MAX		1000	/* reply text kept for logs, DSNs */
#define SMTPC_LINES_MAX		100	/* reply lines before we give up */

/* extensions the server offered */
#define SMTPC_PIPELINING	0x01
#define SMTPC_SIZE		0x02
#define SMTPC_8BITMIME		0x04
#define SMTPC_DSN		0x08
#define SMTPC_ENHANCED		0x10
#define SMTPC_STARTTLS		0x20

struct smtpc_timeouts {		/* milliseconds, RFC 5321 4.5.3.2 */
	int64_t	connect, greeting, helo, mail, rcpt, data_init, data_block,
		data_done, quit;
};

struct smtpc {
	int		 fd;
	struct inbuf	 in;
	struct outbuf	 out;
	struct smtpc_timeouts t;
	int64_t		 until;		/* no wait past it; 0: none */
	char		 host[256];	/* as routed */
	char		 addr[64];	/* the address connected to */
	int		 ext;
	uint64_t	 maxsize;	/* SIZE limit, 0 none */
	int		 code;		/* last reply code, -1 none */
	char		 text[SMTPC_TEXT_MAX + 1];	/* last reply */
	struct tlsio	*tls;		/* after STARTTLS, else NULL */
	struct tlsio_info tlsinfo;
	uint64_t	 nuls;		/* NULs smtpc_data sent as spaces */
};

void	smtpc_timeouts_default(struct smtpc_timeouts *);
int	smtpc_connect(struct smtpc *, const char *, const char *);
int	smtpc_fail(struct smtpc *, const char *);
int	smtpc_reply(struct smtpc *, int64_t);
int64_t	smtpc_deadline(const struct smtpc *, int64_t);
int	smtpc_parse_line(const char *, size_t, int *, int *);
int	smtpc_greeting(struct smtpc *, const char *const *, int);
int	smtpc_ehlo(struct smtpc *, const char *);
int	smtpc_starttls(struct smtpc *, const struct tlsio_client *,
	    const char *);
void	smtpc_tls_text(const struct smtpc *, char *, size_t);
int	smtpc_send(struct smtpc *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
int	smtpc_data(struct smtpc *, struct qbody *);
void	smtpc_quit(struct smtpc *);
void	smtpc_close(struct smtpc *);
const char *smtpc_enhanced(const char *, char *, size_t);

#endif
