/*
 * fileio.h - whole-buffer reads and writes, and the one atomic-replace
 * helper (a temporary file, fsync, rename over, fsync of the folder).
 */
#ifndef SNF_FILEIO_H
#define SNF_FILEIO_H

#include <stdint.h>
#include <sys/types.h>

/* how file_replace_fn makes the new file; zero fields are the defaults */
struct replace {
	int	 tmpdir;	/* with REPLACE_TMPDIR: folder of the temporary */
	const char *prefix;	/* of the temporary name; NULL: "." and the name */
	mode_t	 mode;		/* 0: 0600 */
	int64_t	 mtime;		/* its modification time; 0: now */
	int	 flags;
};
#define REPLACE_NOSYNC_DIR	0x01	/* the folder is not flushed */
#define REPLACE_NOSYNC		0x02	/* nothing is flushed: atomic, not durable */
#define REPLACE_TMPDIR		0x04	/* the temporary file is made in tmpdir */

int	write_all(int, const void *, size_t);
ssize_t	read_full(int, void *, size_t);
int	fsync_dirat(int, const char *);
ssize_t	file_read_at(int, const char *, int, char *, size_t);
int	tmpname(char *, size_t, const char *, const char *);
int	tmpname_shaped(const char *);
int	file_replace_fn(int, const char *, const struct replace *,
	    int (*)(int, void *), void *);
int	file_replace(int, const char *, const void *, size_t,
	    const struct replace *);

#endif
