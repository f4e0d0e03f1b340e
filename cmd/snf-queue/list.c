/*
 * list.c - snf-queue's read-only verbs. Output is for scripts: one line
 * per domain or message, fields separated by tabs, stable order (domains
 * by name, messages by arrival). Addresses cannot contain a tab, so the
 * recipients are the last fields of a list line.
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

#include "die.h"
#include "domain.h"
#include "dstate.h"
#include "vcache.h"
#include "envelope.h"
#include "exitcodes.h"
#include "queue.h"
#include "snfq.h"

struct names {
	char	**v;
	size_t	  n, cap;
};

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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

/* names_sort - sort and drop repeated names. */
static void
names_sort(struct names *ns)
{
	size_t	i, j = 0;

	if (ns->n > 1)
		qsort(ns->v, ns->n, sizeof(*ns->v), cmp_names);
	for (i = 0; i < ns->n; i++) {
		if (j > 0 && strcmp(ns->v[j - 1], ns->v[i]) == 0) {
			free(ns->v[i]);
			continue;
		}
		ns->v[j++] = ns->v[i];
	}
	ns->n = j;
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

/* read_names - entries of folder path accepted by ok(); missing is empty. */
static void
read_names(int root, const char *path, int (*ok)(const char *),
    struct names *ns)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;

	fd = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return;
		die_sys(SNF_EXIT_TEMP, "unable to open %s", path);
	}
	if ((d = fdopendir(fd)) == NULL)
		die_sys(SNF_EXIT_TEMP, "unable to read %s", path);
	while ((de = readdir(d)) != NULL)
		if (ok(de->d_name))
			names_add(ns, de->d_name);
	closedir(d);
	names_sort(ns);
}

static int
domain_ok(const char *name)
{
	return name[0] != '.' && env_domain_ok(name);
}

/* domains - the named domains, or every protected or queued one. */
static void
domains(int root, int argc, char **argv, struct names *ns)
{
	int	i;

	if (argc > 0) {
		for (i = 0; i < argc; i++) {
			lowercase(argv[i]);
			if (!domain_ok(argv[i]))
				die(SNF_EXIT_PERM, "not a domain name: %s", argv[i]);
			names_add(ns, argv[i]);
		}
		names_sort(ns);
		return;
	}
	read_names(root, "domains", domain_ok, ns);
	read_names(root, QUEUE_MAIL, domain_ok, ns);
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
 * domain's primary: "catch-all", "down" (a callout failed recently),
 * both, or "-".
 */
static const char *
callout_state(int root, const char *domain, int64_t now)
{
	char	why[8];
	int64_t	until, when;
	int	yes = 0, ca, down;

	ca = vcache_catchall_get(root, domain, &yes, &when) && yes;
	down = vcache_down_get(root, domain, &until, why, sizeof(why)) &&
	    until > now;
	if (ca && down)
		return "catch-all,down";
	return ca ? "catch-all" : down ? "down" : "-";
}

/*
 * status_line - domain, mode, state, seconds in that state, held,
 * messages, bytes, oldest age, seconds to the next attempt, the
 * callout state, last error.
 */
static void
status_line(int root, const char *domain, size_t count,
    unsigned long long bytes, int64_t oldest, int64_t now)
{
	struct dstate	st;
	char		path[300];
	int		hold;

	state_read(root, domain, &st);
	hold = domain_path(path, sizeof(path), domain, "hold") == 0 &&
	    faccessat(root, path, F_OK, 0) == 0;
	printf("%s\t%s\t%s\t%lld\t%s\t%zu\t%llu\t%lld\t%lld\t%s\t%s\n",
	    domain, mode_name(root, domain), st.up == 1 ? "up" : st.up == 0 ?
	    "down" : "unknown", (long long)(st.since ? age_of(st.since, now) :
	    0), hold ? "held" : "-", count, bytes, (long long)oldest,
	    (long long)(st.next > now ? st.next - now : 0),
	    callout_state(root, domain, now), st.error);
}

int
queue_status(int root, int argc, char **argv)
{
	struct names	 ds = { 0 }, ids;
	struct stat	 st;
	char		 path[600];
	int64_t		 now = (int64_t)time(NULL), oldest;
	unsigned long long bytes;
	size_t		 i, j, count;

	domains(root, argc, argv, &ds);
	for (i = 0; i < ds.n; i++) {
		memset(&ids, 0, sizeof(ids));
		snprintf(path, sizeof(path), QUEUE_MAIL "/%s", ds.v[i]);
		read_names(root, path, queue_id_valid, &ids);
		bytes = 0;
		count = 0;
		oldest = now;
		for (j = 0; j < ids.n; j++) {
			snprintf(path, sizeof(path), QUEUE_MAIL "/%s/%s",
			    ds.v[i], ids.v[j]);
			if (fstatat(root, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
				continue;	/* delivered meanwhile */
			count++;
			bytes += (unsigned long long)st.st_size;
			if (queue_id_time(ids.v[j]) < oldest)
				oldest = queue_id_time(ids.v[j]);
		}
		status_line(root, ds.v[i], count, bytes,
		    count ? age_of(oldest, now) : 0, now);
		names_free(&ids);
	}
	names_free(&ds);
	if (fflush(stdout) == EOF || ferror(stdout))
		die_sys(SNF_EXIT_TEMP, "unable to write the status");
	return SNF_EXIT_OK;
}

static int	unreadable;	/* items that could not be read */

static void
list_item(int root, const char *domain, const char *id, int64_t now)
{
	struct qitem	q;
	char		path[600];
	size_t		i;

	snprintf(path, sizeof(path), QUEUE_MAIL "/%s/%s", domain, id);
	if (qitem_open(root, path, &q) == -1) {
		if (errno != ENOENT) {
			warn_sys("unable to read %s", path);
			unreadable++;
		}
		return;
	}
	printf("%s\t%s\t%lld\t%llu\t%s", id, q.env.domain,
	    (long long)age_of(q.env.arrival, now),
	    (unsigned long long)q.env.size,
	    q.env.sender[0] ? q.env.sender : "<>");
	for (i = 0; i < q.env.nrcpt; i++)
		printf("\t%s", q.env.rcpt[i].addr);
	putchar('\n');
	qitem_close(&q);
}

int
queue_list(int root, int argc, char **argv)
{
	struct names	 ds = { 0 }, ids;
	char		 path[600];
	int64_t		 now = (int64_t)time(NULL);
	size_t		 i, j;

	domains(root, argc, argv, &ds);
	for (i = 0; i < ds.n; i++) {
		memset(&ids, 0, sizeof(ids));
		snprintf(path, sizeof(path), QUEUE_MAIL "/%s", ds.v[i]);
		read_names(root, path, queue_id_valid, &ids);
		for (j = 0; j < ids.n; j++)
			list_item(root, ds.v[i], ids.v[j], now);
		names_free(&ids);
	}
	names_free(&ds);
	if (fflush(stdout) == EOF || ferror(stdout))
		die_sys(SNF_EXIT_TEMP, "unable to write the list");
	return unreadable ? SNF_EXIT_TEMP : SNF_EXIT_OK;
}
