/*
 * dirlist.c - read a folder: dir_each calls a function for each entry
 * but "." and "..", dir_names collects the names a filter accepts,
 * sorted (domains come by name, queue items by age). The folder is
 * given as an open descriptor and stays open for the caller: the walk
 * reads through a descriptor of its own.
 * Functions return 0, or -1 with errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirlist.h"

/* names_add - a copy of s at the end of ns; -1 (ENOMEM) leaves ns whole. */
int
names_add(struct names *ns, const char *s)
{
	char	**v;
	size_t	  cap;

	if (ns->n == ns->cap) {
		cap = ns->cap ? ns->cap * 2 : 16;
		if ((v = reallocarray(ns->v, cap, sizeof(*v))) == NULL)
			return -1;
		ns->v = v;
		ns->cap = cap;
	}
	if ((ns->v[ns->n] = strdup(s)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* names_sort - sort, and drop repeated names. */
void
names_sort(struct names *ns)
{
	size_t	i, j = 0;

	if (ns->n > 1)
		qsort(ns->v, ns->n, sizeof(*ns->v), cmp_names);
	for (i = 0; i < ns->n; i++) {
		if (j > 0 && strcmp(ns->v[j - 1], ns->v[i]) == 0) {
			free(ns->v[i]);
			continue;
		}
		ns->v[j++] = ns->v[i];
	}
	ns->n = j;
}

int
names_has(const struct names *ns, const char *s)
{
	size_t	i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return 1;
	return 0;
}

void
names_free(struct names *ns)
{
	size_t	i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = ns->cap = 0;
}

/*
 * dir_each - fn(dirfd, name, arg) for every entry of the folder open on
 * dirfd; fn returns 0 to go on, -1 to stop (dir_each then returns -1
 * with fn's errno). Entries made or removed meanwhile may or may not
 * be seen, as readdir(3) says.
 */
int
dir_each(int dirfd, int (*fn)(int, const char *, void *), void *arg)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, r = 0, e;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			r = errno ? -1 : 0;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((r = fn(dirfd, de->d_name, arg)) == -1)
			break;
	}
	e = errno;
	closedir(d);
	errno = e;
	return r;
}

struct collect {
	int		(*ok)(const char *);
	struct names	*ns;
};

static int
collect_one(int dirfd, const char *name, void *arg)
{
	struct collect	*c = arg;

	(void)dirfd;
	if (c->ok && !c->ok(name))
		return 0;
	return names_add(c->ns, name);
}

/* dir_names - the names ok() accepts (all when ok is NULL), sorted. */
int
dir_names(int dirfd, int (*ok)(const char *), struct names *ns)
{
	struct collect	c = { ok, ns };

	if (dir_each(dirfd, collect_one, &c) == -1)
		return -1;
	names_sort(ns);
	return 0;
}
