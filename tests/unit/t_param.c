/*
 * t_param.c - param.c: the ESMTP parameter tokenizer and the value
 * syntaxes (SIZE, xtext, NOTIFY, ORCPT). Each parameter list is run to
 * its end and rendered as "KEY=val|KEY;END" (or ";ERR" where the
 * tokenizer refused), so a table row states every token exactly.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "param.h"
#include "../tap.h"

#define S(x)	(x), sizeof(x) - 1

struct scase {
	const char	*label;
	const char	*in;
	size_t		 len;
	const char	*want;
};

static const struct scase lists[] = {
	{ "empty", S(""), ";END" },
	{ "only spaces", S("   "), ";END" },
	{ "one with value", S("SIZE=100"), "SIZE=100;END" },
	{ "keyword alone", S("SMTPUTF8"), "SMTPUTF8;END" },
	{ "two", S("SIZE=100 BODY=8BITMIME"), "SIZE=100|BODY=8BITMIME;END" },
	{ "extra spaces", S("  SIZE=100   BODY=7BIT  "),
	    "SIZE=100|BODY=7BIT;END" },
	{ "hyphen in keyword", S("X-FOO=bar"), "X-FOO=bar;END" },
	{ "digit keyword", S("9X=1"), "9X=1;END" },
	{ "ORCPT value", S("ORCPT=rfc822;a+2Bb@example.com"),
	    "ORCPT=rfc822;a+2Bb@example.com;END" },
	{ "value edges ! ~ < >", S("A=!~<>"), "A=!~<>;END" },
	{ "empty value", S("SIZE="), ";ERR" },
	{ "empty value, more follow", S("SIZE= BODY=7BIT"), ";ERR" },
	{ "trailing = after good one", S("SIZE=1 BODY="), "SIZE=1;ERR" },
	{ "= in value", S("SIZE=1=2"), ";ERR" },
	{ "== value", S("SIZE=="), ";ERR" },
	{ "no keyword", S("=5"), ";ERR" },
	{ "no keyword second", S("SIZE=10 =5"), "SIZE=10;ERR" },
	{ "keyword starts with hyphen", S("-X=1"), ";ERR" },
	{ "underscore in keyword", S("SI_ZE=1"), ";ERR" },
	{ "tab separator", S("SIZE=1\tBODY=7BIT"), ";ERR" },
	{ "tab in value", S("SIZE=\t1"), ";ERR" },
	{ "DEL in value", S("ENVID=a\x7f"), ";ERR" },
	{ "CR LF after value", S("SIZE=1\r\n"), ";ERR" },
	{ "8-bit value", S("ENVID=\xc3\xa9"), ";ERR" },
	{ "8-bit keyword", S("\xc3\xa9=1"), ";ERR" },
	{ "8-bit inside keyword", S("S\xc3\xa9=1"), ";ERR" },
	{ "NUL in value", S("ENVID=a\0b"), ";ERR" },
	{ "NUL after value", S("SIZE=1\0"), ";ERR" },
	{ "NUL as separator", S("SIZE=1\0BODY=7BIT"), ";ERR" },
	{ "NUL keyword", S("\0"), ";ERR" },
	{ "quotes are plain bytes", S("ENVID=\"a\""), "ENVID=\"a\";END" },
	{ "space inside a value ends it", S("ENVID=a b"), "ENVID=a|b;END" },
};

/* run - param_next over the whole list, rendered. */
static void
run(const char *in, size_t len, char *dst, size_t size)
{
	struct param	pa;
	const char	*p = in, *end = in + len;
	size_t		n = 0;
	int		r;

	dst[0] = '\0';
	while ((r = param_next(&p, end, &pa)) == 1) {
		n += snprintf(dst + n, size - n, "%s%.*s", n ? "|" : "",
		    (int)pa.klen, pa.key);
		if (pa.val)
			n += snprintf(dst + n, size - n, "=%.*s", (int)pa.vlen,
			    pa.val);
		if (n >= size)
			return;
	}
	snprintf(dst + n, size - n, "%s", r == 0 ? ";END" : ";ERR");
}

static void
test_lists(void)
{
	char	got[256];
	size_t	i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		run(lists[i].in, lists[i].len, got, sizeof(got));
		ok_str(got, lists[i].want, "param_next: %s", lists[i].label);
	}
}

/* param_next leaves the cursor at the end after the last token. */
static void
test_cursor(void)
{
	static const char	in[] = "SIZE=1  ";
	struct param		pa;
	const char		*p = in;

	ok(param_next(&p, in + 8, &pa) == 1 && p == in + 6 &&
	    pa.klen == 4 && pa.vlen == 1, "param_next: cursor after value");
	ok(param_next(&p, in + 8, &pa) == 0 && p == in + 8,
	    "param_next: cursor at end after trailing spaces");
	p = in;
	ok(param_next(&p, in + 3, &pa) == 1 && pa.klen == 3 &&
	    pa.val == NULL, "param_next: end bounds the keyword");
}

struct iscase {
	const char	*label;
	const char	*in;
	const char	*name;
	int		 want;
};

static const struct iscase iss[] = {
	{ "same case", "SIZE=1", "SIZE", 1 },
	{ "lower case", "size=1", "SIZE", 1 },
	{ "no value", "SMTPUTF8", "smtputf8", 1 },
	{ "prefix", "SIZ=1", "SIZE", 0 },
	{ "longer", "SIZEX=1", "SIZE", 0 },
	{ "empty name", "SIZE=1", "", 0 },
};

struct valcase {
	const char	*label;
	const char	*in;
	const char	*val;
	int		 want;
};

static const struct valcase vals[] = {
	{ "value case-insensitive", "BODY=8bitmime", "8BITMIME", 1 },
	{ "value differs", "BODY=7BIT", "8BITMIME", 0 },
	{ "value prefix", "BODY=8BIT", "8BITMIME", 0 },
	{ "no value", "BODY", "", 0 },
};

static void
test_is(void)
{
	struct param	pa;
	const char	*p;
	size_t		i;

	for (i = 0; i < sizeof(iss) / sizeof(iss[0]); i++) {
		p = iss[i].in;
		ok(param_next(&p, p + strlen(p), &pa) == 1 &&
		    param_is(&pa, iss[i].name) == iss[i].want,
		    "param_is: %s", iss[i].label);
	}
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		p = vals[i].in;
		ok(param_next(&p, p + strlen(p), &pa) == 1 &&
		    param_val_is(&pa, vals[i].val) == vals[i].want,
		    "param_val_is: %s", vals[i].label);
	}
}

static const struct scase sizes[] = {
	{ "zero", S("0"), "0" },
	{ "one", S("1"), "1" },
	{ "50 MB", S("52428800"), "52428800" },
	{ "leading zeros, 20 digits", S("00000000000000000001"), "1" },
	{ "2^63, the largest", S("9223372036854775808"),
	    "9223372036854775808" },
	{ "2^63 + 1", S("9223372036854775809"), "ERR" },
	{ "2^64 - 1", S("18446744073709551615"), "ERR" },
	{ "2^64", S("18446744073709551616"), "ERR" },
	{ "twenty nines", S("99999999999999999999"), "ERR" },
	{ "21 digits", S("000000000000000000001"), "ERR" },
	{ "empty", S(""), "ERR" },
	{ "letters", S("abc"), "ERR" },
	{ "digits then letter", S("12a"), "ERR" },
	{ "minus", S("-1"), "ERR" },
	{ "plus", S("+1"), "ERR" },
	{ "leading space", S(" 1"), "ERR" },
	{ "trailing space", S("1 "), "ERR" },
	{ "NUL inside", S("1\0002"), "ERR" },
	{ "hex", S("0x10"), "ERR" },
};

static void
test_size(void)
{
	char		got[32];
	uint64_t	v;
	size_t		i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		v = 12345;
		if (size_parse(sizes[i].in, sizes[i].len, &v) == 0)
			snprintf(got, sizeof(got), "%" PRIu64, v);
		else if (v != 12345)
			snprintf(got, sizeof(got), "ERR but wrote %" PRIu64, v);
		else
			snprintf(got, sizeof(got), "ERR");
		ok_str(got, sizes[i].want, "size_parse: %s", sizes[i].label);
	}
}

struct vcase {
	const char	*label;
	const char	*in;
	size_t		 len;
	int		 want;
};

static const struct vcase xtexts[] = {
	{ "plain", S("abc"), 1 },
	{ "edges ! and ~", S("!~"), 1 },
	{ "hexchar +2B", S("+2B"), 1 },
	{ "hexchar +3D", S("+3D"), 1 },
	{ "two hexchars", S("a+2B+2C"), 1 },
	{ "hexchar then text", S("+2Bx"), 1 },
	{ "lowercase hex +2b", S("+2b"), 0 },
	{ "lone +", S("+"), 0 },
	{ "+ at the end", S("a+"), 0 },
	{ "one hex digit", S("a+2"), 0 },
	{ "not hex +G0", S("+G0"), 0 },
	{ "double +", S("++2B"), 0 },
	{ "=", S("a=b"), 0 },
	{ "space", S("a b"), 0 },
	{ "DEL", S("a\x7f"), 0 },
	{ "8-bit", S("\xc3\xa9"), 0 },
	{ "NUL", S("a\0b"), 0 },
	{ "CR LF", S("a\r\n"), 0 },
	{ "empty", S(""), 0 },
};

static const struct vcase notifies[] = {
	{ "NEVER", S("NEVER"), 1 },
	{ "never", S("never"), 1 },
	{ "SUCCESS", S("SUCCESS"), 1 },
	{ "all three", S("SUCCESS,FAILURE,DELAY"), 1 },
	{ "two, any order and case", S("delay,Failure"), 1 },
	{ "repeated", S("SUCCESS,SUCCESS"), 0 },
	{ "NEVER with another", S("NEVER,SUCCESS"), 0 },
	{ "another with NEVER", S("SUCCESS,NEVER"), 0 },
	{ "empty", S(""), 0 },
	{ "lone comma", S(","), 0 },
	{ "trailing comma", S("SUCCESS,"), 0 },
	{ "leading comma", S(",SUCCESS"), 0 },
	{ "double comma", S("SUCCESS,,FAILURE"), 0 },
	{ "space separated", S("SUCCESS FAILURE"), 0 },
	{ "prefix of a word", S("SUCCES"), 0 },
	{ "word with suffix", S("SUCCESSX"), 0 },
	{ "NUL after NEVER", S("NEVER\0"), 0 },
	{ "NUL inside list", S("SUCCESS\0,FAILURE"), 0 },
};

static const struct vcase orcpts[] = {
	{ "rfc822", S("rfc822;user@example.com"), 1 },
	{ "with hexchar", S("RFC822;a+2Bb@example.com"), 1 },
	{ "other type", S("x-foo;bar"), 1 },
	{ "semicolon in xtext", S("rfc822;a;b"), 1 },
	{ "empty address", S("rfc822;"), 0 },
	{ "empty type", S(";a@b"), 0 },
	{ "no semicolon", S("rfc822"), 0 },
	{ "space in type", S("rfc 822;a@b"), 0 },
	{ "space in address", S("rfc822;a b"), 0 },
	{ "= in address", S("rfc822;a=b"), 0 },
	{ "lowercase hexchar", S("rfc822;+2b"), 0 },
	{ "8-bit in address", S("rfc822;\xc3\xa9"), 0 },
	{ "8-bit in type", S("rfc\xc3\xa9;a"), 0 },
	{ "NUL in address", S("rfc822;a\0b"), 0 },
	{ "CR LF in address", S("rfc822;a\r\nX"), 0 },
	{ "empty", S(""), 0 },
};

static void
test_values(const char *fn, int (*f)(const char *, size_t),
    const struct vcase *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		ok(f(t[i].in, t[i].len) == t[i].want, "%s: %s", fn,
		    t[i].label);
}

/* ORCPT is bounded at 500 octets (RFC 3461 4.2). */
static void
test_orcpt_len(void)
{
	char	buf[ORCPT_MAX + 2];

	memcpy(buf, "rfc822;", 7);
	memset(buf + 7, 'a', sizeof(buf) - 7);
	ok(orcpt_valid(buf, ORCPT_MAX) == 1, "orcpt_valid: 500 octets");
	ok(orcpt_valid(buf, ORCPT_MAX + 1) == 0, "orcpt_valid: 501 octets");
}

int
main(void)
{
	test_lists();
	test_cursor();
	test_is();
	test_size();
	test_values("xtext_valid", xtext_valid, xtexts,
	    sizeof(xtexts) / sizeof(xtexts[0]));
	test_values("notify_valid", notify_valid, notifies,
	    sizeof(notifies) / sizeof(notifies[0]));
	test_values("orcpt_valid", orcpt_valid, orcpts,
	    sizeof(orcpts) / sizeof(orcpts[0]));
	test_orcpt_len();
	return done();
}
