/*
 * sweep.c - what crashes and time leave behind: temporary files in
 * queue/tmp/ and queue/state/ older than a day and a half (as maildir
 * does: no writer lives that long), ETRN requests for a domain without
 * a queue folder, and the dead records of the recipient cache. Nothing
 * here touches a committed item.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "log.h"
#include "vcache.h"
#include "verify.h"
#include "expire.h"

static int	dry;		/* for said(), which has no context */

/* gone - remove dir/name (dirfd is dir), or say it would go. */
static void
gone(struct ectx *c, int dirfd, const char *dir, const char *name,
    const char *why)
{
	if (c->dry) {
		say("would-remove\t%s/%s", dir, logesc(name));
		return;
	}
	if (unlinkat(dirfd, name, 0) == -1) {
		if (errno != ENOENT) {
			log_event("warning unable to remove %s/%s (%s)", dir,
			    logesc(name), strerror(errno));
			c->failed = 1;
		}
		return;
	}
	log_event("removed file=%s/%s %s", dir, logesc(name), why);
	say("removed\t%s/%s", dir, logesc(name));
}

/* is_tmpname - a name file_replace gives its temporary files. */
static int
is_tmpname(const char *name)
{
	size_t	n = strlen(name);

	return name[0] == '.' && n > 5 && strcmp(name + n - 4, ".tmp") == 0;
}

/*
 * leftover - file st of folder dir belongs to no live writer: its last
 * write is older than EXPIRE_LEFTOVER. A rewrite's file (r.*) is dated
 * by its ctime instead: qitem_rewrite sets its mtime to the item's due
 * time, which may be long past, just before it renames it into place.
 */
static int
leftover(struct ectx *c, const char *dir, const char *name,
    const struct stat *st)
{
	int64_t	t = st->st_mtime;

	if (S_ISDIR(st->st_mode))
		return 0;
	if (strcmp(dir, QUEUE_TMP) != 0 && !is_tmpname(name))
		return 0;	/* queue/state/D itself */
	if (strcmp(dir, QUEUE_TMP) == 0 && strncmp(name, "r.", 2) == 0 &&
	    st->st_ctime > t)
		t = st->st_ctime;
	return c->now - t > EXPIRE_LEFTOVER;
}

/* opendir_at - folder path of the root; NULL and no fuss when missing. */
static DIR *
opendir_at(struct ectx *c, const char *path)
{
	DIR	*d;
	int	 fd;

	if ((fd = openat(c->root, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			goto fail;
		return NULL;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		goto fail;
	}
	return d;
fail:
	log_event("warning unable to read %s (%s)", path, strerror(errno));
	c->failed = 1;
	return NULL;
}

/* sweep_leftovers - old temporary files of folder dir go. */
void
sweep_leftovers(struct ectx *c, const char *dir)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 dfd;

	if ((d = opendir_at(c, dir)) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (leftover(c, dir, de->d_name, &st))
			gone(c, dfd, dir, de->d_name, "reason=leftover");
	}
	closedir(d);
}

/*
 * sweep_etrn - requests for a domain with no queue folder: snf-smtpd
 * leaves one only when mail waits, so nothing will ever take it.
 */
void
sweep_etrn(struct ectx *c)
{
	struct dirent	*de;
	struct stat	 st;
	char		 path[300];
	DIR		*d;

	if ((d = opendir_at(c, "queue/etrn")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !env_domain_ok(de->d_name))
			continue;
		snprintf(path, sizeof(path), QUEUE_MAIL "/%s", de->d_name);
		if (fstatat(c->root, path, &st, 0) == -1 && errno == ENOENT)
			gone(c, dirfd(d), "queue/etrn", de->d_name,
			    "reason=no-mail");
	}
	closedir(d);
}

static void
said(const char *domain, const char *name, const char *what)
{
	(void)what;
	say("%s\t" VCACHE_DIR "/%s/%s", dry ? "would-remove" : "removed",
	    domain, logesc(name));
	if (!dry)
		log_event("removed file=" VCACHE_DIR "/%s/%s reason=dead",
		    domain, logesc(name));
}

/* sweep_cache - dead records and leftovers of the recipient cache. */
void
sweep_cache(struct ectx *c)
{
	dry = c->dry;
	if (verify_expire(c->root, c->dry, c->now, said) == -1) {
		log_event("warning unable to read " VCACHE_DIR " (%s)",
		    strerror(errno));
		c->failed = 1;
	}
}
