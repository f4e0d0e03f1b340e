/*
 * fuzz_data.c - the DATA byte machine (cmd/snf-smtpd/body.c). Input: a
 * byte choosing the size limit, a byte seeding the chunk sizes, then the
 * client's bytes after "354". The bytes are fed in random chunks, one at
 * a time, and all at once; each feed must write no more than it took
 * (olen <= *used <= n, into an output buffer of exactly n bytes), and
 * the three runs must agree on everything. Where the input has no bare
 * CR or LF, the result is also checked against a model: the end is the
 * first CR LF "." CR LF, the message is the input with the stuffing dots
 * removed, the Received: count is that of the header section, and the
 * NUL flag says whether the message holds a NUL byte.
 */
#include "fuzz.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "smtpd.h"

struct run {
	int		 r;
	size_t		 used;		/* input bytes taken */
	char		*out;		/* message bytes given out */
	size_t		 outlen;
	struct data_state d;
};

static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/*
 * feed - run in[0..n) through a fresh machine in chunks: step 0 means
 * all at once, else sizes 1..step from a generator seeded with seed.
 */
static void
feed(struct run *ru, const char *in, size_t n, uint64_t max, size_t step,
    uint32_t seed)
{
	char	*chunk;
	size_t	 k, used, olen;
	uint32_t x = seed | 1;

	data_init(&ru->d, max);
	ru->r = DATA_MORE;
	ru->used = ru->outlen = 0;
	if ((ru->out = malloc(n + 1)) == NULL)
		abort();
	while (ru->used < n && ru->r == DATA_MORE) {
		k = step == 0 ? n - ru->used : 1 + rnd(&x) % step;
		if (k > n - ru->used)
			k = n - ru->used;
		/* exactly k bytes of room: one more would be a heap overflow */
		if ((chunk = malloc(k)) == NULL)
			abort();
		used = olen = (size_t)-1;
		ru->r = data_feed(&ru->d, in + ru->used, k, &used, chunk,
		    &olen);
		CHECK(ru->r == DATA_MORE || ru->r == DATA_END ||
		    ru->r == DATA_BOGUS);
		CHECK(used <= k && olen <= used);
		CHECK(ru->r != DATA_MORE || used == k);
		CHECK(ru->r == DATA_MORE || used >= 1);
		CHECK(ru->d.size <= ru->d.max);
		memcpy(ru->out + ru->outlen, chunk, olen);
		ru->outlen += olen;
		ru->used += used;
		free(chunk);
	}
	CHECK(ru->outlen <= ru->used);
	CHECK(ru->outlen <= ru->d.size);
}

static void
same_run(const struct run *a, const struct run *b)
{
	CHECK(a->r == b->r && a->used == b->used);
	CHECK(a->outlen == b->outlen &&
	    memcmp(a->out, b->out, a->outlen) == 0);
	CHECK(a->d.size == b->d.size && a->d.hops == b->d.hops);
	CHECK(a->d.bare == b->d.bare && a->d.toolarge == b->d.toolarge);
	CHECK(a->d.nul == b->d.nul);
}

/* has_bare - a CR not followed by LF, or an LF not after a CR */
static int
has_bare(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] != '\n')
			return 1;
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return 1;
	}
	return 0;
}

/* first_end - offset just past the first CR LF "." CR LF (the data
 * starts at a line start), or 0 when there is none */
static size_t
first_end(const char *s, size_t n)
{
	size_t	i;

	if (n >= 3 && memcmp(s, ".\r\n", 3) == 0)
		return 3;
	for (i = 0; i + 5 <= n; i++)
		if (memcmp(s + i, "\r\n.\r\n", 5) == 0)
			return i + 5;
	return 0;
}

/*
 * model - for input without bare line ends: the unstuffed message of
 * s[0..n) into out, its length, and the Received: fields of its header
 * section into *hops.
 */
static size_t
model(const char *s, size_t n, char *out, unsigned *hops)
{
	size_t	i, o = 0;
	int	bol = 1, inhdr = 1;

	*hops = 0;
	for (i = 0; i < n; i++) {
		if (bol) {
			/* the stuffing dot; "." CR is an end still open */
			if (s[i] == '.' && ++i < n && s[i] == '\r')
				break;
			if (i == n)
				break;
			if (inhdr && s[i] == '\r')
				inhdr = 0;	/* the empty line */
			if (inhdr && n - i >= 9 &&
			    strncasecmp(s + i, "received:", 9) == 0)
				(*hops)++;
		}
		out[o++] = s[i];
		bol = s[i] == '\n';
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run	 a, b, c;
	const char	*in;
	char		*want;
	size_t		 n, end, wlen, m;
	uint64_t	 max;
	unsigned	 hops;

	if (size < 2)
		return 0;
	max = data[0] < 128 ? UINT64_MAX : (uint64_t)(data[0] - 128) * 8;
	in = (const char *)data + 2;
	n = size - 2;

	feed(&a, in, n, max, 1 + data[1] % 64, data[1] * 2654435761U);
	feed(&b, in, n, max, 1, 0);
	feed(&c, in, n, max, 0, 0);
	same_run(&a, &b);
	same_run(&a, &c);

	/* the end is never past the first CR LF . CR LF, and only there */
	end = first_end(in, n);
	if (end != 0) {
		CHECK(a.r != DATA_MORE && a.used <= end);
		CHECK(a.r != DATA_END || a.used == end);
	} else
		CHECK(a.r != DATA_END);
	if (a.r == DATA_BOGUS)
		CHECK(a.d.bare);

	/* without bare line ends: the exact message, size and hop count */
	m = a.r == DATA_END ? a.used - 3 : a.used;
	if (a.r != DATA_BOGUS && !has_bare(in, a.used)) {
		CHECK(!a.d.bare);
		if ((want = malloc(m + 1)) == NULL)
			abort();
		wlen = model(in, m, want, &hops);
		CHECK(a.d.hops == hops);
		CHECK(a.d.toolarge == (wlen > max));
		CHECK(a.d.size == (wlen > max ? max : wlen));
		CHECK(a.outlen == a.d.size &&
		    memcmp(a.out, want, a.outlen) == 0);
		CHECK(a.d.nul == (memchr(want, '\0', wlen) != NULL));
		free(want);
	}
	free(a.out);
	free(b.out);
	free(c.out);
	return 0;
}
