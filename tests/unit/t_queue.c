/*
 * t_queue.c - queue.c, the item file format: items are written here the
 * way snf-queue's inject.c writes them (body raw or deflated, envelope
 * text, queue_trailer), read back with qitem_open and qbody_read in odd
 * chunk sizes, then damaged one way at a time; every damage must come
 * out as EBADMSG, at open or before the body's end. Also item names.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "envelope.h"
#include "fileio.h"
#include "queue.h"
#include "../tap.h"

#define CHUNK	65536

static int	dir = -1;
static char	dirpath[512];

/* deflate_all - body deflated in CHUNK steps as inject.c's copy_body. */
static unsigned char *
deflate_all(const unsigned char *p, size_t n, size_t *outlen)
{
	unsigned char	*out;
	z_stream	 z;
	size_t		 off = 0, k, cap;
	int		 zr;

	memset(&z, 0, sizeof(z));
	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
		abort();
	cap = deflateBound(&z, n) + 64;
	if ((out = malloc(cap)) == NULL)
		abort();
	z.next_out = out;
	z.avail_out = (uInt)cap;
	do {
		k = n - off < CHUNK ? n - off : CHUNK;
		z.next_in = (unsigned char *)p + off;
		z.avail_in = (uInt)k;
		off += k;
		zr = deflate(&z, off == n ? Z_FINISH : Z_NO_FLUSH);
	} while (off < n);
	if (zr != Z_STREAM_END)
		abort();
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/*
 * put_raw - write item file name as inject.c does: the stored body as
 * given, the envelope text (formatted with the zlib flag zflag and the
 * size, or envtext as given), the trailer with both checksums.
 */
static void
put_raw(const char *name, const void *stored, size_t slen, int zflag,
    uint64_t size, const char *envtext)
{
	char		 rcpt[] = "u@example.com";
	char		 tr[QUEUE_TRAILER];
	struct envelope	 env;
	struct buf	 b;
	int		 fd;

	env_init(&env);
	env.arrival = 1700000000;
	env.domain = "example.com";
	env.sender = "a@example.org";
	env.size = size;
	env.zlib = zflag;
	env_add_rcpt(&env, rcpt);
	buf_init(&b, ENV_MAX);
	if ((envtext ? buf_adds(&b, envtext) : env_format(&env, &b)) == -1 ||
	    queue_trailer(tr, b.len, (uint32_t)crc32(0, stored, (uInt)slen),
	    (uint32_t)crc32(0, (unsigned char *)b.p, (uInt)b.len)) == -1)
		abort();
	fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write_all(fd, stored, slen) == -1 ||
	    write_all(fd, b.p, b.len) == -1 ||
	    write_all(fd, tr, sizeof(tr)) == -1 || close(fd) == -1)
		abort();
	buf_free(&b);
	env_free(&env);
}

/* put_item - body[0..n) as an item, deflated when zlib is set. */
static void
put_item(const char *name, const void *body, size_t n, int zlib)
{
	unsigned char	*z;
	size_t		 zlen;

	if (!zlib) {
		put_raw(name, body, n, 0, n, NULL);
		return;
	}
	z = deflate_all(body, n, &zlen);
	put_raw(name, z, zlen, 1, n, NULL);
	free(z);
}

static off_t
size_of(const char *name)
{
	struct stat	st;

	if (fstatat(dir, name, &st, 0) == -1)
		return -1;
	return st.st_size;
}

/* patch - overwrite bytes of name at off (negative: from the end). */
static void
patch(const char *name, off_t off, const void *p, size_t n)
{
	int	fd;

	if (off < 0)
		off += size_of(name);
	fd = openat(dir, name, O_WRONLY);
	if (fd == -1 || pwrite(fd, p, n, off) != (ssize_t)n || close(fd))
		abort();
}

static void
flip(const char *name, off_t off)
{
	unsigned char	c;
	int		fd;

	if (off < 0)
		off += size_of(name);
	fd = openat(dir, name, O_RDWR);
	if (fd == -1 || pread(fd, &c, 1, off) != 1)
		abort();
	c ^= 0x01;
	if (pwrite(fd, &c, 1, off) != 1 || close(fd) == -1)
		abort();
}

/*
 * get - open and read item name in chunks of step bytes; returns "ok"
 * with the body in *out, or "open:ERR"/"read:ERR". Every read is into a
 * buffer of exactly step bytes, so an overrun shows under a sanitizer.
 */
static const char *
get(const char *name, size_t step, unsigned char **out, size_t *outlen)
{
	static char	 res[64];
	struct qitem	 q;
	struct qbody	*b;
	unsigned char	*chunk;
	size_t		 have = 0, cap = 1024;
	ssize_t		 n;

	*out = NULL;
	*outlen = 0;
	errno = 0;
	if (qitem_open(dir, name, &q) == -1) {
		snprintf(res, sizeof(res), "open:%s", errno == EBADMSG ?
		    "EBADMSG" : strerror(errno));
		return res;
	}
	if ((b = malloc(sizeof(*b))) == NULL ||
	    (chunk = malloc(step)) == NULL || (*out = malloc(cap)) == NULL)
		abort();
	snprintf(res, sizeof(res), "ok");
	if (qbody_open(b, &q) == -1)
		snprintf(res, sizeof(res), "qbody_open failed");
	else {
		while ((n = qbody_read(b, chunk, step)) > 0) {
			if ((size_t)n > step)
				abort();
			while (have + (size_t)n > cap)
				if ((*out = realloc(*out, cap *= 2)) == NULL)
					abort();
			memcpy(*out + have, chunk, (size_t)n);
			have += (size_t)n;
		}
		if (n == -1)
			snprintf(res, sizeof(res), "read:%s", errno == EBADMSG ?
			    "EBADMSG" : strerror(errno));
		else if (qbody_read(b, chunk, step) != 0)
			snprintf(res, sizeof(res), "read after end not 0");
		qbody_close(b);
	}
	*outlen = have;
	qitem_close(&q);
	free(chunk);
	free(b);
	return res;
}

/* body_ok - item name reads back as exactly body[0..n). */
static void
body_ok(const char *name, const unsigned char *body, size_t n, size_t step,
    const char *what)
{
	unsigned char	*got;
	size_t		 len;
	const char	*r;

	r = get(name, step, &got, &len);
	ok(strcmp(r, "ok") == 0 && len == n && memcmp(got, body, n) == 0,
	    "%s, read %zu at a time: %s, %zu of %zu bytes", what, step, r,
	    len, n);
	free(got);
}

/* A megabyte with NULs, 8-bit bytes, CR LF and dot lines, partly random. */
static unsigned char *
big_body(size_t n)
{
	unsigned char	*b;
	uint32_t	 x = 2463534242U;
	size_t		 i;

	if ((b = malloc(n)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (i % 4096 < 1024)
			b[i] = "\0\xff\r\n.\x80"[i % 6];
		else
			b[i] = (unsigned char)(x >> 24);
	}
	return b;
}

struct rcase {
	const char	*label;
	const char	*body;
	size_t		 len;
};

#define S(x)	(x), sizeof(x) - 1

static const struct rcase smalls[] = {
	{ "empty body", S("") },
	{ "one byte", S("x") },
	{ "short message", S("Subject: hi\r\n\r\nhello\r\n") },
	{ "NUL and 8-bit", S("a\0b\xff\x80\r\n\0") },
};

static void
test_round_trip(void)
{
	static const size_t	 steps[] = { 7, 4093, 65537, (1 << 20) + 1 };
	unsigned char		*big;
	size_t			 i, z, n = 1 << 20;
	char			 what[128];

	for (i = 0; i < sizeof(smalls) / sizeof(smalls[0]); i++) {
		for (z = 0; z < 2; z++) {
			put_item("item", smalls[i].body, smalls[i].len,
			    (int)z);
			snprintf(what, sizeof(what), "%s %s",
			    z ? "zlib" : "raw", smalls[i].label);
			body_ok("item", (const unsigned char *)smalls[i].body,
			    smalls[i].len, 1, what);
			body_ok("item", (const unsigned char *)smalls[i].body,
			    smalls[i].len, 4096, what);
		}
	}
	big = big_body(n);
	for (z = 0; z < 2; z++) {
		put_item("item", big, n, (int)z);
		ok(size_of("item") > 0 && (z == 0 ? size_of("item") >
		    (off_t)n : size_of("item") < (off_t)n),
		    "%s 1 MB item written, %lld bytes", z ? "zlib" : "raw",
		    (long long)size_of("item"));
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
			body_ok("item", big, n, steps[i],
			    z ? "zlib 1 MB" : "raw 1 MB");
	}
	free(big);
}

/* The fields qitem_open reports. */
static void
test_fields(void)
{
	static const char	body[] = "Subject: x\r\n\r\nbody\r\n";
	struct qitem		q;

	put_item("item", body, sizeof(body) - 1, 0);
	ok(qitem_open(dir, "item", &q) == 0 && q.fd >= 0 &&
	    q.bodylen == (off_t)sizeof(body) - 1 &&
	    q.filesize == size_of("item") && q.env.zlib == 0 &&
	    q.env.size == sizeof(body) - 1 && q.env.nrcpt == 1 &&
	    strcmp(q.env.domain, "example.com") == 0 &&
	    strcmp(q.env.rcpt[0].addr, "u@example.com") == 0 &&
	    q.bodycrc == (uint32_t)crc32(0, (const unsigned char *)body,
	    sizeof(body) - 1), "qitem_open: fields of a raw item");
	qitem_close(&q);
	ok(q.fd == -1 && q.envtext == NULL, "qitem_close: closed");
	put_item("item", body, sizeof(body) - 1, 1);
	ok(qitem_open(dir, "item", &q) == 0 && q.env.zlib == 1 &&
	    q.env.size == sizeof(body) - 1 &&
	    q.bodylen != (off_t)sizeof(body) - 1,
	    "qitem_open: fields of a zlib item");
	qitem_close(&q);
}

/* A zero-byte read mid-body is no damage, and changes nothing. */
static void
test_zero_read(void)
{
	static const char	body[] = "0123456789";
	struct qitem		q;
	struct qbody		b;
	char			buf[16];
	size_t			z;

	for (z = 0; z < 2; z++) {
		put_item("item", body, 10, (int)z);
		errno = 0;
		ok(qitem_open(dir, "item", &q) == 0 &&
		    qbody_open(&b, &q) == 0 && qbody_read(&b, buf, 4) == 4 &&
		    qbody_read(&b, buf, 0) == 0 &&
		    qbody_read(&b, buf + 4, 12) == 6 &&
		    memcmp(buf, body, 10) == 0 && qbody_read(&b, buf, 16) == 0,
		    "%s: a read of 0 bytes mid-body returns 0 (%s)",
		    z ? "zlib" : "raw", strerror(errno));
		qbody_close(&b);
		qitem_close(&q);
	}
}

enum { D_TRUNC1, D_BODY, D_ENV, D_SHORT, D_EMPTY, D_ENVLEN, D_ENVMAX,
    D_MAGIC, D_NONL, D_UPPER, D_ZGARBAGE, D_ZTRUNC, D_ZRAW, D_ENVBAD };

struct dcase {
	const char	*label;
	int		 how;
	int		 zlib;
	const char	*want;
};

static const struct dcase damages[] = {
	{ "raw truncated by one byte", D_TRUNC1, 0, "open:EBADMSG" },
	{ "zlib truncated by one byte", D_TRUNC1, 1, "open:EBADMSG" },
	{ "raw flipped byte in the body", D_BODY, 0, "read:EBADMSG" },
	{ "zlib flipped byte in the body", D_BODY, 1, "read:EBADMSG" },
	{ "raw flipped byte in the envelope", D_ENV, 0, "open:EBADMSG" },
	{ "zlib flipped byte in the envelope", D_ENV, 1, "open:EBADMSG" },
	{ "shorter than the trailer", D_SHORT, 0, "open:EBADMSG" },
	{ "empty file", D_EMPTY, 0, "open:EBADMSG" },
	{ "envelope length past the file", D_ENVLEN, 0, "open:EBADMSG" },
	{ "envelope length past ENV_MAX", D_ENVMAX, 0, "open:EBADMSG" },
	{ "foreign magic", D_MAGIC, 0, "open:EBADMSG" },
	{ "trailer without newline", D_NONL, 0, "open:EBADMSG" },
	{ "uppercase hex in trailer", D_UPPER, 0, "open:EBADMSG" },
	{ "zlib stream with garbage after it", D_ZGARBAGE, 1, "read:EBADMSG" },
	{ "zlib stream cut short", D_ZTRUNC, 1, "read:EBADMSG" },
	{ "zlib flag on a raw body", D_ZRAW, 0, "read:EBADMSG" },
	{ "envelope invalid, checksum right", D_ENVBAD, 0, "open:EBADMSG" },
};

/* trailer - the trailer of file name into tr. */
static void
trailer(const char *name, char *tr)
{
	int	fd;

	fd = openat(dir, name, O_RDONLY);
	if (fd == -1 || pread(fd, tr, QUEUE_TRAILER, size_of(name) -
	    QUEUE_TRAILER) != QUEUE_TRAILER)
		abort();
	close(fd);
}

static void
cut(const char *name, off_t size)
{
	int	fd;

	fd = openat(dir, name, O_WRONLY);
	if (fd == -1 || ftruncate(fd, size) == -1 || close(fd) == -1)
		abort();
}

/* upper - the trailer's checksums in uppercase hex; -1 if no letter. */
static int
upper(const char *name)
{
	char	tr[QUEUE_TRAILER];
	int	i, n = 0;

	trailer(name, tr);
	for (i = 5; i < 31; i++)
		if (tr[i] >= 'a' && tr[i] <= 'f') {
			tr[i] -= 'a' - 'A';
			n++;
		}
	patch(name, -QUEUE_TRAILER, tr, sizeof(tr));
	return n ? 0 : -1;
}

/* damage_zlib - the deflated forms: garbage after, cut short, not zlib. */
static void
damage_zlib(int how, const unsigned char *body, size_t n)
{
	unsigned char	*z;
	size_t		 zlen;

	z = deflate_all(body, n, &zlen);
	if ((z = realloc(z, zlen + 7)) == NULL)
		abort();
	memcpy(z + zlen, "garbage", 7);
	if (how == D_ZGARBAGE)
		put_raw("bad", z, zlen + 7, 1, n, NULL);
	else if (how == D_ZTRUNC)
		put_raw("bad", z, zlen - 10, 1, n, NULL);
	else
		put_raw("bad", body, n, 1, n, NULL);
	free(z);
}

/*
 * make_damaged - item "bad" holding body, damaged as d says. Returns -1
 * when the damage could not be made (then the row proves nothing).
 */
static int
make_damaged(const struct dcase *d, const unsigned char *body, size_t n)
{
	char	tr[QUEUE_TRAILER + 1];
	off_t	size;

	put_item("bad", body, n, d->zlib);
	size = size_of("bad");
	switch (d->how) {
	case D_TRUNC1:
		cut("bad", size - 1);
		break;
	case D_BODY:
		flip("bad", d->zlib ? 40 : (off_t)n / 2);
		break;
	case D_ENV:
		flip("bad", -QUEUE_TRAILER - 3);  /* in "T u@example.com" */
		break;
	case D_SHORT:
		trailer("bad", tr);
		cut("bad", 0);
		patch("bad", 0, tr + 1, QUEUE_TRAILER - 1);
		break;
	case D_EMPTY:
		cut("bad", 0);
		break;
	case D_ENVLEN:
		snprintf(tr, sizeof(tr), "%08llx",
		    (unsigned long long)(size - QUEUE_TRAILER + 1));
		patch("bad", -QUEUE_TRAILER + 5, tr, 8);
		break;
	case D_ENVMAX:
		/* a sparse file big enough that only the cap refuses it */
		trailer("bad", tr);
		cut("bad", ENV_MAX + 4096);
		snprintf(tr + 5, 9, "%08x", ENV_MAX + 1);
		tr[13] = ' ';
		patch("bad", -QUEUE_TRAILER, tr, QUEUE_TRAILER);
		break;
	case D_MAGIC:
		patch("bad", -QUEUE_TRAILER, "SNF2", 4);
		break;
	case D_NONL:
		patch("bad", -1, " ", 1);
		break;
	case D_UPPER:
		return upper("bad");
	case D_ZGARBAGE:
	case D_ZTRUNC:
	case D_ZRAW:
		damage_zlib(d->how, body, n);
		break;
	case D_ENVBAD:
		put_raw("bad", body, n, 0, n, "V 2\nA 1700000000\n"
		    "D example.com\nS a@example.org\nT u@example.com\n");
		break;
	}
	return 0;
}

static void
test_damage(void)
{
	unsigned char	*body, *got;
	const char	*r;
	size_t		 i, len, n = 10000;
	int		 z;
	off_t		 k;

	body = big_body(n);
	for (i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		if (make_damaged(&damages[i], body, n) == -1) {
			ok(0, "%s: could not damage the file",
			    damages[i].label);
			continue;
		}
		r = get("bad", 4093, &got, &len);
		ok_str(r, damages[i].want, "%s", damages[i].label);
		free(got);
	}
	/* every byte of the trailer, flipped in turn, is caught */
	for (z = 0; z < 2; z++)
		for (k = 1; k <= QUEUE_TRAILER; k++) {
			put_item("bad", body, n, z);
			flip("bad", -k);
			r = get("bad", 4093, &got, &len);
			ok(strcmp(r, "open:EBADMSG") == 0 ||
			    strcmp(r, "read:EBADMSG") == 0,
			    "%s: trailer byte %lld flipped: %s",
			    z ? "zlib" : "raw", (long long)(QUEUE_TRAILER - k), r);
			free(got);
		}
	free(body);
	unlinkat(dir, "bad", 0);
}

static void
test_open_errors(void)
{
	struct qitem	q;

	errno = 0;
	ok(qitem_open(dir, "missing", &q) == -1 && errno == ENOENT &&
	    q.fd == -1, "qitem_open: missing file is ENOENT");
	put_item("item", "x", 1, 0);
	if (symlinkat("item", dir, "link") == -1)
		abort();
	errno = 0;
	ok(qitem_open(dir, "link", &q) == -1 && errno == ELOOP,
	    "qitem_open: a symlink is refused (ELOOP)");
	unlinkat(dir, "link", 0);
	unlinkat(dir, "item", 0);
}

static void
test_trailer(void)
{
	char	tr[QUEUE_TRAILER + 1];

	memset(tr, '#', sizeof(tr));
	ok(queue_trailer(tr, 0x1234, 0xdeadbeef, 0x01020304) == 0 &&
	    memcmp(tr, "SNF1 00001234 deadbeef 01020304\n", 32) == 0 &&
	    tr[32] == '#', "queue_trailer: exact 32 bytes, no more");
	ok(queue_trailer(tr, 0xffffffff, 0, 0) == 0 &&
	    memcmp(tr, "SNF1 ffffffff 00000000 00000000\n", 32) == 0,
	    "queue_trailer: largest envelope length");
	errno = 0;
	ok(queue_trailer(tr, (size_t)0xffffffff + 1, 0, 0) == -1 &&
	    errno == EFBIG, "queue_trailer: 4 GB envelope is EFBIG");
}

struct icase {
	const char	*in;
	int		 want;
};

static const struct icase ids[] = {
	{ "1795435200.3f9a0c11b2e4", 1 },
	{ "0000000000.000000000000", 1 },
	{ "9999999999.ffffffffffff", 1 },
	{ "1795435200.3F9A0C11B2E4", 0 },
	{ "1795435200.3f9a0c11b2e", 0 },
	{ "1795435200.3f9a0c11b2e40", 0 },
	{ "17954352000.3f9a0c11b2e", 0 },
	{ "1795435200x3f9a0c11b2e4", 0 },
	{ "179543520a.3f9a0c11b2e4", 0 },
	{ "-795435200.3f9a0c11b2e4", 0 },
	{ "1795435200.3f9a0c11b2eg", 0 },
	{ "1795435200.3f9a0c11b2e4\n", 0 },
	{ "1795435200.3f9a0c1/b2e4", 0 },
	{ "../../../../etc/passwd", 0 },
	{ ".", 0 },
	{ "", 0 },
};

static void
test_ids(void)
{
	char	a[QUEUE_ID_MAX], b[QUEUE_ID_MAX], small[23];
	size_t	i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		ok(queue_id_valid(ids[i].in) == ids[i].want,
		    "queue_id_valid(\"%s\") is %d", ids[i].in, ids[i].want);
	ok(queue_id_make(a, sizeof(a), 1795435200) == 0 && strlen(a) == 23 &&
	    strncmp(a, "1795435200.", 11) == 0 && queue_id_valid(a),
	    "queue_id_make: %s", a);
	ok(queue_id_time(a) == 1795435200, "queue_id_time: 1795435200");
	ok(queue_id_make(b, sizeof(b), 1795435200) == 0 && strcmp(a, b) != 0,
	    "queue_id_make: two ids in the same second differ");
	ok(queue_id_make(a, sizeof(a), 0) == 0 &&
	    strncmp(a, "0000000000.", 11) == 0 && queue_id_valid(a) &&
	    queue_id_time(a) == 0, "queue_id_make: time 0 padded: %s", a);
	ok(queue_id_make(a, sizeof(a), 42) == 0 && queue_id_time(a) == 42,
	    "queue_id_time: 42 back from %s", a);
	errno = 0;
	ok(queue_id_make(small, sizeof(small), 1795435200) == -1 &&
	    errno == ENAMETOOLONG, "queue_id_make: 23 bytes are too few");
	ok(queue_id_make(a, 24, 1795435200) == 0 && queue_id_valid(a),
	    "queue_id_make: 24 bytes are enough");
	ok(queue_id_time("0000000001.000000000000") == 1,
	    "queue_id_time: leading zeros");
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 n;

	n = snprintf(dirpath, sizeof(dirpath), "%s/t_queue.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(dirpath) ||
	    mkdtemp(dirpath) == NULL ||
	    (dir = open(dirpath, O_RDONLY | O_DIRECTORY)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_round_trip();
	test_fields();
	test_zero_read();
	test_damage();
	test_open_errors();
	test_trailer();
	test_ids();
	unlinkat(dir, "item", 0);
	close(dir);
	ok(rmdir(dirpath) == 0, "temporary folder left empty");
	return done();
}
