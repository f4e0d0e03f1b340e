/*
 * smtpd.h - snf-smtpd's session: one SMTP connection on fds 0 and 1.
 */
#ifndef SMTPD_H
#define SMTPD_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "io.h"
#include "param.h"
#include "tlsio.h"
#include "verify.h"

/* Defaults; each has a control file (see snf-smtpd(8)). */
#define DEF_DATABYTES	52428800ULL	/* control/databytes */
#define DEF_MAXRCPT	100		/* control/maxrcpt */
#define DEF_MAXHOPS	100		/* control/maxhops */
#define DEF_TIMEOUT	300		/* control/timeout, seconds */
#define DEF_DATARATE	500		/* control/datarate, bytes/second */
#define DEF_SOFTERR	10		/* control/softerrors */
#define DEF_HARDERR	20		/* control/harderrors */
#define DEF_ERRSLEEP	1		/* control/errorsleep, seconds */
#define DEF_JUNK	100		/* control/junkcommands */
#define DEF_LIFETIME	1800		/* control/session_lifetime, seconds */
#define DEF_QUEUETIME	600		/* seconds snf-queue may take */

struct srcpt {
	char	addr[ADDR_PATH_MAX + 1];
	char	notify[32];
	char	orcpt[ORCPT_MAX + 1];
};

struct data_state {
	int		 st;		/* DS_* position in the line */
	int		 prevbare;	/* last line ended without CR LF */
	int		 bare;		/* a bare CR or LF was seen */
	int		 nul;		/* a NUL byte was seen */
	int		 toolarge;	/* size passed max */
	int		 inhdr;		/* still in the header section */
	int		 empty;		/* nothing yet on this line */
	int		 hm;		/* chars of "received:" matched, -1 none */
	unsigned	 hops;		/* Received: header fields */
	uint64_t	 size;		/* message bytes after unstuffing */
	uint64_t	 max;
};

enum { DATA_MORE, DATA_END, DATA_BOGUS };

struct session {
	int		 root;
	const char	*rootpath;
	struct inbuf	 in;
	struct outbuf	 out;
	char		 me[256];
	char		 ip[64];
	char		 host[256];
	char		 helo[256];
	int		 greeted;	/* HELO or EHLO seen */
	int		 esmtp;		/* EHLO: extensions offered */
	struct tlsio	*tls;		/* after STARTTLS, else NULL */
	char		 tlsinfo[160];	/* "version cipher bits" */
	int		 tls_warned;	/* the key pair was found unreadable */
	/* limits */
	uint64_t	 databytes;
	uint64_t	 minfree;
	unsigned	 maxrcpt, maxhops, softerr, harderr, junkmax;
	int64_t		 timeout_ms, errsleep_ms, greetdelay_ms;
	int64_t		 end_ms;	/* mono_ms() at session_lifetime */
	uint64_t	 datarate;
	/* counters */
	unsigned	 errors, junk, msgs, rejected;
	unsigned	 helos;		/* EHLO and HELO commands */
	/* the transaction */
	int		 inmail;
	char		 sender[ADDR_PATH_MAX + 1];
	char		 envid[ENVID_MAX + 1];
	char		 ret[8];
	char		 body[16];
	struct srcpt	*rcpt;		/* rcptcap allocated, nrcpt used */
	unsigned	 nrcpt, rcptcap;
	unsigned	 badrcpt;	/* RCPTs refused in this transaction */
	/* a callout connection kept for the next RCPT to the same domain */
	struct verifier	 vf;
	/* the command being answered, for logs */
	const char	*cmd;
	size_t		 cmdlen;
};

/* smtp.c */
void	smtp_session(struct session *);
void	txn_reset(struct session *);

/* mail.c */
int	path_arg(struct session *, const char *, size_t, const char *, int,
	    struct addr *, const char **);
void	cmd_mail(struct session *, const char *, size_t);

/* starttls.c */
int	tls_offered(struct session *);
void	cmd_starttls(struct session *, const char *, size_t);

/* etrn.c */
void	cmd_etrn(struct session *, const char *, size_t);

/* rcpt.c */
void	cmd_rcpt(struct session *, const char *, size_t);

/* body.c */
void	data_init(struct data_state *, uint64_t);
int	data_feed(struct data_state *, const char *, size_t, size_t *,
	    char *, size_t *);

/* data.c */
void	cmd_data(struct session *, const char *, size_t);

/* reply.c */
void	reply(struct session *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
void	reply_queue(struct session *, int, const char *);
void	session_close(struct session *, const char *)
	    __attribute__((__noreturn__));
int64_t	session_deadline(const struct session *);
void	session_expire(struct session *)
	    __attribute__((__noreturn__));
int	sync_check(struct session *);

#endif
