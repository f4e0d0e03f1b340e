/*
 * names.c - sorted lists of folder entries (domains, item ids) for
 * snf-queue's verbs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "exitcodes.h"
#include "snfq.h"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
names_add(struct names *ns, const char *s)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		ns->v = reallocarray(ns->v, ns->cap, sizeof(*ns->v));
		if (ns->v == NULL)
			die_sys(SNF_EXIT_TEMP, "out of memory");
	}
	if ((ns->v[ns->n++] = strdup(s)) == NULL)
		die_sys(SNF_EXIT_TEMP, "out of memory");
}

/* names_sort - sort and drop repeated names. */
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

/* read_names - entries of folder path accepted by ok(); missing is empty. */
void
read_names(int root, const char *path, int (*ok)(const char *),
    struct names *ns)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	fd = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return;
		die_sys(SNF_EXIT_TEMP, "unable to open %s", path);
	}
	if ((d = fdopendir(fd)) == NULL)
		die_sys(SNF_EXIT_TEMP, "unable to read %s", path);
	while ((de = readdir(d)) != NULL)
		if (ok(de->d_name))
			names_add(ns, de->d_name);
	closedir(d);
	names_sort(ns);
}

