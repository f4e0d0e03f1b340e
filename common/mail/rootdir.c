/*
 * rootdir.c - opening the fixed folders of the root folder, and making
 * them. A folder made here is durable before it is used: each level
 * created is followed by an fsync of the folder that holds it (a name
 * is on disk only once the folder holding it is flushed), and so is a
 * level found made by someone else in the race (EEXIST), whose maker
 * may not have flushed it yet. A maker killed between its mkdir and
 * its flush leaves a folder that rdir_flush, run by snf-send at start
 * and by snf-expire, makes durable.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "envelope.h"
#include "fileio.h"
#include "log.h"
#include "privs.h"
#include "rootdir.h"

static const char *const names[] = {
	"queue", "queue/tmp", "queue/mail", "queue/hold", "queue/state",
	"queue/etrn", "cache", "domains", "control"
};

const char *
rdir_name(int which)
{
	return names[which];
}

/*
 * rdir_path - "queue/mail", "queue/mail/D" or "queue/mail/D/NAME" into
 * dst. -1 (EINVAL) when D cannot name a folder, ENAMETOOLONG when the
 * path does not fit.
 */
int
rdir_path(char *dst, size_t size, int which, const char *domain,
    const char *name)
{
	int	n;

	if (domain && (domain[0] == '.' || !env_domain_ok(domain) ||
	    strchr(domain, '/'))) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(dst, size, "%s%s%s%s%s", names[which], domain ? "/" : "",
	    domain ? domain : "", name ? "/" : "", name ? name : "");
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* the folders of the service user, as against the operator's */
static int
owned(int which)
{
	return which != RD_DOMAINS && which != RD_CONTROL;
}

static int
open_dir(int at, const char *name, int flags)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
}

/* foreign - folder path belongs to uid: said in the log, EPERM. */
static int
foreign(const char *path, uid_t uid)
{
	char	who[64], me[64];

	log_warnx("%s belongs to %s, not to %s: refused", path,
	    privs_who(uid, who, sizeof(who)),
	    privs_who(geteuid(), me, sizeof(me)));
	errno = EPERM;
	return -1;
}

/*
 * checked - fd (folder path, just opened without following a link) if
 * this user owns it; else -1 (EPERM), said in the log.
 */
static int
checked(int fd, const char *path)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (st.st_uid == geteuid())
		return fd;
	close(fd);
	return foreign(path, st.st_uid);
}

/*
 * open_level - folder name of the folder at (path names it for
 * messages), made when missing and make is set: a level made here, or
 * by someone else meanwhile, is flushed into at before it is used. It
 * is never entered through a symbolic link, and only when this user
 * owns it.
 */
static int
open_level(int at, const char *name, const char *path, int make)
{
	struct stat	st;
	int		fd;

	fd = open_dir(at, name, O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && make) {
		if (mkdirat(at, name, 0700) == -1 && errno != EEXIST)
			return -1;
		if (fsync(at) == -1)
			return -1;
		fd = open_dir(at, name, O_NOFOLLOW);
	}
	if (fd != -1)
		return checked(fd, path);
	if ((errno == ELOOP || errno == ENOTDIR) &&
	    fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		log_warnx("%s is a symbolic link: refused", path);
		errno = ELOOP;
	} else if (errno == EACCES &&
	    fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_uid != geteuid())
		return foreign(path, st.st_uid);
	return -1;
}

/* walk - every level of path (relative to root), one at a time. */
static int
walk(int root, const char *path, int make)
{
	char	 buf[512], *name, *slash;
	int	 at = root, fd, e;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (name = buf; ; name = slash + 1) {
		if ((slash = strchr(name, '/')) != NULL)
			*slash = '\0';
		fd = open_level(at, name, buf, make);
		e = errno;
		if (at != root)
			close(at);
		if (fd == -1) {
			errno = e;
			return -1;
		}
		if (slash == NULL)
			return fd;
		*slash = '/';
		at = fd;
	}
}

/*
 * rdir_open - the folder which (a domain's folder in it when domain is
 * not NULL), open read-only. A folder of queue/ or cache/ is opened
 * level by level, never through a symbolic link and only when this
 * user owns each level (ELOOP, EPERM, logged); with RD_CREATE, missing
 * levels are made (mode 0700) durably. The operator's domains/ and
 * control/ are opened as they are. Returns the descriptor, or -1 with
 * errno (ENOENT: missing, without RD_CREATE).
 */
int
rdir_open(int root, int which, const char *domain, int flags)
{
	char	path[512];

	if (rdir_path(path, sizeof(path), which, domain, NULL) == -1)
		return -1;
	if (!owned(which))
		return open_dir(root, path, 0);
	return walk(root, path, flags & RD_CREATE);
}

/*
 * rdir_read - all of file name of the folder which (domain's folder in
 * it, when domain is not NULL) into buf, NUL terminated, never through
 * a link (see file_read_at). Returns its length, or -1 with errno
 * (EINVAL: name is not a name of that folder).
 */
ssize_t
rdir_read(int root, int which, const char *domain, const char *name,
    char *buf, size_t size)
{
	ssize_t	n;
	int	dfd, e;

	if (strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || name[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	if ((dfd = rdir_open(root, which, domain, 0)) == -1)
		return -1;
	n = file_read_at(dfd, name, O_NOFOLLOW, buf, size);
	e = errno;
	close(dfd);
	errno = e;
	return n;
}

/*
 * rdir_flush - make the queue's folders durable where they are: every
 * fixed folder of queue/ and every domain folder in queue/mail and
 * queue/hold is named in a flushed folder afterwards.
 */
int
rdir_flush(int root)
{
	static const int	 which[] = { RD_QUEUE, RD_MAIL, RD_HOLD };
	size_t			 i;
	int			 fd, r = 0;

	if (fsync(root) == -1)
		r = -1;
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		if ((fd = rdir_open(root, which[i], NULL, 0)) == -1) {
			if (errno != ENOENT)
				r = -1;
			continue;
		}
		if (fsync(fd) == -1)
			r = -1;
		close(fd);
	}
	return r;
}
