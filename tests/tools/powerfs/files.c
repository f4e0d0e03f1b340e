/*
 * files.c - the operations on inodes and handles: attributes, open,
 * read, write, the flushes (fsync, fsyncdir: the only durability points
 * of the model), folders read, statfs. A change to a file's data first
 * saves its durable data (node_cow) when that is still the live data.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "powerfs.h"

struct dirh {
	DIR		*dp;
	struct dirent	*ent;	/* read, not yet sent */
	off_t		 off;
};

/* ops_enter - every operation runs under the read side of cutlock and
 * fails with EIO once the power is cut; -1 when it was answered. */
int
ops_enter(fuse_req_t req)
{
	pthread_rwlock_rdlock(&cutlock);
	if (!cut)
		return 0;
	pthread_rwlock_unlock(&cutlock);
	fuse_reply_err(req, EIO);
	return -1;
}

void
ops_leave(void)
{
	pthread_rwlock_unlock(&cutlock);
}

/* fix_stat - what the kernel is told: a node whose only name is in the
 * store has one link fewer (none, for an unlinked or tmpfile). */
void
fix_stat(struct pnode *n, struct stat *st)
{
	if (n->hidden && st->st_nlink > 0)
		st->st_nlink--;
}

void
reply_entry(fuse_req_t req, struct pnode *n, const struct stat *st)
{
	struct fuse_entry_param	e;

	memset(&e, 0, sizeof(e));
	e.ino = n == root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
	e.attr = *st;
	fix_stat(n, &e.attr);
	e.attr_timeout = e.entry_timeout = 1.0;
	if (fuse_reply_entry(req, &e) != 0) {
		pthread_mutex_lock(&big);	/* the kernel did not get it */
		n->nlookup--;
		node_free_maybe(n);
		pthread_mutex_unlock(&big);
	}
}

static void
reply_stat(fuse_req_t req, struct pnode *n)
{
	struct stat	st;

	if (node_stat(n, &st) == -1) {
		fuse_reply_err(req, errno);
		return;
	}
	fix_stat(n, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void
pfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	if (ops_enter(req) == -1)
		return;
	reply_stat(req, node_of(ino));
	ops_leave();
}

/* set_size - truncate n (through fi when open), saving its durable data. */
static int
set_size(struct pnode *n, off_t size, struct fuse_file_info *fi)
{
	char	proc[64];
	int	r;

	pthread_mutex_lock(&n->lock);
	if ((r = node_cow(n)) == 0) {
		node_proc(n, proc, sizeof(proc));
		r = fi ? ftruncate((int)fi->fh, size) : truncate(proc, size);
	}
	pthread_mutex_unlock(&n->lock);
	return r;
}

static int
set_times(struct pnode *n, const struct stat *a, int to_set)
{
	struct timespec	ts[2];
	char		proc[64];

	ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
	if (to_set & FUSE_SET_ATTR_ATIME)
		ts[0] = a->st_atim;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	if (to_set & FUSE_SET_ATTR_MTIME)
		ts[1] = a->st_mtim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	node_proc(n, proc, sizeof(proc));
	return utimensat(AT_FDCWD, proc, ts, 0);
}

static void
pfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *a, int to_set,
    struct fuse_file_info *fi)
{
	struct pnode	*n = node_of(ino);
	char		 proc[64];
	int		 r = 0;

	if (ops_enter(req) == -1)
		return;
	node_proc(n, proc, sizeof(proc));
	if ((to_set & FUSE_SET_ATTR_MODE) && n->type != S_IFLNK)
		r = chmod(proc, a->st_mode);
	if (r == 0 && (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)))
		r = fchownat(n->fd, "", to_set & FUSE_SET_ATTR_UID ?
		    a->st_uid : (uid_t)-1, to_set & FUSE_SET_ATTR_GID ?
		    a->st_gid : (gid_t)-1, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE))
		r = set_size(n, a->st_size, fi);
	if (r == 0 && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
	    FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) &&
	    n->type != S_IFLNK)
		r = set_times(n, a, to_set);
	if (r == -1)
		fuse_reply_err(req, errno);
	else
		reply_stat(req, n);
	ops_leave();
}

static void
pfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char	buf[4097];
	ssize_t	r;

	if (ops_enter(req) == -1)
		return;
	r = readlinkat(node_of(ino)->fd, "", buf, sizeof(buf) - 1);
	if (r == -1)
		fuse_reply_err(req, errno);
	else {
		buf[r] = '\0';
		fuse_reply_readlink(req, buf);
	}
	ops_leave();
}

static void
pfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pnode	*n = node_of(ino);
	char		 proc[64];
	int		 fd, flags = fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY |
			    O_NOFOLLOW);

	if (ops_enter(req) == -1)
		return;
	node_proc(n, proc, sizeof(proc));
	pthread_mutex_lock(&n->lock);
	if ((flags & O_TRUNC) && node_cow(n) == -1)
		fd = -1;
	else
		fd = open(proc, flags | O_CLOEXEC);
	pthread_mutex_unlock(&n->lock);
	if (fd == -1) {
		fuse_reply_err(req, errno);
		ops_leave();
		return;
	}
	pthread_mutex_lock(&big);
	n->nopen++;
	pthread_mutex_unlock(&big);
	fi->fh = (uint64_t)fd;
	if (fuse_reply_open(req, fi) != 0) {
		close(fd);
		pthread_mutex_lock(&big);
		n->nopen--;
		pthread_mutex_unlock(&big);
	}
	ops_leave();
}

static void
pfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	char	*buf;
	ssize_t	 r;

	(void)ino;
	if (ops_enter(req) == -1)
		return;
	if ((buf = malloc(size ? size : 1)) == NULL) {
		fuse_reply_err(req, ENOMEM);
	} else if ((r = pread((int)fi->fh, buf, size, off)) == -1)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)r);
	free(buf);
	ops_leave();
}

static void
pfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	struct pnode	*n = node_of(ino);
	ssize_t		 r = -1;

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&n->lock);
	if (node_cow(n) == 0)
		r = pwrite((int)fi->fh, buf, size, off);
	pthread_mutex_unlock(&n->lock);
	if (r == -1)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)r);
	ops_leave();
}

static void
pfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);	/* close(2) is no durability point */
}

static void
pfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pnode	*n = node_of(ino);

	close((int)fi->fh);
	pthread_mutex_lock(&big);
	n->nopen--;
	node_free_maybe(n);
	pthread_mutex_unlock(&big);
	fuse_reply_err(req, 0);
}

/* pfs_fsync - the file's data and size as they are now are durable. */
static void
pfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	struct pnode	*n = node_of(ino);
	char		 d[64];

	(void)datasync;
	(void)fi;
	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&n->lock);
	if (n->dur == DUR_STORE) {
		store_name(d, sizeof(d), 'd', n->id);
		unlinkat(storefd, d, 0);
	}
	n->dur = DUR_LIVE;
	pthread_mutex_unlock(&n->lock);
	pthread_mutex_lock(&big);
	stats.fsyncs++;
	if (model == MODEL_JOURNAL)
		pend_flush_all();
	pthread_mutex_unlock(&big);
	fuse_reply_err(req, 0);
	ops_leave();
}

static void
pfs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct pnode	*n = node_of(ino);
	struct dirh	*h;
	int		 fd;

	if (ops_enter(req) == -1)
		return;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		fuse_reply_err(req, ENOMEM);
		ops_leave();
		return;
	}
	fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (h->dp = fdopendir(fd)) == NULL) {
		fuse_reply_err(req, errno);
		if (fd != -1)
			close(fd);
		free(h);
		ops_leave();
		return;
	}
	pthread_mutex_lock(&big);
	n->nopen++;
	pthread_mutex_unlock(&big);
	fi->fh = (uint64_t)(uintptr_t)h;
	if (fuse_reply_open(req, fi) != 0) {
		closedir(h->dp);
		free(h);
		pthread_mutex_lock(&big);
		n->nopen--;
		pthread_mutex_unlock(&big);
	}
	ops_leave();
}

static void
pfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct dirh	*h = (struct dirh *)(uintptr_t)fi->fh;
	struct stat	 st;
	char		*buf;
	size_t		 len = 0, sz;

	(void)ino;
	if (ops_enter(req) == -1)
		return;
	if ((buf = malloc(size)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		ops_leave();
		return;
	}
	if (off != h->off) {
		seekdir(h->dp, off);
		h->ent = NULL;
		h->off = off;
	}
	for (;;) {
		if (h->ent == NULL && (h->ent = readdir(h->dp)) == NULL)
			break;
		memset(&st, 0, sizeof(st));
		st.st_ino = h->ent->d_ino;
		st.st_mode = (mode_t)h->ent->d_type << 12;
		sz = fuse_add_direntry(req, buf + len, size - len,
		    h->ent->d_name, &st, h->ent->d_off);
		if (sz > size - len)
			break;	/* sent with the next call */
		len += sz;
		h->off = h->ent->d_off;
		h->ent = NULL;
	}
	fuse_reply_buf(req, buf, len);
	free(buf);
	ops_leave();
}

static void
pfs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dirh	*h = (struct dirh *)(uintptr_t)fi->fh;
	struct pnode	*n = node_of(ino);

	closedir(h->dp);
	free(h);
	pthread_mutex_lock(&big);
	n->nopen--;
	node_free_maybe(n);
	pthread_mutex_unlock(&big);
	fuse_reply_err(req, 0);
}

/* pfs_fsyncdir - the folder's names as they are now are durable. */
static void
pfs_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	struct pnode	*n = node_of(ino);

	(void)datasync;
	(void)fi;
	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	stats.dirsyncs++;
	n->nlookup++;
	if (model == MODEL_JOURNAL)
		pend_flush_all();
	else
		pend_flush(n);
	n->nlookup--;
	node_free_maybe(n);
	pthread_mutex_unlock(&big);
	fuse_reply_err(req, 0);
	ops_leave();
}

static void
pfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs	sv;

	(void)ino;
	if (ops_enter(req) == -1)
		return;
	if (fstatvfs(storefd, &sv) == -1)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
	ops_leave();
}

void
ops_files(struct fuse_lowlevel_ops *o)
{
	o->getattr = pfs_getattr;
	o->setattr = pfs_setattr;
	o->readlink = pfs_readlink;
	o->open = pfs_open;
	o->read = pfs_read;
	o->write = pfs_write;
	o->flush = pfs_flush;
	o->release = pfs_release;
	o->fsync = pfs_fsync;
	o->opendir = pfs_opendir;
	o->readdir = pfs_readdir;
	o->releasedir = pfs_releasedir;
	o->fsyncdir = pfs_fsyncdir;
	o->statfs = pfs_statfs;
}
