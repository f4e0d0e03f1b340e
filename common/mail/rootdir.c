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

static int
open_dir(int at, const char *path)
{
	return openat(at, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * make_level - open folder name in the folder open on at, making it
 * when missing; a level made here, or by someone else meanwhile, is
 * flushed into at before it is used.
 */
static int
make_level(int at, const char *name)
{
	int	fd;

	if ((fd = open_dir(at, name)) != -1 || errno != ENOENT)
		return fd;
	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST)
		return -1;
	if (fsync(at) == -1)
		return -1;
	return open_dir(at, name);
}

/* make_path - every level of path (relative to root), made durable. */
static int
make_path(int root, const char *path)
{
	char	 buf[512], *p, *slash;
	int	 at = root, fd, e;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf; ; p = slash + 1) {
		if ((slash = strchr(p, '/')) != NULL)
			*slash = '\0';
		fd = make_level(at, p);
		e = errno;
		if (at != root)
			close(at);
		if (fd == -1) {
			errno = e;
			return -1;
		}
		if (slash == NULL)
			return fd;
		at = fd;
	}
}

/*
 * rdir_open - the folder which (a domain's folder in it when domain is
 * not NULL), open read-only. With RD_CREATE, missing levels are made
 * (mode 0700) durably. Returns the descriptor, or -1 with errno
 * (ENOENT: missing, without RD_CREATE).
 */
int
rdir_open(int root, int which, const char *domain, int flags)
{
	char	path[512];
	int	fd;

	if (rdir_path(path, sizeof(path), which, domain, NULL) == -1)
		return -1;
	if ((fd = open_dir(root, path)) != -1 || errno != ENOENT ||
	    !(flags & RD_CREATE))
		return fd;
	return make_path(root, path);
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
