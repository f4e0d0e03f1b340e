/*
 * vmemo.c - what the recipient cache remembers of a domain's primary
 * rather than of one address: that it could not answer (.down), that
 * it refuses this host (.refused), that it takes any local part
 * (.catchall), and the places of the callouts in flight to it (.slot.N
 * locks).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vcache.h"

/*
 * vcache_down_get - whether the primary of domain was found unable to
 * answer recently: 1 with the time it is remembered until and why.
 */
int
vcache_down_get(int root, const char *domain, int64_t *until, char *why,
    size_t size)
{
	char	line[400], *sp;

	if (domain[0] == '[' || vcache_read(root, domain, ".down", line,
	    sizeof(line)) == -1)
		return 0;
	*until = strtoll(line, &sp, 10);
	strlcpy(why, *sp == ' ' ? sp + 1 : "", size);
	return 1;
}

/*
 * memo_line - "TIME REASON\n" for a memo about the primary, which other
 * addresses' decisions quote: printable, and without the address a
 * reply named (every "<...>" becomes "<>"), so that the reason given
 * for one address never quotes another's.
 */
static void
memo_line(char *dst, size_t size, int64_t t, const char *why)
{
	size_t	o;
	int	in = 0;

	snprintf(dst, size, "%lld ", (long long)t);
	o = strlen(dst);
	for (; *why && o + 2 < size; why++) {
		if (in) {
			if (*why == '>') {
				dst[o++] = '>';
				in = 0;
			}
			continue;
		}
		in = *why == '<';
		dst[o++] = (unsigned char)*why < 32 ||
		    (unsigned char)*why > 126 ? '?' : *why;
	}
	dst[o++] = '\n';
	dst[o] = '\0';
}

int
vcache_down_set(int root, const char *domain, int64_t until, const char *why)
{
	char	text[400];

	memo_line(text, sizeof(text), until, why);
	return vcache_write(root, domain, ".down", text);
}

int
vcache_down_clear(int root, const char *domain)
{
	int	dfd, r, e;

	if ((dfd = vcache_folder(root, domain, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	r = unlinkat(dfd, ".down", 0) == -1 && errno != ENOENT ? -1 : 0;
	e = errno;
	close(dfd);
	errno = e;
	return r;
}

/* vcache_catchall_get - 1 with yes/no and its time when it was probed. */
int
vcache_catchall_get(int root, const char *domain, int *yes, int64_t *when)
{
	char	line[64];

	if (domain[0] == '[' || vcache_read(root, domain, ".catchall", line,
	    sizeof(line)) == -1)
		return 0;
	if (strncmp(line, "yes ", 4) == 0)
		*yes = 1;
	else if (strncmp(line, "no ", 3) == 0)
		*yes = 0;
	else
		return 0;
	*when = strtoll(line + (*yes ? 4 : 3), NULL, 10);
	return 1;
}

int
vcache_catchall_set(int root, const char *domain, int yes, int64_t when)
{
	char	text[64];

	snprintf(text, sizeof(text), "%s %lld\n", yes ? "yes" : "no",
	    (long long)when);
	return vcache_write(root, domain, ".catchall", text);
}

/*
 * vcache_slot - take one of max places for a callout to domain's
 * primary (an flock on cache/D/.slot.N, released when the returned fd is
 * closed or the process dies). -1 with EAGAIN when all are taken.
 */
int
vcache_slot(int root, const char *domain, unsigned max)
{
	char		name[32];
	unsigned	i;
	int		dfd, fd = -1;

	if ((dfd = vcache_folder(root, domain, 1)) == -1)
		return -1;
	for (i = 0; i < max; i++) {
		snprintf(name, sizeof(name), ".slot.%u", i);
		fd = openat(dfd, name, O_RDONLY | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1)
			break;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		close(fd);
		fd = -1;
		errno = EAGAIN;
	}
	close(dfd);
	return fd;
}

/*
 * vcache_refused_set - the primary refuses this host's callouts:
 * cache/D/.refused, "TIME REASON". Returns 1 when this call made it
 * (the caller raises the alert: exactly one process does), 0 when it
 * was there already, -1 with errno.
 */
int
vcache_refused_set(int root, const char *domain, int64_t when,
    const char *why)
{
	char	text[400];
	int	dfd, fd, n, e;

	memo_line(text, sizeof(text), when, why);
	if ((dfd = vcache_folder(root, domain, 1)) == -1)
		return -1;
	fd = openat(dfd, ".refused", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600);
	e = errno;
	close(dfd);
	if (fd == -1) {
		errno = e;
		return e == EEXIST ? 0 : -1;
	}
	n = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 1 : -1;
	close(fd);
	return n;
}

/* vcache_refused_get - 1 with its time and reason when it is there. */
int
vcache_refused_get(int root, const char *domain, int64_t *when, char *why,
    size_t size)
{
	char	line[400], *sp;

	if (domain[0] == '[' || vcache_read(root, domain, ".refused", line,
	    sizeof(line)) == -1)
		return 0;
	*when = strtoll(line, &sp, 10);
	strlcpy(why, *sp == ' ' ? sp + 1 : "", size);
	return 1;
}

/* vcache_refused_clear - the primary answers callouts again. */
int
vcache_refused_clear(int root, const char *domain)
{
	int	dfd, r, e;

	if ((dfd = vcache_folder(root, domain, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	r = unlinkat(dfd, ".refused", 0) == -1 && errno != ENOENT ? -1 : 0;
	e = errno;
	close(dfd);
	errno = e;
	return r;
}
