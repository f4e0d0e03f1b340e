/*
 * qscan.h - walking the root folder's folders (qscan.c): the domains
 * that have a folder (or a file) in one of them, the items of one
 * domain's queue folder, and the one rule for when an item is due.
 */
#ifndef SNF_QSCAN_H
#define SNF_QSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dirlist.h"
#include "queue.h"

struct qent {
	char	 id[QUEUE_ID_MAX];
	int64_t	 mtime;		/* when it is next due */
	off_t	 size;		/* bytes on disk */
};

struct qlist {
	struct qent	*v;
	size_t		 n, cap;
};

int	qscan_domain_name(const char *);
int	qscan_domains(int, int, struct names *);
int	qscan_items(int, struct qlist *);
int	qscan_any(int);
void	qlist_free(struct qlist *);
int	qitem_due(int64_t, int64_t, int64_t);

#endif
