/*
 * expire.c - the walk over queue/mail/D/ID. A message older than its
 * domain's lifetime goes back to its sender and leaves the queue; one
 * older than the warning age gets one delay warning, recorded in its
 * envelope (W) so that it never gets a second. A held domain is skipped
 * whole, and queue/hold/ is never looked at. An item is first read
 * without a lock to decide, then claimed and decided again before
 * anything is done to it: a busy item is left for the next run, a
 * damaged one where it is, named.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"
#include "qscan.h"
#include "qupdate.h"
#include "rootdir.h"
#include "settings.h"
#include "expire.h"

enum { ACT_NONE, ACT_EXPIRE, ACT_WARN };

struct dset {			/* one domain and its settings */
	const char	*domain;
	int64_t		 lifetime;
	int64_t		 warn;		/* delay warning age; 0: off */
};

/*
 * held - domains/D/hold exists: nothing is delivered and nothing expires.
 * When that cannot be known, the domain counts as held: returning mail
 * is the one thing that cannot be undone.
 */
static int
held(struct ectx *c, const char *domain)
{
	int	h = domain_held(c->root, domain);

	if (h != -1)
		return h;
	log_warnx("unable to check domains/%s/hold (%s): domain treated as "
	    "held", domain, strerror(errno));
	c->failed = 1;
	return 1;
}

/* decide - what is due now for envelope e of domain ds; its age too. */
static int
decide(struct ectx *c, const struct dset *ds, const struct envelope *e,
    int64_t *age)
{
	/* a clock stepped back puts the arrival in the future: age 0 */
	*age = c->now > e->arrival ? c->now - e->arrival : 0;
	if (*age > ds->lifetime)
		return ACT_EXPIRE;
	if (ds->warn > 0 && *age > ds->warn && e->warned == 0 &&
	    notice_wanted(e, "delayed"))
		return ACT_WARN;
	return ACT_NONE;
}

static const char *
sender(const struct envelope *e)
{
	return e->sender[0] ? e->sender : "<>";
}

/*
 * expire_one - claimed item q is past its lifetime: the report is queued
 * first, then the item removed, so that a crash between the two sends
 * the report twice, never not at all.
 */
static void
expire_one(struct ectx *c, const struct dset *ds, const struct qref *ref,
    struct qitem *q, int64_t age)
{
	const char		*id = ref->id;
	char			 path[600];
	const struct envelope	*e = &q->env;
	int			 r;

	if ((r = notice_send(c, q, "failed", age, 0)) == -1) {
		log_warnx("id=%s kept: its report is not queued, the "
		    "next run tries again", id);
		c->failed = 1;
		return;
	}
	if (qitem_remove(ref) == -1 && errno != ENOENT) {
		(void)qref_path(path, sizeof(path), ref);
		log_warnx("unable to remove %s (%s)", path,
		    strerror(errno));
		c->failed = 1;
		return;
	}
	log_event("expired id=%s domain=%s age=%llds from=<%s> rcpts=%zu "
	    "report=%s", id, ds->domain, (long long)age, logesc(e->sender),
	    e->nrcpt, r == 1 ? "queued" : e->sender[0] ? "none reason=notify" :
	    "none reason=null-sender");
	say("expired\t%s\t%s\t%lld\t%s", id, ds->domain, (long long)age,
	    sender(e));
}

/*
 * warn_one - claimed item q is late: one delay warning, then the time
 * of it in the envelope. The item keeps its id and its mtime, which is
 * when snf-send tries it next.
 */
static void
warn_one(struct ectx *c, const struct dset *ds, const struct qref *ref,
    struct qitem *q, int64_t age)
{
	struct envelope	 ne = q->env;
	struct stat	 st;
	const char	*id = ref->id;
	char		 path[600];
	int64_t		 until;
	int		 r;

	until = ds->lifetime > INT64_MAX - q->env.arrival ? INT64_MAX :
	    q->env.arrival + ds->lifetime;
	if ((r = notice_send(c, q, "delayed", age, until)) <= 0) {
		if (r == -1)
			c->failed = 1;
		return;
	}
	ne.warned = c->now;
	if (fstat(q->fd, &st) == -1 ||
	    qitem_rewrite(c->root, ref, q, &ne, (int64_t)st.st_mtime) == -1) {
		(void)qref_path(path, sizeof(path), ref);
		log_warnx("unable to record the warning in %s (%s): "
		    "a second one may follow", path, strerror(errno));
		c->failed = 1;
		return;
	}
	log_event("warned id=%s domain=%s age=%llds from=<%s> rcpts=%zu",
	    id, ds->domain, (long long)age, logesc(q->env.sender),
	    q->env.nrcpt);
	say("warned\t%s\t%s\t%lld\t%s", id, ds->domain, (long long)age,
	    sender(&q->env));
}

/*
 * unreadable - an item that cannot be read, or is damaged (named in the
 * one warning of qitem_damaged), is left where it is; the run fails.
 */
static void
unreadable(struct ectx *c, const struct qref *r)
{
	char	path[600];

	if (errno == ENOENT)
		return;		/* delivered or expired meanwhile */
	if (!qitem_damaged(r, errno)) {
		(void)qref_path(path, sizeof(path), r);
		log_warnx("unable to read %s (%s)", path, strerror(errno));
	}
	c->failed = 1;
}

/*
 * item - one message: expire it, warn about it, or leave it alone. The
 * look is at its envelope; before anything is done, it is claimed whole
 * (its message checked, as snf-send checks it): a damaged message is
 * never returned, reported on, rewritten or removed.
 */
static void
item(struct ectx *c, const struct dset *ds, const struct qref *r)
{
	struct qitem	q;
	int64_t		age;
	int		act;

	if (qitem_open(r->dfd, r->id, &q) == -1) {
		unreadable(c, r);
		return;
	}
	act = decide(c, ds, &q.env, &age);
	if (act != ACT_NONE && c->dry)
		say("would-%s\t%s\t%s\t%lld\t%s", act == ACT_EXPIRE ? "expire" :
		    "warn", r->id, ds->domain, (long long)age, sender(&q.env));
	qitem_close(&q);
	if (act == ACT_NONE || c->dry || held(c, ds->domain))
		return;
	if (qitem_claim_whole(r, &q) == -1) {
		if (errno == EAGAIN)
			log_event("busy id=%s domain=%s: left for the next run",
			    r->id, ds->domain);
		else
			unreadable(c, r);
		return;
	}
	/* decided again on what the lock holds: it may have been rewritten */
	act = decide(c, ds, &q.env, &age);
	if (act == ACT_EXPIRE)
		expire_one(c, ds, r, &q, age);
	else if (act == ACT_WARN)
		warn_one(c, ds, r, &q, age);
	qitem_close(&q);
}

/*
 * settings - the domain's lifetime and warning age. A bad lifetime
 * (settings.c has warned) stops the domain's expiry for this run: mail
 * is never returned on a guess. A bad warning age turns warnings off.
 */
static int
settings(struct ectx *c, const char *name, struct dset *ds)
{
	ds->domain = name;
	if (setting_duration(c->root, name, "lifetime", EXPIRE_LIFETIME,
	    &ds->lifetime) == -1) {
		c->failed = 1;
		return -1;
	}
	if (setting_duration(c->root, name, "delay_warning", 0,
	    &ds->warn) == -1) {
		c->failed = 1;
		ds->warn = 0;
	}
	return 0;
}

static void
domain(struct ectx *c, const char *name)
{
	struct qlist	l;
	struct qref	r;
	struct dset	ds;
	size_t		i;

	if (held(c, name) || settings(c, name, &ds) == -1)
		return;
	if ((r.dfd = rdir_open(c->root, RD_MAIL, name, 0)) == -1) {
		if (errno != ENOENT) {
			log_warnx("unable to open queue/mail/%s (%s)", name,
			    strerror(errno));
			c->failed = 1;
		}
		return;
	}
	if (qscan_items(r.dfd, &l) == -1) {
		log_warnx("unable to read queue/mail/%s (%s)", name,
		    strerror(errno));
		c->failed = 1;
	}
	r.where = RD_MAIL;
	r.domain = name;
	for (i = 0; i < l.n; i++) {
		r.id = l.v[i].id;
		item(c, &ds, &r);
	}
	/* what expired (or was warned) stays so after a power cut */
	if (!c->dry)
		(void)fsync(r.dfd);
	qlist_free(&l);
	close(r.dfd);
}

/* expire_queue - every domain folder of queue/mail/, by name. */
void
expire_queue(struct ectx *c)
{
	struct names	ds = { 0 };
	size_t		i;

	if (qscan_domains(c->root, RD_MAIL, &ds) == -1) {
		log_warnx("unable to read queue/mail (%s)", strerror(errno));
		c->failed = 1;
	}
	for (i = 0; i < ds.n; i++)
		domain(c, ds.v[i]);
	names_free(&ds);
}
