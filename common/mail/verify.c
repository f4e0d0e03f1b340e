/*
 * verify.c - the recipient decision (DESIGN.md's table is the spec):
 *
 *   primary's answer         cache record        reply
 *   2xx to RCPT              positive            accept
 *   5xx, user unknown        negative            reject
 *   anything else            (cache consulted)   live positive: accept,
 *                                                live negative: reject,
 *                                                no live record: defer
 *
 * A callout (callout.c) is made only when the record is missing or
 * older than its refresh age, and never while the primary is remembered
 * as down. A failed callout writes nothing, so it can never undo a
 * positive. The cache's file format is vcache.c's alone.
 *
 * An address with no record at all may be asked about only within the
 * domain's budget of new negative records (negative_rate, vrate.c):
 * its place is taken before the callout and given back unless the
 * answer was "user unknown". Past the budget it is deferred, unasked:
 * the cache's files, and the primary, stay bounded whatever a flood of
 * made-up recipients does. A positive answer never spends the budget.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "control.h"
#include "domain.h"
#include "dstate.h"
#include "log.h"
#include "qscan.h"
#include "rootdir.h"
#include "settings.h"
#include "verify.h"

#define CATCHALL_TTL	86400	/* seconds a catch-all probe result holds */
#define DEF_NEG_RATE	30	/* new negative records a minute */

struct vset {			/* the settings of one domain */
	struct vttl		ttl;
	int64_t			pos_refresh, neg_refresh, down_ttl;
	struct callout_limits	lim;
	int			catchall_accept;
	unsigned		neg_rate;	/* new negative records a minute */
};

static int64_t
dur(int root, const char *domain, const char *name, int64_t dflt)
{
	int64_t	v;

	(void)setting_duration(root, domain, name, dflt, &v);
	return v;
}

/* ttls - the times to live of domain d's records. */
static void
ttls(int root, const char *d, struct vttl *t)
{
	t->pos_ttl = dur(root, d, "positive_ttl", 86400);
	t->neg_ttl = dur(root, d, "negative_ttl", 1800);
	t->keep_positive = setting_flag(root, d, "keep_positive", 0);
}

static void
settings(int root, const char *d, struct vset *vs)
{
	char		word[32];
	uint64_t	n;

	ttls(root, d, &vs->ttl);
	vs->pos_refresh = dur(root, d, "positive_refresh", vs->ttl.pos_ttl / 4);
	vs->neg_refresh = dur(root, d, "negative_refresh", vs->ttl.neg_ttl / 4);
	vs->down_ttl = dur(root, d, "callout_down", 60);
	vs->lim.timeout_ms = dur(root, d, "callout_timeout", 10) * 1000;
	vs->lim.total_ms = dur(root, d, "callout_total", 30) * 1000;
	(void)setting_count(root, NULL, "callout_max", 4, 1, 1000, &n);
	vs->lim.max_inflight = (unsigned)n;
	vs->catchall_accept = setting_line(root, d, "catchall", word,
	    sizeof(word)) == 1 && strcmp(word, "accept") == 0;
	(void)setting_count(root, d, "negative_rate", DEF_NEG_RATE, 1,
	    VRATE_MAX, &n);
	vs->neg_rate = (unsigned)n;
}

void
verify_init(struct verifier *v, int root, const char *rootpath)
{
	memset(v, 0, sizeof(*v));
	v->root = root;
	v->rootpath = rootpath;
	callout_init(&v->co);
}

/* verify_close - end a callout connection kept open, if any. */
void
verify_close(struct verifier *v)
{
	callout_close(&v->co);
}

static void
age_text(char *buf, size_t size, int64_t age)
{
	if (age < 120)
		snprintf(buf, size, "%llds", (long long)age);
	else if (age < 7200)
		snprintf(buf, size, "%lldm", (long long)(age / 60));
	else if (age < 172800)
		snprintf(buf, size, "%lldh", (long long)(age / 3600));
	else
		snprintf(buf, size, "%lldd", (long long)(age / 86400));
}

/* from_cache - the decision when the primary cannot answer. */
static int
from_cache(const struct vrec *rec, int64_t age, const struct vset *vs,
    const char *reason, char *why, size_t wn)
{
	char	at[32];

	age_text(at, sizeof(at), age);
	if (rec->kind == VREC_POSITIVE && (age < vs->ttl.pos_ttl ||
	    vs->ttl.keep_positive)) {
		snprintf(why, wn, "cache positive, %s old (primary: %s)", at,
		    reason);
		return VERDICT_ACCEPT;
	}
	if (rec->kind == VREC_NEGATIVE && age < vs->ttl.neg_ttl) {
		snprintf(why, wn, "cache negative, %s old (primary: %s)", at,
		    reason);
		return VERDICT_REJECT;
	}
	snprintf(why, wn, "no live record and the primary cannot answer: %s",
	    reason);
	return VERDICT_DEFER;
}

/* fresh - the decision the cache gives alone, or -1 to ask the primary. */
static int
fresh(struct verifier *v, const struct addr *a, const struct vset *vs,
    const struct vrec *rec, int64_t age, char *why, size_t wn)
{
	char	at[32];
	int64_t	when, now = (int64_t)time(NULL);
	int	yes;

	if (vs->catchall_accept && vcache_catchall_get(v->root, a->domain, &yes,
	    &when) && yes && when <= now && now - when < CATCHALL_TTL) {
		snprintf(why, wn, "the primary accepts any address (catch-all), "
		    "and the domain says accept");
		return VERDICT_ACCEPT;
	}
	age_text(at, sizeof(at), age);
	if (rec->kind == VREC_POSITIVE && age < vs->pos_refresh) {
		snprintf(why, wn, "cache positive, %s old", at);
		return VERDICT_ACCEPT;
	}
	if (rec->kind == VREC_NEGATIVE && age < vs->neg_refresh) {
		snprintf(why, wn, "cache negative, %s old", at);
		return VERDICT_REJECT;
	}
	return -1;
}

/*
 * refused - the primary refuses this host's callouts (rclass.c): the
 * domain shows as refused (snf-queue status), and the process that
 * first finds it runs the alert program, without waiting for it.
 */
static void
refused(struct verifier *v, const char *domain, const char *reason)
{
	struct alert_ctx	a;
	struct dstate		st;
	char			me[256];
	int64_t			now = (int64_t)time(NULL);

	if (vcache_refused_set(v->root, domain, now, reason) != 1)
		return;
	log_event("refused domain=%s stage=callout reply=%s", domain,
	    logesc(reason));
	state_read(v->root, domain, &st);
	st.state = DS_REFUSED;
	st.since = now;
	strlcpy(st.error, reason, sizeof(st.error));
	control_me(v->root, me, sizeof(me));
	a.root = v->root;
	a.rootpath = v->rootpath;
	a.me = me;
	alert_run(&a, domain, "refused", &st, 0);
}

/* answered - the primary answered a callout: it is neither down nor
 * refusing this host any more */
static void
answered(struct verifier *v, const char *domain)
{
	vcache_down_clear(v->root, domain);
	vcache_refused_clear(v->root, domain);
}

/*
 * budget - take a place among domain's new negative records of this
 * minute for a callout about an address the cache does not know: -1
 * when taken, else the verdict (defer). One client (an IPv4 address,
 * an IPv6 /64) may take a quarter of them, rounded up.
 */
static int
budget(struct verifier *v, const char *domain, const struct vset *vs,
    int64_t now, char *client, size_t cn, char *why, size_t wn)
{
	struct vrate	b;

	(void)vcache_rate_client(v->client, client, cn);
	b.rate = vs->neg_rate;
	b.share = (vs->neg_rate + 3) / 4;
	b.client = client;
	switch (vcache_rate_take(v->root, domain, &b, now)) {
	case VRATE_TAKEN:
		return -1;
	case VRATE_SPENT:
		snprintf(why, wn, "negative_rate spent: %u new unknown users a "
		    "minute for %s; not asked", b.rate, domain);
		v->limited = 1;
		return VERDICT_DEFER;
	case VRATE_CLIENT:
		snprintf(why, wn, "negative_rate spent by client %s: its share "
		    "is %u of %u new unknown users a minute for %s; not asked",
		    client, b.share, b.rate, domain);
		v->limited = 1;
		return VERDICT_DEFER;
	}
	snprintf(why, wn, "the recipient cache cannot be used (cache/%s/.rate: "
	    "%s)", domain, strerror(errno));
	return VERDICT_DEFER;
}

/* cloud - the decision for a cloudprotect domain. */
static int
cloud(struct verifier *v, const struct addr *a, char *why, size_t wn)
{
	struct vset	vs;
	struct vrec	rec;
	char		key[ADDR_PATH_MAX * 2], reason[SMTPC_TEXT_MAX + 100];
	char		client[64];
	int64_t		now = (int64_t)time(NULL), age = 0, until;
	int		r, taken = 0;

	settings(v->root, a->domain, &vs);
	if (vcache_key(v->root, a, key, sizeof(key)) == -1 ||
	    vcache_get(v->root, a->domain, key, &rec) == -1) {
		snprintf(why, wn, "address too long for the cache");
		return VERDICT_REJECT;
	}
	if (rec.kind != VREC_NONE)
		age = now > rec.when ? now - rec.when : 0;
	if ((r = fresh(v, a, &vs, &rec, age, why, wn)) != -1)
		return r;
	if (v->cache_only)
		return from_cache(&rec, age, &vs, "not asked (cache only)", why,
		    wn);
	if (vcache_down_get(v->root, a->domain, &until, reason,
	    sizeof(reason)) && until > now && until - now <= vs.down_ttl) {
		strlcat(reason, " (remembered as down)", sizeof(reason));
		return from_cache(&rec, age, &vs, reason, why, wn);
	}
	if (rec.kind == VREC_NONE) {
		/* a "user unknown" would be a new file */
		if ((r = budget(v, a->domain, &vs, now, client, sizeof(client),
		    why, wn)) != -1)
			return r;
		taken = 1;
	}
	r = callout_ask(&v->co, v->root, v->rootpath, a, &vs.lim, reason,
	    sizeof(reason));
	if (taken && r != CO_NEGATIVE)
		vcache_rate_give(v->root, a->domain, client, now);
	if (r == CO_POSITIVE) {
		if (v->co.catchall != 1)
			vcache_put(v->root, a->domain, key, VREC_POSITIVE, now);
		answered(v, a->domain);
		snprintf(why, wn, "primary said: %s%s", reason,
		    v->co.catchall == 1 ? " (catch-all: not cached)" : "");
		return VERDICT_ACCEPT;
	}
	if (r == CO_NEGATIVE) {
		vcache_put(v->root, a->domain, key, VREC_NEGATIVE, now);
		answered(v, a->domain);
		snprintf(why, wn, "primary said: %s", reason);
		return VERDICT_REJECT;
	}
	if (r == CO_TEMP) {
		/* an answer about this address alone: nothing is recorded,
		 * and no other address is decided by it */
		snprintf(why, wn, "primary said: %s", reason);
		return VERDICT_DEFER;
	}
	if (r == CO_REFUSED)
		refused(v, a->domain, reason);
	if (r == CO_UNAVAILABLE || r == CO_REFUSED)
		/* remembered from now, when the callout gave up */
		vcache_down_set(v->root, a->domain, (int64_t)time(NULL) +
		    vs.down_ttl, reason);
	return from_cache(&rec, age, &vs, reason, why, wn);
}

/*
 * verify - decide recipient a (already parsed, with its domain). Returns
 * a VERDICT_*, with the reason in why.
 */
int
verify(struct verifier *v, const struct addr *a, char *why, size_t wn)
{
	v->limited = 0;
	if ((a->flags & ADDR_F_LITERAL) || addr_has_routing(a)) {
		snprintf(why, wn, "routing through the address is refused");
		return VERDICT_REJECT;
	}
	switch (domain_mode(v->root, a->domain)) {
	case DOMAIN_NONE:
		snprintf(why, wn, "not a protected domain");
		return VERDICT_REJECT;
	case DOMAIN_BROKEN:
		snprintf(why, wn, "domains/%s/mode unreadable or unknown",
		    a->domain);
		return VERDICT_DEFER;
	case DOMAIN_CLOUD:
		return cloud(v, a, why, wn);
	case DOMAIN_USER:
		break;
	}
	switch (domain_user_listed(v->root, a)) {
	case 1:
		snprintf(why, wn, "listed in domains/%s/users", a->domain);
		return VERDICT_ACCEPT;
	case 0:
		snprintf(why, wn, "not listed in domains/%s/users", a->domain);
		return VERDICT_REJECT;
	}
	snprintf(why, wn, "domains/%s/users unreadable", a->domain);
	return VERDICT_DEFER;
}

/*
 * verify_expire - remove dead cache records (past their TTL; positives
 * are kept while keep_positive is set), expired down memos, the counts
 * of new negative records of a past minute and temporary files left by
 * a crash, in every domain's cache folder. With
 * dry, only say what would go. Returns how many, or -1 with errno.
 */
int
verify_expire(int root, int dry, int64_t now, vcache_said said, void *arg)
{
	struct names	ds = { 0 };
	struct vttl	t;
	size_t		i;
	int		n = 0;

	if (qscan_domains(root, RD_CACHE, &ds) == -1)
		return -1;
	for (i = 0; i < ds.n; i++) {
		ttls(root, ds.v[i], &t);
		n += vcache_expire(root, ds.v[i], &t, dry, now, said, arg);
	}
	names_free(&ds);
	return n;
}
