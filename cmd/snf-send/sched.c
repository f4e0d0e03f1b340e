/*
 * sched.c - snf-send's scheduler: each pass lists the domains with a
 * queue folder, and starts a child for each domain whose mail is due
 * (several for a long queue, one per PER_CHILD due messages, within
 * the concurrency limits); the child delivers over one connection
 * (deliver.c). A domain's folder is listed once per pass, here, and
 * the child works from that listing.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "die.h"
#include "domain.h"
#include "exitcodes.h"
#include "log.h"
#include "rootdir.h"
#include "send.h"
#include "settings.h"

#define PER_CHILD	50	/* due messages per extra connection */

/* sched_init - the settings of the root folder; 0, or -1 with errno. */
int
sched_init(struct sched *s, int root, const char *rootpath)
{
	uint64_t	v;

	memset(s, 0, sizeof(*s));
	s->ctx.root = root;
	s->ctx.rootpath = rootpath;
	dlv_settings(&s->ctx);
	(void)setting_count(root, NULL, "concurrency", 20, 1, 1000, &v);
	s->conc_total = (unsigned)v;
	(void)setting_count(root, NULL, "concurrency_domain", 4, 1, 1000, &v);
	s->conc_domain = (unsigned)v;
	(void)setting_duration(root, NULL, "etrn_gap", 10, &s->etrn_gap);
	if ((s->kids = calloc(s->conc_total, sizeof(*s->kids))) == NULL)
		return -1;
	return 0;
}

void
sched_free(struct sched *s)
{
	free(s->kids);
	free(s->pauses);
	s->kids = NULL;
	s->pauses = NULL;
}

/*
 * pause_domain - leave domain alone for backoff_min seconds at least:
 * the clock has whole seconds, and now may be the end of one.
 */
static void
pause_domain(struct sched *s, const char *domain)
{
	int64_t	until = (int64_t)time(NULL) + s->ctx.backoff_min + 1;
	size_t	i;
	void	*p;

	for (i = 0; i < s->npauses; i++)
		if (strcmp(s->pauses[i].domain, domain) == 0) {
			s->pauses[i].until = until;
			return;
		}
	if ((p = reallocarray(s->pauses, s->npauses + 1,
	    sizeof(*s->pauses))) == NULL)
		return;
	s->pauses = p;
	strlcpy(s->pauses[s->npauses].domain, domain,
	    sizeof(s->pauses[0].domain));
	s->pauses[s->npauses++].until = until;
}

/* paused - the time domain is left alone until, when that is later. */
static int64_t
paused(const struct sched *s, const char *domain, int64_t now)
{
	size_t	i;

	for (i = 0; i < s->npauses; i++)
		if (strcmp(s->pauses[i].domain, domain) == 0)
			return s->pauses[i].until > now ? s->pauses[i].until : 0;
	return 0;
}

static unsigned
running(const struct sched *s, const char *domain)
{
	unsigned	i, n = 0;

	for (i = 0; i < s->nkids; i++)
		n += strcmp(s->kids[i].domain, domain) == 0;
	return n;
}

/* sched_reap - collect finished children; block waits for one at least. */
void
sched_reap(struct sched *s, int block)
{
	pid_t		pid;
	unsigned	i;
	int		st;

	while ((pid = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		block = 0;
		for (i = 0; i < s->nkids; i++) {
			if (s->kids[i].pid != pid)
				continue;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 111) {
				s->failed = 1;
				pause_domain(s, s->kids[i].domain);
			} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				log_warnx("delivery for %s ended with status %d",
				    s->kids[i].domain, st);
			s->kids[i] = s->kids[--s->nkids];
			break;
		}
	}
}

/* sched_stop - ask every delivery to stop, and wait for them all. */
void
sched_stop(struct sched *s)
{
	unsigned	i;

	for (i = 0; i < s->nkids; i++)
		kill(s->kids[i].pid, SIGTERM);
	while (s->nkids > 0)
		sched_reap(s, 1);
}

static void
spawn(struct sched *s, const char *domain, const struct qlist *l, int force,
    unsigned part, unsigned nparts)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		log_warn("unable to fork");
		return;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		_exit(deliver_domain(&s->ctx, domain, l, force, part, nparts));
	}
	s->kids[s->nkids].pid = pid;
	strlcpy(s->kids[s->nkids].domain, domain, sizeof(s->kids[0].domain));
	s->nkids++;
}

/* later - wake at t, if that is before the wake already set. */
static void
later(int64_t *wake, int64_t t)
{
	if (*wake == 0 || t < *wake)
		*wake = t;
}

/*
 * domain_ready - whether domain d may be tried now: not paused, and
 * past its backoff unless forced (*force is cleared when an ETRN must
 * wait its gap). Else *wake says when to look again.
 */
static int
domain_ready(struct sched *s, const char *d, int *force, int etrn,
    int64_t now, int64_t *wake)
{
	struct dstate	st;
	int64_t		p;

	if ((p = paused(s, d, now)) != 0) {
		later(wake, p);
		return 0;
	}
	state_read(s->ctx.root, d, &st);
	if (*force && etrn) {
		if (etrn_wait(s, &st, now, wake))
			*force = 0;
		else
			etrn_done(s, d);
	}
	/* a next attempt further off than any backoff (with its jitter):
	 * the clock was stepped back, and the domain is due */
	if (!*force && !qitem_due(st.next, now, 2 * s->ctx.backoff_max)) {
		later(wake, st.next);
		return 0;
	}
	return 1;
}

/* due - the items of l due now (all of them when force). */
static size_t
due(const struct sched *s, const struct qlist *l, int force, int64_t now)
{
	size_t	i, n = 0;

	if (force)
		return l->n;
	for (i = 0; i < l->n; i++)
		n += qitem_due(l->v[i].mtime, now, s->ctx.backoff_max);
	return n;
}

/* domain_parts - connections for n due messages, within the limits. */
static unsigned
domain_parts(const struct sched *s, size_t n)
{
	unsigned	parts = (unsigned)((n + PER_CHILD - 1) / PER_CHILD);

	if (parts > s->conc_domain)
		parts = s->conc_domain;
	if (parts > s->conc_total - s->nkids)
		parts = s->conc_total - s->nkids;
	return parts;
}

/* start - list domain d and start its deliveries; 1 when any started. */
static int
start(struct sched *s, const char *d, int force, int64_t now)
{
	struct qlist	l;
	unsigned	parts, k;
	int		dfd;

	if ((dfd = rdir_open(s->ctx.root, RD_MAIL, d, 0)) == -1) {
		if (errno != ENOENT)
			log_warn("unable to open queue/mail/%s", d);
		return 0;
	}
	if (qscan_items(dfd, &l) == -1)
		log_warn("unable to list queue/mail/%s", d);
	close(dfd);
	parts = domain_parts(s, due(s, &l, force, now));
	for (k = 0; k < parts; k++)
		spawn(s, d, &l, force, k, parts);
	qlist_free(&l);
	return parts > 0;
}

/* held - the domain is held; one that cannot be checked counts as held. */
static int
held(struct sched *s, const char *d)
{
	int	h = domain_held(s->ctx.root, d);

	if (h == -1)
		log_warn("unable to check domains/%s/hold: domain treated as "
		    "held", d);
	return h != 0;
}

/*
 * sched_pass - start deliveries for what is due. force: domains to try
 * now whatever their backoff (as ETRN asks); only: nothing else. tried
 * (one-shot): domains already handled in this run. etrn: force holds
 * ETRN requests. Returns the earliest time a skipped domain becomes due
 * again (0 when none).
 */
int64_t
sched_pass(struct sched *s, struct names *force, int only,
    struct names *tried, int etrn)
{
	struct names	ds = { 0 };
	size_t		i;
	int64_t		now = (int64_t)time(NULL), wake = 0;
	int		f;

	if (qscan_domains(s->ctx.root, RD_MAIL, &ds) == -1)
		log_warn("unable to read queue/mail");
	for (i = 0; etrn && i < force->n; i++)	/* requests with no mail */
		if (!names_has(&ds, force->v[i]))
			etrn_done(s, force->v[i]);
	for (i = 0; i < ds.n && s->nkids < s->conc_total && !stopping; i++) {
		const char *d = ds.v[i];

		f = names_has(force, d);
		if ((only && !f) || (tried && names_has(tried, d)) ||
		    running(s, d) || held(s, d) ||
		    !domain_ready(s, d, &f, etrn, now, &wake))
			continue;
		if (start(s, d, f, now) && tried && names_add(tried, d) == -1)
			die_sys(SNF_EXIT_TEMP, "out of memory");
	}
	names_free(&ds);
	return wake;
}
