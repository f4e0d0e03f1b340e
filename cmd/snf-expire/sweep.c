/*
 * sweep.c - what crashes and time leave behind: temporary files in
 * queue/tmp/ and queue/state/ older than a day and a half (as maildir
 * does: no writer lives that long), ETRN requests for a domain without
 * a queue folder, and the dead records of the recipient cache. Only
 * regular files with names of snf's own temporary shapes are removed,
 * and nothing here touches a committed item.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dirlist.h"
#include "fileio.h"
#include "log.h"
#include "qscan.h"
#include "rootdir.h"
#include "verify.h"
#include "expire.h"

struct sweep {
	struct ectx	*c;
	const char	*dir;		/* the folder's name, for messages */
};

/* gone - remove name of the folder dirfd, or say it would go. */
static void
gone(struct sweep *w, int dirfd, const char *name, const char *why)
{
	if (w->c->dry) {
		say("would-remove\t%s/%s", w->dir, logesc(name));
		return;
	}
	if (unlinkat(dirfd, name, 0) == -1) {
		if (errno != ENOENT) {
			log_warnx("unable to remove %s/%s (%s)", w->dir,
			    logesc(name), strerror(errno));
			w->c->failed = 1;
		}
		return;
	}
	log_event("removed file=%s/%s %s", w->dir, logesc(name), why);
	say("removed\t%s/%s", w->dir, logesc(name));
}

/*
 * own_tmpname - a name snf gives its temporary files in the folder: in
 * queue/tmp, the queue writer's (m.PID.N.tmp) and a rewrite's
 * (r.PID.N.tmp); elsewhere, file_replace's (.NAME.PID.N.tmp). Nothing
 * else is ever removed, whatever was put there.
 */
static int
own_tmpname(const char *name, int tmp)
{
	if (!tmpname_shaped(name))
		return 0;
	if (tmp)
		return strncmp(name, "m.", 2) == 0 || strncmp(name, "r.", 2) == 0;
	return name[0] == '.';
}

/*
 * leftover - file name (st) of the folder belongs to no live writer:
 * a regular file of one of snf's temporary shapes, last written longer
 * ago than EXPIRE_LEFTOVER. A rewrite's file (r.*) is dated by its
 * ctime instead: qitem_rewrite sets its mtime to the item's due time,
 * which may be long past, just before it renames it into place.
 */
static int
leftover(struct sweep *w, const char *name, const struct stat *st)
{
	int64_t	t = st->st_mtime;
	int	tmp = strcmp(w->dir, "queue/tmp") == 0;

	if (!S_ISREG(st->st_mode) || !own_tmpname(name, tmp))
		return 0;	/* queue/state/D itself, or not ours */
	if (tmp && strncmp(name, "r.", 2) == 0 && st->st_ctime > t)
		t = st->st_ctime;
	return w->c->now - t > EXPIRE_LEFTOVER;
}

static int
sweep_one(int dirfd, const char *name, void *arg)
{
	struct sweep	*w = arg;
	struct stat	 st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    leftover(w, name, &st))
		gone(w, dirfd, name, "reason=leftover");
	return 0;
}

/* open_dir - folder which; -1 and no fuss when it is missing. */
static int
open_dir(struct ectx *c, int which)
{
	int	fd;

	if ((fd = rdir_open(c->root, which, NULL, 0)) == -1 && errno != ENOENT) {
		log_warnx("unable to read %s (%s)", rdir_name(which),
		    strerror(errno));
		c->failed = 1;
	}
	return fd;
}

static void
walk(struct ectx *c, int which, int (*fn)(int, const char *, void *))
{
	struct sweep	w = { c, rdir_name(which) };
	int		fd;

	if ((fd = open_dir(c, which)) == -1)
		return;
	if (dir_each(fd, fn, &w) == -1) {
		log_warnx("unable to read %s (%s)", w.dir, strerror(errno));
		c->failed = 1;
	}
	close(fd);
}

/* sweep_leftovers - old temporary files of folder which (RD_TMP, ...). */
void
sweep_leftovers(struct ectx *c, int which)
{
	walk(c, which, sweep_one);
}

static int
etrn_one(int dirfd, const char *name, void *arg)
{
	struct sweep	*w = arg;
	int		 dfd;

	if (!qscan_domain_name(name))
		return 0;
	if ((dfd = rdir_open(w->c->root, RD_MAIL, name, 0)) != -1)
		close(dfd);
	else if (errno == ENOENT)
		gone(w, dirfd, name, "reason=no-mail");
	return 0;
}

/*
 * sweep_etrn - requests for a domain with no queue folder: snf-smtpd
 * leaves one only when mail waits, so nothing will ever take it.
 */
void
sweep_etrn(struct ectx *c)
{
	walk(c, RD_ETRN, etrn_one);
}

static void
said(const char *domain, const char *name, const char *what, void *arg)
{
	struct ectx	*c = arg;

	(void)what;
	say("%s\tcache/%s/%s", c->dry ? "would-remove" : "removed", domain,
	    logesc(name));
	if (!c->dry)
		log_event("removed file=cache/%s/%s reason=dead", domain,
		    logesc(name));
}

/* sweep_cache - dead records and leftovers of the recipient cache. */
void
sweep_cache(struct ectx *c)
{
	if (verify_expire(c->root, c->dry, c->now, said, c) == -1) {
		log_warnx("unable to read cache (%s)", strerror(errno));
		c->failed = 1;
	}
}
