/*
 * vrate.c - the budget of new negative records of a cloudprotect domain
 * (negative_rate, see snf-verify(8)): cache/D/.rate counts what the
 * current minute of the clock has taken, in all and by each client.
 * A callout about an address the cache has no record of takes one place
 * first (a "user unknown" would add a file); any other answer gives it
 * back. Every process reads and rewrites the file in place under an
 * flock(2) on it, held for that alone and never over the network; a
 * sweep removes it under the same lock, and a taker that finds the name
 * gone from under its lock opens the new one. A torn file (a crash in
 * the middle of a write) reads as an empty minute.
 *
 *   cache/D/.rate   "MINUTE TOTAL\n", then one "CLIENT COUNT\n" a client
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "vcache.h"

#define RATE_FILE	".rate"
#define RATE_BYTES	65536	/* VRATE_MAX clients of 52 bytes at most */
#define LOCK_TRIES	500	/* 2 ms apart: a lock is held for a write */

struct minute {			/* the file, read */
	int64_t		 minute;
	unsigned	 total, mine;	/* all, and the client's */
	char		*rest;		/* the other clients' lines */
};

/*
 * vcache_rate_client - the name a client is counted under in out: an
 * IPv4 address, or the /64 of an IPv6 address (one site's hosts share
 * it: a /64 is what one customer is given). 0 (out empty) when ip is
 * not an address.
 */
int
vcache_rate_client(const char *ip, char *out, size_t size)
{
	static const unsigned char	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 0xff, 0xff };
	unsigned char			a[16];
	char				t[INET6_ADDRSTRLEN];
	int				n;

	out[0] = '\0';
	if (ip == NULL)
		return 0;
	if (inet_pton(AF_INET, ip, a) == 1)
		n = inet_ntop(AF_INET, a, t, sizeof(t)) ? snprintf(out, size,
		    "%s", t) : -1;
	else if (inet_pton(AF_INET6, ip, a) != 1)
		return 0;
	else if (memcmp(a, mapped, sizeof(mapped)) == 0)
		n = inet_ntop(AF_INET, a + 12, t, sizeof(t)) ? snprintf(out,
		    size, "%s", t) : -1;
	else {
		memset(a + 8, 0, 8);
		n = inet_ntop(AF_INET6, a, t, sizeof(t)) ? snprintf(out, size,
		    "%s/64", t) : -1;
	}
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}

/* rate_lock - .rate of the folder dfd, open and locked; -1 with errno. */
static int
rate_lock(int dfd, int create, int wait)
{
	struct stat	st;
	int		fd, i, again;

	for (again = 0; again < 3; again++) {
		fd = openat(dfd, RATE_FILE, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
		    O_NONBLOCK | O_NOCTTY | (create ? O_CREAT : 0), 0600);
		if (fd == -1)
			return -1;
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			close(fd);
			errno = EINVAL;	/* never a FIFO or a device */
			return -1;
		}
		for (i = 0; flock(fd, LOCK_EX | LOCK_NB) == -1; i++) {
			if (errno != EWOULDBLOCK || i >= (wait ? LOCK_TRIES : 0)) {
				close(fd);
				errno = EWOULDBLOCK;
				return -1;
			}
			poll(NULL, 0, 2);
		}
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);	/* swept while we waited: the new one */
	}
	errno = EAGAIN;
	return -1;
}

/*
 * rate_read - the file on fd into m (buf holds it), as of minute now;
 * client's line taken out. Anything torn or of another minute reads as
 * an empty minute.
 */
static void
rate_read(int fd, char *buf, const char *client, int64_t now,
    struct minute *m)
{
	char		*p, *nl, *sp, *o;
	ssize_t		 n;
	long long	 v;
	size_t		 cl = strlen(client);

	memset(m, 0, sizeof(*m));
	m->minute = now;
	m->rest = buf;
	buf[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) == -1 ||
	    (n = read_full(fd, buf, RATE_BYTES - 1)) <= 0)
		return;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';	/* the first line alone */
	if (nl == NULL || sscanf(buf, "%lld %u", &v, &m->total) != 2 ||
	    v != now) {
		m->total = 0;
		buf[0] = '\0';
		return;
	}
	/* the other clients' whole lines, moved to the front of buf */
	for (o = buf, p = nl + 1; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL)
			continue;
		if (client[0] && (size_t)(sp - p) == cl &&
		    memcmp(p, client, cl) == 0) {
			m->mine = (unsigned)strtoul(sp + 1, NULL, 10);
			continue;
		}
		memmove(o, p, (size_t)(nl - p) + 1);
		o += nl - p + 1;
	}
	*o = '\0';
}

/* rate_write - m, the client's line last, over the file on fd. */
static int
rate_write(int fd, const struct minute *m, const char *client)
{
	char	head[96];
	int	n;

	n = snprintf(head, sizeof(head), "%lld %u\n", (long long)m->minute,
	    m->total);
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1 ||
	    write_all(fd, head, (size_t)n) == -1 ||
	    write_all(fd, m->rest, strlen(m->rest)) == -1)
		return -1;
	if (client[0] && m->mine > 0) {
		n = snprintf(head, sizeof(head), "%s %u\n", client, m->mine);
		if (write_all(fd, head, (size_t)n) == -1)
			return -1;
	}
	return 0;
}

/*
 * rate_update - under the lock of domain's .rate, fn on the minute now
 * (seconds / 60) for client ("" for none), then the file rewritten when
 * fn returns 1. Returns fn's answer, or -1 with errno.
 */
static int
rate_update(int root, const char *domain, const char *client, int64_t now,
    int (*fn)(struct minute *, const void *), const void *arg)
{
	struct minute	 m;
	char		*buf;
	int		 dfd, fd, r = -1, e;

	if ((buf = malloc(RATE_BYTES)) == NULL)
		return -1;
	if ((dfd = vcache_folder(root, domain, 1)) == -1) {
		free(buf);
		return -1;
	}
	fd = rate_lock(dfd, 1, 1);
	e = errno;
	close(dfd);
	errno = e;
	if (fd != -1) {
		rate_read(fd, buf, client, now, &m);
		r = fn(&m, arg);
		if (r == 1 && rate_write(fd, &m, client) == -1)
			r = -1;
		e = errno;
		close(fd);
		errno = e;
	}
	free(buf);
	return r;
}

static int
take(struct minute *m, const void *arg)
{
	const struct vrate	*b = arg;

	if (m->total >= b->rate)
		return VRATE_SPENT;
	if (b->client[0] && m->mine >= b->share)
		return VRATE_CLIENT;
	m->total++;
	m->mine++;
	return 1;
}

/*
 * vcache_rate_take - one new negative record of domain for the minute of
 * now, within b. Returns VRATE_TAKEN, VRATE_SPENT (the domain's rate)
 * or VRATE_CLIENT (b's client's share), or -1 with errno.
 */
int
vcache_rate_take(int root, const char *domain, const struct vrate *b,
    int64_t now)
{
	int	r;

	r = rate_update(root, domain, b->client, now / 60, take, b);
	return r == 1 ? VRATE_TAKEN : r;
}

static int
give(struct minute *m, const void *arg)
{
	(void)arg;
	if (m->total == 0)
		return 0;	/* another minute's: nothing to give back */
	m->total--;
	if (m->mine > 0)
		m->mine--;
	return 1;
}

/*
 * vcache_rate_give - the place taken at when was not used: the answer
 * was not "user unknown". Nothing when the minute is over.
 */
void
vcache_rate_give(int root, const char *domain, const char *client,
    int64_t when)
{
	(void)rate_update(root, domain, client, when / 60, give, NULL);
}

/*
 * vcache_rate_dead - whether the .rate of the folder dfd holds a minute
 * before now's; with !dry, it is then removed under its lock (a
 * process busy with it keeps it). 1 when dead, 0 when not (or busy).
 */
int
vcache_rate_dead(int dfd, int64_t now, int dry)
{
	char		line[96];
	ssize_t		n;
	long long	v;
	int		fd, dead;

	if ((fd = rate_lock(dfd, 0, 0)) == -1)
		return 0;
	n = read_full(fd, line, sizeof(line) - 1);
	if (n >= 0)
		line[n] = '\0';
	dead = n < 0 || sscanf(line, "%lld", &v) != 1 || v < now / 60;
	if (dead && !dry && unlinkat(dfd, RATE_FILE, 0) == -1)
		dead = 0;
	close(fd);
	return dead;
}
