/*
 * param.c - a forward, bounds-checked tokenizer for ESMTP parameters,
 * and the value syntaxes snf stores: xtext (RFC 3461 4) and SIZE
 * (RFC 1870, digits with an overflow check). Nothing here looks
 * backwards or past the end it was given.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "param.h"

/*
 * param_next - parse the next parameter at *pp (before end). Leading
 * spaces are skipped. Returns 1 with *out filled, 0 at the end, -1 on a
 * syntax error (a keyword not of ALPHA/DIGIT/"-", an empty value, or a
 * byte outside %d33-60 / %d62-126 in the value).
 */
int
param_next(const char **pp, const char *end, struct param *out)
{
	const char	*p = *pp;

	while (p < end && *p == ' ')
		p++;
	if (p == end) {
		*pp = p;
		return 0;
	}
	out->key = p;
	if (!(isascii((unsigned char)*p) && isalnum((unsigned char)*p)))
		return -1;
	while (p < end && isascii((unsigned char)*p) &&
	    (isalnum((unsigned char)*p) || *p == '-'))
		p++;
	out->klen = (size_t)(p - out->key);
	out->val = NULL;
	out->vlen = 0;
	if (p < end && *p == '=') {
		out->val = ++p;
		while (p < end && (unsigned char)*p >= 33 &&
		    (unsigned char)*p <= 126 && *p != '=')
			p++;
		out->vlen = (size_t)(p - out->val);
		if (out->vlen == 0)
			return -1;
	}
	if (p < end && *p != ' ')
		return -1;
	*pp = p;
	return 1;
}

/* param_is - the keyword equals name, case-insensitively. */
int
param_is(const struct param *pa, const char *name)
{
	return strlen(name) == pa->klen &&
	    strncasecmp(pa->key, name, pa->klen) == 0;
}

/* param_val_is - the value equals s, case-insensitively. */
int
param_val_is(const struct param *pa, const char *s)
{
	return pa->val != NULL && strlen(s) == pa->vlen &&
	    strncasecmp(pa->val, s, pa->vlen) == 0;
}

static int
is_uhex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/*
 * xtext_valid - s[0..n) is non-empty xtext: xchar (%d33-42 / %d44-60 /
 * %d62-126) or "+" and two upper-case hex digits.
 */
int
xtext_valid(const char *s, size_t n)
{
	size_t	i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '+') {
			if (n - i < 3 || !is_uhex(s[i + 1]) || !is_uhex(s[i + 2]))
				return 0;
			i += 2;
			continue;
		}
		if (c < 33 || c > 126 || c == '=')
			return 0;
	}
	return 1;
}

/*
 * size_parse - 1*DIGIT into *out; -1 if empty, not digits, or larger
 * than 2^63.
 */
int
size_parse(const char *s, size_t n, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_C(1) << 63) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (UINT64_C(1) << 63))
		return -1;
	*out = v;
	return 0;
}

/*
 * notify_valid - a DSN NOTIFY value: "NEVER", or a comma list of
 * SUCCESS, FAILURE and DELAY, each at most once (RFC 3461 4.1).
 */
int
notify_valid(const char *s, size_t n)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	const char	*end = s + n, *w;
	unsigned	 seen = 0;
	size_t		 i, len;

	if (n == 5 && strncasecmp(s, "NEVER", 5) == 0)
		return 1;
	while (s < end) {
		w = memchr(s, ',', (size_t)(end - s));
		len = (size_t)((w ? w : end) - s);
		for (i = 0; i < 3; i++)
			if (strlen(words[i]) == len &&
			    strncasecmp(s, words[i], len) == 0)
				break;
		if (i == 3 || (seen & (1U << i)))
			return 0;
		seen |= 1U << i;
		if (w == NULL)
			return 1;
		s = w + 1;
		if (s == end)
			return 0;
	}
	return 0;
}

/*
 * orcpt_valid - a DSN ORCPT value: addr-type ";" xtext (RFC 3461 4.2),
 * addr-type an atom of letters, digits and "-".
 */
int
orcpt_valid(const char *s, size_t n)
{
	const char	*semi;
	size_t		 i;

	if (n > ORCPT_MAX || (semi = memchr(s, ';', n)) == NULL || semi == s)
		return 0;
	for (i = 0; s + i < semi; i++)
		if (!(isascii((unsigned char)s[i]) &&
		    (isalnum((unsigned char)s[i]) || s[i] == '-')))
			return 0;
	return xtext_valid(semi + 1, (size_t)(s + n - semi - 1));
}
