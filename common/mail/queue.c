/*
 * queue.c - names and the file format of queued items, for every reader
 * (snf-queue's verbs, delivery, expiry). Writing is qwrite.c's.
 * Readers check the trailer and both checksums, so a damaged file is
 * reported as EBADMSG and never delivered as a truncated message.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "queue.h"
#include "rootdir.h"

/*
 * queue_id_make - an item name: the arrival time (10 digits, so that
 * names sort by age) and 48 random bits, "1795435200.3f9a0c11b2e4".
 * A name is taken only with a no-replace rename, so a clash is caught.
 */
int
queue_id_make(char *dst, size_t size, int64_t arrival)
{
	uint64_t	r;
	int		n;

	r = ((uint64_t)arc4random() << 16) ^ (uint64_t)arc4random();
	r &= UINT64_C(0xffffffffffff);
	n = snprintf(dst, size, "%010lld.%012llx", (long long)arrival,
	    (unsigned long long)r);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* queue_id_valid - name has the shape queue_id_make gives. */
int
queue_id_valid(const char *id)
{
	size_t	i;

	if (strlen(id) != 23 || id[10] != '.')
		return 0;
	for (i = 0; i < 23; i++) {
		if (i == 10)
			continue;
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (i > 10 && id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* queue_id_time - the arrival time written in an id. */
int64_t
queue_id_time(const char *id)
{
	return strtoll(id, NULL, 10);
}

int
queue_trailer(char *dst, size_t envlen, uint32_t bodycrc, uint32_t envcrc)
{
	char	tmp[QUEUE_TRAILER + 1];

	if (envlen > 0xffffffffU) {
		errno = EFBIG;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "SNF1 %08zx %08x %08x\n", envlen,
	    (unsigned)bodycrc, (unsigned)envcrc);
	memcpy(dst, tmp, QUEUE_TRAILER);
	return 0;
}

static int
hex8(const char *s, uint32_t *out)
{
	uint32_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= (uint32_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= (uint32_t)(s[i] - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * qitem_read - read the trailer and envelope of the item open on fd.
 * Returns 0, or -1 with EBADMSG for a damaged or foreign file.
 */
int
qitem_read(int fd, struct qitem *q)
{
	char		tr[QUEUE_TRAILER];
	struct stat	st;
	uint32_t	envlen, envcrc;

	q->fd = fd;
	q->envtext = NULL;
	env_init(&q->env);
	if (fstat(fd, &st) == -1)
		return -1;
	q->filesize = st.st_size;
	q->mtime = (int64_t)st.st_mtime;
	if (st.st_size < QUEUE_TRAILER ||
	    pread(fd, tr, sizeof(tr), st.st_size - QUEUE_TRAILER) !=
	    (ssize_t)sizeof(tr))
		goto bad;
	if (memcmp(tr, "SNF1 ", 5) != 0 || tr[13] != ' ' || tr[22] != ' ' ||
	    tr[31] != '\n' || hex8(tr + 5, &envlen) == -1 ||
	    hex8(tr + 14, &q->bodycrc) == -1 || hex8(tr + 23, &envcrc) == -1)
		goto bad;
	if (envlen > ENV_MAX || envlen > st.st_size - QUEUE_TRAILER)
		goto bad;
	q->bodylen = st.st_size - QUEUE_TRAILER - envlen;
	if ((q->envtext = malloc(envlen + 1)) == NULL)
		return -1;
	if (pread(fd, q->envtext, envlen, q->bodylen) != (ssize_t)envlen)
		goto bad;
	q->envtext[envlen] = '\0';
	if ((uint32_t)crc32(0, (unsigned char *)q->envtext, envlen) != envcrc ||
	    env_parse(&q->env, q->envtext, envlen) == -1)
		goto bad;
	return 0;
bad:
	free(q->envtext);
	q->envtext = NULL;
	errno = EBADMSG;
	return -1;
}

/* qitem_open - open item path (relative to dirfd) and read it. */
int
qitem_open(int dirfd, const char *path, struct qitem *q)
{
	int	fd, e;

	q->fd = -1;
	q->envtext = NULL;
	env_init(&q->env);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return -1;
	if (qitem_read(fd, q) == -1) {
		e = errno;
		close(fd);
		q->fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

void
qitem_close(struct qitem *q)
{
	env_free(&q->env);
	free(q->envtext);
	q->envtext = NULL;
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
}

/* qbody_open - start reading the message of item q, inflating if needed. */
int
qbody_open(struct qbody *b, const struct qitem *q)
{
	memset(b, 0, sizeof(*b));
	b->fd = q->fd;
	b->off = 0;
	b->end = q->bodylen;
	b->zlib = q->env.zlib;
	b->crc = crc32(0, NULL, 0);
	b->wantcrc = q->bodycrc;
	if (b->zlib && inflateInit(&b->z) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* raw_read - next stored bytes, with the stored-body checksum kept. */
static ssize_t
raw_read(struct qbody *b, void *p, size_t n)
{
	ssize_t	r;

	if ((off_t)n > b->end - b->off)
		n = (size_t)(b->end - b->off);
	if (n == 0) {
		if (b->crc != b->wantcrc) {
			errno = EBADMSG;
			return -1;
		}
		return 0;
	}
	r = pread(b->fd, p, n, b->off);
	if (r == 0) {
		errno = EBADMSG;
		return -1;
	}
	if (r > 0) {
		b->off += r;
		b->crc = crc32(b->crc, p, (uInt)r);
	}
	return r;
}

/*
 * qbody_read - up to n bytes of the message as received. Returns the
 * count, 0 at its end, -1 with errno (EBADMSG for a damaged body).
 */
ssize_t
qbody_read(struct qbody *b, void *p, size_t n)
{
	size_t	want = n > (1U << 30) ? (1U << 30) : n;
	ssize_t	r;
	int	zr;

	/* nothing asked, nothing read: not the end, where the crc is due */
	if (n == 0)
		return 0;
	if (!b->zlib)
		return raw_read(b, p, n);
	b->z.next_out = p;
	b->z.avail_out = (uInt)want;
	while (b->z.avail_out == want && !b->zdone) {
		if (b->z.avail_in == 0) {
			if ((r = raw_read(b, b->in, sizeof(b->in))) == -1)
				return -1;
			if (r == 0)
				goto bad;	/* stored data ended early */
			b->z.next_in = b->in;
			b->z.avail_in = (uInt)r;
		}
		zr = inflate(&b->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			b->zdone = 1;
			if (b->z.avail_in != 0 || b->off != b->end ||
			    raw_read(b, b->in, 0) == -1)
				goto bad;
		} else if (zr != Z_OK)
			goto bad;
	}
	return (ssize_t)(want - b->z.avail_out);
bad:
	errno = EBADMSG;
	return -1;
}

void
qbody_close(struct qbody *b)
{
	if (b->zlib)
		inflateEnd(&b->z);
}

/*
 * qbody_check - read the whole stored message of q once: 0 when it is
 * whole (its checksums hold), -1 with EBADMSG when it is damaged.
 */
int
qbody_check(struct qitem *q)
{
	struct qbody	qb;
	char		buf[65536];
	ssize_t		n;

	if (qbody_open(&qb, q) == -1)
		return -1;
	while ((n = qbody_read(&qb, buf, sizeof(buf))) > 0)
		;
	qbody_close(&qb);
	return n == 0 ? 0 : -1;
}

/*
 * qitem_append_env - write the envelope text of e and the trailer at the
 * current offset of fd, after a stored body whose checksum is bodycrc.
 */
int
qitem_append_env(int fd, const struct envelope *e, uint32_t bodycrc)
{
	struct buf	b;
	char		tr[QUEUE_TRAILER];
	int		r = -1;

	buf_init(&b, ENV_MAX);
	if (env_format(e, &b) == 0 &&
	    queue_trailer(tr, b.len, bodycrc,
	    (uint32_t)crc32(0, (unsigned char *)b.p, (uInt)b.len)) == 0 &&
	    write_all(fd, b.p, b.len) == 0 && write_all(fd, tr, sizeof(tr)) == 0)
		r = 0;
	buf_free(&b);
	return r;
}

/*
 * queue_trigger - wake a waiting snf-send: one byte into the FIFO
 * queue/trigger, without waiting. Nobody listening, or no FIFO (a plain
 * file there is never written), is fine.
 */
void
queue_trigger(int root)
{
	struct stat	st;
	int		qfd, fd;

	if ((qfd = rdir_open(root, RD_QUEUE, NULL, 0)) == -1)
		return;
	fd = openat(qfd, QUEUE_TRIGGER, O_WRONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	close(qfd);
	if (fd == -1)
		return;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)!write(fd, "", 1);
	close(fd);
}
