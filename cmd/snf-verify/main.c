/*
 * snf-verify - decide one recipient, or look after the recipient cache.
 *
 *   snf-verify [-d DIR] [-n] ADDRESS
 *   snf-verify [-d DIR] list [DOMAIN...]
 *   snf-verify [-d DIR] show ADDRESS
 *   snf-verify [-d DIR] add ADDRESS [positive|negative]
 *   snf-verify [-d DIR] remove ADDRESS
 *   snf-verify [-d DIR] [-n] expire
 *
 * A decision prints one line and exits 0 (accept), 100 (reject) or 111
 * (defer), the same answer snf-smtpd gives at RCPT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "domain.h"
#include "envelope.h"
#include "exitcodes.h"
#include "privs.h"
#include "qscan.h"
#include "rootdir.h"
#include "vcache.h"
#include "verify.h"

static void
usage(void)
{
	die(SNF_EXIT_PERM, "usage: snf-verify [-d dir] [-n] address | list "
	    "[domain ...] | show address | add address [positive|negative] | "
	    "remove address | expire");
}

/* parse - an address as "user@domain" or "<user@domain>"; dies if bad. */
static void
parse(const char *s, struct addr *a)
{
	size_t	used;
	int	r;

	if (s[0] == '<')
		r = addr_parse_path(s, strlen(s), 0, a, &used) == ADDR_OK &&
		    used == strlen(s) ? ADDR_OK : ADDR_ESYNTAX;
	else
		r = addr_parse_mailbox(s, strlen(s), 0, a);
	if (r != ADDR_OK) {
		printf("reject %s: %s\n", s, addr_strerror(r));
		fflush(stdout);
		exit(SNF_EXIT_PERM);
	}
}

static int
decide(int root, const char *rootpath, const char *s, int cache_only)
{
	struct verifier	v;
	struct addr	a;
	char		why[1200];
	int		r;

	parse(s, &a);
	verify_init(&v, root, rootpath);
	v.cache_only = cache_only;
	v.client = getenv("TCPREMOTEIP");	/* checked by vcache_rate_client */
	r = verify(&v, &a, why, sizeof(why));
	verify_close(&v);
	printf("%s %s: %s\n", r == VERDICT_ACCEPT ? "accept" :
	    r == VERDICT_REJECT ? "reject" : "defer", a.full, why);
	return r;
}

struct listing {
	const char	*domain;
	int64_t		 now;
};

static int
list_one(const struct vrec *r, void *arg)
{
	struct listing	*l = arg;

	printf("%s\t%s\t%s\t%lld\n", l->domain, r->addr, r->kind ==
	    VREC_POSITIVE ? "positive" : "negative", (long long)(l->now > r->when ?
	    l->now - r->when : 0));
	return 0;
}

/* list - the records of the domains named, or of every domain. */
static int
list(int root, int argc, char **argv)
{
	struct names	ds = { 0 };
	struct listing	l;
	size_t		i;
	int		k;

	for (k = 0; k < argc; k++) {
		lowercase(argv[k]);
		if (!qscan_domain_name(argv[k]))
			die(SNF_EXIT_PERM, "not a domain name: %s", argv[k]);
		if (names_add(&ds, argv[k]) == -1)
			die_sys(SNF_EXIT_TEMP, "out of memory");
	}
	if (argc == 0 && qscan_domains(root, RD_CACHE, &ds) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to read cache");
	l.now = (int64_t)time(NULL);
	for (i = 0; i < ds.n; i++) {
		l.domain = ds.v[i];
		if (vcache_each(root, ds.v[i], list_one, &l) == -1)
			die_sys(SNF_EXIT_TEMP, "unable to read cache/%s",
			    ds.v[i]);
	}
	names_free(&ds);
	if (fflush(stdout) == EOF)
		die_sys(SNF_EXIT_TEMP, "unable to write");
	return SNF_EXIT_OK;
}

/* record - the cache key of address s, or die when it has none. */
static void
record(int root, const char *s, struct addr *a, char *key, size_t size)
{
	parse(s, a);
	if ((a->flags & ADDR_F_LITERAL) || addr_has_routing(a))
		die(SNF_EXIT_PERM, "%s routes through itself: never accepted", s);
	if (domain_mode(root, a->domain) != DOMAIN_CLOUD)
		die(SNF_EXIT_PERM, "%s is not a cloudprotect domain", a->domain);
	if (vcache_key(root, a, key, size) == -1)
		die(SNF_EXIT_PERM, "address too long: %s", s);
}

static int
show(int root, const char *s)
{
	struct addr	a;
	struct vrec	r;
	char		key[ADDR_PATH_MAX * 2];
	int64_t		now = (int64_t)time(NULL);

	record(root, s, &a, key, sizeof(key));
	if (vcache_get(root, a.domain, key, &r) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to read the cache");
	if (r.kind == VREC_NONE) {
		printf("%s\t%s\tnone\t0\n", a.domain, key);
		return SNF_EXIT_PERM;
	}
	printf("%s\t%s\t%s\t%lld\n", a.domain, key, r.kind == VREC_POSITIVE ?
	    "positive" : "negative", (long long)(now > r.when ? now - r.when : 0));
	return SNF_EXIT_OK;
}

static int
change(int root, int argc, char **argv, int add)
{
	struct addr	a;
	char		key[ADDR_PATH_MAX * 2];
	int		kind = VREC_POSITIVE;

	if (argc < 1 || argc > (add ? 2 : 1))
		usage();
	if (add && argc == 2) {
		if (strcmp(argv[1], "negative") == 0)
			kind = VREC_NEGATIVE;
		else if (strcmp(argv[1], "positive") != 0)
			usage();
	}
	record(root, argv[0], &a, key, sizeof(key));
	if (add && vcache_put(root, a.domain, key, kind, (int64_t)time(NULL)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to write the record for %s", key);
	if (!add && vcache_del(root, a.domain, key) == -1) {
		if (errno == ENOENT)
			die(SNF_EXIT_PERM, "no record for %s", key);
		die_sys(SNF_EXIT_TEMP, "unable to remove the record for %s", key);
	}
	printf("%s\t%s\t%s\n", add ? "added" : "removed", a.domain, key);
	return SNF_EXIT_OK;
}

static void
said(const char *domain, const char *name, const char *what, void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\n", what, domain, name);
}

int
main(int argc, char **argv)
{
	const char	*dir = NULL;
	char		 why[512];
	int		 ch, root, cache_only = 0;

	progname = "snf-verify";
	while ((ch = getopt(argc, argv, "d:n")) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n': cache_only = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if ((root = root_open(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open root folder %s",
		    root_path(dir));
	if (privs_service(root, root_path(dir), why, sizeof(why)) == -1)
		die(SNF_EXIT_TEMP, "%s", why);
	if (strcmp(argv[0], "list") == 0)
		return list(root, argc - 1, argv + 1);
	if (strcmp(argv[0], "show") == 0 && argc == 2)
		return show(root, argv[1]);
	if (strcmp(argv[0], "add") == 0)
		return change(root, argc - 1, argv + 1, 1);
	if (strcmp(argv[0], "remove") == 0)
		return change(root, argc - 1, argv + 1, 0);
	if (strcmp(argv[0], "expire") == 0 && argc == 1) {
		if (verify_expire(root, cache_only, (int64_t)time(NULL), said,
		    NULL) == -1)
			die_sys(SNF_EXIT_TEMP, "unable to read cache");
		return SNF_EXIT_OK;
	}
	if (argc != 1 || strchr(argv[0], '@') == NULL)
		usage();
	ch = decide(root, root_path(dir), argv[0], cache_only);
	if (fflush(stdout) == EOF)
		die_sys(SNF_EXIT_TEMP, "unable to write");
	return ch;
}
