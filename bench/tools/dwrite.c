/*
 * dwrite - the machine's durable-write rate, the ceiling of any queue
 * that says 250 only with the message on disk: W writers each make a
 * file of S bytes the way snf's queue writer does (without a name in
 * tmp/, write, fsync, link into new/, fsync it again, fsync new/), while
 * the oldest files are deleted, as a queue's are. Where a file cannot be
 * made without a name, it is created in tmp/ and renamed instead.
 *
 *   dwrite DIR WRITERS FILES SIZE     prints files per second
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one durable file at new/NAME; 0 or -1 */
static int
one(const char *dir, int dfd, const char *name, const char *buf,
    size_t size)
{
	char	tmp[512], new[512], proc[64];
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	snprintf(new, sizeof(new), "%s/new/%s", dir, name);
	if ((fd = open(tmp, O_TMPFILE | O_RDWR, 0600)) != -1) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (write(fd, buf, size) != (ssize_t)size || fsync(fd) == -1 ||
		    linkat(AT_FDCWD, proc, AT_FDCWD, new, AT_SYMLINK_FOLLOW) ==
		    -1 || fsync(fd) == -1 || close(fd) == -1)
			return -1;
		return fsync(dfd);
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write(fd, buf, size) != (ssize_t)size || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, new) == -1)
		return -1;
	return fsync(dfd);
}

static void
writer(const char *dir, int w, int n, size_t size)
{
	char	name[64], path[512], *buf;
	int	i, dfd;

	if ((buf = malloc(size)) == NULL)
		exit(1);
	memset(buf, 'x', size);
	snprintf(path, sizeof(path), "%s/new", dir);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		exit(1);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%d.%d", w, i);
		if (one(dir, dfd, name, buf, size) == -1)
			exit(1);
		if (i >= 20) {	/* a queue also delivers: delete old ones */
			snprintf(path, sizeof(path), "%s/new/%d.%d", dir, w,
			    i - 20);
			unlink(path);
		}
	}
	exit(0);
}

int
main(int argc, char **argv)
{
	char	path[512];
	int	w, n, i, st, bad = 0;
	size_t	size;
	double	t0;

	if (argc != 5)
		return 100;
	w = atoi(argv[2]);
	n = atoi(argv[3]);
	size = (size_t)atol(argv[4]);
	snprintf(path, sizeof(path), "%s/tmp", argv[1]);
	mkdir(argv[1], 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/new", argv[1]);
	mkdir(path, 0700);
	t0 = now();
	for (i = 0; i < w; i++)
		if (fork() == 0)
			writer(argv[1], i, n / w, size);
	for (i = 0; i < w; i++)
		if (wait(&st) == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	if (bad)
		return 111;
	printf("%.0f\n", (n / w) * w / (now() - t0));
	return 0;
}
