/*
 * t_addr.c - addr.c, the one RFC 5321 path parser: tables of hostile and
 * ordinary paths and mailboxes, each with the one rendering it must give
 * ("full|local|plain|domain|flags|used", or the error's name). Inputs
 * carry explicit lengths, so NUL bytes inside them are really there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "../tap.h"

/* A string literal and its length, NUL bytes included. */
#define S(x)	(x), sizeof(x) - 1

struct pcase {
	const char	*label;
	const char	*in;
	size_t		 len;
	int		 opts;
	const char	*want;
};

static const char *const errname[] = {
	"OK", "ESYNTAX", "ELONGPATH", "ELONGLOCAL", "ELONGDOMAIN", "E8BIT",
	"ENODOMAIN", "ENULL"
};

/* Paths: what addr_parse_path gives, rendered by render(). */
static const struct pcase paths[] = {
	{ "plain mailbox", S("<joe@example.com>"), 0,
	    "joe@example.com|joe|joe|example.com|-|17" },
	{ "dotted local part", S("<joe.q.public@mail.example.com>"), 0,
	    "joe.q.public@mail.example.com|joe.q.public|joe.q.public|"
	    "mail.example.com|-|31" },
	{ "atext specials", S("<a!#$&'*+-/=?^_`{|}~b@example.com>"), 0,
	    "a!#$&'*+-/=?^_`{|}~b@example.com|a!#$&'*+-/=?^_`{|}~b|"
	    "a!#$&'*+-/=?^_`{|}~b|example.com|H|34" },
	{ "null path allowed", S("<>"), ADDR_NULL_OK, "||||N|2" },
	{ "null path refused", S("<>"), 0, "ENULL" },
	{ "null path, parameters follow", S("<> SIZE=10"), ADDR_NULL_OK,
	    "||||N|2" },
	{ "null path with a space", S("< >"), ADDR_NULL_OK, "ESYNTAX" },
	{ "source route ignored", S("<@a.example,@b.example:joe@c.example>"),
	    0, "joe@c.example|joe|joe|c.example|R|37" },
	{ "one-hop source route", S("<@relay.example:joe@c.example>"), 0,
	    "joe@c.example|joe|joe|c.example|R|30" },
	{ "route via a literal is not a literal domain",
	    S("<@[192.0.2.1]:joe@c.example>"), 0,
	    "joe@c.example|joe|joe|c.example|R|28" },
	{ "route without colon", S("<@a.example,joe@c.example>"), 0,
	    "ESYNTAX" },
	{ "route with empty domain", S("<@:joe@c.example>"), 0, "ESYNTAX" },
	{ "route with empty hop", S("<@a.example,,@b:joe@c.example>"), 0,
	    "ESYNTAX" },
	{ "route then nothing", S("<@a.example:>"), 0, "ESYNTAX" },
	{ "route with bad domain", S("<@a_b.example:joe@c.example>"), 0,
	    "ESYNTAX" },
	{ "route with 8-bit domain", S("<@\xc3\xa9.example:joe@c.example>"),
	    0, "E8BIT" },
	{ "quotes not needed are dropped", S("<\"joe\"@example.com>"), 0,
	    "joe@example.com|joe|joe|example.com|-|19" },
	{ "quoted dot-string unquoted", S("<\"joe.public\"@example.com>"), 0,
	    "joe.public@example.com|joe.public|joe.public|example.com|-|26" },
	{ "needed quotes kept", S("<\"joe smith\"@example.com>"), 0,
	    "\"joe smith\"@example.com|\"joe smith\"|joe smith|example.com|"
	    "Q|25" },
	{ "quoted-pair quote kept quoted", S("<\"a\\\"b\"@example.com>"), 0,
	    "\"a\\\"b\"@example.com|\"a\\\"b\"|a\"b|example.com|Q|20" },
	{ "needless quoted-pair unquoted", S("<\"a\\b\"@example.com>"), 0,
	    "ab@example.com|ab|ab|example.com|-|19" },
	{ "empty quoted local part", S("<\"\"@example.com>"), 0,
	    "\"\"@example.com|\"\"||example.com|Q|16" },
	{ "quoted leading dot kept", S("<\".joe\"@example.com>"), 0,
	    "\".joe\"@example.com|\".joe\"|.joe|example.com|Q|20" },
	{ "unterminated quote", S("<\"joe@example.com>"), 0, "ESYNTAX" },
	{ "text after the quotes", S("<\"joe\"x@example.com>"), 0,
	    "ESYNTAX" },
	{ "control byte in quotes", S("<\"a\tb\"@example.com>"), 0,
	    "ESYNTAX" },
	{ "DEL in quotes", S("<\"a\x7f" "b\"@example.com>"), 0, "ESYNTAX" },
	{ "quoted-pair of a control", S("<\"a\\\tb\"@example.com>"), 0,
	    "ESYNTAX" },
	{ "backslash at the end", S("<\"a\\"), 0, "ESYNTAX" },
	{ "domain lowercased, local kept", S("<Joe.User@Example.COM>"), 0,
	    "Joe.User@example.com|Joe.User|Joe.User|example.com|-|22" },
	{ "trailing dot stripped", S("<joe@example.com.>"), 0,
	    "joe@example.com|joe|joe|example.com|-|18" },
	{ "two trailing dots", S("<joe@example.com..>"), 0, "ESYNTAX" },
	{ "domain is a dot", S("<joe@.>"), 0, "ESYNTAX" },
	{ "domain starts with a dot", S("<joe@.example.com>"), 0, "ESYNTAX" },
	{ "empty label", S("<joe@example..com>"), 0, "ESYNTAX" },
	{ "label starts with hyphen", S("<joe@-x.example>"), 0, "ESYNTAX" },
	{ "label ends with hyphen", S("<joe@x-.example>"), 0, "ESYNTAX" },
	{ "hyphen inside label", S("<joe@x-y.example>"), 0,
	    "joe@x-y.example|joe|joe|x-y.example|-|17" },
	{ "underscore in domain", S("<joe@x_y.example>"), 0, "ESYNTAX" },
	{ "empty domain", S("<joe@>"), 0, "ESYNTAX" },
	{ "no domain", S("<joe>"), 0, "ENODOMAIN" },
	{ "postmaster without domain", S("<Postmaster>"), ADDR_NODOMAIN_OK,
	    "Postmaster|Postmaster|Postmaster||-|12" },
	{ "postmaster without domain refused", S("<postmaster>"), 0,
	    "ENODOMAIN" },
	{ "other user without domain", S("<joe>"), ADDR_NODOMAIN_OK,
	    "ENODOMAIN" },
	{ "IPv4 literal", S("<joe@[192.0.2.1]>"), 0,
	    "joe@[192.0.2.1]|joe|joe|[192.0.2.1]|L|17" },
	{ "IPv6 literal", S("<joe@[IPv6:::1]>"), 0,
	    "joe@[ipv6:::1]|joe|joe|[ipv6:::1]|L|16" },
	{ "IPv6 literal, full form", S("<joe@[IPv6:2001:db8::7]>"), 0,
	    "joe@[ipv6:2001:db8::7]|joe|joe|[ipv6:2001:db8::7]|L|24" },
	{ "literal with three parts", S("<joe@[1.2.3]>"), 0, "ESYNTAX" },
	{ "literal with empty part", S("<joe@[1..2.3.4]>"), 0, "ESYNTAX" },
	{ "literal octet over 255", S("<joe@[256.1.1.1]>"), 0, "ESYNTAX" },
	{ "literal IPv6 garbage", S("<joe@[IPv6:zz]>"), 0, "ESYNTAX" },
	{ "literal IPv6 tag, IPv4 value", S("<joe@[IPv6:1.2.3.4]>"), 0,
	    "ESYNTAX" },
	{ "empty literal", S("<joe@[]>"), 0, "ESYNTAX" },
	{ "unclosed literal", S("<joe@[1.2.3.4>"), 0, "ESYNTAX" },
	{ "text after literal", S("<joe@[1.2.3.4]x>"), 0, "ESYNTAX" },
	{ "literal with space", S("<joe@[1.2.3.4 ]>"), 0, "ESYNTAX" },
	{ "general literal tag with a dot", S("<joe@[a.b:c]>"), 0,
	    "ESYNTAX" },
	{ "general literal with slashes", S("<joe@[x:../../y]>"), 0,
	    "joe@[x:../../y]|joe|joe|[x:../../y]|L|17" },
	{ "double at", S("<user@evil.example@example.com>"), 0, "ESYNTAX" },
	{ "percent hack", S("<user%evil.example@example.com>"), 0,
	    "user%evil.example@example.com|user%evil.example|"
	    "user%evil.example|example.com|H|31" },
	{ "bang path", S("<evil.example!user@example.com>"), 0,
	    "evil.example!user@example.com|evil.example!user|"
	    "evil.example!user|example.com|H|31" },
	{ "quoted at", S("<\"user@evil.example\"@example.com>"), 0,
	    "\"user@evil.example\"@example.com|\"user@evil.example\"|"
	    "user@evil.example|example.com|QH|33" },
	{ "quoted percent unquoted", S("<\"u%evil\"@example.com>"), 0,
	    "u%evil@example.com|u%evil|u%evil|example.com|H|22" },
	{ "8-bit local part", S("<j\xc3\xb6@example.com>"), 0, "E8BIT" },
	{ "8-bit domain", S("<joe@ex\xc3\xa4mple.com>"), 0, "E8BIT" },
	{ "8-bit in quotes", S("<\"j\xc3\xb6\"@example.com>"), 0, "E8BIT" },
	{ "8-bit quoted-pair", S("<\"\\\xc3\"@example.com>"), 0, "E8BIT" },
	{ "8-bit in literal", S("<joe@[\xc3\xa9]>"), 0, "ESYNTAX" },
	{ "NUL in local part", S("<jo\0e@example.com>"), 0, "ESYNTAX" },
	{ "NUL in domain", S("<joe@exa\0mple.com>"), 0, "ESYNTAX" },
	{ "NUL before >", S("<joe@example.com\0>"), 0, "ESYNTAX" },
	{ "NUL in quotes", S("<\"jo\0e\"@example.com>"), 0, "ESYNTAX" },
	{ "NUL in literal", S("<joe@[1.2.3.4\0]>"), 0, "ESYNTAX" },
	{ "NUL first", S("\0<joe@example.com>"), 0, "ESYNTAX" },
	{ "NUL after the path is the caller's", S("<joe@example.com>\0x"),
	    0, "joe@example.com|joe|joe|example.com|-|17" },
	{ "empty input", S(""), ADDR_NULL_OK, "ESYNTAX" },
	{ "lone <", S("<"), ADDR_NULL_OK, "ESYNTAX" },
	{ "no brackets", S("joe@example.com"), 0, "ESYNTAX" },
	{ "missing >", S("<joe@example.com"), 0, "ESYNTAX" },
	{ "missing > after null", S("<"), 0, "ESYNTAX" },
	{ "trailing garbage left to the caller", S("<joe@example.com>xyz"), 0,
	    "joe@example.com|joe|joe|example.com|-|17" },
	{ "port after domain", S("<joe@example.com:25>"), 0, "ESYNTAX" },
	{ "space inside", S("<joe @example.com>"), 0, "ESYNTAX" },
	{ "comment", S("<joe(x)@example.com>"), 0, "ESYNTAX" },
	{ "two dots in local part", S("<a..b@example.com>"), 0, "ESYNTAX" },
	{ "leading dot in local part", S("<.a@example.com>"), 0, "ESYNTAX" },
	{ "trailing dot in local part", S("<a.@example.com>"), 0, "ESYNTAX" },
	{ "empty local part", S("<@example.com>"), 0, "ESYNTAX" },
	{ "hostile local ../../x", S("<../../x@example.com>"), 0, "ESYNTAX" },
	{ "hostile local a/b is legal", S("<a/b@example.com>"), 0,
	    "a/b@example.com|a/b|a/b|example.com|-|17" },
	{ "hostile quoted ../../x kept quoted", S("<\"../../x\"@example.com>"),
	    0, "\"../../x\"@example.com|\"../../x\"|../../x|example.com|Q|23" },
	{ "hostile domain ..", S("<joe@..>"), 0, "ESYNTAX" },
	{ "hostile domain ../x", S("<joe@../x>"), 0, "ESYNTAX" },
	{ "hostile domain a/b", S("<joe@a/b>"), 0, "ESYNTAX" },
	{ "hostile shell", S("<;sleep 66;>"), 0, "ESYNTAX" },
};

/* Bare mailboxes (envelope records): addr_parse_mailbox. */
static const struct pcase mailboxes[] = {
	{ "mailbox", S("joe@example.com"), 0,
	    "joe@example.com|joe|joe|example.com|-|-" },
	{ "mailbox case", S("Joe@EXAMPLE.com"), 0,
	    "Joe@example.com|Joe|Joe|example.com|-|-" },
	{ "null sender allowed", S(""), ADDR_NULL_OK, "||||N|-" },
	{ "null sender refused", S(""), 0, "ENULL" },
	{ "brackets are not a mailbox", S("<joe@example.com>"), 0, "ESYNTAX" },
	{ "trailing >", S("joe@example.com>"), 0, "ESYNTAX" },
	{ "trailing space", S("joe@example.com "), 0, "ESYNTAX" },
	{ "trailing NUL", S("joe@example.com\0"), 0, "ESYNTAX" },
	{ "NUL in local part", S("jo\0e@example.com"), 0, "ESYNTAX" },
	{ "no domain", S("joe"), 0, "ENODOMAIN" },
	{ "postmaster", S("postmaster"), ADDR_NODOMAIN_OK,
	    "postmaster|postmaster|postmaster||-|-" },
	{ "quoted", S("\"a b\"@example.com"), 0,
	    "\"a b\"@example.com|\"a b\"|a b|example.com|Q|-" },
	{ "double at", S("a@b@example.com"), 0, "ESYNTAX" },
	{ "percent", S("a%b@example.com"), 0,
	    "a%b@example.com|a%b|a%b|example.com|H|-" },
	{ "literal", S("a@[192.0.2.1]"), 0,
	    "a@[192.0.2.1]|a|a|[192.0.2.1]|L|-" },
	{ "trailing dot", S("a@example.com."), 0,
	    "a@example.com|a|a|example.com|-|-" },
	{ "8-bit", S("\xff@example.com"), 0, "E8BIT" },
};

/*
 * Long inputs, built by expand(): "{c*N}" stands for N copies of c. The
 * domain D255 has four 63-octet labels; D189 and D190 make a path of
 * exactly 256 and 257 octets with a 64-octet local part.
 */
#define L63(c)	"{" c "*63}"
#define D255	L63("a") "." L63("b") "." L63("c") "." L63("d")
#define D256	L63("a") "." L63("b") "." L63("c") ".{d*62}.e"
#define D189	L63("a") "." L63("b") ".{c*61}"
#define D190	L63("a") "." L63("b") ".{c*62}"

struct lcase {
	const char	*label;
	int		 mailbox;	/* addr_parse_mailbox, else _path */
	const char	*spec;
	int		 opts;
	const char	*want;		/* error name, or "OK len=N" */
};

static const struct lcase longs[] = {
	{ "local part of 64", 0, "<{a*64}@example.com>", 0, "OK len=76" },
	{ "local part of 65", 0, "<{a*65}@example.com>", 0, "ELONGLOCAL" },
	{ "local part of 65, lax", 0, "<{a*65}@example.com>", ADDR_LAX_LOCAL,
	    "OK len=77" },
	{ "quoted local of 64", 0, "<\"{a*60} b\"@example.com>", 0,
	    "OK len=76" },
	{ "quoted local of 65", 0, "<\"{a*61} b\"@example.com>", 0,
	    "ELONGLOCAL" },
	{ "label of 63", 0, "<joe@" L63("a") ".com>", 0, "OK len=71" },
	{ "label of 64", 0, "<joe@{a*64}.com>", 0, "ELONGDOMAIN" },
	{ "last label of 64", 0, "<joe@com.{a*64}>", 0, "ELONGDOMAIN" },
	{ "domain of 256", 0, "<j@" D256 ">", 0, "ELONGDOMAIN" },
	{ "domain of 255 overflows the path", 0, "<j@" D255 ">", 0,
	    "ELONGPATH" },
	{ "path of 256", 0, "<{j*64}@" D189 ">", 0, "OK len=254" },
	{ "path of 257", 0, "<{j*64}@" D190 ">", 0, "ELONGPATH" },
	{ "path of 257 through a route", 0,
	    "<@r.example:{j*54}@" D189 ">", 0, "ELONGPATH" },
	{ "path of 256 through a route", 0,
	    "<@r.example:{j*53}@" D189 ">", 0, "OK len=243" },
	{ "300-byte local part", 0, "<{a*300}@example.com>", 0,
	    "ELONGPATH" },
	{ "300-byte local part, lax", 0, "<{a*300}@example.com>",
	    ADDR_LAX_LOCAL, "ELONGPATH" },
	{ "300-byte quoted local part", 0, "<\"{a*300}\"@example.com>",
	    ADDR_LAX_LOCAL, "ELONGPATH" },
	{ "300-byte domain label", 0, "<a@{b*300}>", 0, "ELONGDOMAIN" },
	{ "300-byte domain", 0,
	    "<a@" D255 ".{e*44}>", 0, "ELONGDOMAIN" },
	{ "300-byte literal", 0, "<a@[{1*300}]>", 0, "ESYNTAX" },
	{ "300 <", 0, "{<*300}", 0, "ESYNTAX" },
	{ "300 dots", 0, "<{.*300}@example.com>", 0, "ELONGPATH" },
	{ "300-byte route", 0, "<@" D255 ",@{r*40}:a@b.example>", 0,
	    "ELONGPATH" },
	{ "mailbox of 255", 1, "{j*64}@" D190, 0, "OK len=255" },
	{ "mailbox of 256, lax", 1, "{j*65}@" D190, ADDR_LAX_LOCAL,
	    "OK len=256" },
	{ "mailbox of 257, lax", 1, "{j*66}@" D190, ADDR_LAX_LOCAL,
	    "ELONGPATH" },
	{ "mailbox of 300", 1, "{j*200}@" L63("a") ".{b*35}", ADDR_LAX_LOCAL,
	    "ELONGPATH" },
};

/* Domains alone: addr_domain_valid. */
static const struct pcase domains[] = {
	{ "domain", S("example.com"), 0, "OK" },
	{ "one label", S("localhost"), 0, "OK" },
	{ "digits", S("192.0.2.1"), 0, "OK" },
	{ "uppercase is valid here", S("EXAMPLE.com"), 0, "OK" },
	{ "IDN A-label", S("xn--bcher-kva.example"), 0, "OK" },
	{ "empty", S(""), 0, "ESYNTAX" },
	{ "trailing dot is not stripped here", S("example.com."), 0,
	    "ESYNTAX" },
	{ "leading dot", S(".example.com"), 0, "ESYNTAX" },
	{ "double dot", S("a..b"), 0, "ESYNTAX" },
	{ "leading hyphen", S("-a.b"), 0, "ESYNTAX" },
	{ "trailing hyphen", S("a.b-"), 0, "ESYNTAX" },
	{ "hyphen before dot", S("a-.b"), 0, "ESYNTAX" },
	{ "underscore", S("a_b.c"), 0, "ESYNTAX" },
	{ "slash", S("a/b"), 0, "ESYNTAX" },
	{ "dotdot slash", S("../x"), 0, "ESYNTAX" },
	{ "8-bit", S("b\xc3\xbc" "cher.example"), 0, "E8BIT" },
	{ "NUL inside", S("exa\0mple.com"), 0, "ESYNTAX" },
	{ "NUL at end", S("example.com\0"), 0, "ESYNTAX" },
	{ "space", S("example .com"), 0, "ESYNTAX" },
};

struct dlong {
	const char	*label;
	const char	*spec;
	const char	*want;
};

static const struct dlong dlongs[] = {
	{ "label of 63", L63("a") ".com", "OK" },
	{ "label of 64", "{a*64}.com", "ELONGDOMAIN" },
	{ "domain of 255", D255, "OK" },
	{ "domain of 256", D256, "ELONGDOMAIN" },
	{ "domain of 300", "{a*60}.{b*60}.{c*60}.{d*60}.{e*56}",
	    "ELONGDOMAIN" },
};

/* expand - spec with each "{c*N}" replaced by N copies of c. */
static size_t
expand(char *dst, size_t size, const char *spec)
{
	size_t	n = 0;
	char	c;
	char	*end;
	long	k;

	while (*spec) {
		if (spec[0] == '{' && spec[1] && spec[2] == '*') {
			c = spec[1];
			k = strtol(spec + 3, &end, 10);
			spec = end + 1;		/* past the '}' */
			while (k-- > 0 && n + 1 < size)
				dst[n++] = c;
		} else if (n + 1 < size)
			dst[n++] = *spec++;
	}
	dst[n] = '\0';
	return n;
}

static void
flagstr(char *dst, const struct addr *a)
{
	char	*p = dst;

	if (a->flags & ADDR_F_NULL)
		*p++ = 'N';
	if (a->flags & ADDR_F_QUOTED)
		*p++ = 'Q';
	if (a->flags & ADDR_F_ROUTE)
		*p++ = 'R';
	if (a->flags & ADDR_F_LITERAL)
		*p++ = 'L';
	if (addr_has_routing(a))
		*p++ = 'H';
	if (p == dst)
		*p++ = '-';
	*p = '\0';
}

/* render - one line for a result: the error, or every field. */
static void
render(char *dst, size_t size, int r, const struct addr *a, long used)
{
	char	f[8], u[24];

	if (r != ADDR_OK) {
		snprintf(dst, size, "%s", r > 0 && r <= ADDR_ENULL ?
		    errname[r] : "unknown error");
		return;
	}
	flagstr(f, a);
	if (used < 0)
		snprintf(u, sizeof(u), "-");
	else
		snprintf(u, sizeof(u), "%ld", used);
	snprintf(dst, size, "%s|%s|%s|%s|%s|%s", a->full, a->local, a->plain,
	    a->domain, f, u);
}

static void
test_table(const struct pcase *t, size_t n, int mailbox)
{
	struct addr	a;
	char		got[1200];
	size_t		i, used;
	int		r;

	for (i = 0; i < n; i++) {
		used = 0;
		if (mailbox)
			r = addr_parse_mailbox(t[i].in, t[i].len, t[i].opts,
			    &a);
		else
			r = addr_parse_path(t[i].in, t[i].len, t[i].opts, &a,
			    &used);
		render(got, sizeof(got), r, &a, mailbox ? -1 : (long)used);
		ok_str(got, t[i].want, "%s %s", mailbox ? "mailbox" : "path",
		    t[i].label);
	}
}

static void
test_longs(void)
{
	struct addr	a;
	char		in[1024], got[64];
	size_t		i, n, used;
	int		r;

	for (i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
		n = expand(in, sizeof(in), longs[i].spec);
		if (longs[i].mailbox)
			r = addr_parse_mailbox(in, n, longs[i].opts, &a);
		else
			r = addr_parse_path(in, n, longs[i].opts, &a, &used);
		if (r == ADDR_OK)
			snprintf(got, sizeof(got), "OK len=%zu",
			    strlen(a.full));
		else
			render(got, sizeof(got), r, &a, 0);
		ok_str(got, longs[i].want, "long: %s (%zu bytes)",
		    longs[i].label, n);
	}
}

static void
test_domains(void)
{
	char	in[1024];
	size_t	i, n;
	int	r;

	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		r = addr_domain_valid(domains[i].in, domains[i].len);
		ok_str(r >= 0 && r <= ADDR_ENULL ? errname[r] : "?",
		    domains[i].want, "domain %s", domains[i].label);
	}
	for (i = 0; i < sizeof(dlongs) / sizeof(dlongs[0]); i++) {
		n = expand(in, sizeof(in), dlongs[i].spec);
		r = addr_domain_valid(in, n);
		ok_str(r >= 0 && r <= ADDR_ENULL ? errname[r] : "?",
		    dlongs[i].want, "domain %s (%zu bytes)", dlongs[i].label,
		    n);
	}
}

/* A reused struct addr carries nothing over from the previous parse. */
static void
test_reuse(void)
{
	struct addr	a;
	size_t		used;

	addr_parse_path(S("<@[192.0.2.1]:\"a b\"@x.example>"), 0, &a, &used);
	ok(addr_parse_path(S("<>"), ADDR_NULL_OK, &a, &used) == ADDR_OK &&
	    a.flags == ADDR_F_NULL && a.full[0] == '\0' && a.local[0] == '\0' &&
	    a.plain[0] == '\0' && a.domain[0] == '\0',
	    "reuse: <> after a quoted, routed path leaves nothing behind");
	ok(addr_parse_path(S("<joe@x>"), 0, &a, &used) == ADDR_OK &&
	    a.flags == 0, "reuse: flags cleared");
	addr_parse_path(S("<\"x y\"@b.example"), 0, &a, &used);
	ok(addr_parse_mailbox(S("joe@x"), 0, &a) == ADDR_OK && a.flags == 0 &&
	    strcmp(a.full, "joe@x") == 0,
	    "reuse: a failed quoted parse leaves no flag behind");
}

static void
test_strerror(void)
{
	int	e;

	for (e = ADDR_OK; e <= ADDR_ENULL; e++)
		ok(addr_strerror(e) != NULL && *addr_strerror(e) != '\0',
		    "addr_strerror(%s) is a message", errname[e]);
	ok_str(addr_strerror(99), "address error", "addr_strerror(unknown)");
}

int
main(void)
{
	test_table(paths, sizeof(paths) / sizeof(paths[0]), 0);
	test_table(mailboxes, sizeof(mailboxes) / sizeof(mailboxes[0]), 1);
	test_longs();
	test_domains();
	test_reuse();
	test_strerror();
	return done();
}
