/*
 * cut.c - the power cut: build in store/cut/ the tree a power loss
 * leaves under the model (every folder with its durable names, every
 * file with its durable data), then swap it into the backing folder,
 * whose live tree goes to store/old/. Runs with cutlock and big held:
 * no operation runs meanwhile, and none changes anything afterwards.
 * Files are hard links of the live or stored inodes: nothing is copied.
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

struct cutw {
	unsigned long	names, files, dirs, twice, dropped;
	int		err;
};

static void	walk(struct cutw *, struct pnode *, int, int);

static void
failed(struct cutw *w)
{
	if (w->err == 0)
		w->err = errno ? errno : EIO;
}

/* emit_file - name in out gets the durable data of c (or of the
 * unknown live file name in src, unchanged since the mount). */
static void
emit_file(struct cutw *w, int src, const char *name, struct pnode *c,
    const struct stat *st, int out)
{
	char	path[64];
	int	fd, r;

	w->files++;
	if (c == NULL) {
		if (linkat(src, name, out, name, 0) == -1)
			failed(w);
		return;
	}
	if (c->dur == DUR_NONE) {
		store_name(path, sizeof(path), 'd', c->id);
		fd = openat(storefd, path, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, st->st_mode & 07777);
		if (fd == -1 || fchown(fd, st->st_uid, st->st_gid) == -1) {
			failed(w);
			if (fd != -1)
				close(fd);
			return;
		}
		close(fd);
		c->dur = DUR_STORE;
	}
	if (c->dur == DUR_STORE) {
		store_name(path, sizeof(path), 'd', c->id);
		r = linkat(storefd, path, out, name, 0);
	} else {
		node_proc(c, path, sizeof(path));
		r = linkat(AT_FDCWD, path, out, name, AT_SYMLINK_FOLLOW);
	}
	if (r == -1)
		failed(w);
}

static void
emit_dir(struct cutw *w, int src, const char *name, struct pnode *c,
    const struct stat *st, int out)
{
	int	live, sub;

	if (c && c->emitted) {
		w->twice++;	/* a folder with two durable names: once */
		return;
	}
	if (mkdirat(out, name, 0700) == -1 ||
	    (sub = openat(out, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		failed(w);
		return;
	}
	live = c ? openat(c->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
	    openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (live == -1) {
		failed(w);
		close(sub);
		return;
	}
	if (c)
		c->emitted = 1;
	w->dirs++;
	walk(w, c, live, sub);
	if (fchown(sub, st->st_uid, st->st_gid) == -1 ||
	    fchmod(sub, st->st_mode & 07777) == -1)
		failed(w);
	close(live);
	close(sub);
}

/* emit - name (bound durably to c, or to the unknown name in src) in out. */
static void
emit(struct cutw *w, int src, const char *name, struct pnode *c,
    const struct stat *st, int out)
{
	char	buf[4097];
	ssize_t	r;

	w->names++;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		emit_file(w, src, name, c, st, out);
		return;
	case S_IFDIR:
		emit_dir(w, src, name, c, st, out);
		return;
	case S_IFLNK:
		r = c ? readlinkat(c->fd, "", buf, sizeof(buf) - 1) :
		    readlinkat(src, name, buf, sizeof(buf) - 1);
		if (r == -1) {
			failed(w);
			return;
		}
		buf[r] = '\0';
		if (symlinkat(buf, out, name) == -1)
			failed(w);
		break;
	default:
		if (mknodat(out, name, st->st_mode, st->st_rdev) == -1)
			failed(w);
		break;
	}
	(void)fchownat(out, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
}

/* walk - the durable names of folder d (NULL: one unknown to the layer,
 * so unchanged) whose live folder is open as live, into out. */
static void
walk(struct cutw *w, struct pnode *d, int live, int out)
{
	struct dirent	*ent;
	struct pent	*p;
	struct stat	 st;
	DIR		*dp;
	int		 fd;

	if ((fd = openat(live, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dp = fdopendir(fd)) == NULL) {
		failed(w);
		return;
	}
	while ((ent = readdir(dp)) != NULL) {
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		if (d && pend_find(d, ent->d_name))
			continue;	/* changed since the flush: below */
		if (fstatat(live, ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			failed(w);
			continue;
		}
		emit(w, live, ent->d_name, node_find(st.st_ino), &st, out);
	}
	closedir(dp);
	for (p = d ? d->pend : NULL; p; p = p->next) {
		if (p->was == NULL)
			continue;	/* new since the flush: gone */
		if (model == MODEL_WORST && fstatat(live, p->name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT) {
			w->dropped++;	/* its removal reached the disk */
			continue;
		}
		if (node_stat(p->was, &st) == -1) {
			failed(w);
			continue;
		}
		emit(w, -1, p->name, p->was, &st, out);
	}
}

/* move_all - every name of folder from into folder to. */
static int
move_all(int from, int to)
{
	struct dirent	*ent;
	DIR		*dp;
	char		**names = NULL, **p;
	size_t		 n = 0, i;
	int		 fd, r = 0;

	if ((fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dp = fdopendir(fd)) == NULL)
		return -1;
	while ((ent = readdir(dp)) != NULL) {
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		if ((p = reallocarray(names, n + 1, sizeof(*p))) == NULL ||
		    (p[n] = strdup(ent->d_name)) == NULL) {
			r = -1;
			break;
		}
		names = p;
		n++;
	}
	closedir(dp);
	for (i = 0; i < n; i++) {
		if (r == 0 && renameat(from, names[i], to, names[i]) == -1)
			r = -1;
		free(names[i]);
	}
	free(names);
	return r;
}

/* cut_build - build the durable tree and put it in place of the live
 * one; msg gets a summary. Returns 0, or -1 with errno. */
int
cut_build(int livefd, char *msg, size_t size)
{
	struct cutw	w;
	int		cutfd, oldfd;

	memset(&w, 0, sizeof(w));
	if (mkdirat(storefd, "cut", 0700) == -1 || mkdirat(storefd, "old",
	    0700) == -1 || (cutfd = openat(storefd, "cut", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1 || (oldfd = openat(storefd, "old",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	root->emitted = 1;
	walk(&w, root, livefd, cutfd);
	if (w.err == 0 && (move_all(livefd, oldfd) == -1 ||
	    move_all(cutfd, livefd) == -1))
		failed(&w);
	close(cutfd);
	close(oldfd);
	snprintf(msg, size, "names=%lu files=%lu folders=%lu twice=%lu "
	    "dropped=%lu fsyncs=%lu dirsyncs=%lu tmpfiles=%lu cows=%lu "
	    "stored=%lu", w.names, w.files, w.dirs, w.twice, w.dropped,
	    stats.fsyncs, stats.dirsyncs, stats.tmpfiles, stats.cows,
	    stats.stored);
	errno = w.err;
	return w.err ? -1 : 0;
}
