/*
 * tree.c - owners, modes and links of the root folder's two halves:
 * the operator's (the root folder, control/, domains/ and what is in
 * them: nobody but their owner may change a setting, and never the
 * service user) and the service's (queue/ and cache/ and everything in
 * them: the service user's, no group or other access, no link).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dirlist.h"
#include "privs.h"
#include "check.h"

#define SHOWN_MAX	20	/* problems shown per folder of the service */
#define DEPTH_MAX	6	/* queue/mail/D/ID is 3 deep */

/* --- the operator's half ------------------------------------------------ */

/* setting - a folder or file of settings, reached as the programs reach it */
static void
setting(struct chk *c, const char *path, const struct stat *st)
{
	/* run by the service user itself: an installation of one user */
	if (c->known && st->st_uid == c->uid && geteuid() != c->uid)
		problem(c, path, "belongs to the service user %s, who must "
		    "not change the settings: chown root %s/%s", c->user,
		    c->rootpath, path);
	else if (st->st_mode & 022)
		problem(c, path, "writable by %s (mode %04o): chmod go-w "
		    "%s/%s", st->st_mode & 002 ? "everyone" : "its group",
		    (unsigned)(st->st_mode & 07777), c->rootpath, path);
}

struct walk {
	struct chk	*c;
	const char	*path;	/* of the folder walked */
	int		 depth;
};

static int
setting_one(int dirfd, const char *name, void *arg)
{
	struct walk	*w = arg, sub;
	struct stat	 st;
	char		 path[4096];
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", w->path, name);
	if (fstatat(dirfd, name, &st, 0) == -1) {
		if (errno == ENOENT)	/* a link to nothing */
			problem(w->c, path, "is a link to nothing");
		else
			cannot(w->c, path, "look at");
		return 0;
	}
	setting(w->c, path, &st);
	if (S_ISDIR(st.st_mode) && w->depth < 1) {
		if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1) {
			cannot(w->c, path, "open");
			return 0;
		}
		sub = (struct walk){ w->c, path, w->depth + 1 };
		if (dir_each(fd, setting_one, &sub) == -1)
			cannot(w->c, path, "read");
		close(fd);
	}
	return 0;
}

/* check_operator - the root folder, control/, domains/ and domains/D/ */
void
check_operator(struct chk *c)
{
	static const char	*const sub[] = { "control", "domains" };
	struct walk		 w;
	struct stat		 st;
	size_t			 i;
	int			 fd;

	if (fstat(c->root, &st) == -1)
		cannot(c, ".", "look at");
	else
		setting(c, ".", &st);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if (fstatat(c->root, sub[i], &st, 0) == -1) {
			if (errno != ENOENT)
				cannot(c, sub[i], "look at");
			else
				problem(c, sub[i], "missing: snf-setup -d %s "
				    "-u USER makes it", c->rootpath);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			problem(c, sub[i], "is not a folder");
			continue;
		}
		setting(c, sub[i], &st);
		if ((fd = openat(c->root, sub[i], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1) {
			cannot(c, sub[i], "open");
			continue;
		}
		w = (struct walk){ c, sub[i], 0 };
		if (dir_each(fd, setting_one, &w) == -1)
			cannot(c, sub[i], "read");
		close(fd);
	}
}

/* --- the service's half ------------------------------------------------- */

struct swalk {
	struct chk	*c;
	const char	*path;
	int		 depth;
	unsigned	*shown;	/* problems shown under this top folder */
};

static void
svc_problem(struct swalk *w, const char *path, const char *what)
{
	if (*w->shown >= SHOWN_MAX) {
		w->c->unshown++;
		return;
	}
	(*w->shown)++;
	problem(w->c, path, "%s", what);
}

/* svc_entry - one name of queue/ or cache/: 0, or -1 not to enter it */
static int
svc_entry(struct swalk *w, const char *path, const struct stat *st)
{
	struct chk	*c = w->c;
	struct group	*gr;
	char		 what[512], who[96], grp[64];

	if (S_ISLNK(st->st_mode)) {
		snprintf(what, sizeof(what), "is a symbolic link, which snf "
		    "never follows: remove it");
		svc_problem(w, path, what);
		return -1;
	}
	if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode) &&
	    !S_ISFIFO(st->st_mode)) {
		svc_problem(w, path, "is neither a file nor a folder: "
		    "remove it");
		return -1;
	}
	if (st->st_uid != c->uid || st->st_gid != c->gid) {
		if ((gr = getgrgid(st->st_gid)) != NULL)
			snprintf(grp, sizeof(grp), "%s", gr->gr_name);
		else
			snprintf(grp, sizeof(grp), "gid %lu",
			    (unsigned long)st->st_gid);
		snprintf(what, sizeof(what), "belongs to %s, group %s, not to "
		    "%s: snf-setup -d %s -u %s gives it back",
		    privs_who(st->st_uid, who, sizeof(who)), grp, c->user,
		    c->rootpath, c->user);
		svc_problem(w, path, what);
		return st->st_uid == c->uid ? 0 : -1;
	}
	if (st->st_mode & 077) {
		snprintf(what, sizeof(what), "mode %04o gives its group or "
		    "others access: snf-setup -d %s -u %s takes it away",
		    (unsigned)(st->st_mode & 07777), c->rootpath, c->user);
		svc_problem(w, path, what);
	}
	return 0;
}

static int
svc_one(int dirfd, const char *name, void *arg)
{
	struct swalk	*w = arg, sub;
	struct stat	 st;
	char		 path[4096];
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s", w->path, name);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)	/* gone meanwhile: a delivery */
			cannot(w->c, path, "look at");
		return 0;
	}
	if (svc_entry(w, path, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if (w->depth >= DEPTH_MAX) {
		svc_problem(w, path, "is a folder deeper than snf makes: "
		    "remove it");
		return 0;
	}
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			cannot(w->c, path, "open");
		return 0;
	}
	sub = (struct swalk){ w->c, path, w->depth + 1, w->shown };
	if (dir_each(fd, svc_one, &sub) == -1)
		cannot(w->c, path, "read");
	close(fd);
	return 0;
}

/* check_service - queue/ or cache/ and everything in them */
void
check_service(struct chk *c, const char *top)
{
	struct swalk	w;
	struct stat	st;
	unsigned	shown = 0;
	int		fd;

	if (fstatat(c->root, top, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno != ENOENT)
			cannot(c, top, "look at");
		else
			problem(c, top, "missing: snf-setup -d %s -u %s makes "
			    "it", c->rootpath, c->known ? c->user : "USER");
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		problem(c, top, "is a symbolic link, which every program "
		    "refuses: make it a folder, then snf-setup -d %s -u %s",
		    c->rootpath, c->known ? c->user : "USER");
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		problem(c, top, "is not a folder");
		return;
	}
	if (!c->known) {
		problem(c, top, "belongs to root, and the service never runs "
		    "as root: snf-setup -d %s -u USER gives it to the service "
		    "user", c->rootpath);
		return;
	}
	w = (struct swalk){ c, top, 0, &shown };
	if (svc_entry(&w, top, &st) == -1)
		return;
	if ((fd = openat(c->root, top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		cannot(c, top, "open");
		return;
	}
	if (dir_each(fd, svc_one, &w) == -1)
		cannot(c, top, "read");
	close(fd);
}
