/*
 * select.c - which messages a verb works on: the domains named (every
 * domain when none), narrowed by the options -i ID, -r RECIPIENT,
 * -s SENDER, -a AGE (at least this old) and -b AGE (at most this old).
 * Matching reads only the item's envelope, without a lock: the verb
 * itself claims each item before it changes anything. Here too, for
 * every verb, the reading and the claiming of one item, with the line
 * it gets when it is busy, damaged or unreadable.
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
#include "log.h"
#include "qscan.h"
#include "qupdate.h"
#include "rootdir.h"
#include "snfq.h"

static int64_t
age_arg(const char *s)
{
	int64_t	v;

	if (duration_parse(s, &v) == -1)
		die(SNF_EXIT_PERM, "not a duration: %s", s);
	return v;
}

static void
add(struct names *ns, const char *s)
{
	if (names_add(ns, s) == -1)
		die_sys(SNF_EXIT_TEMP, "out of memory");
}

/*
 * sel_parse - the options of a verb (those in opts, getopt style) and
 * its domain operands into s, whose root and rootpath are kept.
 */
void
sel_parse(int argc, char **argv, const char *opts, struct sel *s)
{
	int	ch, i;

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
			add(&s->ids, optarg);
			s->filtered = 1;
			break;
		default:
			die(SNF_EXIT_PERM, "bad option for %s; see snf-queue(8)",
			    argv[0]);
		}
	}
	for (i = optind; i < argc; i++) {
		lowercase(argv[i]);
		if (!qscan_domain_name(argv[i]))
			die(SNF_EXIT_PERM, "not a domain name: %s", argv[i]);
		add(&s->domains, argv[i]);
	}
	names_sort(&s->ids);
	names_sort(&s->domains);
}

void
sel_free(struct sel *s)
{
	names_free(&s->ids);
	names_free(&s->domains);
}

/* sel_exit - the exit status of a verb: 111 when anything failed. */
int
sel_exit(const struct sel *s)
{
	return s->failures ? SNF_EXIT_TEMP : SNF_EXIT_OK;
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
	if (s->ids.n && !names_has(&s->ids, id))
		return 0;
	if (s->older >= 0 && age < s->older)
		return 0;
	if (s->younger >= 0 && age > s->younger)
		return 0;
	return 1;
}

/*
 * sel_say - the one line per item of a verb, ACTION ID DOMAIN [DETAIL];
 * under -n the action is "would-ACTION".
 */
void
sel_say(const struct sel *s, const char *action, const struct qref *it,
    const char *detail)
{
	printf("%s%s\t%s\t%s%s%s\n", s->dry ? "would-" : "", action, it->id,
	    it->domain, detail ? "\t" : "", detail ? detail : "");
}

/*
 * sel_damaged - err, met reading item it, says it is damaged: then the
 * one warning that names it (qitem_damaged), the line "damaged ID
 * DOMAIN left in the queue untouched" (but in a listing, which has no
 * line for it), a failure (exit 111), and 1.
 */
int
sel_damaged(struct sel *s, const struct qref *it, int err)
{
	if (!qitem_damaged(it, err))
		return 0;
	s->failures++;
	if (!s->listing)
		printf("damaged\t%s\t%s\tleft in the queue untouched\n", it->id,
		    it->domain);
	return 1;
}

/*
 * sel_read - read item it without a lock, for a look (a listing, a
 * filter): 0, or -1 when it is gone (silently), damaged (sel_damaged)
 * or cannot be read now (a warning; the verb fails).
 */
int
sel_read(struct sel *s, const struct qref *it, struct qitem *q)
{
	char	path[600];

	if (qitem_open(it->dfd, it->id, q) == 0)
		return 0;
	if (errno != ENOENT && !sel_damaged(s, it, errno)) {
		(void)qref_path(path, sizeof(path), it);
		log_warn("unable to read %s", path);
		s->failures++;
	}
	return -1;
}

/*
 * sel_claim - claim item it for a verb that changes it; whole for one
 * that sends, exports or releases it: its message is checked then, as
 * snf-send checks it (qitem_claim_whole). 0, or -1 when it is gone
 * (silently), busy, damaged, or cannot be claimed, each with its line.
 */
int
sel_claim(struct sel *s, const struct qref *it, struct qitem *q, int whole)
{
	if ((whole ? qitem_claim_whole(it, q) : qitem_claim(it, q)) == 0)
		return 0;
	if (errno == EAGAIN)
		sel_say(s, "busy", it, "being delivered; left alone");
	else if (errno != ENOENT && !sel_damaged(s, it, errno)) {
		sel_say(s, "error", it, strerror(errno));
		s->failures++;
	}
	return -1;
}

/* env_match - the sender and recipient filters hold for item r. */
static int
env_match(struct sel *s, const struct qref *r)
{
	struct qitem	q;
	int		m;

	if (s->sender == NULL && s->rcpt == NULL)
		return 1;
	if (sel_read(s, r, &q) == -1)
		return 0;	/* gone, or damaged: never selected */
	m = sel_env_match(s, &q.env);
	qitem_close(&q);
	return m;
}

/*
 * each_domain - the matching items of domain in folder where; -1 when
 * fn asked to stop.
 */
static int
each_domain(struct sel *s, int where, const char *domain, sel_fn fn,
    void *arg, int64_t now, int *n)
{
	struct qlist	l;
	struct qref	r;
	size_t		i;
	int		rc = 0, k;

	if ((r.dfd = rdir_open(s->root, where, domain, 0)) == -1) {
		if (errno != ENOENT) {
			log_warn("unable to open %s/%s", rdir_name(where), domain);
			s->failures++;
		}
		return 0;
	}
	if (qscan_items(r.dfd, &l) == -1) {
		log_warn("unable to read %s/%s", rdir_name(where), domain);
		s->failures++;
	}
	r.where = where;
	r.domain = domain;
	for (i = 0; i < l.n && rc == 0; i++) {
		r.id = l.v[i].id;
		if (!id_match(s, r.id, now) || !env_match(s, &r))
			continue;
		if ((k = fn(s, &r, arg)) == -1)
			rc = -1;
		else
			*n += k;
	}
	qlist_free(&l);
	close(r.dfd);
	return rc;
}

/* each_in - the matching items of one folder; -1 when fn asked to stop. */
static int
each_in(struct sel *s, int where, sel_fn fn, void *arg, int64_t now, int *n)
{
	struct names	 all = { 0 };
	struct names	*ds = &s->domains;
	size_t		 i;
	int		 rc = 0;

	if (ds->n == 0) {
		if (qscan_domains(s->root, where, &all) == -1) {
			log_warn("unable to read %s", rdir_name(where));
			s->failures++;
		}
		ds = &all;
	}
	for (i = 0; i < ds->n && rc == 0; i++)
		rc = each_domain(s, where, ds->v[i], fn, arg, now, n);
	names_free(&all);
	return rc;
}

/*
 * sel_each - call fn for every item selected in the folders of where
 * (SEL_MAIL, SEL_HOLD or both), domains by name, items oldest first.
 * fn returns 1 for an item it acted on, 0 for one it skipped, -1 to
 * stop: no other item, of any domain or folder, is passed to fn then.
 * Returns the number acted on.
 */
int
sel_each(struct sel *s, int where, sel_fn fn, void *arg)
{
	int64_t	now = (int64_t)time(NULL);
	int	n = 0;

	if ((where & SEL_MAIL) &&
	    each_in(s, RD_MAIL, fn, arg, now, &n) == -1)
		return n;
	if (where & SEL_HOLD)
		(void)each_in(s, RD_HOLD, fn, arg, now, &n);
	return n;
}
