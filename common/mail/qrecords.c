/*
 * qrecords.c - the envelope records of a message to be queued ("Kvalue"
 * each, NUL-terminated, the last one empty: qmail-queue's protocol, see
 * snf-queue(8)), checked one by one and turned into the envelope of one
 * item per recipient domain. A record that fails a check refuses the
 * message for good (D5.6.0): the caller sent something no retry fixes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "param.h"
#include "qwrite.h"

static struct qw_group *
group_for(struct qw *w, const char *domain)
{
	struct qw_group	*g;
	size_t		 i;
	void		*p;

	for (i = 0; i < w->ngroups; i++)
		if (strcmp(w->groups[i].env.domain, domain) == 0)
			return &w->groups[i];
	if (w->ngroups == w->gcap) {
		w->gcap = w->gcap ? w->gcap * 2 : 4;
		if ((p = reallocarray(w->groups, w->gcap, sizeof(*g))) == NULL)
			return NULL;
		w->groups = p;
	}
	g = &w->groups[w->ngroups];
	memset(g, 0, sizeof(*g));
	g->fd = g->dfd = -1;
	g->env = w->proto;
	g->env.nrcpt = g->env.rcptcap = 0;
	g->env.rcpt = NULL;
	if ((g->env.domain = strdup(domain)) == NULL)
		return NULL;
	w->ngroups++;
	return g;
}

/* add_rcpt - a T record: parse, normalise, file under its domain. */
static struct env_rcpt *
add_rcpt(struct qw *w, const char *val, int *err)
{
	struct addr	 a;
	struct qw_group	*g;
	char		*full;

	if (addr_parse_mailbox(val, strlen(val), ADDR_LAX_LOCAL, &a) != ADDR_OK) {
		*err = qw_fail(w, 'D', "5.6.0", "bad recipient address in envelope");
		return NULL;
	}
	if (!env_domain_ok(a.domain)) {	/* it becomes a folder name */
		*err = qw_fail(w, 'D', "5.6.0",
		    "recipient domain unusable as a queue folder");
		return NULL;
	}
	if ((g = group_for(w, a.domain)) == NULL ||
	    (full = strdup(a.full)) == NULL) {
		*err = qw_fail(w, 'Z', "4.3.0", "out of memory");
		return NULL;
	}
	if (env_add_rcpt(&g->env, full) == -1) {
		free(full);
		*err = errno == E2BIG ? qw_fail(w, 'D', "5.5.3",
		    "too many recipients") : qw_fail(w, 'Z', "4.3.0",
		    "out of memory");
		return NULL;
	}
	return &g->env.rcpt[g->env.nrcpt - 1];
}

/* message_record - a record that applies to the whole message. */
static int
message_record(struct qw *w, char key, char *v)
{
	switch (key) {
	case 'E':
		if (strlen(v) > ENVID_MAX || !xtext_valid(v, strlen(v)))
			return qw_fail(w, 'D', "5.6.0", "bad ENVID in envelope");
		w->proto.envid = v;
		return 0;
	case 'R':
		if (strcmp(v, "FULL") && strcmp(v, "HDRS"))
			return qw_fail(w, 'D', "5.6.0", "bad RET in envelope");
		w->proto.ret = v;
		return 0;
	case 'B':
		if (strcmp(v, "7BIT") && strcmp(v, "8BITMIME"))
			return qw_fail(w, 'D', "5.6.0", "bad BODY in envelope");
		w->proto.body = v;
		return 0;
	case 'U': w->proto.smtputf8 = 1; return 0;
	case 'I': w->proto.client = v; return 0;
	case 'H': w->proto.helo = v; return 0;
	}
	return qw_fail(w, 'D', "5.6.0", "unknown record in envelope");
}

/* sender_record - the F record, once, before any recipient. */
static int
sender_record(struct qw *w, const char *v)
{
	struct addr	a;

	if (w->sender || addr_parse_mailbox(v, strlen(v),
	    ADDR_NULL_OK | ADDR_LAX_LOCAL, &a) != ADDR_OK)
		return qw_fail(w, 'D', "5.6.0", "bad sender address in envelope");
	if ((w->sender = strdup(a.full)) == NULL)
		return qw_fail(w, 'Z', "4.3.0", "out of memory");
	w->proto.sender = w->sender;
	return 0;
}

/*
 * qrec_parse - check every record of p[0..end) (the last one the empty
 * record) and build the item envelopes. Values point into p. Returns
 * 0, or -1 with w->status.
 */
int
qrec_parse(struct qw *w, char *p, const char *end)
{
	struct env_rcpt	*last = NULL;
	char		*v;
	int		 err = 0;

	for (; p < end && *p; p += strlen(p) + 1) {
		v = p + 1;
		if (memchr(p, '\0', (size_t)(end - p)) == NULL)
			return qw_fail(w, 'D', "5.6.0", "envelope incomplete");
		if (*p != 'F' && *p != 'T' && !env_value_ok(v))
			return qw_fail(w, 'D', "5.6.0",
			    "control character in envelope");
		switch (*p) {
		case 'F':
			if (sender_record(w, v) == -1)
				return -1;
			continue;
		case 'T':
			if (!w->sender)
				return qw_fail(w, 'D', "5.6.0",
				    "recipient before sender in envelope");
			if ((last = add_rcpt(w, v, &err)) == NULL)
				return err;
			continue;
		case 'N':
			if (!last || last->notify || !notify_valid(v, strlen(v)))
				return qw_fail(w, 'D', "5.6.0",
				    "bad NOTIFY in envelope");
			last->notify = v;
			continue;
		case 'O':
			if (!last || last->orcpt || !orcpt_valid(v, strlen(v)))
				return qw_fail(w, 'D', "5.6.0",
				    "bad ORCPT in envelope");
			last->orcpt = v;
			continue;
		}
		if (last)
			return qw_fail(w, 'D', "5.6.0",
			    "message record after a recipient in envelope");
		if (message_record(w, *p, v) == -1)
			return -1;
	}
	if (!w->sender || w->ngroups == 0)
		return qw_fail(w, 'D', "5.6.0",
		    "envelope without sender or recipients");
	return 0;
}

/* qrec_free - what the records made: the item envelopes, the sender. */
void
qrec_free(struct qw *w)
{
	size_t	i, j;

	for (i = 0; i < w->ngroups; i++) {
		for (j = 0; j < w->groups[i].env.nrcpt; j++)
			free(w->groups[i].env.rcpt[j].addr);
		free(w->groups[i].env.domain);
		env_free(&w->groups[i].env);
	}
	free(w->groups);
	free(w->sender);
	w->groups = NULL;
	w->sender = NULL;
	w->ngroups = w->gcap = 0;
}
