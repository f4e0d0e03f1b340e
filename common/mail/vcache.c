/*
 * vcache.c - records of the recipient cache. Many snf-smtpd processes
 * read and write at once: a record is written whole to a temporary file
 * in its folder and renamed over the old one, so a reader sees the old
 * record or the new one, never a torn one, and no lock is ever held
 * while waiting on the network. A cache is not mail: nothing is fsync'd,
 * and a record lost in a crash only costs a callout.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sha2.h>

#include "control.h"
#include "domain.h"
#include "envelope.h"
#include "fileio.h"
#include "vcache.h"

/* folder - "cache/D" into dst; -1 when D cannot name a folder. */
static int
folder(char *dst, size_t size, const char *domain)
{
	int	n;

	if (domain[0] == '[' || !env_domain_ok(domain))
		return -1;
	n = snprintf(dst, size, VCACHE_DIR "/%s", domain);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * vcache_key - the normalised address of a: local part without quoting,
 * lowercased unless domains/D/case_sensitive says otherwise, "@", the
 * lowercase domain. Returns 0 or -1.
 */
int
vcache_key(int root, const struct addr *a, char *key, size_t size)
{
	char	path[300];
	int	n;

	n = snprintf(key, size, "%s@%s", a->plain, a->domain);
	if (n < 0 || (size_t)n >= size)
		return -1;
	if (domain_path(path, sizeof(path), a->domain, "case_sensitive") == 0 &&
	    control_flag(root, path, 0))
		return 0;
	lowercase(key);
	return 0;
}

/* record_path - "cache/D/HASH" for key. */
static int
record_path(char *dst, size_t size, const char *domain, const char *key)
{
	char	hex[SHA256_DIGEST_STRING_LENGTH];
	size_t	n;

	if (folder(dst, size, domain) == -1)
		return -1;
	SHA256Data((const uint8_t *)key, strlen(key), hex);
	n = strlen(dst);
	if (n + 1 + strlen(hex) >= size)
		return -1;
	dst[n++] = '/';
	strlcpy(dst + n, hex, size - n);
	return 0;
}

/*
 * vcache_write - replace file name of domain's cache folder with text,
 * atomically (not durably). Makes the folders when missing.
 */
int
vcache_write(int root, const char *domain, const char *name, const char *text)
{
	char	dir[300], tmp[128];
	int	dfd, fd, r = -1, e;

	if (folder(dir, sizeof(dir), domain) == -1) {
		errno = EINVAL;
		return -1;
	}
	if ((dfd = openat(root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT || (mkdirat(root, VCACHE_DIR, 0700) == -1 &&
		    errno != EEXIST) || (mkdirat(root, dir, 0700) == -1 &&
		    errno != EEXIST))
			return -1;
		if ((dfd = openat(root, dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			return -1;
	}
	if (tmpname(tmp, sizeof(tmp), ".", "w") == -1 ||
	    (fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		goto out;
	if (write_all(fd, text, strlen(text)) == 0 && close(fd) == 0 &&
	    renameat(dfd, tmp, dfd, name) == 0)
		r = 0;
	else {
		e = errno;
		unlinkat(dfd, tmp, 0);
		errno = e;
	}
out:
	e = errno;
	close(dfd);
	errno = e;
	return r;
}

/* read_line - the first line of cache file path into buf; -1 if none. */
static int
read_line(int root, const char *path, char *buf, size_t size)
{
	ssize_t	n;
	char	*nl;

	if ((n = control_read(root, path, buf, size)) <= 0)
		return -1;
	if ((nl = memchr(buf, '\n', (size_t)n)) == NULL)
		return -1;	/* a record is whole or absent */
	*nl = '\0';
	return 0;
}

/*
 * vcache_get - the record for key (of domain) into r. Returns 0 (r->kind
 * VREC_NONE when there is none or it does not parse), -1 on an error.
 */
int
vcache_get(int root, const char *domain, const char *key, struct vrec *r)
{
	char	path[400], line[ADDR_PATH_MAX + 64], *p, *sp;

	memset(r, 0, sizeof(*r));
	if (record_path(path, sizeof(path), domain, key) == -1)
		return -1;
	if (read_line(root, path, line, sizeof(line)) == -1)
		return errno == ENOENT || errno == 0 || errno == EFBIG ? 0 : 0;
	if (strncmp(line, "positive ", 9) == 0)
		r->kind = VREC_POSITIVE, p = line + 9;
	else if (strncmp(line, "negative ", 9) == 0)
		r->kind = VREC_NEGATIVE, p = line + 9;
	else
		return 0;
	r->when = strtoll(p, &sp, 10);
	if (*sp != ' ' || strcmp(sp + 1, key) != 0) {
		r->kind = VREC_NONE;	/* not this address: a hash clash */
		return 0;
	}
	strlcpy(r->addr, sp + 1, sizeof(r->addr));
	return 0;
}

int
vcache_put(int root, const char *domain, const char *key, int kind,
    int64_t when)
{
	char	path[400], text[ADDR_PATH_MAX + 64];
	int	n;

	if (record_path(path, sizeof(path), domain, key) == -1)
		return -1;
	n = snprintf(text, sizeof(text), "%s %lld %s\n", kind == VREC_POSITIVE ?
	    "positive" : "negative", (long long)when, key);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	return vcache_write(root, domain, strrchr(path, '/') + 1, text);
}

int
vcache_del(int root, const char *domain, const char *key)
{
	char	path[400];

	if (record_path(path, sizeof(path), domain, key) == -1)
		return -1;
	return unlinkat(root, path, 0);
}

/*
 * vcache_down_get - whether the primary of domain was found unable to
 * answer recently: 1 with the time it is remembered until and why.
 */
int
vcache_down_get(int root, const char *domain, int64_t *until, char *why,
    size_t size)
{
	char	path[300], line[400], *sp;

	if (folder(path, sizeof(path), domain) == -1)
		return 0;
	strlcat(path, "/.down", sizeof(path));
	if (read_line(root, path, line, sizeof(line)) == -1)
		return 0;
	*until = strtoll(line, &sp, 10);
	strlcpy(why, *sp == ' ' ? sp + 1 : "", size);
	return 1;
}

int
vcache_down_set(int root, const char *domain, int64_t until, const char *why)
{
	char	text[400];
	size_t	i;

	snprintf(text, sizeof(text), "%lld %s", (long long)until, why);
	for (i = 0; text[i]; i++)
		if ((unsigned char)text[i] < 32 || (unsigned char)text[i] > 126)
			text[i] = '?';
	strlcat(text, "\n", sizeof(text));
	return vcache_write(root, domain, ".down", text);
}

int
vcache_down_clear(int root, const char *domain)
{
	char	path[300];

	if (folder(path, sizeof(path), domain) == -1)
		return -1;
	strlcat(path, "/.down", sizeof(path));
	return unlinkat(root, path, 0) == -1 && errno != ENOENT ? -1 : 0;
}

/* vcache_catchall_get - 1 with yes/no and its time when it was probed. */
int
vcache_catchall_get(int root, const char *domain, int *yes, int64_t *when)
{
	char	path[300], line[64];

	if (folder(path, sizeof(path), domain) == -1)
		return 0;
	strlcat(path, "/.catchall", sizeof(path));
	if (read_line(root, path, line, sizeof(line)) == -1)
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
	char		path[340], dir[300];
	unsigned	i;
	int		fd;

	if (folder(dir, sizeof(dir), domain) == -1) {
		errno = EINVAL;
		return -1;
	}
	(void)mkdirat(root, VCACHE_DIR, 0700);
	(void)mkdirat(root, dir, 0700);
	for (i = 0; i < max; i++) {
		snprintf(path, sizeof(path), "%s/.slot.%u", dir, i);
		fd = openat(root, path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}
