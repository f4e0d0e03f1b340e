/*
 * snfq.h - snf-queue's parts: the reports (list.c: status, list), the
 * selection of messages the operator's verbs work on (select.c), the
 * verbs that change the queue (verbs.c: hold, unhold, requeue, release,
 * remove; release.c: to another server or one mailbox; export.c).
 */
#ifndef SNFQ_H
#define SNFQ_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.h"

#define QUEUE_HOLD	"queue/hold"	/* items held one by one */

struct names {
	char	**v;
	size_t	  n, cap;
};

/* names.c */
void	names_add(struct names *, const char *);
void	names_sort(struct names *);
void	names_free(struct names *);
void	read_names(int, const char *, int (*)(const char *), struct names *);

/* where items are looked for */
#define SEL_MAIL	0x01	/* queue/mail: waiting for delivery */
#define SEL_HOLD	0x02	/* queue/hold: held one by one */

struct sel {
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
};

/* one matching item: its path, folder (SEL_*), domain and id */
struct item {
	char		 path[600];
	int		 where;
	const char	*domain;
	const char	*id;
};

typedef int (*sel_fn)(int, struct sel *, const struct item *, void *);

int	sel_parse(int, char **, const char *, struct sel *);
int	sel_each(int, struct sel *, int, sel_fn, void *);
int	sel_env_match(const struct sel *, const struct envelope *);

extern const char	*rootpath;	/* the root folder, as named */

/* list.c */
int	queue_status(int, int, char **);
int	queue_list(int, int, char **);

/* verbs.c */
int	queue_hold(int, int, char **, int);
int	queue_requeue(int, int, char **, int);
int	queue_remove(int, int, char **);

/* release.c */
int	queue_release(int, int, char **);

/* export.c */
int	queue_export(int, int, char **);

#endif
