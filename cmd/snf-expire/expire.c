/*
 * expire.c - the walk over queue/mail/D/ID. A message older than its
 * domain's lifetime goes back to its sender and leaves the queue; one
 * older than the warning age gets one delay warning, recorded in its
 * envelope (W) so that it never gets a second. A held domain is skipped
 * whole, and queue/hold/ is never looked at. An item is first read
 * without a lock to decide, then claimed and decided again before
 * anything is done to it: a busy item is left for the next run.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "domain.h"
#include "exitcodes.h"
#include "log.h"
#include "qupdate.h"
#include "expire.h"

enum { ACT_NONE, ACT_EXPIRE, ACT_WARN };

struct names {
	char	**v;
	size_t	  n, cap;
};

struct dset {			/* one domain and its settings */
	const char	*domain;
	int64_t		 lifetime;
	int64_t		 warn;		/* delay warning age; 0: off */
};

static void
names_add(struct names *ns, const char *s)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		ns->v = reallocarray(ns->v, ns->cap, sizeof(*ns->v));
		if (ns->v == NULL)
			die_sys(SNF_EXIT_TEMP, "out of memory");
	}
	if ((ns->v[ns->n++] = strdup(s)) == NULL)
		die_sys(SNF_EXIT_TEMP, "out of memory");
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_free(struct names *ns)
{
	size_t	i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = ns->cap = 0;
}

/*
 * read_names - the entries of folder path that ok() accepts, sorted (so
 * that domains come by name and messages by age). A missing folder is
 * empty; -1 when it cannot be read.
 */
static int
read_names(int root, const char *path, int (*ok)(const char *),
    struct names *ns)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	if ((fd = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (ok(de->d_name))
			names_add(ns, de->d_name);
	closedir(d);
	if (ns->n > 1)
		qsort(ns->v, ns->n, sizeof(*ns->v), cmp_names);
	return 0;
}

static int
domain_ok(const char *name)
{
	return name[0] != '.' && env_domain_ok(name);
}

/*
 * held - domains/D/hold exists: nothing is delivered and nothing expires.
 * When that cannot be known, the domain counts as held: returning mail
 * is the one thing that cannot be undone.
 */
static int
held(struct ectx *c, const char *domain)
{
	char	path[300];

	if (domain_path(path, sizeof(path), domain, "hold") == -1)
		return 0;	/* an address literal: no settings */
	if (faccessat(c->root, path, F_OK, 0) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	log_event("warning unable to check %s (%s): domain treated as held",
	    path, strerror(errno));
	c->failed = 1;
	return 1;
}

/*
 * duration - setting name of domain: domains/D/name, else control/name,
 * else dflt. -1 (with a warning) when a file is there but unreadable or
 * not a duration: the caller does not guess.
 */
static int
duration(struct ectx *c, const char *domain, const char *name, int64_t dflt,
    int64_t *out)
{
	char	path[300];

	snprintf(path, sizeof(path), "control/%s", name);
	if (control_duration(c->root, path, dflt, out) == 0) {
		dflt = *out;
		if (domain_path(path, sizeof(path), domain, name) == -1 ||
		    control_duration(c->root, path, dflt, out) == 0)
			return 0;
	}
	log_event("warning %s is unreadable or not a duration (%s)", path,
	    strerror(errno));
	c->failed = 1;
	return -1;
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
expire_one(struct ectx *c, const struct dset *ds, const char *path,
    const char *id, struct qitem *q, int64_t age)
{
	const struct envelope	*e = &q->env;
	int			 r;

	if ((r = notice_send(c, q, "failed", age, 0)) == -1) {
		log_event("warning id=%s kept: its report is not queued, the "
		    "next run tries again", id);
		c->failed = 1;
		return;
	}
	if (qitem_remove(c->root, path) == -1 && errno != ENOENT) {
		log_event("warning unable to remove %s (%s)", path,
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
warn_one(struct ectx *c, const struct dset *ds, const char *path,
    const char *id, struct qitem *q, int64_t age)
{
	struct envelope	ne = q->env;
	struct stat	st;
	int64_t		until;
	int		r;

	until = ds->lifetime > INT64_MAX - q->env.arrival ? INT64_MAX :
	    q->env.arrival + ds->lifetime;
	if ((r = notice_send(c, q, "delayed", age, until)) <= 0) {
		if (r == -1)
			c->failed = 1;
		return;
	}
	ne.warned = c->now;
	if (fstat(q->fd, &st) == -1 ||
	    qitem_rewrite(c->root, path, q, &ne, (int64_t)st.st_mtime) == -1) {
		log_event("warning unable to record the warning in %s (%s): "
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

/* unreadable - an item that cannot be read is left where it is. */
static void
unreadable(struct ectx *c, const char *path)
{
	if (errno == ENOENT)
		return;		/* delivered or expired meanwhile */
	if (errno == EBADMSG)
		log_event("warning %s is damaged: left in place", path);
	else
		log_event("warning unable to read %s (%s)", path,
		    strerror(errno));
	c->failed = 1;
}

/* item - one message: expire it, warn about it, or leave it alone. */
static void
item(struct ectx *c, const struct dset *ds, const char *id)
{
	struct qitem	q;
	char		path[600];
	int64_t		age;
	int		act;

	snprintf(path, sizeof(path), QUEUE_MAIL "/%s/%s", ds->domain, id);
	if (qitem_open(c->root, path, &q) == -1) {
		unreadable(c, path);
		return;
	}
	act = decide(c, ds, &q.env, &age);
	if (act != ACT_NONE && c->dry)
		say("would-%s\t%s\t%s\t%lld\t%s", act == ACT_EXPIRE ? "expire" :
		    "warn", id, ds->domain, (long long)age, sender(&q.env));
	qitem_close(&q);
	if (act == ACT_NONE || c->dry || held(c, ds->domain))
		return;
	if (qitem_claim(c->root, path, &q) == -1) {
		if (errno == EAGAIN)
			log_event("busy id=%s domain=%s: left for the next run",
			    id, ds->domain);
		else
			unreadable(c, path);
		return;
	}
	/* decided again on what the lock holds: it may have been rewritten */
	act = decide(c, ds, &q.env, &age);
	if (act == ACT_EXPIRE)
		expire_one(c, ds, path, id, &q, age);
	else if (act == ACT_WARN)
		warn_one(c, ds, path, id, &q, age);
	qitem_close(&q);
}

static void
domain(struct ectx *c, const char *name)
{
	struct names	ids = { 0 };
	struct dset	ds;
	char		path[300];
	size_t		i;

	if (held(c, name))
		return;
	ds.domain = name;
	if (duration(c, name, "lifetime", EXPIRE_LIFETIME, &ds.lifetime) == -1)
		return;		/* never return mail on a guess */
	if (duration(c, name, "delay_warning", 0, &ds.warn) == -1)
		ds.warn = 0;
	snprintf(path, sizeof(path), QUEUE_MAIL "/%s", name);
	if (read_names(c->root, path, queue_id_valid, &ids) == -1) {
		log_event("warning unable to read %s (%s)", path,
		    strerror(errno));
		c->failed = 1;
	}
	for (i = 0; i < ids.n; i++)
		item(c, &ds, ids.v[i]);
	names_free(&ids);
}

/* expire_queue - every domain folder of queue/mail/, by name. */
void
expire_queue(struct ectx *c)
{
	struct names	ds = { 0 };
	size_t		i;

	if (read_names(c->root, QUEUE_MAIL, domain_ok, &ds) == -1) {
		log_event("warning unable to read " QUEUE_MAIL " (%s)",
		    strerror(errno));
		c->failed = 1;
	}
	for (i = 0; i < ds.n; i++)
		domain(c, ds.v[i]);
	names_free(&ds);
}
