/*
 * dirlist.h - the one folder reader, and lists of names. Every walk of
 * a folder in snf (queue, cache, domains) goes through dir_each: no
 * other file calls readdir(3).
 */
#ifndef SNF_DIRLIST_H
#define SNF_DIRLIST_H

#include <stddef.h>

struct names {
	char	**v;
	size_t	  n, cap;
};

int	names_add(struct names *, const char *);
void	names_sort(struct names *);
int	names_has(const struct names *, const char *);
void	names_free(struct names *);

int	dir_each(int, int (*)(int, const char *, void *), void *);
int	dir_names(int, int (*)(const char *), struct names *);

#endif
