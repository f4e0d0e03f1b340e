/*
 * qcommit.c - the commit point of the queue writer (steps 3 and 4 of
 * the protocol in qwrite.c): each prepared item gets its name in
 * queue/mail/D/, never replacing one, its link count is flushed, and
 * then each domain's folder. Until a folder is flushed its new names
 * may not survive a power cut, so nothing says 250 before.
 */
#define _GNU_SOURCE	/* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "qwrite.h"
#include "rootdir.h"

/*
 * name_item - give item g the name id in its domain's folder, never
 * replacing one: a link of its open file, or a rename without replace
 * of its name in queue/tmp/.
 */
static int
name_item(struct qw *w, struct qw_group *g)
{
	char	proc[64];

	if (g->tmp[0] == '\0') {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", g->fd);
		return linkat(AT_FDCWD, proc, g->dfd, g->id, AT_SYMLINK_FOLLOW);
	}
#ifdef RENAME_NOREPLACE
	if (renameat2(w->tmpfd, g->tmp, g->dfd, g->id, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (linkat(w->tmpfd, g->tmp, g->dfd, g->id, 0) == -1)
		return -1;
	return unlinkat(w->tmpfd, g->tmp, 0);
}

/* commit_one - name item g in queue/mail/D/, its folder made durably. */
static int
commit_one(struct qw *w, struct qw_group *g)
{
	int	tries;

	if ((g->dfd = rdir_open(w->root, RD_MAIL, g->env.domain,
	    RD_CREATE)) == -1)
		return qw_fail_io(w, "unable to open a domain folder in queue/mail");
	for (tries = 0; ; tries++) {
		if (queue_id_make(g->id, sizeof(g->id), w->proto.arrival) == -1)
			return qw_fail(w, 'Z', "4.3.0", "unable to make an id");
		if (name_item(w, g) == 0)
			break;
		if (errno != EEXIST || tries == 10)
			return qw_fail_io(w, "unable to move the message into "
			    "the queue");
	}
	g->committed = 1;
	/* the new link count must reach the disk with the name */
	if (!g->tmp[0] && fsync(g->fd) == -1)
		return qw_fail_io(w, "unable to fsync the message");
	return 0;
}

/* qw_name - name each item, then flush each item's folder. */
int
qw_name(struct qw *w)
{
	size_t	i;

	for (i = 0; i < w->ngroups; i++)
		if (commit_one(w, &w->groups[i]) == -1)
			return -1;
	/* one group per domain (group_for), so each folder once */
	for (i = 0; i < w->ngroups; i++)
		if (fsync(w->groups[i].dfd) == -1)
			return qw_fail_io(w, "unable to fsync the queue folder");
	return 0;
}

