/*
 * envelope.c - read and write the stored envelope. Parsing is strict:
 * the version line first, every key known, every value free of control
 * bytes, addresses and the domain valid by the one address parser. A
 * file that fails is left alone by every reader and reported, never
 * guessed at: no in-band metadata can be smuggled in through a value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "envelope.h"
#include "param.h"

void
env_init(struct envelope *e)
{
	memset(e, 0, sizeof(*e));
}

void
env_free(struct envelope *e)
{
	free(e->rcpt);
	env_init(e);
}

int
env_add_rcpt(struct envelope *e, char *addr)
{
	struct env_rcpt	*r;
	size_t		 ncap;

	if (e->nrcpt >= ENV_RCPT_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (e->nrcpt == e->rcptcap) {
		ncap = e->rcptcap ? e->rcptcap * 2 : 8;
		r = reallocarray(e->rcpt, ncap, sizeof(*r));
		if (r == NULL)
			return -1;
		e->rcpt = r;
		e->rcptcap = ncap;
	}
	r = &e->rcpt[e->nrcpt++];
	r->addr = addr;
	r->notify = r->orcpt = NULL;
	return 0;
}

/* env_value_ok - printable ASCII only: no control byte can hide here. */
int
env_value_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126)
			return 0;
	return 1;
}

/* env_domain_ok - a domain usable as a queue folder name. */
int
env_domain_ok(const char *d)
{
	struct addr	a;
	char		tmp[ADDR_DOMAIN_MAX + 3];

	if (d[0] == '[') {
		if (strlen(d) > ADDR_DOMAIN_MAX)
			return 0;
		tmp[0] = 'x';
		tmp[1] = '@';
		strlcpy(tmp + 2, d, sizeof(tmp) - 2);
		return addr_parse_mailbox(tmp, strlen(tmp), 0, &a) == ADDR_OK &&
		    strcmp(a.domain, d) == 0 && strchr(d, '/') == NULL;
	}
	if (addr_domain_valid(d, strlen(d)) != ADDR_OK)
		return 0;
	for (; *d; d++)
		if (*d >= 'A' && *d <= 'Z')
			return 0;
	return 1;
}

static int
mailbox_ok(const char *s, int nullok)
{
	struct addr	a;

	return addr_parse_mailbox(s, strlen(s),
	    ADDR_LAX_LOCAL | (nullok ? ADDR_NULL_OK : 0), &a) == ADDR_OK;
}

static int
int_parse(const char *s, int64_t *out)
{
	uint64_t	v;

	if (size_parse(s, strlen(s), &v) == -1 || v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* parse_line - apply one "K value" line to e; -1 when it is invalid. */
static int
parse_line(struct envelope *e, char key, char *val)
{
	struct env_rcpt	*last = e->nrcpt ? &e->rcpt[e->nrcpt - 1] : NULL;
	int64_t		 v;

	switch (key) {
	case 'A':
		return e->arrival ? -1 : int_parse(val, &e->arrival);
	case 'L':
		if (e->size || int_parse(val, &v) == -1)
			return -1;
		e->size = (uint64_t)v;
		return 0;
	case 'D':
		if (e->domain)
			return -1;
		e->domain = val;
		return env_domain_ok(val) ? 0 : -1;
	case 'S':
		if (e->sender)
			return -1;
		e->sender = val;
		return mailbox_ok(val, 1) ? 0 : -1;
	case 'T':
		return mailbox_ok(val, 0) ? env_add_rcpt(e, val) : -1;
	case 'N':
		if (last == NULL || last->notify)
			return -1;
		last->notify = val;
		return 0;
	case 'O':
		if (last == NULL || last->orcpt)
			return -1;
		last->orcpt = val;
		return 0;
	case 'E': e->envid = val; return 0;
	case 'R': e->ret = val; return 0;
	case 'B': e->body = val; return 0;
	case 'I': e->client = val; return 0;
	case 'H': e->helo = val; return 0;
	case 'W':	/* once, and a real time: 0 would mean "not warned" */
		if (e->warned || int_parse(val, &e->warned) == -1)
			return -1;
		return e->warned > 0 ? 0 : -1;
	case 'U': e->smtputf8 = 1; return *val ? -1 : 0;
	case 'Z': e->zlib = 1; return *val ? -1 : 0;
	}
	return -1;
}

/*
 * env_parse - parse envelope text (modified in place: lines are cut at
 * their newlines, and e points into it). Returns 0, or -1 with EINVAL.
 */
int
env_parse(struct envelope *e, char *text, size_t len)
{
	char	*line = text, *nl, *end = text + len;
	int	 first = 1;

	env_init(e);
	if (len == 0 || text[len - 1] != '\n')
		goto bad;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		*nl = '\0';
		/* a NUL would hide the rest of its line from every check */
		if (nl - line < 2 || strlen(line) != (size_t)(nl - line) ||
		    line[1] != ' ' || !env_value_ok(line + 2))
			goto bad;
		if (first) {
			if (strcmp(line, "V 1") != 0)
				goto bad;
			first = 0;
		} else if (parse_line(e, line[0], line + 2) == -1)
			goto bad;
		line = nl + 1;
	}
	if (first || e->domain == NULL || e->sender == NULL || e->nrcpt == 0 ||
	    e->arrival <= 0)
		goto bad;
	return 0;
bad:
	env_free(e);
	errno = EINVAL;
	return -1;
}

static int
add_line(struct buf *b, char key, const char *val)
{
	if (val == NULL)
		return 0;
	if (!env_value_ok(val)) {
		errno = EINVAL;
		return -1;
	}
	return buf_printf(b, "%c %s\n", key, val);
}

/* env_format - append e as envelope text to b. */
int
env_format(const struct envelope *e, struct buf *b)
{
	size_t	i;

	if (buf_printf(b, "V %d\nA %lld\nL %llu\n", ENV_VERSION,
	    (long long)e->arrival, (unsigned long long)e->size) == -1 ||
	    add_line(b, 'D', e->domain) == -1 ||
	    add_line(b, 'S', e->sender ? e->sender : "") == -1 ||
	    add_line(b, 'E', e->envid) == -1 ||
	    add_line(b, 'R', e->ret) == -1 ||
	    add_line(b, 'B', e->body) == -1 ||
	    add_line(b, 'I', e->client) == -1 ||
	    add_line(b, 'H', e->helo) == -1 ||
	    (e->smtputf8 && buf_adds(b, "U \n") == -1) ||
	    (e->zlib && buf_adds(b, "Z \n") == -1) ||
	    (e->warned &&
	    buf_printf(b, "W %lld\n", (long long)e->warned) == -1))
		return -1;
	for (i = 0; i < e->nrcpt; i++)
		if (add_line(b, 'T', e->rcpt[i].addr) == -1 ||
		    add_line(b, 'N', e->rcpt[i].notify) == -1 ||
		    add_line(b, 'O', e->rcpt[i].orcpt) == -1)
			return -1;
	return 0;
}
