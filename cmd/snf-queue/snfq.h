/*
 * snfq.h - snf-queue's parts: putting a message into the queue
 * (inject.c), the reports (list.c: status, list), the selection of
 * messages the operator's verbs work on and how each is read, claimed
 * and answered for (select.c), the verbs that
 * change the queue (verbs.c: hold, unhold, requeue, release, remove;
 * release.c: to another server or one mailbox; export.c).
 */
#ifndef SNFQ_H
#define SNFQ_H

#include <stddef.h>
#include <stdint.h>

#include "dirlist.h"
#include "envelope.h"
#include "qupdate.h"

/* where items are looked for */
#define SEL_MAIL	0x01	/* queue/mail: waiting for delivery */
#define SEL_HOLD	0x02	/* queue/hold: held one by one */

/* one verb's run: what the operator asked for, and how it went */
struct sel {
	int		 root;
	const char	*rootpath;	/* the root folder, as named */
	int		 dry;		/* -n: say, do nothing */
	int		 yes;		/* -y: remove really */
	int		 verbose;	/* -v */
	const char	*rcpt;		/* -r: a recipient, any case */
	const char	*sender;	/* -s: the sender, any case; <> null */
	int64_t		 older;		/* -a: at least this old, -1 any */
	int64_t		 younger;	/* -b: at most this old, -1 any */
	struct names	 ids;		/* -i ID ... */
	struct names	 domains;	/* operands */
	int		 filtered;	/* a message filter was given */
	const char	*host;		/* release -H host[:port] */
	const char	*mailbox;	/* release -m address */
	const char	*outdir;	/* export -o folder */
	const char	*mbox;		/* export -z file.mbox.gz */
	int		 remove;	/* export -x: remove what was exported */
	int		 listing;	/* status -v, list: no "damaged" line */
	unsigned	 failures;	/* items or folders that failed: 111 */
};

typedef int (*sel_fn)(struct sel *, const struct qref *, void *);

void	sel_parse(int, char **, const char *, struct sel *);
void	sel_free(struct sel *);
int	sel_each(struct sel *, int, sel_fn, void *);
int	sel_env_match(const struct sel *, const struct envelope *);
int	sel_exit(const struct sel *);
void	sel_say(const struct sel *, const char *, const struct qref *,
	    const char *);
int	sel_damaged(struct sel *, const struct qref *, int);
int	sel_read(struct sel *, const struct qref *, struct qitem *);
int	sel_claim(struct sel *, const struct qref *, struct qitem *, int);

/* main.c */
void	queue_become(int, const char *);

/* inject.c */
int	queue_inject(int);

/* list.c */
int	queue_status(struct sel *, int, char **);
int	queue_list(struct sel *, int, char **);

/* verbs.c */
int	queue_hold(struct sel *, int, char **, int);
int	queue_requeue(struct sel *, int, char **, int);
int	queue_remove(struct sel *, int, char **);

/* release.c */
int	queue_release(struct sel *, int, char **);

/* export.c */
int	queue_export(struct sel *, int, char **);

#endif
