/*
 * fileio.h - whole-buffer reads and writes, durable directory updates and
 * the one atomic-replace helper (temp file, fsync, rename, fsync folder).
 */
#ifndef SNF_FILEIO_H
#define SNF_FILEIO_H

#include <sys/types.h>

int	write_all(int, const void *, size_t);
ssize_t	read_full(int, void *, size_t);
int	fsync_dirat(int, const char *);
int	mkdir_durable(int, const char *, mode_t);
int	file_replace(int, const char *, const void *, size_t, mode_t);
int	file_replace_fn(int, const char *, mode_t, int (*)(int, void *),
	    void *);
int	tmpname(char *, size_t, const char *, const char *);

#endif
