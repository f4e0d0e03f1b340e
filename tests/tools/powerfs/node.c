/*
 * node.c - the nodes of powerfs and the names changed since each
 * folder's last flush. A node lives while the kernel, an open handle, a
 * changed name or its own durable state needs it; then it is freed with
 * its store files, so memory follows the working set, not the history.
 * Everything here runs with big held, except node_cow (the node's lock).
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "powerfs.h"

static struct pnode	**ntab;		/* nodes by backing ino */
static size_t		  nsize, ncount;
static struct pent	**ptab;		/* changed names by (folder, name) */
static size_t		  psize, pcount;
static struct pnode	 *dirty;	/* folders with changed names */
static uint64_t		  lastid;

static size_t
ino_hash(ino_t ino)
{
	return (size_t)(ino * 0x9e3779b97f4a7c15ULL >> 17);
}

static size_t
name_hash(const struct pnode *dir, const char *name)
{
	uint64_t	h = 1469598103934665603ULL ^ (uintptr_t)dir;

	while (*name)
		h = (h ^ (unsigned char)*name++) * 1099511628211ULL;
	return (size_t)h;
}

/* grow - double a chained table when it is full; rehash by key. */
static void
grow_nodes(void)
{
	struct pnode	**t, *n, *next;
	size_t		  i, size = nsize ? nsize * 2 : 1024;

	if (ncount < nsize)
		return;
	if ((t = calloc(size, sizeof(*t))) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < nsize; i++)
		for (n = ntab[i]; n; n = next) {
			next = n->hnext;
			n->hnext = t[ino_hash(n->ino) % size];
			t[ino_hash(n->ino) % size] = n;
		}
	free(ntab);
	ntab = t;
	nsize = size;
}

static void
grow_pents(void)
{
	struct pent	**t, *p, *next;
	size_t		  i, h, size = psize ? psize * 2 : 1024;

	if (pcount < psize)
		return;
	if ((t = calloc(size, sizeof(*t))) == NULL)
		return;
	for (i = 0; i < psize; i++)
		for (p = ptab[i]; p; p = next) {
			next = p->hnext;
			h = name_hash(p->dir, p->name) % size;
			p->hnext = t[h];
			t[h] = p;
		}
	free(ptab);
	ptab = t;
	psize = size;
}

/* node_init - the root node, on the backing folder. */
int
node_init(const char *backing)
{
	struct stat	st;
	int		fd;

	if ((fd = open(backing, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		return -1;
	grow_nodes();
	grow_pents();
	if ((root = node_get(fd, &st)) == NULL)
		return -1;
	root->nlookup = 1;	/* never freed */
	return 0;
}

struct pnode *
node_of(fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? root : (struct pnode *)(uintptr_t)ino;
}

struct pnode *
node_find(ino_t ino)
{
	struct pnode	*n;

	if (nsize == 0)
		return NULL;
	for (n = ntab[ino_hash(ino) % nsize]; n; n = n->hnext)
		if (n->ino == ino)
			return n;
	return NULL;
}

/*
 * node_get - the node of the backing inode st describes, fd an O_PATH
 * descriptor of it: the known node (fd is closed) or a new one that
 * keeps fd. A node new to the layer is unchanged since the mount.
 */
struct pnode *
node_get(int fd, const struct stat *st)
{
	struct pnode	*n;
	size_t		 h;

	if ((n = node_find(st->st_ino)) != NULL) {
		close(fd);
		return n;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		close(fd);
		return NULL;
	}
	n->ino = st->st_ino;
	n->fd = fd;
	n->type = st->st_mode & S_IFMT;
	n->id = ++lastid;
	n->dur = DUR_LIVE;
	pthread_mutex_init(&n->lock, NULL);
	grow_nodes();
	h = ino_hash(n->ino) % nsize;
	n->hnext = ntab[h];
	ntab[h] = n;
	ncount++;
	return n;
}

/* node_at - the node that name in folder dir names now, or NULL. */
struct pnode *
node_at(struct pnode *dir, const char *name)
{
	struct stat	st;
	int		fd;

	fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	return node_get(fd, &st);
}

int
node_stat(struct pnode *n, struct stat *st)
{
	return fstatat(n->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
}

void
node_proc(struct pnode *n, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", n->fd);
}

/* store_name - g.ID (a live inode without a name in the tree), d.ID (a
 * durable copy), t.ID (a copy being made). */
void
store_name(char *buf, size_t size, char kind, uint64_t id)
{
	snprintf(buf, size, "%c.%llu", kind, (unsigned long long)id);
}

/*
 * node_hide - name in dir is n's last live name and a changed name still
 * binds n durably: move it to store/g.ID instead of removing it, so the
 * cut can still link it. A file keeps its tree name until the caller's
 * own rename replaces it (link), a folder moves (it is empty).
 */
int
node_hide(struct pnode *n, struct pnode *dir, const char *name)
{
	char	g[64], proc[64];

	store_name(g, sizeof(g), 'g', n->id);
	if (n->type == S_IFDIR) {
		if (renameat(dir->fd, name, storefd, g) == -1)
			return -1;
	} else {
		node_proc(n, proc, sizeof(proc));
		if (linkat(AT_FDCWD, proc, storefd, g, AT_SYMLINK_FOLLOW) == -1)
			return -1;
	}
	n->hidden = 1;
	stats.stored++;
	return 0;
}

/* copy_fd - the whole of in into out: a reflink, else in the kernel. */
static int
copy_fd(int in, int out)
{
	ssize_t	r;
	off_t	off = 0;

	if (ioctl(out, FICLONE, in) == 0)
		return 0;
	for (;;) {
		r = copy_file_range(in, &off, out, NULL, 1 << 30, 0);
		if (r == 0)
			return 0;
		if (r == -1)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL)
		return -1;
	char	buf[65536];
	ssize_t	n;

	while ((n = pread(in, buf, sizeof(buf), off)) > 0) {
		if (write(out, buf, (size_t)n) != n)
			return -1;
		off += n;
	}
	return n == -1 ? -1 : 0;
}

/*
 * node_cow - n is about to change: if its durable data is its live data,
 * copy that to store/d.ID first. Called with n->lock held.
 */
int
node_cow(struct pnode *n)
{
	struct stat	st;
	char		proc[64], t[64], d[64];
	int		in, out, r;

	if (n->dur != DUR_LIVE || n->type != S_IFREG)
		return 0;
	node_proc(n, proc, sizeof(proc));
	store_name(t, sizeof(t), 't', n->id);
	store_name(d, sizeof(d), 'd', n->id);
	if ((in = open(proc, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	out = openat(storefd, t, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out == -1) {
		close(in);
		return -1;
	}
	r = copy_fd(in, out);
	if (r == 0 && (fstat(in, &st) == -1 || fchown(out, st.st_uid,
	    st.st_gid) == -1 || fchmod(out, st.st_mode & 07777) == -1))
		r = -1;		/* the copy is the file, owner and mode too */
	close(in);
	if (close(out) == -1 || r == -1 || renameat(storefd, t, storefd, d) == -1) {
		unlinkat(storefd, t, 0);
		return -1;
	}
	n->dur = DUR_STORE;
	stats.cows++;
	return 0;
}

/* node_free_maybe - free n when nothing needs it any more. */
void
node_free_maybe(struct pnode *n)
{
	struct stat	 st;
	struct pnode	**pp;
	char		 name[64];
	int		 intree;

	if (n == NULL || n == root || cut || n->nlookup || n->nopen ||
	    n->dref || n->npend)
		return;
	intree = !n->hidden && node_stat(n, &st) == 0 && st.st_nlink > 0;
	if (intree && n->dur != DUR_LIVE)
		return;		/* its durable data differs from the live */
	if (n->hidden) {
		store_name(name, sizeof(name), 'g', n->id);
		unlinkat(storefd, name, n->type == S_IFDIR ? AT_REMOVEDIR : 0);
	}
	if (n->dur == DUR_STORE) {
		store_name(name, sizeof(name), 'd', n->id);
		unlinkat(storefd, name, 0);
	}
	for (pp = &ntab[ino_hash(n->ino) % nsize]; *pp; pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			break;
		}
	ncount--;
	close(n->fd);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

struct pent *
pend_find(struct pnode *dir, const char *name)
{
	struct pent	*p;

	for (p = ptab[name_hash(dir, name) % psize]; p; p = p->hnext)
		if (p->dir == dir && strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

static void
pend_add(struct pnode *dir, const char *name, struct pnode *was)
{
	struct pent	*p;
	size_t		 h, len = strlen(name) + 1;

	if ((p = malloc(sizeof(*p) + len)) == NULL)
		abort();	/* a model that forgets a change lies */
	memcpy(p->name, name, len);
	p->dir = dir;
	p->was = was;
	if (was)
		was->dref++;
	grow_pents();
	h = name_hash(dir, name) % psize;
	p->hnext = ptab[h];
	ptab[h] = p;
	pcount++;
	p->prev = NULL;
	p->next = dir->pend;
	if (dir->pend)
		dir->pend->prev = p;
	dir->pend = p;
	if (dir->npend++ == 0) {
		dir->dprev = NULL;
		dir->dnext = dirty;
		if (dirty)
			dirty->dprev = dir;
		dirty = dir;
	}
}

static void
pend_drop(struct pent *p)
{
	struct pnode	*dir = p->dir, *was = p->was;
	struct pent	**pp;

	for (pp = &ptab[name_hash(dir, p->name) % psize]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	pcount--;
	if (p->prev)
		p->prev->next = p->next;
	else
		dir->pend = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (--dir->npend == 0) {
		if (dir->dprev)
			dir->dprev->dnext = dir->dnext;
		else
			dirty = dir->dnext;
		if (dir->dnext)
			dir->dnext->dprev = dir->dprev;
	}
	free(p);
	if (was) {
		was->dref--;
		node_free_maybe(was);
	}
}

/*
 * pend_mark - name in dir was bound to before (NULL: absent) and is now
 * bound to after. The first change since the folder's flush keeps the
 * durable binding; a change back to it forgets the entry.
 */
void
pend_mark(struct pnode *dir, const char *name, struct pnode *before,
    struct pnode *after)
{
	struct pent	*p;

	if ((p = pend_find(dir, name)) != NULL) {
		if (p->was == after)
			pend_drop(p);
		return;
	}
	if (before != after)
		pend_add(dir, name, before);
}

/* pend_refs_after - n's durable references once name in dir, bound to
 * n now, changes. */
unsigned
pend_refs_after(struct pnode *dir, const char *name, struct pnode *n)
{
	return n->dref + (pend_find(dir, name) == NULL);
}

/* pend_flush - dir was flushed: its live names are its durable ones. */
void
pend_flush(struct pnode *dir)
{
	while (dir->pend)
		pend_drop(dir->pend);
	node_free_maybe(dir);
}

/* pend_flush_all - a journal commit: every name change is durable. */
void
pend_flush_all(void)
{
	struct pnode	*d;

	while ((d = dirty) != NULL) {
		d->nlookup++;		/* not freed under our feet */
		pend_flush(d);
		d->nlookup--;
		node_free_maybe(d);
	}
}
