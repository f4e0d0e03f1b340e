/*
 * snf-userdb - compile userprotect lists: domains/D/users (one local
 * part or full address a line) into domains/D/users.cdb, a constant
 * database, so that a lookup stays fast for lists of any length.
 *
 *   snf-userdb [-d DIR] [-f] [DOMAIN...]
 *
 * Without DOMAIN, every domain with a users file. A list whose cdb is
 * already newer is skipped unless -f. The cdb replaces the old one
 * atomically (see file_replace_fn), so snf-smtpd never reads half a file.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>

#include "addr.h"
#include "control.h"
#include "die.h"
#include "domain.h"
#include "envelope.h"
#include "exitcodes.h"
#include "fileio.h"
#include "qscan.h"
#include "rootdir.h"

struct job {
	const char	*domain;
	FILE		*in;
	char		 stamp[128];	/* of the users file read */
	unsigned long	 keys, bad;
};

static int
fill_cdb(int fd, void *arg)
{
	struct job	*j = arg;
	struct cdb_make	 cm;
	char		 line[1024], key[ADDR_PATH_MAX * 2], *s, *e;
	unsigned long	 lineno = 0;

	if (cdb_make_start(&cm, fd) == -1)
		return -1;
	if (cdb_make_add(&cm, DOMAIN_CDB_STAMP, sizeof(DOMAIN_CDB_STAMP) - 1,
	    j->stamp, (unsigned)strlen(j->stamp)) == -1)
		return -1;
	while (fgets(line, sizeof(line), j->in) != NULL) {
		lineno++;
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (domain_user_key(j->domain, s, key, sizeof(key)) == NULL) {
			log_warnx("domains/%s/users line %lu: not an address or "
			    "local part, skipped", j->domain, lineno);
			j->bad++;
			continue;
		}
		if (cdb_make_put(&cm, key, (unsigned)strlen(key), "", 0,
		    CDB_PUT_REPLACE) == -1)
			return -1;
		j->keys++;
	}
	if (ferror(j->in))
		return -1;
	return cdb_make_finish(&cm);
}

/* current - users.cdb in dfd was made from the users file with stamp. */
static int
current(int dfd, const char *stamp)
{
	char		got[128];
	unsigned	dlen;
	int		fd, r = 0;

	if ((fd = openat(dfd, "users.cdb", O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (cdb_seek(fd, DOMAIN_CDB_STAMP, sizeof(DOMAIN_CDB_STAMP) - 1,
	    &dlen) > 0 && dlen < sizeof(got) && cdb_bread(fd, got, (int)dlen) == 0) {
		got[dlen] = '\0';
		r = strcmp(got, stamp) == 0;
	}
	close(fd);
	return r;
}

static const struct replace	cdb_file = { 0, NULL, 0644, 0, 0 };

/*
 * compile - one domain; 0 done or skipped, else an exit status (warned):
 * 100 for a domain or list that does not exist, 111 for a failed write.
 */
static int
compile(int root, const char *domain, int force)
{
	struct job	j = { domain, NULL, "", 0, 0 };
	struct stat	ts;
	char		path[300];
	int		dfd, fd, r;

	if (domain_path(path, sizeof(path), domain, NULL) == -1) {
		log_warnx("not a domain name: %s", domain);
		return SNF_EXIT_PERM;
	}
	if ((dfd = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("unable to open %s", path);
		return errno == ENOENT ? SNF_EXIT_PERM : SNF_EXIT_TEMP;
	}
	if (fstatat(dfd, "users", &ts, 0) == -1) {
		log_warn("unable to read %s/users", path);
		close(dfd);
		return errno == ENOENT ? SNF_EXIT_PERM : SNF_EXIT_TEMP;
	}
	if ((fd = openat(dfd, "users", O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &ts) == -1 || (j.in = fdopen(fd, "r")) == NULL) {
		log_warn("unable to read %s/users", path);
		close(dfd);
		return SNF_EXIT_TEMP;
	}
	domain_stamp(&ts, j.stamp, sizeof(j.stamp));
	if (!force && current(dfd, j.stamp)) {
		fclose(j.in);
		close(dfd);
		return 0;
	}
	r = file_replace_fn(dfd, "users.cdb", &cdb_file, fill_cdb, &j);
	if (r == -1)
		log_warn("unable to write %s/users.cdb", path);
	else
		printf("%s\t%lu\t%lu\n", domain, j.keys, j.bad);
	fclose(j.in);
	close(dfd);
	return r == -1 ? SNF_EXIT_TEMP : 0;
}

int
main(int argc, char **argv)
{
	struct names	 ds = { 0 };
	const char	*dir = NULL;
	int		 ch, root, force = 0, fail = 0, st;
	char		 path[300];
	size_t		 i;

	progname = "snf-userdb";
	while ((ch = getopt(argc, argv, "d:f")) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'f': force = 1; break;
		default:
			die(SNF_EXIT_PERM, "usage: snf-userdb [-d dir] [-f] "
			    "[domain ...]");
		}
	}
	argc -= optind;
	argv += optind;
	if ((root = root_open(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open root folder %s",
		    root_path(dir));
	umask(022);
	for (ch = 0; ch < argc; ch++) {
		lowercase(argv[ch]);
		st = compile(root, argv[ch], force);
		fail = st > fail ? st : fail;
	}
	if (argc == 0 && qscan_domains(root, RD_DOMAINS, &ds) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to read domains");
	for (i = 0; i < ds.n; i++) {
		if (domain_path(path, sizeof(path), ds.v[i], "users") == -1 ||
		    faccessat(root, path, F_OK, 0) == -1)
			continue;
		st = compile(root, ds.v[i], force);
		fail = st > fail ? st : fail;
	}
	names_free(&ds);
	if (fflush(stdout) == EOF)
		fail = SNF_EXIT_TEMP;
	return fail;
}
