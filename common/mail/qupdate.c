/*
 * qupdate.c - the rules for touching a committed item, shared by
 * delivery, expiry and the operator's verbs:
 *  - claim it first: an exclusive flock(2) on the open file, taken
 *    without waiting. A busy item belongs to someone else this time.
 *    The kernel drops the lock when its holder dies: no stale locks.
 *  - after locking, check that the name still refers to the file we
 *    hold (a rewrite may have replaced it): else it is busy too.
 *  - rewrite by writing a whole new file in queue/tmp/ and renaming it
 *    over the old name, which keeps the item's id. The new file is
 *    fsync'd before the rename; a crash leaves the old or the new one.
 *  - the mtime of an item is the time it is next due for delivery.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "qupdate.h"

/*
 * qitem_claim - open, lock and read item path. Returns 0, or -1 with
 * errno EAGAIN (someone else holds it), ENOENT (gone), EBADMSG (damaged).
 */
int
qitem_claim(int root, const char *path, struct qitem *q)
{
	struct stat	a, b;
	int		fd, e;

	q->fd = -1;
	q->envtext = NULL;
	env_init(&q->env);
	/* read-write, though only read: a queue that cannot be written
	 * (EROFS) must fail here, before a byte is delivered that could not
	 * be recorded as delivered */
	fd = openat(root, path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		e = errno == EWOULDBLOCK ? EAGAIN : errno;
		goto fail;
	}
	if (fstat(fd, &a) == -1 || fstatat(root, path, &b,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		e = errno;
		goto fail;
	}
	if (a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		e = EAGAIN;	/* replaced while we were locking */
		goto fail;
	}
	if (qitem_read(fd, q) == -1) {
		e = errno;
		goto fail;
	}
	return 0;
fail:
	close(fd);
	q->fd = -1;
	errno = e;
	return -1;
}

/* copy_stored - the stored body of q (as is, compressed or not) to fd. */
static int
copy_stored(int fd, struct qitem *q)
{
	char	buf[65536];
	off_t	off = 0;
	ssize_t	n;

	while (off < q->bodylen) {
		n = pread(q->fd, buf, (size_t)(q->bodylen - off) < sizeof(buf) ?
		    (size_t)(q->bodylen - off) : sizeof(buf), off);
		if (n <= 0) {
			if (n == 0)
				errno = EBADMSG;
			return -1;
		}
		if (write_all(fd, buf, (size_t)n) == -1)
			return -1;
		off += n;
	}
	return 0;
}

/*
 * qitem_rewrite - replace claimed item q at path with the same body and
 * envelope e, due at time due (its mtime). The claim stays valid until
 * the caller closes q: nobody else can have opened the new file locked.
 */
int
qitem_rewrite(int root, const char *path, struct qitem *q,
    const struct envelope *e, int64_t due)
{
	struct timespec	ts[2];
	char		tmp[128];
	int		fd, err;

	if (tmpname(tmp, sizeof(tmp), QUEUE_TMP "/", "r") == -1)
		return -1;
	fd = openat(root, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)due;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (copy_stored(fd, q) == -1 ||
	    qitem_append_env(fd, e, q->bodycrc) == -1 || fsync(fd) == -1 ||
	    futimens(fd, ts) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(root, tmp, root, path) == -1)
		goto fail;
	return 0;
fail:
	err = errno;
	if (fd != -1)
		close(fd);
	unlinkat(root, tmp, 0);
	errno = err;
	return -1;
}

/*
 * qitem_remove - the item is done. No fsync of the folder: if a crash
 * undoes the unlink, the message is delivered again (at least once),
 * never lost.
 */
int
qitem_remove(int root, const char *path)
{
	return unlinkat(root, path, 0);
}

/* qitem_defer - the claimed item is next due at time due. */
int
qitem_defer(struct qitem *q, int64_t due)
{
	struct timespec	ts[2];

	ts[0].tv_sec = ts[1].tv_sec = (time_t)due;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return futimens(q->fd, ts);
}
