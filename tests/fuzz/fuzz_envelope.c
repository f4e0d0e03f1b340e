/*
 * fuzz_envelope.c - the stored envelope and the queue item file: the
 * input a reader of the queue must survive when a file is damaged or
 * planted. The first byte picks the mode:
 *   0  env_parse on the text; an accepted envelope must be sane and must
 *      round-trip: env_format, parse again, the same envelope and text.
 *   1  the rest is a whole item file (in a memfd): qitem_read, and when
 *      it is accepted, qbody_read to the end.
 *   2  bytes 1-2 give a body length; body and envelope text are taken
 *      from the rest and made into an item with a correct trailer, so
 *      that the envelope parser and the body reader are reached. Flags
 *      in the first byte: 0x04 spoil the body checksum, 0x08 deflate the
 *      body and add "Z" to the envelope. qitem_read must agree with
 *      env_parse, and the body read back must be the body stored, with
 *      a damaged one ending in EBADMSG, never in a clean end.
 */
#include "fuzz.h"

#include <sys/mman.h>

#include <string.h>
#include <zlib.h>

#include "addr.h"
#include "buf.h"
#include "envelope.h"
#include "queue.h"

#define BODY_READ_MAX	(1 << 20)	/* stop reading a zlib bomb */

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
inside(const char *p, const char *text, size_t len)
{
	return p == NULL || (p >= text && p < text + len);
}

/* check_env - an envelope env_parse accepted from text[0..len) */
static void
check_env(const struct envelope *e, const char *text, size_t len)
{
	struct addr	a;
	size_t		i;

	CHECK(e->domain != NULL && env_domain_ok(e->domain));
	CHECK(e->sender != NULL && addr_parse_mailbox(e->sender,
	    strlen(e->sender), ADDR_NULL_OK | ADDR_LAX_LOCAL, &a) == ADDR_OK);
	CHECK(e->arrival > 0 && e->warned >= 0);
	CHECK(e->nrcpt >= 1 && e->nrcpt <= ENV_RCPT_MAX &&
	    e->nrcpt <= e->rcptcap);
	CHECK(inside(e->domain, text, len) && inside(e->sender, text, len) &&
	    inside(e->envid, text, len) && inside(e->ret, text, len) &&
	    inside(e->body, text, len) && inside(e->client, text, len) &&
	    inside(e->helo, text, len));
	for (i = 0; i < e->nrcpt; i++) {
		CHECK(inside(e->rcpt[i].addr, text, len) &&
		    inside(e->rcpt[i].notify, text, len) &&
		    inside(e->rcpt[i].orcpt, text, len));
		CHECK(addr_parse_mailbox(e->rcpt[i].addr,
		    strlen(e->rcpt[i].addr), ADDR_LAX_LOCAL, &a) == ADDR_OK);
		CHECK(env_value_ok(e->rcpt[i].addr));
	}
}

static void
same_env(const struct envelope *a, const struct envelope *b)
{
	size_t	i;

	CHECK(a->arrival == b->arrival && a->size == b->size &&
	    a->warned == b->warned && a->smtputf8 == b->smtputf8 &&
	    a->zlib == b->zlib && a->nrcpt == b->nrcpt);
	CHECK(same_str(a->domain, b->domain) &&
	    same_str(a->sender, b->sender) &&
	    same_str(a->envid, b->envid) && same_str(a->ret, b->ret) &&
	    same_str(a->body, b->body) && same_str(a->client, b->client) &&
	    same_str(a->helo, b->helo));
	for (i = 0; i < a->nrcpt; i++)
		CHECK(same_str(a->rcpt[i].addr, b->rcpt[i].addr) &&
		    same_str(a->rcpt[i].notify, b->rcpt[i].notify) &&
		    same_str(a->rcpt[i].orcpt, b->rcpt[i].orcpt));
}

/* parse_copy - env_parse on a copy of s[0..n) of exactly n bytes */
static int
parse_copy(struct envelope *e, const char *s, size_t n, char **text)
{
	if ((*text = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(*text, s, n);
	return env_parse(e, *text, n);
}

static void
mode_text(const char *s, size_t n)
{
	struct envelope	 e, e2;
	struct buf	 b1, b2;
	char		*t1, *t2, *c;

	/* the single-value checks on the text as one C string */
	if ((c = malloc(n + 1)) == NULL)
		abort();
	memcpy(c, s, n);
	c[n] = '\0';
	(void)env_value_ok(c);
	(void)env_domain_ok(c);
	free(c);

	if (parse_copy(&e, s, n, &t1) == -1) {
		CHECK(errno == EINVAL && e.rcpt == NULL && e.nrcpt == 0);
		free(t1);
		return;
	}
	check_env(&e, t1, n);
	buf_init(&b1, 0);
	buf_init(&b2, 0);
	CHECK(env_format(&e, &b1) == 0);
	CHECK(parse_copy(&e2, b1.p, b1.len, &t2) == 0);
	same_env(&e, &e2);
	CHECK(env_format(&e2, &b2) == 0);
	CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
	buf_free(&b1);
	buf_free(&b2);
	env_free(&e);
	env_free(&e2);
	free(t1);
	free(t2);
}

static int
item_fd(const void *p, size_t n)
{
	int	fd;

	if ((fd = memfd_create("fuzz-item", MFD_CLOEXEC)) == -1)
		abort();
	if (n > 0 && pwrite(fd, p, n, 0) != (ssize_t)n)
		abort();
	return fd;
}

/*
 * read_body - qbody_read to the end in varying sizes into *out. Returns
 * the last result: 0 for a clean end, -1 for an error.
 */
static ssize_t
read_body(struct qitem *q, char **out, size_t *outlen, uint32_t seed)
{
	struct qbody	*b;
	char		 buf[4096];
	size_t		 want;
	ssize_t		 r;

	*out = NULL;
	*outlen = 0;
	if ((b = malloc(sizeof(*b))) == NULL)
		abort();
	CHECK(qbody_open(b, q) == 0);
	for (;;) {
		seed = seed * 1103515245U + 12345U;
		want = 1 + (seed >> 16) % sizeof(buf);
		r = qbody_read(b, buf, want);
		CHECK(r >= -1 && r <= (ssize_t)want);
		if (r <= 0)
			break;
		if ((*out = realloc(*out, *outlen + (size_t)r)) == NULL)
			abort();
		memcpy(*out + *outlen, buf, (size_t)r);
		*outlen += (size_t)r;
		if (*outlen > BODY_READ_MAX) {
			r = 1;
			break;
		}
	}
	if (r == -1)
		CHECK(errno == EBADMSG);
	CHECK(qbody_read(b, buf, 0) == 0);
	qbody_close(b);
	free(b);
	return r;
}

static void
mode_file(const uint8_t *p, size_t n)
{
	struct qitem	 q;
	char		*out;
	size_t		 outlen;
	int		 fd = item_fd(p, n);

	if (qitem_read(fd, &q) == -1) {
		CHECK(errno == EBADMSG);
		CHECK(q.envtext == NULL);
		close(fd);
		return;
	}
	CHECK(q.bodylen >= 0 && q.bodylen <= (off_t)n);
	check_env(&q.env, q.envtext,
	    (size_t)(q.filesize - QUEUE_TRAILER - q.bodylen));
	(void)read_body(&q, &out, &outlen, (uint32_t)n);
	if (!q.env.zlib)
		CHECK(outlen <= (size_t)q.bodylen);
	free(out);
	qitem_close(&q);
}

/* deflated - body[0..n) in zlib format, into *z */
static size_t
deflated(const uint8_t *body, size_t n, uint8_t **z)
{
	uLongf	zlen = compressBound(n);

	if ((*z = malloc(zlen)) == NULL ||
	    compress2(*z, &zlen, body, n, Z_BEST_SPEED) != Z_OK)
		abort();
	return zlen;
}

static void
mode_item(int flags, const uint8_t *p, size_t n)
{
	const uint8_t	*body, *env;
	uint8_t		*z = NULL, *file;
	size_t		 blen, elen, slen, flen;
	struct envelope	 e;
	struct qitem	 q;
	char		*t, *out;
	size_t		 outlen;
	ssize_t		 r;
	int		 fd, ok, zip = flags & 0x08, spoil = flags & 0x04;

	if (n < 2)
		return;
	blen = (size_t)p[0] | (size_t)p[1] << 8;
	p += 2;
	n -= 2;
	if (blen > n)
		blen = n;
	body = p;
	env = p + blen;
	elen = n - blen;
	slen = blen;
	if (zip)
		slen = deflated(body, blen, &z);
	/* file: stored body, envelope text (+ "Z \n"), trailer */
	flen = slen + elen + 3 + QUEUE_TRAILER;
	if ((file = malloc(flen)) == NULL)
		abort();
	memcpy(file, zip ? z : body, slen);
	memcpy(file + slen, env, elen);
	if (zip && elen > 0 && env[elen - 1] == '\n') {
		memcpy(file + slen + elen, "Z \n", 3);
		elen += 3;
	}
	CHECK(queue_trailer((char *)file + slen + elen, elen,
	    (uint32_t)crc32(0, file, (uInt)slen) ^ (spoil ? 1 : 0),
	    (uint32_t)crc32(0, file + slen, (uInt)elen)) == 0);
	flen = slen + elen + QUEUE_TRAILER;

	/* qitem_read accepts exactly what env_parse accepts */
	ok = elen <= ENV_MAX &&
	    parse_copy(&e, (const char *)file + slen, elen, &t) == 0;
	if (elen <= ENV_MAX) {
		if (ok)
			env_free(&e);
		free(t);
	}
	fd = item_fd(file, flen);
	if (qitem_read(fd, &q) == -1) {
		CHECK(!ok && errno == EBADMSG);
		close(fd);
		goto out;
	}
	CHECK(ok);
	CHECK(q.bodylen == (off_t)slen && q.filesize == (off_t)flen);
	r = read_body(&q, &out, &outlen, (uint32_t)blen);
	if (spoil)
		CHECK(r != 0);		/* never a clean end */
	else if (!q.env.zlib || zip) {
		CHECK(r == 0);
		CHECK(outlen == blen &&
		    (blen == 0 || memcmp(out, body, blen) == 0));
	}
	free(out);
	qitem_close(&q);
out:
	free(file);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
	case 3:
		mode_text((const char *)data + 1, size - 1);
		break;
	case 1:
		mode_file(data + 1, size - 1);
		break;
	case 2:
		mode_item(data[0], data + 1, size - 1);
		break;
	}
	return 0;
}
