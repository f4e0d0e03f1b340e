/*
 * fileio.c - file helpers with durability spelled out. Nothing here is
 * durable until the folder holding a new name is fsync'd too: rename(2)
 * is atomic for other processes but says nothing about power loss.
 * All return 0 (or a count) on success, -1 with errno on failure.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

int
write_all(int fd, const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* read_full - read until n bytes or end of file; returns bytes read. */
ssize_t
read_full(int fd, void *p, size_t n)
{
	char	*s = p;
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = read(fd, s + got, n - got);
		if (r == 0)
			break;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* fsync_dirat - fsync the folder path (relative to dirfd, "." for it). */
int
fsync_dirat(int dirfd, const char *path)
{
	int	fd, r, e;

	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/*
 * file_read_at - all of file path (relative to dirfd) into buf, NUL
 * terminated, opened with the extra flags oflags (O_NOFOLLOW for a
 * file in a folder someone else may write). Returns its length, or -1:
 * ENOENT when missing, EFBIG when it does not fit in size - 1 bytes,
 * EINVAL when it is not a regular file.
 */
ssize_t
file_read_at(int dirfd, const char *path, int oflags, char *buf, size_t size)
{
	struct stat	st;
	ssize_t		n = -1;
	char		extra;
	int		fd, e;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
	    oflags);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;	/* a FIFO or a device is not a setting */
		goto out;
	}
	n = read_full(fd, buf, size - 1);
	if (n >= 0 && (size_t)n == size - 1 && read_full(fd, &extra, 1) == 1) {
		errno = EFBIG;
		n = -1;
	}
out:
	e = errno;
	close(fd);
	errno = e;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * tmpname - a name for a temporary file that no live process shares:
 * prefix, base, pid and a per-process counter, ".tmp" at the end so
 * that crash leftovers are recognisable.
 */
int
tmpname(char *dst, size_t size, const char *prefix, const char *base)
{
	static unsigned long	counter;
	int			n;

	n = snprintf(dst, size, "%s%s.%ld.%lu.tmp", prefix ? prefix : "", base,
	    (long)getpid(), ++counter);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * tmpname_shaped - name has the shape tmpname gives (prefix and base
 * are not checked): it ends in ".PID.COUNTER.tmp".
 */
int
tmpname_shaped(const char *name)
{
	size_t	n = strlen(name), i, dots = 0, digits = 0;

	if (n < 9 || strcmp(name + n - 4, ".tmp") != 0)
		return 0;
	for (i = n - 4; i-- > 0 && dots < 2; ) {
		if (name[i] == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (name[i] >= '0' && name[i] <= '9')
			digits++;
		else
			return 0;
	}
	return dots == 2;
}

/* finish - flush (unless told not to), date and close the new file. */
static int
finish(int fd, const struct replace *o)
{
	struct timespec	ts[2];
	int		e;

	if (!(o->flags & REPLACE_NOSYNC) && fsync(fd) == -1)
		goto fail;
	if (o->mtime) {
		ts[0].tv_sec = ts[1].tv_sec = (time_t)o->mtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (futimens(fd, ts) == -1)
			goto fail;
	}
	return close(fd);
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/*
 * file_replace_fn - atomically and durably replace file name of folder
 * dirfd with what fill(fd, arg) writes: a temporary file (beside the
 * target, or in o->tmpdir), fsync, rename over, fsync of the folder,
 * each step as o says. Readers see the old or the new content, never a
 * mix; on failure the old file is untouched.
 */
int
file_replace_fn(int dirfd, const char *name, const struct replace *o,
    int (*fill)(int, void *), void *arg)
{
	char	tmp[300];
	int	at = (o->flags & REPLACE_TMPDIR) ? o->tmpdir : dirfd, fd, e;

	if (tmpname(tmp, sizeof(tmp), o->prefix ? o->prefix : ".",
	    o->prefix ? "" : name) == -1)
		return -1;
	fd = openat(at, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    o->mode ? o->mode : 0600);
	if (fd == -1)
		return -1;
	if (fill(fd, arg) == -1) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (finish(fd, o) == -1 || renameat(at, tmp, dirfd, name) == -1) {
		e = errno;
		goto fail;
	}
	if (o->flags & (REPLACE_NOSYNC | REPLACE_NOSYNC_DIR))
		return 0;
	return fsync(dirfd);
fail:
	unlinkat(at, tmp, 0);
	errno = e;
	return -1;
}

struct membuf {
	const void	*p;
	size_t		 n;
};

static int
fill_mem(int fd, void *arg)
{
	struct membuf	*m = arg;

	return write_all(fd, m->p, m->n);
}

/*
 * file_replace - file_replace_fn with a buffer for the content; o NULL
 * for the defaults (mode 0600, durable).
 */
int
file_replace(int dirfd, const char *name, const void *data, size_t len,
    const struct replace *o)
{
	static const struct replace	dflt = { 0 };
	struct membuf			m = { data, len };

	return file_replace_fn(dirfd, name, o ? o : &dflt, fill_mem, &m);
}
