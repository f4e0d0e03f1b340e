/*
 * t_envelope.c - envelope.c: env_format writes exactly the stored text,
 * env_parse reads it back field for field, and env_parse refuses every
 * malformed envelope (a table of texts, each with explicit length so
 * that NUL bytes are really in them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "../tap.h"

#define S(x)	(x), sizeof(x) - 1

static const char full_text[] =
    "V 1\n"
    "A 1700000000\n"
    "L 123456\n"
    "D example.com\n"
    "S sender@example.org\n"
    "E abc+2Bdef\n"
    "R HDRS\n"
    "B 8BITMIME\n"
    "I 192.0.2.1\n"
    "H mx.example.net\n"
    "U \n"
    "Z \n"
    "W 1700086400\n"
    "T u1@example.com\n"
    "N SUCCESS,FAILURE\n"
    "O rfc822;u1@example.com\n"
    "T u2@example.com\n"
    "T \"a b\"@example.com\n"
    "N NEVER\n";

/* full - an envelope with every field set, for the round trip. */
static void
full(struct envelope *e, char **rcpt)
{
	env_init(e);
	e->arrival = 1700000000;
	e->size = 123456;
	e->domain = "example.com";
	e->sender = "sender@example.org";
	e->envid = "abc+2Bdef";
	e->ret = "HDRS";
	e->body = "8BITMIME";
	e->client = "192.0.2.1";
	e->helo = "mx.example.net";
	e->smtputf8 = 1;
	e->zlib = 1;
	e->warned = 1700086400;
	env_add_rcpt(e, rcpt[0]);
	e->rcpt[0].notify = "SUCCESS,FAILURE";
	e->rcpt[0].orcpt = "rfc822;u1@example.com";
	env_add_rcpt(e, rcpt[1]);
	env_add_rcpt(e, rcpt[2]);
	e->rcpt[2].notify = "NEVER";
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
same_env(const struct envelope *a, const struct envelope *b)
{
	size_t	i;

	if (a->arrival != b->arrival || a->size != b->size ||
	    a->smtputf8 != b->smtputf8 || a->zlib != b->zlib ||
	    a->warned != b->warned ||
	    a->nrcpt != b->nrcpt || !same(a->domain, b->domain) ||
	    !same(a->sender, b->sender) || !same(a->envid, b->envid) ||
	    !same(a->ret, b->ret) || !same(a->body, b->body) ||
	    !same(a->client, b->client) || !same(a->helo, b->helo))
		return 0;
	for (i = 0; i < a->nrcpt; i++)
		if (!same(a->rcpt[i].addr, b->rcpt[i].addr) ||
		    !same(a->rcpt[i].notify, b->rcpt[i].notify) ||
		    !same(a->rcpt[i].orcpt, b->rcpt[i].orcpt))
			return 0;
	return 1;
}

static void
test_round_trip(void)
{
	char		 r0[] = "u1@example.com", r1[] = "u2@example.com";
	char		 r2[] = "\"a b\"@example.com";
	char		*rcpt[] = { r0, r1, r2 };
	struct envelope	 e, p;
	struct buf	 b, b2;
	char		*text;

	full(&e, rcpt);
	buf_init(&b, ENV_MAX);
	ok(env_format(&e, &b) == 0, "env_format: every field");
	ok_str(b.p, full_text, "env_format: the exact text");
	if ((text = malloc(b.len + 1)) == NULL)
		abort();
	memcpy(text, b.p, b.len + 1);
	ok(env_parse(&p, text, b.len) == 0, "env_parse: formatted text");
	ok(same_env(&e, &p), "env_parse: every field comes back");
	ok(p.nrcpt == 3 && strcmp(p.rcpt[2].addr, "\"a b\"@example.com") == 0 &&
	    p.rcpt[1].notify == NULL && p.rcpt[1].orcpt == NULL,
	    "env_parse: recipients and their DSN fields in order");
	buf_init(&b2, ENV_MAX);
	ok(env_format(&p, &b2) == 0 && b2.len == b.len &&
	    memcmp(b.p, b2.p, b.len) == 0, "env_format: parse, format: same");
	env_free(&p);
	env_free(&e);
	buf_free(&b);
	buf_free(&b2);
	free(text);
}

static void
test_null_sender(void)
{
	char		 r0[] = "u@example.com";
	struct envelope	 e, p;
	struct buf	 b;

	env_init(&e);
	e.arrival = 1;
	e.domain = "example.com";
	e.sender = "";
	env_add_rcpt(&e, r0);
	buf_init(&b, ENV_MAX);
	ok(env_format(&e, &b) == 0, "env_format: null sender");
	ok_str(b.p, "V 1\nA 1\nL 0\nD example.com\nS \nT u@example.com\n",
	    "env_format: null sender, minimal fields");
	ok(env_parse(&p, b.p, b.len) == 0 && same_env(&e, &p) &&
	    p.sender[0] == '\0' && p.envid == NULL && p.zlib == 0,
	    "env_parse: null sender round trip");
	env_free(&p);
	e.sender = NULL;
	buf_free(&b);
	buf_init(&b, ENV_MAX);
	ok(env_format(&e, &b) == 0 && strstr(b.p, "\nS \n") != NULL,
	    "env_format: NULL sender written as the null sender");
	buf_free(&b);
	e.helo = "evil\nT x@example.com";
	buf_init(&b, ENV_MAX);
	errno = 0;
	ok(env_format(&e, &b) == -1 && errno == EINVAL,
	    "env_format: refuses a newline in a value");
	buf_free(&b);
	env_free(&e);
}

struct pcase {
	const char	*label;
	const char	*text;
	size_t		 len;
	int		 want;
};

#define HEAD	"V 1\nA 1700000000\n"
#define BASE	HEAD "D example.com\nS a@example.org\nT u@example.com\n"

static const struct pcase parses[] = {
	{ "minimal", S(BASE), 0 },
	{ "fields in another order", S("V 1\nT u@example.com\nS a@b.org\n"
	    "D example.com\nA 5\n"), 0 },
	{ "null sender", S(HEAD "D example.com\nS \nT u@example.com\n"), 0 },
	{ "DSN fields", S(BASE "N NEVER\nO rfc822;u@example.com\n"), 0 },
	{ "flags U and Z", S(BASE "U \nZ \n"), 0 },
	{ "delay warning W", S(BASE "W 1700086400\n"), 0 },
	{ "W before the recipients", S(HEAD "D example.com\nS a@b.org\n"
	    "W 1\nT u@example.com\n"), 0 },
	{ "quoted recipient", S(HEAD "D example.com\nS a@b.org\n"
	    "T \"x y\"@example.com\n"), 0 },
	{ "long local part sender", S(HEAD "D example.com\n"
	    "S aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa@b.org\nT u@example.com\n"), 0 },
	{ "IPv4 literal domain", S(HEAD "D [192.0.2.1]\nS a@b.org\n"
	    "T u@[192.0.2.1]\n"), 0 },
	{ "IPv6 literal domain, lowercase", S(HEAD "D [ipv6:::1]\nS a@b.org\n"
	    "T u@[ipv6:::1]\n"), 0 },
	{ "empty text", S(""), -1 },
	{ "only a newline", S("\n"), -1 },
	{ "missing V line", S("A 1700000000\nD example.com\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "V line not first", S("A 1700000000\nV 1\nD example.com\n"
	    "S a@b.org\nT u@example.com\n"), -1 },
	{ "wrong version", S("V 2\nA 1700000000\nD example.com\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "version with a space", S("V 1 \nA 1700000000\nD example.com\n"
	    "S a@b.org\nT u@example.com\n"), -1 },
	{ "version 01", S("V 01\nA 1700000000\nD example.com\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "V twice", S("V 1\n" BASE), -1 },
	{ "unknown key", S(BASE "X foo\n"), -1 },
	{ "lowercase key", S(BASE "h mx.example\n"), -1 },
	{ "no space after key", S(BASE "Hmx.example\n"), -1 },
	{ "key alone", S(BASE "H\n"), -1 },
	{ "empty line", S(BASE "\n"), -1 },
	{ "tab in a value", S(BASE "H a\tb\n"), -1 },
	{ "CR in a value", S(BASE "H mx.example\r\n"), -1 },
	{ "DEL in a value", S(BASE "H a\x7f\n"), -1 },
	{ "8-bit value", S(BASE "H \xc3\xa9\n"), -1 },
	{ "NUL in a value", S(BASE "H mx\0T x@evil.example\n"), -1 },
	{ "NUL in the domain", S(HEAD "D example.com\0../x\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "NUL as the key", S(BASE "\0 x\n"), -1 },
	{ "N before any T", S(HEAD "D example.com\nS a@b.org\nN NEVER\n"
	    "T u@example.com\n"), -1 },
	{ "O before any T", S(HEAD "D example.com\nS a@b.org\n"
	    "O rfc822;a@b\nT u@example.com\n"), -1 },
	{ "two N for one T", S(BASE "N NEVER\nN SUCCESS\n"), -1 },
	{ "two O for one T", S(BASE "O rfc822;a@b\nO rfc822;c@d\n"), -1 },
	{ "missing D", S(HEAD "S a@b.org\nT u@example.com\n"), -1 },
	{ "missing S", S(HEAD "D example.com\nT u@example.com\n"), -1 },
	{ "missing T", S(HEAD "D example.com\nS a@b.org\n"), -1 },
	{ "missing A", S("V 1\nD example.com\nS a@b.org\nT u@example.com\n"),
	    -1 },
	{ "arrival 0", S("V 1\nA 0\nD example.com\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "negative arrival", S("V 1\nA -5\nD example.com\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "arrival not a number", S("V 1\nA 12x\nD example.com\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "arrival past INT64_MAX", S("V 1\nA 9223372036854775808\n"
	    "D example.com\nS a@b.org\nT u@example.com\n"), -1 },
	{ "size not a number", S(BASE "L 1k\n"), -1 },
	{ "U with a value", S(BASE "U yes\n"), -1 },
	{ "Z with a value", S(BASE "Z 1\n"), -1 },
	{ "W twice", S(BASE "W 1700086400\nW 1700086401\n"), -1 },
	{ "W twice, same time", S(BASE "W 5\nW 5\n"), -1 },
	{ "W empty", S(BASE "W \n"), -1 },
	{ "W 0", S(BASE "W 0\n"), -1 },
	{ "W negative", S(BASE "W -1700086400\n"), -1 },
	{ "W not a number", S(BASE "W 17000864OO\n"), -1 },
	{ "W with a space after", S(BASE "W 1700086400 \n"), -1 },
	{ "W past INT64_MAX", S(BASE "W 9223372036854775808\n"), -1 },
	{ "lowercase w", S(BASE "w 1700086400\n"), -1 },
	{ "bad recipient", S(HEAD "D example.com\nS a@b.org\n"
	    "T not an address\n"), -1 },
	{ "recipient with double @", S(HEAD "D example.com\nS a@b.org\n"
	    "T a@b@example.com\n"), -1 },
	{ "null recipient", S(HEAD "D example.com\nS a@b.org\nT \n"), -1 },
	{ "recipient in brackets", S(HEAD "D example.com\nS a@b.org\n"
	    "T <u@example.com>\n"), -1 },
	{ "bad sender", S(HEAD "D example.com\nS ;sleep 66;\n"
	    "T u@example.com\n"), -1 },
	{ "8-bit sender", S(HEAD "D example.com\nS \xc3\xa9@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "uppercase domain", S(HEAD "D Example.com\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "domain with trailing dot", S(HEAD "D example.com.\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "empty domain", S(HEAD "D \nS a@b.org\nT u@example.com\n"), -1 },
	{ "domain ../x", S(HEAD "D ../x\nS a@b.org\nT u@example.com\n"), -1 },
	{ "domain a/b", S(HEAD "D a/b\nS a@b.org\nT u@example.com\n"), -1 },
	{ "domain ..", S(HEAD "D ..\nS a@b.org\nT u@example.com\n"), -1 },
	{ "domain .", S(HEAD "D .\nS a@b.org\nT u@example.com\n"), -1 },
	{ "uppercase literal", S(HEAD "D [IPv6:::1]\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "literal with a slash", S(HEAD "D [x:a/b]\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "literal with text after", S(HEAD "D [192.0.2.1]x\nS a@b.org\n"
	    "T u@example.com\n"), -1 },
	{ "no trailing newline", S(HEAD "D example.com\nS a@b.org\n"
	    "T u@example.com"), -1 },
	{ "CR LF lines", S("V 1\r\nA 1700000000\r\nD example.com\r\n"
	    "S a@b.org\r\nT u@example.com\r\n"), -1 },
};

static void
test_parse(void)
{
	struct envelope	 e;
	char		*text;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		/* a private copy: env_parse cuts lines in place */
		if ((text = malloc(parses[i].len + 1)) == NULL)
			abort();
		memcpy(text, parses[i].text, parses[i].len + 1);
		errno = 0;
		r = env_parse(&e, text, parses[i].len);
		ok(r == parses[i].want && (r == 0 || errno == EINVAL),
		    "env_parse: %s", parses[i].label);
		if (r == -1)
			ok(e.nrcpt == 0 && e.rcpt == NULL && e.domain == NULL,
			    "env_parse: %s leaves an empty envelope",
			    parses[i].label);
		env_free(&e);
		free(text);
	}
}

/* What the parse of the minimal text gives, field by field. */
static void
test_fields(void)
{
	char		text[] = BASE "L 42\nI 192.0.2.9\n";
	struct envelope	e;

	ok(env_parse(&e, text, sizeof(text) - 1) == 0 &&
	    e.arrival == 1700000000 && e.size == 42 &&
	    strcmp(e.domain, "example.com") == 0 &&
	    strcmp(e.sender, "a@example.org") == 0 && e.nrcpt == 1 &&
	    strcmp(e.rcpt[0].addr, "u@example.com") == 0 &&
	    strcmp(e.client, "192.0.2.9") == 0 && e.helo == NULL &&
	    e.envid == NULL && e.ret == NULL && e.body == NULL &&
	    e.smtputf8 == 0 && e.zlib == 0 && e.warned == 0,
	    "env_parse: minimal fields");
	env_free(&e);
}

/* W: the time of the delay warning, read back and written once. */
static void
test_warned(void)
{
	char		text[] = BASE "W 1700086400\n";
	struct envelope	e;
	struct buf	b;

	ok(env_parse(&e, text, sizeof(text) - 1) == 0 &&
	    e.warned == 1700086400, "env_parse: W gives the warning time");
	buf_init(&b, ENV_MAX);
	ok(env_format(&e, &b) == 0 && strstr(b.p, "\nW 1700086400\n") != NULL &&
	    strstr(strstr(b.p, "\nW ") + 1, "\nW ") == NULL,
	    "env_format: one W line");
	buf_free(&b);
	e.warned = 0;
	buf_init(&b, ENV_MAX);
	ok(env_format(&e, &b) == 0 && strstr(b.p, "\nW ") == NULL,
	    "env_format: no W line for a message not warned");
	buf_free(&b);
	env_free(&e);
}

struct dcase {
	const char	*in;
	int		 want;
};

static const struct dcase domains[] = {
	{ "example.com", 1 },
	{ "a", 1 },
	{ "xn--bcher-kva.example", 1 },
	{ "[192.0.2.1]", 1 },
	{ "[ipv6:2001:db8::1]", 1 },
	{ "", 0 },
	{ "Example.com", 0 },
	{ "EXAMPLE.COM", 0 },
	{ ".", 0 },
	{ "..", 0 },
	{ "../x", 0 },
	{ "a/b", 0 },
	{ "/etc", 0 },
	{ "example.com.", 0 },
	{ "a b", 0 },
	{ "[IPv6:::1]", 0 },
	{ "[1.2.3]", 0 },
	{ "[x:../../y]", 0 },
	{ "[192.0.2.1", 0 },
	{ "[]", 0 },
};

static void
test_domains(void)
{
	size_t	i;

	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		ok(env_domain_ok(domains[i].in) == domains[i].want,
		    "env_domain_ok(\"%s\") is %d", domains[i].in,
		    domains[i].want);
	ok(env_value_ok("printable ~!") && !env_value_ok("a\tb") &&
	    !env_value_ok("\x7f") && !env_value_ok("\x80") && env_value_ok(""),
	    "env_value_ok: printable ASCII only");
}

/* env_add_rcpt grows the array and stops at ENV_RCPT_MAX. */
static void
test_rcpt_max(void)
{
	struct envelope	e;
	char		addr[] = "u@example.com";
	size_t		i;
	int		r = 0;

	env_init(&e);
	for (i = 0; i < ENV_RCPT_MAX && r == 0; i++)
		r = env_add_rcpt(&e, addr);
	ok(r == 0 && e.nrcpt == ENV_RCPT_MAX, "env_add_rcpt: %d recipients",
	    ENV_RCPT_MAX);
	errno = 0;
	ok(env_add_rcpt(&e, addr) == -1 && errno == E2BIG &&
	    e.nrcpt == ENV_RCPT_MAX, "env_add_rcpt: one more is E2BIG");
	env_free(&e);
}

int
main(void)
{
	test_round_trip();
	test_null_sender();
	test_parse();
	test_fields();
	test_warned();
	test_domains();
	test_rcpt_max();
	return done();
}
