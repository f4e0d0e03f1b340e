/*
 * select.c - which messages a verb works on: the domains named (every
 * domain when none), narrowed by the options -i ID, -r RECIPIENT,
 * -s SENDER, -a AGE (at least this old) and -b AGE (at most this old).
 * Matching reads only the item's envelope, without a lock: the verb
 * itself claims each item before it changes anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "domain.h"
#include "exitcodes.h"
#include "fileio.h"
#include "queue.h"
#include "snfq.h"

static int
domain_ok(const char *name)
{
	return name[0] != '.' && env_domain_ok(name);
}

static int64_t
age_arg(const char *s)
{
	int64_t	v;

	if (duration_parse(s, &v) == -1)
		die(SNF_EXIT_PERM, "not a duration: %s", s);
	return v;
}

/*
 * sel_parse - the options of a verb (those in opts, getopt style) and
 * its domain operands into sel. Returns the number of arguments taken.
 */
int
sel_parse(int argc, char **argv, const char *opts, struct sel *s)
{
	int	ch, i;

	memset(s, 0, sizeof(*s));
	s->older = s->younger = -1;
	optind = 1;
	while ((ch = getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'n': s->dry = 1; break;
		case 'y': s->yes = 1; break;
		case 'v': s->verbose = 1; break;
		case 'x': s->remove = 1; break;
		case 'r': s->rcpt = optarg; s->filtered = 1; break;
		case 's': s->sender = optarg; s->filtered = 1; break;
		case 'a': s->older = age_arg(optarg); s->filtered = 1; break;
		case 'b': s->younger = age_arg(optarg); s->filtered = 1; break;
		case 'H': s->host = optarg; break;
		case 'm': s->mailbox = optarg; break;
		case 'o': s->outdir = optarg; break;
		case 'z': s->mbox = optarg; break;
		case 'i':
			if (!queue_id_valid(optarg))
				die(SNF_EXIT_PERM, "not a queue id: %s", optarg);
			names_add(&s->ids, optarg);
			s->filtered = 1;
			break;
		default:
			die(SNF_EXIT_PERM, "bad option for %s; see snf-queue(8)",
			    argv[0]);
		}
	}
	for (i = optind; i < argc; i++) {
		lowercase(argv[i]);
		if (!domain_ok(argv[i]))
			die(SNF_EXIT_PERM, "not a domain name: %s", argv[i]);
		names_add(&s->domains, argv[i]);
	}
	names_sort(&s->ids);
	names_sort(&s->domains);
	return argc;
}

static int
has(const struct names *ns, const char *s)
{
	size_t	i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return 1;
	return 0;
}

/* sel_env_match - the sender and recipient filters hold for e. */
int
sel_env_match(const struct sel *s, const struct envelope *e)
{
	size_t	i;

	if (s->sender && !(strcmp(s->sender, "<>") == 0 ? e->sender[0] == '\0' :
	    strcasecmp(s->sender, e->sender) == 0))
		return 0;
	if (s->rcpt == NULL)
		return 1;
	for (i = 0; i < e->nrcpt; i++)
		if (strcasecmp(s->rcpt, e->rcpt[i].addr) == 0)
			return 1;
	return 0;
}

/* id_match - the filters that the item's name alone can decide. */
static int
id_match(const struct sel *s, const char *id, int64_t now)
{
	int64_t	age = now - queue_id_time(id);

	if (age < 0)
		age = 0;
	if (s->ids.n && !has(&s->ids, id))
		return 0;
	if (s->older >= 0 && age < s->older)
		return 0;
	if (s->younger >= 0 && age > s->younger)
		return 0;
	return 1;
}

static int
env_match(int root, const struct sel *s, const char *path)
{
	struct qitem	q;
	int		r;

	if (s->sender == NULL && s->rcpt == NULL)
		return 1;
	if (qitem_open(root, path, &q) == -1)
		return 0;	/* gone, or damaged: never selected */
	r = sel_env_match(s, &q.env);
	qitem_close(&q);
	return r;
}

/*
 * each_in - the matching items of one folder (queue/mail or queue/hold);
 * *stop is set when fn asks to stop, and nothing more is called.
 */
static int
each_in(int root, struct sel *s, int where, const char *base, sel_fn fn,
    void *arg, int64_t now, int *stop)
{
	struct names	 ds = { 0 }, ids;
	struct item	 it;
	char		 dir[300];
	size_t		 i, j;
	int		 n = 0, r;

	if (s->domains.n)
		for (i = 0; i < s->domains.n; i++)
			names_add(&ds, s->domains.v[i]);
	else
		read_names(root, base, domain_ok, &ds);
	for (i = 0; i < ds.n && !*stop; i++) {
		memset(&ids, 0, sizeof(ids));
		snprintf(dir, sizeof(dir), "%s/%s", base, ds.v[i]);
		read_names(root, dir, queue_id_valid, &ids);
		for (j = 0; j < ids.n; j++) {
			if (!id_match(s, ids.v[j], now))
				continue;
			snprintf(it.path, sizeof(it.path), "%s/%s", dir, ids.v[j]);
			if (!env_match(root, s, it.path))
				continue;
			it.where = where;
			it.domain = ds.v[i];
			it.id = ids.v[j];
			if ((r = fn(root, s, &it, arg)) == -1) {
				*stop = 1;
				break;
			}
			n += r;
		}
		names_free(&ids);
	}
	names_free(&ds);
	return n;
}

/*
 * sel_each - call fn for every item selected in the folders of where
 * (SEL_MAIL, SEL_HOLD or both), domains by name, items oldest first.
 * fn returns 1 for an item it acted on, 0 for one it skipped, -1 to
 * stop: no other item, of any domain or folder, is passed to fn then.
 * Returns the number acted on.
 */
int
sel_each(int root, struct sel *s, int where, sel_fn fn, void *arg)
{
	int64_t	now = (int64_t)time(NULL);
	int	n = 0, stop = 0;

	if (where & SEL_MAIL)
		n += each_in(root, s, SEL_MAIL, QUEUE_MAIL, fn, arg, now, &stop);
	if ((where & SEL_HOLD) && !stop)
		n += each_in(root, s, SEL_HOLD, QUEUE_HOLD, fn, arg, now, &stop);
	return n;
}
