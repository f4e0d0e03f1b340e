/*
 * qscan.c - the walks every program makes over the root folder, on top
 * of the one folder reader (dir_each): the domains named in a fixed
 * folder (queue/mail, queue/hold, queue/state, queue/etrn, cache,
 * domains), and the items of a domain's folder with their due time and
 * size, oldest first. Names that are not a domain, or not an item id,
 * are passed over: a crash's temporary file is never taken for mail.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "qscan.h"
#include "rootdir.h"

/* qscan_domain_name - name is a domain's folder or file, not a leftover. */
int
qscan_domain_name(const char *name)
{
	return name[0] != '.' && env_domain_ok(name);
}

/*
 * qscan_domains - the domains with an entry in folder which, sorted,
 * added to ns. A missing folder has none. Returns 0, or -1 with errno.
 */
int
qscan_domains(int root, int which, struct names *ns)
{
	int	fd, r, e;

	if ((fd = rdir_open(root, which, NULL, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	r = dir_names(fd, qscan_domain_name, ns);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

static int
add_item(int dirfd, const char *name, void *arg)
{
	struct qlist	*l = arg;
	struct qent	*v;
	struct stat	 st;
	size_t		 cap;

	if (!queue_id_valid(name))
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;	/* gone meanwhile */
	if (!S_ISREG(st.st_mode))
		return 0;
	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	strlcpy(l->v[l->n].id, name, sizeof(l->v[0].id));
	l->v[l->n].mtime = (int64_t)st.st_mtime;
	l->v[l->n].size = st.st_size;
	l->n++;
	return 0;
}

static int
cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct qent *)a)->id,
	    ((const struct qent *)b)->id);
}

/*
 * qscan_items - the items of the domain folder open on dirfd, oldest
 * first (an id begins with its arrival time). Returns 0, or -1 with
 * errno (l then holds nothing).
 */
int
qscan_items(int dirfd, struct qlist *l)
{
	memset(l, 0, sizeof(*l));
	if (dir_each(dirfd, add_item, l) == -1) {
		qlist_free(l);
		return -1;
	}
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_ent);
	return 0;
}

static int
found(int dirfd, const char *name, void *arg)
{
	(void)dirfd;
	if (!queue_id_valid(name))
		return 0;
	*(int *)arg = 1;
	errno = 0;
	return -1;	/* one is enough */
}

/* qscan_any - the domain folder open on dirfd holds at least one item. */
int
qscan_any(int dirfd)
{
	int	any = 0;

	(void)dir_each(dirfd, found, &any);
	return any;
}

void
qlist_free(struct qlist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * qitem_due - an item next due at mtime is due at now. A due time
 * further off than maxwait, longer than any delay snf sets, means the
 * clock was stepped back since it was set: the item is due now.
 */
int
qitem_due(int64_t mtime, int64_t now, int64_t maxwait)
{
	return mtime <= now || mtime - now > maxwait;
}
