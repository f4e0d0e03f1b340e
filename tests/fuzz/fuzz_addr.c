/*
 * fuzz_addr.c - addr.c, the one path and mailbox parser. Input: one byte
 * of parse options (ADDR_NULL_OK, ADDR_LAX_LOCAL, ADDR_NODOMAIN_OK in its
 * low bits), then the text, parsed as a path and as a mailbox. Every
 * accepted address must be well formed (fields terminated inside their
 * arrays, lengths within RFC 5321, domain lowercase and valid) and must
 * round-trip: a->full parsed again as a mailbox gives the same fields.
 */
#include "fuzz.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

#define FIELD_OK(f)	(memchr((f), '\0', sizeof(f)) != NULL)

/* same_fields - a and b agree on everything a mailbox can carry. */
static int
same_fields(const struct addr *a, const struct addr *b)
{
	return strcmp(a->full, b->full) == 0 &&
	    strcmp(a->local, b->local) == 0 &&
	    strcmp(a->plain, b->plain) == 0 &&
	    strcmp(a->domain, b->domain) == 0 &&
	    (a->flags & ~ADDR_F_ROUTE) == (b->flags & ~ADDR_F_ROUTE);
}

/* check_addr - the shape of any address the parser accepted. */
static void
check_addr(const struct addr *a, int opts)
{
	size_t	i, nl, nd;

	CHECK(FIELD_OK(a->local) && FIELD_OK(a->plain) &&
	    FIELD_OK(a->domain) && FIELD_OK(a->full));
	CHECK(strlen(a->full) <= ADDR_PATH_MAX);
	if (a->flags & ADDR_F_NULL) {
		CHECK(opts & ADDR_NULL_OK);
		CHECK(a->full[0] == '\0' && a->local[0] == '\0' &&
		    a->domain[0] == '\0');
		return;
	}
	nl = strlen(a->local);
	nd = strlen(a->domain);
	if (!(opts & ADDR_LAX_LOCAL))
		CHECK(nl <= ADDR_LOCAL_MAX);
	CHECK(nd <= ADDR_DOMAIN_MAX);
	for (i = 0; i < nd; i++)
		CHECK(!isupper((unsigned char)a->domain[i]));
	if (nd == 0) {
		/* only <postmaster> has no domain */
		CHECK(opts & ADDR_NODOMAIN_OK);
		CHECK(strcasecmp(a->plain, "postmaster") == 0);
		CHECK(strcmp(a->full, a->local) == 0);
		return;
	}
	CHECK(a->domain[nd - 1] != '.' || (a->flags & ADDR_F_LITERAL));
	if (a->flags & ADDR_F_LITERAL)
		CHECK(a->domain[0] == '[' && a->domain[nd - 1] == ']');
	else
		CHECK(addr_domain_valid(a->domain, nd) == ADDR_OK);
	CHECK(nl + 1 + nd == strlen(a->full));
	CHECK(memcmp(a->full, a->local, nl) == 0 && a->full[nl] == '@' &&
	    strcmp(a->full + nl + 1, a->domain) == 0);
	/* the wire form needs quotes exactly when the flag says so */
	CHECK(!!(a->flags & ADDR_F_QUOTED) == (a->local[0] == '"'));
	for (i = 0; a->plain[i]; i++)
		CHECK((unsigned char)a->plain[i] >= 32 &&
		    (unsigned char)a->plain[i] < 127);
}

/* round_trip - a->full, parsed as a mailbox, gives a back. */
static void
round_trip(const struct addr *a, int opts)
{
	struct addr	*b;
	char		 path[ADDR_PATH_MAX + 3];
	size_t		 n = strlen(a->full), used;
	int		 r;

	if ((b = malloc(sizeof(*b))) == NULL)
		abort();
	r = addr_parse_mailbox(a->full, n, opts, b);
	CHECK(r == ADDR_OK);
	CHECK(same_fields(a, b));
	/* and "<full>" as a path, when it fits the path limit */
	if (n + 2 <= ADDR_PATH_MAX && !(a->flags & ADDR_F_NULL)) {
		path[0] = '<';
		memcpy(path + 1, a->full, n);
		path[n + 1] = '>';
		r = addr_parse_path(path, n + 2, opts, b, &used);
		CHECK(r == ADDR_OK && used == n + 2);
		CHECK(same_fields(a, b));
	}
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr	*a;
	const char	*s;
	size_t		 n, used = 0;
	int		 opts, r;

	if (size < 1)
		return 0;
	opts = data[0] & (ADDR_NULL_OK | ADDR_LAX_LOCAL | ADDR_NODOMAIN_OK);
	s = (const char *)data + 1;
	n = size - 1;
	/* a heap object of its own: a write past the struct is caught */
	if ((a = malloc(sizeof(*a))) == NULL)
		abort();

	r = addr_parse_path(s, n, opts, a, &used);
	CHECK(addr_strerror(r) != NULL);
	if (r == ADDR_OK) {
		CHECK(used >= 2 && used <= n && used <= ADDR_PATH_MAX);
		CHECK(s[0] == '<' && s[used - 1] == '>');
		check_addr(a, opts);
		round_trip(a, opts);
	}

	r = addr_parse_mailbox(s, n, opts, a);
	CHECK(addr_strerror(r) != NULL);
	if (r == ADDR_OK) {
		CHECK(n <= ADDR_PATH_MAX);
		CHECK(!(a->flags & ADDR_F_ROUTE));
		check_addr(a, opts);
		round_trip(a, opts);
	}

	r = addr_domain_valid(s, n);
	CHECK(r == ADDR_OK || r == ADDR_ESYNTAX || r == ADDR_ELONGDOMAIN ||
	    r == ADDR_E8BIT);
	free(a);
	return 0;
}
