/*
 * addr.c - RFC 5321 4.1.2 paths: "<" [ A-d-l ":" ] Mailbox ">", and "<>".
 * The parser reads forward with explicit lengths (NUL bytes are just
 * invalid characters), never writes past struct addr's fixed arrays,
 * and fails closed: anything outside the grammar is ADDR_ESYNTAX.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

struct cur {
	const char	*p;
	const char	*end;
};

static int
is_atext(int c)
{
	if (isascii(c) && isalnum(c))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_letdig(int c)
{
	return isascii(c) && isalnum(c);
}

/* dot_string_ok - s[0..n) is Atom *("." Atom). */
static int
dot_string_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/*
 * addr_domain_valid - s[0..n) is a Domain: sub-domains of Let-dig
 * [Ldh-str], labels of at most 63 and the whole at most 255 octets.
 * Returns ADDR_OK, ADDR_ESYNTAX or ADDR_ELONGDOMAIN.
 */
int
addr_domain_valid(const char *s, size_t n)
{
	size_t	i, label = 0;

	if (n == 0)
		return ADDR_ESYNTAX;
	if (n > ADDR_DOMAIN_MAX)
		return ADDR_ELONGDOMAIN;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return ADDR_ESYNTAX;
			label = 0;
			continue;
		}
		if (c >= 0x80)
			return ADDR_E8BIT;
		if (!is_letdig(c) && !(c == '-' && label > 0))
			return ADDR_ESYNTAX;
		if (++label > 63)
			return ADDR_ELONGDOMAIN;
	}
	if (label == 0 || s[n - 1] == '-')
		return ADDR_ESYNTAX;
	return ADDR_OK;
}

/* literal_valid - s[0..n) is "[" address literal "]" (RFC 5321 4.1.3). */
static int
literal_valid(const char *s, size_t n)
{
	char		tmp[ADDR_DOMAIN_MAX + 1];
	unsigned char	ip[16];
	size_t		i, tag;

	if (n < 3 || n > ADDR_DOMAIN_MAX || s[0] != '[' || s[n - 1] != ']')
		return 0;
	memcpy(tmp, s + 1, n - 2);
	tmp[n - 2] = '\0';
	for (i = 0; i < n - 2; i++) {
		unsigned char c = tmp[i];

		/* dcontent: %d33-90 / %d94-126 */
		if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']')
			return 0;
	}
	if (inet_pton(AF_INET, tmp, ip) == 1)
		return 1;
	if (strncasecmp(tmp, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, tmp + 5, ip) == 1;
	/*
	 * General-address-literal: Standardized-tag ":" 1*dcontent, the
	 * tag an Ldh-str: one label, so no dot.
	 */
	tag = strcspn(tmp, ":");
	if (tag == 0 || tmp[tag] != ':' || tmp[tag + 1] == '\0' ||
	    memchr(tmp, '.', tag) != NULL)
		return 0;
	return addr_domain_valid(tmp, tag) == ADDR_OK && isalpha(
	    (unsigned char)tmp[0]) ? 1 : 0;
}

/* parse_local - Dot-string or Quoted-string at c; fills a->local/plain. */
static int
parse_local(struct cur *c, struct addr *a)
{
	const char	*start = c->p;
	size_t		 n = 0, w;

	if (c->p < c->end && *c->p == '"') {
		c->p++;
		for (;;) {
			unsigned char ch;

			if (c->p >= c->end)
				return ADDR_ESYNTAX;
			ch = *c->p++;
			if (ch == '"')
				break;
			if (ch >= 0x80)
				return ADDR_E8BIT;
			if (ch == '\\') {
				if (c->p >= c->end)
					return ADDR_ESYNTAX;
				ch = *c->p++;
				if (ch >= 0x80)
					return ADDR_E8BIT;
				if (ch < 32 || ch > 126)
					return ADDR_ESYNTAX;
			} else if (ch < 32 || ch > 126)
				return ADDR_ESYNTAX;
			if (n >= ADDR_PATH_MAX)
				return ADDR_ELONGPATH;
			a->plain[n++] = ch;
		}
		a->plain[n] = '\0';
		w = (size_t)(c->p - start);
		if (dot_string_ok(a->plain, n)) {
			memcpy(a->local, a->plain, n + 1);	/* quotes not needed */
		} else {
			if (w > ADDR_PATH_MAX)
				return ADDR_ELONGPATH;
			memcpy(a->local, start, w);
			a->local[w] = '\0';
			a->flags |= ADDR_F_QUOTED;
		}
		return ADDR_OK;
	}
	while (c->p < c->end && *c->p != '@' && *c->p != '>') {
		unsigned char ch = *c->p;

		if (ch >= 0x80)
			return ADDR_E8BIT;
		if (ch != '.' && !is_atext(ch))
			return ADDR_ESYNTAX;
		if (n >= ADDR_PATH_MAX)
			return ADDR_ELONGPATH;
		a->plain[n++] = ch;
		c->p++;
	}
	a->plain[n] = '\0';
	if (!dot_string_ok(a->plain, n))
		return ADDR_ESYNTAX;
	memcpy(a->local, a->plain, n + 1);
	return ADDR_OK;
}

/* parse_domain - Domain or address literal at c, up to '>' or end. */
static int
parse_domain(struct cur *c, struct addr *a, int stop_comma)
{
	const char	*s = c->p;
	size_t		 n, i;
	int		 r;

	if (c->p < c->end && *c->p == '[') {
		while (c->p < c->end && *c->p != ']')
			c->p++;
		if (c->p < c->end)
			c->p++;
	} else {
		while (c->p < c->end && *c->p != '>' && *c->p != ':' &&
		    !(stop_comma && *c->p == ','))
			c->p++;
	}
	n = (size_t)(c->p - s);
	if (n > 0 && s[0] == '[') {
		if (!literal_valid(s, n))
			return ADDR_ESYNTAX;
		a->flags |= ADDR_F_LITERAL;
	} else {
		if (n > 1 && s[n - 1] == '.')
			n--;		/* one trailing dot: the root */
		if ((r = addr_domain_valid(s, n)) != ADDR_OK)
			return r;
	}
	if (n > ADDR_DOMAIN_MAX)
		return ADDR_ELONGDOMAIN;
	for (i = 0; i < n; i++)
		a->domain[i] = tolower((unsigned char)s[i]);
	a->domain[n] = '\0';
	return ADDR_OK;
}

/* parse_route - skip an A-d-l "@d1,@d2:" checking each domain. */
static int
parse_route(struct cur *c, struct addr *a)
{
	int	r;

	for (;;) {
		if (c->p >= c->end || *c->p != '@')
			return ADDR_ESYNTAX;
		c->p++;
		if ((r = parse_domain(c, a, 1)) != ADDR_OK)
			return r;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == ':') {
			c->p++;
			/* a literal hop says nothing of the final domain */
			a->flags &= ~ADDR_F_LITERAL;
			a->flags |= ADDR_F_ROUTE;
			a->domain[0] = '\0';
			return ADDR_OK;
		}
		return ADDR_ESYNTAX;
	}
}

static int
parse_mailbox(struct cur *c, int opts, struct addr *a)
{
	int	r;

	if ((r = parse_local(c, a)) != ADDR_OK)
		return r;
	if (!(opts & ADDR_LAX_LOCAL) && strlen(a->local) > ADDR_LOCAL_MAX)
		return ADDR_ELONGLOCAL;
	if (c->p >= c->end || *c->p != '@') {
		if ((opts & ADDR_NODOMAIN_OK) &&
		    strcasecmp(a->plain, "postmaster") == 0) {
			strlcpy(a->full, a->local, sizeof(a->full));
			return ADDR_OK;
		}
		return (c->p >= c->end || *c->p == '>') ? ADDR_ENODOMAIN :
		    ADDR_ESYNTAX;
	}
	c->p++;
	if ((r = parse_domain(c, a, 0)) != ADDR_OK)
		return r;
	if (strlen(a->local) + 1 + strlen(a->domain) > ADDR_PATH_MAX)
		return ADDR_ELONGPATH;
	strlcpy(a->full, a->local, sizeof(a->full));
	strlcat(a->full, "@", sizeof(a->full));
	strlcat(a->full, a->domain, sizeof(a->full));
	return ADDR_OK;
}

static void
addr_clear(struct addr *a)
{
	a->local[0] = a->plain[0] = a->domain[0] = a->full[0] = '\0';
	a->flags = 0;
}

/*
 * addr_parse_path - parse the path at s[0..len), which starts with '<'.
 * On success *used is the number of bytes the path took. Returns an
 * enum addr_err.
 */
int
addr_parse_path(const char *s, size_t len, int opts, struct addr *a,
    size_t *used)
{
	struct cur	c = { s, s + len };
	const char	*gt;
	int		 r;

	addr_clear(a);
	if (len == 0 || s[0] != '<')
		return ADDR_ESYNTAX;
	c.p++;
	if (c.p < c.end && *c.p == '>') {
		if (!(opts & ADDR_NULL_OK))
			return ADDR_ENULL;
		a->flags |= ADDR_F_NULL;
		*used = 2;
		return ADDR_OK;
	}
	if (c.p < c.end && *c.p == '@' && (r = parse_route(&c, a)) != ADDR_OK)
		return r;
	if ((r = parse_mailbox(&c, opts, a)) != ADDR_OK)
		return r;
	if (c.p >= c.end || *c.p != '>')
		return ADDR_ESYNTAX;
	gt = c.p + 1;
	if ((size_t)(gt - s) > ADDR_PATH_MAX)
		return ADDR_ELONGPATH;
	*used = (size_t)(gt - s);
	return ADDR_OK;
}

/*
 * addr_parse_mailbox - parse a bare mailbox "local@domain" that fills
 * all of s[0..len) (an envelope record); "" is the null sender when
 * ADDR_NULL_OK is given.
 */
int
addr_parse_mailbox(const char *s, size_t len, int opts, struct addr *a)
{
	struct cur	c = { s, s + len };
	int		r;

	addr_clear(a);
	if (len == 0) {
		if (!(opts & ADDR_NULL_OK))
			return ADDR_ENULL;
		a->flags |= ADDR_F_NULL;
		return ADDR_OK;
	}
	if (len > ADDR_PATH_MAX)
		return ADDR_ELONGPATH;
	if ((r = parse_mailbox(&c, opts, a)) != ADDR_OK)
		return r;
	return c.p == c.end ? ADDR_OK : ADDR_ESYNTAX;
}

/*
 * addr_has_routing - the local part asks for onward routing ('%' hack,
 * '!' bang path, or an '@' hidden in quotes): a primary that honours it
 * would relay for anyone, so a backup MX must refuse it.
 */
int
addr_has_routing(const struct addr *a)
{
	return strpbrk(a->plain, "%!@") != NULL;
}

const char *
addr_strerror(int e)
{
	switch (e) {
	case ADDR_OK:		return "ok";
	case ADDR_ESYNTAX:	return "address syntax error";
	case ADDR_ELONGPATH:	return "path too long";
	case ADDR_ELONGLOCAL:	return "local part too long";
	case ADDR_ELONGDOMAIN:	return "domain name too long";
	case ADDR_E8BIT:	return "non-ASCII address needs SMTPUTF8";
	case ADDR_ENODOMAIN:	return "address needs a domain";
	case ADDR_ENULL:	return "null address not allowed here";
	}
	return "address error";
}
