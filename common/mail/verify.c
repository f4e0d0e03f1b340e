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
 * A callout is made only when the record is missing or older than its
 * refresh age, and never while the primary is remembered as down. A
 * failed callout writes nothing, so it can never undo a positive. The
 * callouts in flight to one domain's primary are capped (cache/D/.slot.N
 * locks), so a spam run at this host cannot flood the customer's server.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "domain.h"
#include "envelope.h"
#include "route.h"
#include "vcache.h"
#include "verify.h"

#define CATCHALL_TTL	86400	/* seconds a catch-all probe result holds */
#define RCPTS_PER_MAIL	50	/* RCPTs before a new MAIL transaction */
#define SELF_MAX	32

enum { CO_POSITIVE, CO_NEGATIVE, CO_UNAVAILABLE, CO_BUSY };

struct vset {			/* the settings of one domain */
	int64_t		pos_ttl, neg_ttl, pos_refresh, neg_refresh;
	int64_t		down_ttl, timeout_ms, total_ms;
	unsigned	max_inflight;
	int		keep_positive, catchall_accept;
};

static int64_t
dur(int root, const char *domain, const char *name, int64_t dflt)
{
	char	path[300];
	int64_t	v;

	if (domain && domain_path(path, sizeof(path), domain, name) == 0) {
		if (control_duration(root, path, INT64_MIN, &v) == 0 &&
		    v != INT64_MIN)
			return v;
	}
	snprintf(path, sizeof(path), "control/%s", name);
	if (control_duration(root, path, dflt, &v) == -1)
		return dflt;
	return v;
}

static void
settings(int root, const char *d, struct vset *vs)
{
	char		path[300], mode[32];
	uint64_t	n;

	vs->pos_ttl = dur(root, d, "positive_ttl", 86400);
	vs->neg_ttl = dur(root, d, "negative_ttl", 1800);
	vs->pos_refresh = dur(root, d, "positive_refresh", vs->pos_ttl / 4);
	vs->neg_refresh = dur(root, d, "negative_refresh", vs->neg_ttl / 4);
	vs->down_ttl = dur(root, d, "callout_down", 60);
	vs->timeout_ms = dur(root, d, "callout_timeout", 10) * 1000;
	vs->total_ms = dur(root, d, "callout_total", 30) * 1000;
	if (control_uint(root, "control/callout_max", 4, &n) == -1 || n == 0 ||
	    n > 1000)
		n = 4;
	vs->max_inflight = (unsigned)n;
	domain_path(path, sizeof(path), d, "keep_positive");
	vs->keep_positive = control_flag(root, path, 0);
	domain_path(path, sizeof(path), d, "catchall");
	vs->catchall_accept = control_line(root, path, mode, sizeof(mode)) == 1 &&
	    strcmp(mode, "accept") == 0;
}

void
verify_init(struct verifier *v, int root)
{
	memset(v, 0, sizeof(*v));
	v->root = root;
	v->co.slot = -1;
	v->co.s.fd = -1;
}

/* verify_close - end a callout connection kept open, if any. */
void
verify_close(struct verifier *v)
{
	if (v->co.open)
		smtpc_quit(&v->co.s);
	if (v->co.slot != -1)
		close(v->co.slot);
	v->co.open = 0;
	v->co.slot = -1;
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

/* left - milliseconds to deadline, at most cap; 0 when it has passed. */
static int64_t
left(int64_t deadline, int64_t cap)
{
	int64_t	l = deadline - mono_ms();

	if (l < 0)
		l = 0;
	return l < cap ? l : cap;
}

static void
limit(struct smtpc *s, int64_t deadline, int64_t cap)
{
	s->t.connect = s->t.greeting = s->t.helo = s->t.mail = s->t.rcpt =
	    s->t.quit = left(deadline, cap);
}

/* user_unknown - a 5xx that says this user does not exist. */
static int
user_unknown(int code, const char *text)
{
	char	enh[16];

	if (code < 500 || code > 599)
		return 0;
	if (smtpc_enhanced(text, enh, sizeof(enh)))
		return strncmp(enh, "5.1.", 4) == 0;
	return code == 550 || code == 551 || code == 553;
}

/* mail_from - start a probe transaction; 0 when the primary took it. */
static int
mail_from(struct callout *co)
{
	co->rcpts = 0;
	if (smtpc_send(&co->s, "MAIL FROM:<%s>", co->sender) == -1)
		return -1;
	return smtpc_reply(&co->s, mono_ms() + co->s.t.mail) / 100 == 2 ? 0 : -1;
}

/*
 * probe_catchall - RCPT a local part nobody has: a primary that takes it
 * takes anything, and its 2xx says nothing about real users.
 */
static void
probe_catchall(int root, struct callout *co, const char *domain)
{
	int	yes, code;
	int64_t	when, now = (int64_t)time(NULL);

	co->catchall = -1;
	if (vcache_catchall_get(root, domain, &yes, &when) &&
	    now - when < CATCHALL_TTL && when <= now) {
		co->catchall = yes;
		return;
	}
	if (smtpc_send(&co->s, "RCPT TO:<snf-probe-%08x%04x@%s>", arc4random(),
	    arc4random() & 0xffff, domain) == -1)
		return;
	code = smtpc_reply(&co->s, mono_ms() + co->s.t.rcpt);
	co->rcpts++;
	if (code / 100 == 2)
		co->catchall = 1;
	else if (user_unknown(code, co->s.text))
		co->catchall = 0;
	if (co->catchall != -1)
		vcache_catchall_set(root, domain, co->catchall, now);
}

/* co_open - connect to domain's primary: route, greet, EHLO, MAIL. */
static int
co_open(struct verifier *v, const char *domain, const struct vset *vs,
    int64_t deadline, char *why, size_t wn)
{
	struct callout	*co = &v->co;
	char		 names[SELF_MAX][256], path[300];
	const char	*self[SELF_MAX];
	struct route	 r;
	int		 i, ns, code;

	if ((co->slot = vcache_slot(v->root, domain, vs->max_inflight)) == -1) {
		snprintf(why, wn, "%u callouts to the primary already in flight",
		    vs->max_inflight);
		return CO_BUSY;
	}
	if (route_for(v->root, domain, &r) != ROUTE_OK) {
		snprintf(why, wn, "no route: %s", r.why);
		return CO_UNAVAILABLE;
	}
	ns = self_names(v->root, names, SELF_MAX);
	for (i = 0; i < ns; i++)
		self[i] = names[i];
	co->sender[0] = '\0';
	if (domain_path(path, sizeof(path), domain, "callout_sender") == -1 ||
	    control_line(v->root, path, co->sender, sizeof(co->sender)) != 1)
		if (control_line(v->root, "control/callout_sender", co->sender,
		    sizeof(co->sender)) != 1)
			co->sender[0] = '\0';
	snprintf(why, wn, "no primary host answered");
	for (i = 0; i < r.n; i++) {
		limit(&co->s, deadline, vs->timeout_ms);
		if (smtpc_connect(&co->s, r.h[i].host, r.h[i].port) == -1) {
			snprintf(why, wn, "%s", co->s.text);
			continue;
		}
		code = smtpc_greeting(&co->s, self, ns);
		if (code == 220) {
			limit(&co->s, deadline, vs->timeout_ms);
			code = smtpc_ehlo(&co->s, names[0]);
		}
		if (code / 100 == 2) {
			limit(&co->s, deadline, vs->timeout_ms);
			if (mail_from(co) == 0) {
				strlcpy(co->domain, domain, sizeof(co->domain));
				co->open = 1;
				limit(&co->s, deadline, vs->timeout_ms);
				probe_catchall(v->root, co, domain);
				return CO_POSITIVE;	/* open */
			}
		}
		snprintf(why, wn, "%s: ", r.h[i].host);
		strlcat(why, co->s.text, wn);
		smtpc_close(&co->s);
	}
	return CO_UNAVAILABLE;
}

/*
 * callout - ask the primary about the address in key's form. Returns
 * CO_POSITIVE, CO_NEGATIVE, CO_UNAVAILABLE or CO_BUSY, with the reply
 * or the reason in why.
 */
static int
callout(struct verifier *v, const struct addr *a, const struct vset *vs,
    char *why, size_t wn)
{
	struct callout	*co = &v->co;
	int64_t		 deadline = mono_ms() + vs->total_ms;
	int		 code, r;

	if (co->open && strcmp(co->domain, a->domain) != 0)
		verify_close(v);
	if (!co->open) {
		if ((r = co_open(v, a->domain, vs, deadline, why, wn)) !=
		    CO_POSITIVE) {
			verify_close(v);
			return r;
		}
	}
	limit(&co->s, deadline, vs->timeout_ms);
	if (co->rcpts >= RCPTS_PER_MAIL && (smtpc_send(&co->s, "RSET") == -1 ||
	    smtpc_reply(&co->s, mono_ms() + co->s.t.mail) / 100 != 2 ||
	    mail_from(co) == -1)) {
		snprintf(why, wn, "%s", co->s.text);
		verify_close(v);
		return CO_UNAVAILABLE;
	}
	if (smtpc_send(&co->s, "RCPT TO:<%s@%s>", a->local, a->domain) == -1)
		code = -1;
	else
		code = smtpc_reply(&co->s, mono_ms() + co->s.t.rcpt);
	co->rcpts++;
	snprintf(why, wn, "%s", co->s.text);
	if (code == -1 || code == 421) {
		/* no QUIT to a server that stopped answering: it would wait
		 * once more, past callout_total */
		smtpc_close(&co->s);
		co->open = 0;
		verify_close(v);
		return CO_UNAVAILABLE;
	}
	if (code / 100 == 2)
		return CO_POSITIVE;
	if (user_unknown(code, co->s.text))
		return CO_NEGATIVE;
	return CO_UNAVAILABLE;	/* 4xx, or a policy 5xx: no answer */
}

/* from_cache - the decision when the primary cannot answer. */
static int
from_cache(const struct vrec *rec, int64_t age, const struct vset *vs,
    const char *reason, char *why, size_t wn)
{
	char	at[32];

	age_text(at, sizeof(at), age);
	if (rec->kind == VREC_POSITIVE && (age < vs->pos_ttl || vs->keep_positive)) {
		snprintf(why, wn, "cache positive, %s old (primary: %s)", at,
		    reason);
		return VERDICT_ACCEPT;
	}
	if (rec->kind == VREC_NEGATIVE && age < vs->neg_ttl) {
		snprintf(why, wn, "cache negative, %s old (primary: %s)", at,
		    reason);
		return VERDICT_REJECT;
	}
	snprintf(why, wn, "no live record and the primary cannot answer: %s",
	    reason);
	return VERDICT_DEFER;
}

/* cloud - the decision for a cloudprotect domain. */
static int
cloud(struct verifier *v, const struct addr *a, char *why, size_t wn)
{
	struct vset	vs;
	struct vrec	rec;
	char		key[ADDR_PATH_MAX * 2], reason[SMTPC_TEXT_MAX + 100];
	char		at[32];
	int64_t		now = (int64_t)time(NULL), age = 0, until;
	int		r, yes;

	settings(v->root, a->domain, &vs);
	if (vcache_key(v->root, a, key, sizeof(key)) == -1 ||
	    vcache_get(v->root, a->domain, key, &rec) == -1) {
		snprintf(why, wn, "address too long for the cache");
		return VERDICT_REJECT;
	}
	if (vs.catchall_accept && vcache_catchall_get(v->root, a->domain, &yes,
	    &until) && yes && until <= now && now - until < CATCHALL_TTL) {
		snprintf(why, wn, "the primary accepts any address (catch-all), "
		    "and the domain says accept");
		return VERDICT_ACCEPT;
	}
	if (rec.kind != VREC_NONE)
		age = now > rec.when ? now - rec.when : 0;
	age_text(at, sizeof(at), age);
	if (rec.kind == VREC_POSITIVE && age < vs.pos_refresh) {
		snprintf(why, wn, "cache positive, %s old", at);
		return VERDICT_ACCEPT;
	}
	if (rec.kind == VREC_NEGATIVE && age < vs.neg_refresh) {
		snprintf(why, wn, "cache negative, %s old", at);
		return VERDICT_REJECT;
	}
	if (v->cache_only)
		return from_cache(&rec, age, &vs, "not asked (cache only)", why,
		    wn);
	if (vcache_down_get(v->root, a->domain, &until, reason,
	    sizeof(reason)) && until > now && until - now <= vs.down_ttl) {
		strlcat(reason, " (remembered as down)", sizeof(reason));
		return from_cache(&rec, age, &vs, reason, why, wn);
	}
	r = callout(v, a, &vs, reason, sizeof(reason));
	if (r == CO_POSITIVE) {
		if (v->co.catchall != 1)
			vcache_put(v->root, a->domain, key, VREC_POSITIVE, now);
		vcache_down_clear(v->root, a->domain);
		snprintf(why, wn, "primary said: %s%s", reason,
		    v->co.catchall == 1 ? " (catch-all: not cached)" : "");
		return VERDICT_ACCEPT;
	}
	if (r == CO_NEGATIVE) {
		vcache_put(v->root, a->domain, key, VREC_NEGATIVE, now);
		vcache_down_clear(v->root, a->domain);
		snprintf(why, wn, "primary said: %s", reason);
		return VERDICT_REJECT;
	}
	if (r == CO_UNAVAILABLE)
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

/* expire_domain - dead records and leftovers in cache/D. */
static int
expire_domain(int root, const char *domain, int dry, int64_t now,
    void (*said)(const char *, const char *, const char *))
{
	struct vset	 vs;
	struct dirent	*de;
	struct stat	 st;
	char		 dir[300], path[600], line[ADDR_PATH_MAX + 64];
	DIR		*d;
	int		 fd, n = 0, dead;
	int64_t		 when, age;

	settings(root, domain, &vs);
	snprintf(dir, sizeof(dir), VCACHE_DIR "/%s", domain);
	if ((fd = openat(root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, ".slot.", 6) == 0 ||
		    strcmp(de->d_name, ".catchall") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		dead = 0;
		if (strcmp(de->d_name, ".down") == 0) {
			dead = control_read(root, path, line, sizeof(line)) > 0 &&
			    strtoll(line, NULL, 10) < now;
		} else if (de->d_name[0] == '.') {	/* a crash's temp file */
			dead = fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    now - st.st_mtime > 129600;
		} else if (control_read(root, path, line, sizeof(line)) > 0) {
			when = strtoll(strchr(line, ' ') ? strchr(line, ' ') + 1 :
			    "0", NULL, 10);
			age = now > when ? now - when : 0;
			if (strncmp(line, "positive ", 9) == 0)
				dead = age >= vs.pos_ttl && !vs.keep_positive;
			else if (strncmp(line, "negative ", 9) == 0)
				dead = age >= vs.neg_ttl;
			else
				dead = 1;
		}
		if (!dead)
			continue;
		if (said)
			said(domain, de->d_name, dry ? "would remove" : "removed");
		if (!dry)
			unlinkat(root, path, 0);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * verify_expire - remove dead cache records (past their TTL; positives
 * are kept while domains/D/keep_positive is set), expired down memos
 * and temporary files left by a crash (older than 36 hours). With dry,
 * only say what would go. Returns how many.
 */
int
verify_expire(int root, int dry, int64_t now,
    void (*said)(const char *, const char *, const char *))
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, n = 0;

	if ((fd = openat(root, VCACHE_DIR, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && env_domain_ok(de->d_name))
			n += expire_domain(root, de->d_name, dry, now, said);
	closedir(d);
	return n;
}
