/*
 * list.c - snf-queue's read-only verbs, status and list. Output is for
 * scripts: one line per domain or message, fields separated by tabs,
 * stable order (domains by name, messages by arrival). Addresses cannot
 * contain a tab, so the recipients are the last fields of a line. Only
 * at a terminal does status add a summary line, starting with "#".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "domain.h"
#include "dstate.h"
#include "exitcodes.h"
#include "log.h"
#include "qscan.h"
#include "rootdir.h"
#include "snfq.h"
#include "vcache.h"

/* domains - the named domains, or every protected, queued or held one. */
static void
domains(struct sel *s, struct names *ns)
{
	static const int	which[] = { RD_DOMAINS, RD_MAIL, RD_HOLD };
	size_t			i;

	if (s->domains.n > 0) {
		for (i = 0; i < s->domains.n; i++)
			if (names_add(ns, s->domains.v[i]) == -1)
				die_sys(SNF_EXIT_TEMP, "out of memory");
		return;
	}
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		if (qscan_domains(s->root, which[i], ns) == -1) {
			log_warn("unable to read %s", rdir_name(which[i]));
			s->failures++;
		}
	names_sort(ns);
}

static int64_t
age_of(int64_t arrival, int64_t now)
{
	return now > arrival ? now - arrival : 0;
}

static const char *
mode_name(int root, const char *domain)
{
	switch (domain_mode(root, domain)) {
	case DOMAIN_USER:	return "userprotect";
	case DOMAIN_CLOUD:	return "cloudprotect";
	case DOMAIN_BROKEN:	return "broken";
	default:		return "-";
	}
}

/*
 * callout_state - what the recipient cache knows of a cloudprotect
 * domain's primary: "catch-all", "refused" (it refuses this host's
 * callouts), else "down" (a callout failed recently), or "-".
 */
static const char *
callout_state(int root, const char *domain, int64_t now)
{
	char	why[8];
	int64_t	until, when;
	int	yes = 0, ca, down;

	ca = vcache_catchall_get(root, domain, &yes, &when) && yes;
	if (vcache_refused_get(root, domain, &when, why, sizeof(why)))
		return ca ? "catch-all,refused" : "refused";
	down = vcache_down_get(root, domain, &until, why, sizeof(why)) &&
	    until > now;
	if (ca && down)
		return "catch-all,down";
	return ca ? "catch-all" : down ? "down" : "-";
}

/*
 * status_line - domain, mode, state, seconds in that state, held,
 * messages, bytes, oldest age, seconds to the next attempt, the
 * callout state, last error. A primary that refuses this host's
 * callouts shows the domain refused, with its reply, whatever the
 * deliveries found.
 */
static void
status_line(int root, const char *domain, size_t count,
    unsigned long long bytes, int64_t oldest, int64_t now)
{
	struct dstate	st;
	int64_t		when;
	int		hold;

	state_read(root, domain, &st);
	if (st.state != DS_REFUSED && vcache_refused_get(root, domain, &when,
	    st.error, sizeof(st.error))) {
		st.state = DS_REFUSED;
		st.since = when;
	}
	hold = domain_held(root, domain) == 1;
	printf("%s\t%s\t%s\t%lld\t%s\t%zu\t%llu\t%lld\t%lld\t%s\t%s\t%s\n",
	    domain, mode_name(root, domain), dstate_name(st.state),
	    (long long)(st.since ? age_of(st.since, now) : 0), hold ? "held" :
	    "-", count, bytes, (long long)oldest,
	    (long long)(st.next > now ? st.next - now : 0),
	    callout_state(root, domain, now), st.error,
	    st.tls[0] ? st.tls : "-");
}

/* tally - count the items of one domain in one folder. */
static void
tally(struct sel *s, int where, const char *domain, size_t *count,
    unsigned long long *bytes, int64_t *oldest)
{
	struct qlist	l;
	size_t		j;
	int		dfd;

	if ((dfd = rdir_open(s->root, where, domain, 0)) == -1) {
		if (errno != ENOENT) {
			log_warn("unable to open %s/%s", rdir_name(where), domain);
			s->failures++;
		}
		return;
	}
	if (qscan_items(dfd, &l) == -1) {
		log_warn("unable to read %s/%s", rdir_name(where), domain);
		s->failures++;
	}
	close(dfd);
	for (j = 0; j < l.n; j++) {
		(*count)++;
		*bytes += (unsigned long long)l.v[j].size;
		if (queue_id_time(l.v[j].id) < *oldest)
			*oldest = queue_id_time(l.v[j].id);
	}
	qlist_free(&l);
}

struct total {
	size_t			domains, down, held, messages;
	unsigned long long	bytes;
	int64_t			oldest;
};

/* summary - one line for a person at a terminal, never for a pipe. */
static void
summary(const struct total *t, int64_t now)
{
	int64_t	age = t->messages ? age_of(t->oldest, now) : 0;

	if (!isatty(1))
		return;
	printf("# %zu domains, %zu down, %zu held; %zu messages, %.1f MB, "
	    "oldest %lldd%02lldh%02lldm\n", t->domains, t->down, t->held,
	    t->messages, (double)t->bytes / 1e6, (long long)(age / 86400),
	    (long long)(age % 86400 / 3600), (long long)(age % 3600 / 60));
}

struct lines {
	int64_t	now;
	int	verbose;	/* status -v: where it is, when it is next due */
};

/*
 * item_line - one line for item it: id, domain, [queued or held,] age,
 * size, [seconds to its next attempt,] sender or <>, recipients. A
 * damaged item (sel_read: its envelope and trailer are read, not its
 * message) or one that cannot be read has no line: it is named in a
 * warning, the others are listed, and the verb fails (exit 111).
 */
static int
item_line(struct sel *s, const struct qref *it, void *arg)
{
	struct lines	*l = arg;
	struct qitem	 q;
	size_t		 i;

	if (sel_read(s, it, &q) == -1)
		return 0;
	printf("%s\t%s", it->id, it->domain);
	if (l->verbose)
		printf("\t%s", it->where == RD_HOLD ? "held" : "queued");
	printf("\t%lld\t%llu", (long long)age_of(q.env.arrival, l->now),
	    (unsigned long long)q.env.size);
	if (l->verbose)
		printf("\t%lld", (long long)(it->where == RD_MAIL &&
		    q.mtime > l->now ? q.mtime - l->now : 0));
	printf("\t%s", q.env.sender[0] ? q.env.sender : "<>");
	for (i = 0; i < q.env.nrcpt; i++)
		printf("\t%s", q.env.rcpt[i].addr);
	putchar('\n');
	qitem_close(&q);
	return 1;
}

/*
 * queue_status - one line per domain (see status_line), or with -v one
 * line per message: id, domain, queued or held, age, size, seconds to
 * its next attempt, sender, recipients.
 */
int
queue_status(struct sel *s, int argc, char **argv)
{
	struct names	 ds = { 0 };
	struct total	 t;
	struct dstate	 st;
	unsigned long long bytes;
	int64_t		 now = (int64_t)time(NULL), oldest;
	size_t		 i, count;
	int		 root = s->root;

	sel_parse(argc, argv, "v", s);
	if (s->verbose) {
		struct lines	l = { now, 1 };

		s->listing = 1;
		sel_each(s, SEL_MAIL | SEL_HOLD, item_line, &l);
		return sel_exit(s);
	}
	domains(s, &ds);
	memset(&t, 0, sizeof(t));
	t.oldest = now;
	for (i = 0; i < ds.n; i++) {
		bytes = 0;
		count = 0;
		oldest = now;
		tally(s, RD_MAIL, ds.v[i], &count, &bytes, &oldest);
		tally(s, RD_HOLD, ds.v[i], &count, &bytes, &oldest);
		status_line(root, ds.v[i], count, bytes,
		    count ? age_of(oldest, now) : 0, now);
		state_read(root, ds.v[i], &st);
		t.domains++;
		t.down += st.state == DS_DOWN;
		t.held += domain_held(root, ds.v[i]) == 1;
		t.messages += count;
		t.bytes += bytes;
		if (oldest < t.oldest)
			t.oldest = oldest;
	}
	names_free(&ds);
	summary(&t, now);
	return sel_exit(s);
}

/*
 * queue_list - one line per message waiting for delivery (held ones are
 * in status -v): id, domain, age, size, sender or <>, recipients.
 */
int
queue_list(struct sel *s, int argc, char **argv)
{
	struct lines	l = { (int64_t)time(NULL), 0 };

	sel_parse(argc, argv, "r:s:a:b:i:", s);
	s->listing = 1;
	sel_each(s, SEL_MAIL, item_line, &l);
	return sel_exit(s);
}
