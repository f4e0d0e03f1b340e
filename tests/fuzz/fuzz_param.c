/*
 * fuzz_param.c - param.c: the ESMTP parameter tokenizer and the value
 * checks for SIZE, ENVID (xtext), NOTIFY and ORCPT. The input is a MAIL
 * or RCPT parameter string. param_next must stay inside it, make
 * progress and return only well-formed tokens; each value check is
 * compared with a plain reference written from the RFC grammar.
 */
#include "fuzz.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "param.h"

/* HEXCHAR digits: upper case only (RFC 3461 4) */
static int
ref_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* RFC 3461 4: 1*( xchar / "+" 2HEXDIG ), xchar %d33-42 / %d44-60 / %d62-126 */
static int
ref_xtext(const unsigned char *s, size_t n)
{
	size_t	i = 0;

	if (n == 0)
		return 0;
	while (i < n) {
		if (s[i] == '+') {
			if (n - i < 3 || !ref_hex(s[i + 1]) ||
			    !ref_hex(s[i + 2]))
				return 0;
			i += 3;
		} else if (s[i] >= 33 && s[i] <= 126 && s[i] != '=')
			i++;
		else
			return 0;
	}
	return 1;
}

/* RFC 1870: 1*20DIGIT, and snf refuses anything over 2^63 */
static int
ref_size(const unsigned char *s, size_t n, uint64_t *v)
{
	unsigned __int128	x = 0;
	size_t			i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit(s[i]))
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (x > ((unsigned __int128)1 << 63))
		return -1;
	*v = (uint64_t)x;
	return 0;
}

/* RFC 3461 4.1: "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ), once each */
static int
ref_notify(const char *s, size_t n)
{
	static const char *const w[] = { "SUCCESS", "FAILURE", "DELAY" };
	size_t	i, j, start = 0;
	int	seen[3] = { 0, 0, 0 };

	if (n == 5 && strncasecmp(s, "NEVER", 5) == 0)
		return 1;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != ',')
			continue;
		for (j = 0; j < 3; j++)
			if (i - start == strlen(w[j]) &&
			    strncasecmp(s + start, w[j], i - start) == 0)
				break;
		if (j == 3 || seen[j])
			return 0;
		seen[j] = 1;
		start = i + 1;
	}
	return 1;
}

/* RFC 3461 4.2: addr-type ";" xtext, addr-type letters, digits, "-" */
static int
ref_orcpt(const char *s, size_t n)
{
	size_t	i;

	if (n > ORCPT_MAX)
		return 0;
	for (i = 0; i < n && s[i] != ';'; i++)
		if (!isascii((unsigned char)s[i]) ||
		    !(isalnum((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	if (i == 0 || i == n)
		return 0;
	return ref_xtext((const unsigned char *)s + i + 1, n - i - 1);
}

/* check_values - every value check on s[0..n), against its reference */
static void
check_values(const char *s, size_t n)
{
	uint64_t	v = 1, w = 2;
	int		r;

	CHECK(!!xtext_valid(s, n) == ref_xtext((const unsigned char *)s, n));
	r = size_parse(s, n, &v);
	CHECK(r == ref_size((const unsigned char *)s, n, &w));
	if (r == 0)
		CHECK(v == w);
	CHECK(!!notify_valid(s, n) == ref_notify(s, n));
	CHECK(!!orcpt_valid(s, n) == ref_orcpt(s, n));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *end = s + size, *p = s, *q;
	struct param	 pa;
	size_t		 i, steps = 0;
	int		 k;

	check_values(s, size);
	while ((k = param_next(&p, end, &pa)) == 1) {
		CHECK(++steps <= size);
		CHECK(p > pa.key && p <= end);
		CHECK(pa.key >= s && pa.klen >= 1 && pa.key + pa.klen <= end);
		for (i = 0; i < pa.klen; i++)
			CHECK(isascii((unsigned char)pa.key[i]) &&
			    (isalnum((unsigned char)pa.key[i]) ||
			    pa.key[i] == '-'));
		if (pa.val != NULL) {
			CHECK(pa.val == pa.key + pa.klen + 1 &&
			    pa.val[-1] == '=');
			CHECK(pa.vlen >= 1 && pa.val + pa.vlen == p);
			for (i = 0; i < pa.vlen; i++)
				CHECK((unsigned char)pa.val[i] >= 33 &&
				    (unsigned char)pa.val[i] <= 126 &&
				    pa.val[i] != '=');
			check_values(pa.val, pa.vlen);
			(void)param_val_is(&pa, "FULL");
		} else
			CHECK(pa.key + pa.klen == p && pa.vlen == 0);
		CHECK(p == end || *p == ' ');
		CHECK(param_is(&pa, "SIZE") == (pa.klen == 4 &&
		    strncasecmp(pa.key, "SIZE", 4) == 0));
	}
	CHECK(k == 0 || k == -1);
	if (k == 0) {
		CHECK(p == end);
		for (q = s; q < end; q++)	/* nothing but parameters */
			CHECK(*q != '\0' && *q != '\t');
	}
	return 0;
}
