/*
 * names.c - the operations on names: lookup, create, mkdir, mknod,
 * symlink, link, unlink, rmdir, rename, forget. Each runs its backing
 * call and its bookkeeping under big, so the changed names always match
 * the backing tree; pend_mark records each name's durable binding.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "powerfs.h"

/* owner - a new name belongs to the caller, not to the layer (root). */
static void
owner(fuse_req_t req, int dirfd, const char *name)
{
	const struct fuse_ctx	*c = fuse_req_ctx(req);

	if (c->uid != geteuid() || c->gid != getegid())
		(void)fchownat(dirfd, name, c->uid, c->gid, AT_SYMLINK_NOFOLLOW);
}

/* newnode - the node for name just made in dir, marked and counted. */
static struct pnode *
newnode(struct pnode *dir, const char *name, struct stat *st)
{
	struct pnode	*n;
	int		 fd;

	fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, st) == -1) {
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if ((n = node_get(fd, st)) == NULL)
		return NULL;
	if (n->type == S_IFREG && n->dur == DUR_LIVE && n->nlookup == 0 &&
	    n->dref == 0 && st->st_nlink == 1)
		n->dur = DUR_NONE;	/* born empty until flushed */
	pend_mark(dir, name, NULL, n);
	n->nlookup++;
	return n;
}

static void
pfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct pnode	*d, *n;
	struct stat	 st;
	int		 fd;

	if (ops_enter(req) == -1)
		return;
	d = node_of(parent);
	fd = openat(d->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		fuse_reply_err(req, errno);
		ops_leave();
		return;
	}
	pthread_mutex_lock(&big);
	if ((n = node_get(fd, &st)) != NULL)
		n->nlookup++;
	pthread_mutex_unlock(&big);
	if (n == NULL)
		fuse_reply_err(req, ENOMEM);
	else
		reply_entry(req, n, &st);
	ops_leave();
}

static void
forget_one(fuse_ino_t ino, uint64_t nlookup)
{
	struct pnode	*n = node_of(ino);

	if (n == root)
		return;
	n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
	node_free_maybe(n);
}

static void
pfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	pthread_mutex_lock(&big);
	forget_one(ino, nlookup);
	pthread_mutex_unlock(&big);
	fuse_reply_none(req);
}

static void
pfs_forget_multi(fuse_req_t req, size_t count,
    struct fuse_forget_data *forgets)
{
	size_t	i;

	pthread_mutex_lock(&big);
	for (i = 0; i < count; i++)
		forget_one(forgets[i].ino, forgets[i].nlookup);
	pthread_mutex_unlock(&big);
	fuse_reply_none(req);
}

/* made - reply for a name made by the backing call whose status is r. */
static void
made(fuse_req_t req, struct pnode *d, const char *name, int r)
{
	struct pnode	*n = NULL;
	struct stat	 st;
	int		 e = errno;

	if (r == 0) {
		owner(req, d->fd, name);
		n = newnode(d, name, &st);
		e = errno;
	}
	pthread_mutex_unlock(&big);
	if (n == NULL)
		fuse_reply_err(req, e ? e : EIO);
	else
		reply_entry(req, n, &st);
	ops_leave();
}

static void
pfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct pnode	*d = node_of(parent);

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	made(req, d, name, mkdirat(d->fd, name, mode));
}

static void
pfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    dev_t rdev)
{
	struct pnode	*d = node_of(parent);

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	made(req, d, name, mknodat(d->fd, name, mode, rdev));
}

static void
pfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
    const char *name)
{
	struct pnode	*d = node_of(parent);

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	made(req, d, name, symlinkat(link, d->fd, name));
}

static void
pfs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	struct pnode	*d = node_of(parent), *n = NULL;
	struct stat	 st;
	int		 fd, e = 0;

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	/* an existing name is opened by the kernel, not created: O_EXCL */
	fd = openat(d->fd, name, (fi->flags & ~O_NOCTTY) | O_CREAT | O_EXCL |
	    O_CLOEXEC, mode);
	if (fd == -1)
		e = errno;
	else {
		owner(req, d->fd, name);
		if ((n = newnode(d, name, &st)) == NULL) {
			e = errno ? errno : EIO;
			close(fd);
		} else
			n->nopen++;
	}
	pthread_mutex_unlock(&big);
	if (n == NULL) {
		fuse_reply_err(req, e);
	} else {
		struct fuse_entry_param	ep;

		memset(&ep, 0, sizeof(ep));
		fix_stat(n, &st);
		ep.ino = (fuse_ino_t)(uintptr_t)n;
		ep.attr = st;
		ep.attr_timeout = ep.entry_timeout = 1.0;
		fi->fh = (uint64_t)fd;
		if (fuse_reply_create(req, &ep, fi) != 0)
			close(fd);	/* the kernel will release nothing */
	}
	ops_leave();
}

/* linked - reply to a link whose backing call returned r; big held. */
static void
linked(fuse_req_t req, struct pnode *n, int r)
{
	struct stat	st;
	int		e = errno;

	pthread_mutex_unlock(&big);
	if (r == 0 && node_stat(n, &st) == 0)
		reply_entry(req, n, &st);
	else
		fuse_reply_err(req, r == 0 ? errno : e);
	ops_leave();
}

static void
pfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char *name)
{
	struct pnode	*n = node_of(ino), *d = node_of(parent);
	char		 src[64];
	int		 r;

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	if (n->hidden && !n->linkable) {
		errno = ENOENT;
		r = -1;
	} else if (n->hidden && n->type == S_IFREG) {
		/* a tmpfile gets its first name: move it out of the store */
		store_name(src, sizeof(src), 'g', n->id);
		r = renameat2(storefd, src, d->fd, name, RENAME_NOREPLACE);
		if (r == 0)
			n->hidden = 0;
	} else {
		node_proc(n, src, sizeof(src));
		r = linkat(AT_FDCWD, src, d->fd, name, AT_SYMLINK_FOLLOW);
	}
	if (r == 0) {
		pend_mark(d, name, NULL, n);
		n->nlookup++;
	}
	linked(req, n, r);
}

/* dir_empty - 1 when folder n holds no name, 0 when it does, -1. */
static int
dir_empty(struct pnode *n)
{
	DIR		*dp;
	struct dirent	*ent;
	int		 fd, empty = 1;

	if ((fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((dp = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((ent = readdir(dp)) != NULL)
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			empty = 0;
	closedir(dp);
	return empty;
}

/* drop_name - unlink or rmdir name (bound to n) in d, keeping n in the
 * store when a changed name still binds it durably. */
static int
drop_name(struct pnode *d, const char *name, struct pnode *n, int dir)
{
	struct stat	st;
	int		last, empty;

	if (node_stat(n, &st) == -1)
		return -1;
	last = dir || st.st_nlink <= 1;
	if (!last || pend_refs_after(d, name, n) == 0)
		return unlinkat(d->fd, name, dir ? AT_REMOVEDIR : 0);
	if (dir) {
		if ((empty = dir_empty(n)) != 1) {
			if (empty == 0)
				errno = ENOTEMPTY;
			return -1;
		}
		return node_hide(n, d, name);
	}
	if (node_hide(n, d, name) == -1)
		return -1;
	return unlinkat(d->fd, name, 0);
}

static void
remove_name(fuse_req_t req, fuse_ino_t parent, const char *name, int dir)
{
	struct pnode	*d = node_of(parent), *n;
	int		 r = -1, e = ENOENT;

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	if ((n = node_at(d, name)) != NULL) {
		n->nlookup++;	/* held while we work */
		if ((r = drop_name(d, name, n, dir)) == 0)
			pend_mark(d, name, n, NULL);
		e = errno;
		n->nlookup--;
		node_free_maybe(n);
	}
	pthread_mutex_unlock(&big);
	fuse_reply_err(req, r == 0 ? 0 : e);
	ops_leave();
}

static void
pfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 0);
}

static void
pfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 1);
}

/* keep_victim - v, named name in q, is about to be replaced: keep it in
 * the store if a changed name will still bind it. */
static int
keep_victim(struct pnode *q, const char *name, struct pnode *v)
{
	struct stat	st;

	if (v == NULL || node_stat(v, &st) == -1)
		return 0;
	if ((v->type != S_IFDIR && st.st_nlink > 1) ||
	    pend_refs_after(q, name, v) == 0)
		return 0;
	if (v->type == S_IFDIR && dir_empty(v) != 1) {
		errno = ENOTEMPTY;	/* the rename would fail */
		return -1;
	}
	return node_hide(v, q, name);
}

static void
pfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct pnode	*p = node_of(parent), *q = node_of(newparent), *c, *v;
	int		 r = -1, e = ENOENT;

	if (ops_enter(req) == -1)
		return;
	pthread_mutex_lock(&big);
	if ((c = node_at(p, name)) == NULL)
		goto out;
	c->nlookup++;
	if ((v = node_at(q, newname)) != NULL)
		v->nlookup++;
	if (c == v || (flags & RENAME_EXCHANGE) ||
	    (r = keep_victim(q, newname, v)) == 0)
		r = renameat2(p->fd, name, q->fd, newname, flags);
	e = errno;
	if (r == 0 && c != v) {
		if (flags & RENAME_EXCHANGE) {
			pend_mark(p, name, c, v);
			pend_mark(q, newname, v, c);
		} else {
			pend_mark(p, name, c, NULL);
			pend_mark(q, newname, v, c);
		}
	}
	c->nlookup--;
	node_free_maybe(c);
	if (v) {
		v->nlookup--;
		node_free_maybe(v);
	}
out:
	pthread_mutex_unlock(&big);
	fuse_reply_err(req, r == 0 ? 0 : e);
	ops_leave();
}

void
ops_names(struct fuse_lowlevel_ops *o)
{
	o->lookup = pfs_lookup;
	o->forget = pfs_forget;
	o->forget_multi = pfs_forget_multi;
	o->mkdir = pfs_mkdir;
	o->mknod = pfs_mknod;
	o->symlink = pfs_symlink;
	o->create = pfs_create;
	o->link = pfs_link;
	o->unlink = pfs_unlink;
	o->rmdir = pfs_rmdir;
	o->rename = pfs_rename;
}
