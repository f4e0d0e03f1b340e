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
#include "log.h"
#include "qupdate.h"
#include "rootdir.h"

/* qref_path - "queue/mail/D/ID" of r, for messages. */
int
qref_path(char *dst, size_t size, const struct qref *r)
{
	return rdir_path(dst, size, r->where, r->domain, r->id);
}

/*
 * qitem_claim - open, lock and read item r. Returns 0, or -1 with errno
 * EAGAIN (someone else holds it), ENOENT (gone), EBADMSG (damaged).
 */
int
qitem_claim(const struct qref *r, struct qitem *q)
{
	struct stat	a, b;
	int		fd, e;

	q->fd = -1;
	q->envtext = NULL;
	env_init(&q->env);
	/* read-write, though only read: a queue that cannot be written
	 * (EROFS) must fail here, before a byte is delivered that could not
	 * be recorded as delivered */
	fd = openat(r->dfd, r->id, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		e = errno == EWOULDBLOCK ? EAGAIN : errno;
		goto fail;
	}
	if (fstat(fd, &a) == -1 || fstatat(r->dfd, r->id, &b,
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

/*
 * qitem_claim_whole - claim item r as qitem_claim does, and check that
 * its stored message is whole (qbody_check: both checksums, and the
 * zlib stream) before a byte of it is sent, exported or released: one
 * that is not is let go again, -1 with EBADMSG (or EIO, or ENOMEM, as
 * the reading met).
 */
int
qitem_claim_whole(const struct qref *r, struct qitem *q)
{
	int	e;

	if (qitem_claim(r, q) == -1)
		return -1;
	if (qbody_check(q) == -1) {
		e = errno;
		qitem_close(q);
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * qitem_damaged - err, from opening, claiming or reading item r, says
 * that the item itself is damaged: its envelope or trailer does not
 * parse, it is cut short, its message fails its check (EBADMSG), or it
 * cannot be read (EACCES, EIO...). Then the one warning that names it,
 * for every program, and 1. Not damage, and 0, without a word: gone
 * (ENOENT), busy (EAGAIN), and what is the fault of this process or of
 * the queue rather than of the item. errno is kept.
 */
int
qitem_damaged(const struct qref *r, int err)
{
	char	path[600];

	switch (err) {
	case ENOENT: case EAGAIN: case EINTR: case ENOMEM: case EMFILE:
	case ENFILE: case EROFS:
		errno = err;
		return 0;
	}
	(void)qref_path(path, sizeof(path), r);
	log_warnx("%s damaged (%s): left in the queue untouched", path,
	    strerror(err));
	errno = err;
	return 1;
}

struct rewrite {
	struct qitem		*q;
	const struct envelope	*e;
};

/* fill_item - the stored body of q as it is, then the new envelope. */
static int
fill_item(int fd, void *arg)
{
	struct rewrite	*w = arg;
	struct qitem	*q = w->q;
	char		 buf[65536];
	off_t		 off = 0;
	ssize_t		 n;

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
	return qitem_append_env(fd, w->e, q->bodycrc);
}

/*
 * qitem_rewrite - replace claimed item q at r with the same body and
 * envelope e, due at time due (its mtime). The folder is not flushed:
 * a power cut leaves the old item or the new one, never a mix. The
 * claim stays valid until the caller closes q: nobody else can have
 * opened the new file locked.
 */
int
qitem_rewrite(int root, const struct qref *r, struct qitem *q,
    const struct envelope *e, int64_t due)
{
	struct rewrite	w = { q, e };
	struct replace	o = { 0 };
	int		rc, err;

	if ((o.tmpdir = rdir_open(root, RD_TMP, NULL, RD_CREATE)) == -1)
		return -1;
	o.prefix = "r";
	o.mtime = due > 0 ? due : 1;
	o.flags = REPLACE_TMPDIR | REPLACE_NOSYNC_DIR;
	rc = file_replace_fn(r->dfd, r->id, &o, fill_item, &w);
	err = errno;
	close(o.tmpdir);
	errno = err;
	return rc;
}

/*
 * qitem_remove - the item is done. No fsync of the folder: if a crash
 * undoes the unlink, the message is delivered again (at least once),
 * never lost.
 */
int
qitem_remove(const struct qref *r)
{
	return unlinkat(r->dfd, r->id, 0);
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

/*
 * qitem_move - move claimed item r into folder to (RD_MAIL or RD_HOLD)
 * of its domain, keeping its id: a link there, that folder flushed,
 * then the old name removed and its folder flushed. A power cut at any
 * point leaves the item under one name or both (then it is delivered or
 * held twice, never lost); a rename would flush only one folder, and a
 * file system without a journal may write the other first.
 */
int
qitem_move(int root, const struct qref *r, int to)
{
	struct stat	a, b;
	int		dfd, rc = -1, e;

	if ((dfd = rdir_open(root, to, r->domain, RD_CREATE)) == -1)
		return -1;
	if (linkat(r->dfd, r->id, dfd, r->id, 0) == -1) {
		/* a move cut short before: the same file under both names */
		if (errno != EEXIST || fstatat(r->dfd, r->id, &a,
		    AT_SYMLINK_NOFOLLOW) == -1 || fstatat(dfd, r->id, &b,
		    AT_SYMLINK_NOFOLLOW) == -1 || a.st_ino != b.st_ino ||
		    a.st_dev != b.st_dev) {
			if (errno == 0 || errno == EEXIST)
				errno = EEXIST;
			goto out;
		}
	}
	if (fsync(dfd) == -1 || unlinkat(r->dfd, r->id, 0) == -1)
		goto out;
	rc = fsync(r->dfd);
out:
	e = errno;
	close(dfd);
	errno = e;
	return rc;
}
