/*
 * snf-check - say what is wrong with a root folder: owners, modes and
 * links against the privilege model of snf(7), the TLS key pair and
 * the alert programs, each as the service user will meet them.
 *
 *   snf-check [-d DIR] [-u USER]
 *
 * Reads only; changes nothing. One line per problem on stdout, naming
 * the path and the fix, then a count. Exit 0 (nothing wrong), 100 (a
 * problem found), 111 (something could not be checked).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "exitcodes.h"
#include "check.h"

static void
usage(void)
{
	die(SNF_EXIT_PERM, "usage: snf-check [-d dir] [-u user]");
}

/* problem - one line: the path (below the root folder) and what is wrong */
void
problem(struct chk *c, const char *path, const char *fmt, ...)
{
	va_list	ap;

	c->problems++;
	if (strcmp(path, ".") == 0)
		printf("%s: ", c->rootpath);
	else
		printf("%s/%s: ", c->rootpath, path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* cannot - what could not be checked, and why (errno) */
void
cannot(struct chk *c, const char *path, const char *what)
{
	c->failed = 1;
	log_warn("unable to %s %s/%s", what, c->rootpath, path);
}

/*
 * service_user - the user named by -u, else the owner of queue/. Sets
 * c->known when there is one to check for.
 */
static void
service_user(struct chk *c, const char *name)
{
	struct passwd	*pw;
	struct stat	 st;

	if (name != NULL) {
		if ((pw = getpwnam(name)) == NULL)
			die(SNF_EXIT_PERM, "no such user: %s", name);
	} else if (fstatat(c->root, "queue", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid != 0) {
		if ((pw = getpwuid(st.st_uid)) == NULL) {
			problem(c, "queue", "belongs to uid %lu, who is not in "
			    "the password file", (unsigned long)st.st_uid);
			return;
		}
	} else
		return;		/* check_service says what is wrong */
	if (pw->pw_uid == 0)
		die(SNF_EXIT_PERM, "the service user cannot be root: "
		    "snf-smtpd never runs as root");
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);
	c->known = 1;
}

int
main(int argc, char **argv)
{
	struct chk	 c = { 0 };
	const char	*dir = NULL, *user = NULL;
	int		 ch;

	progname = "snf-check";
	while ((ch = getopt(argc, argv, "d:u:")) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'u': user = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	c.rootpath = root_path(dir);
	if ((c.root = root_open(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open root folder %s",
		    c.rootpath);
	service_user(&c, user);
	check_operator(&c);
	check_service(&c, "queue");
	check_service(&c, "cache");
	check_files(&c);
	if (c.unshown > 0)
		printf("%s: %lu more problems of the same kinds not shown\n",
		    c.rootpath, c.unshown);
	if (c.problems + c.unshown == 0 && !c.failed)
		printf("%s: no problems found%s%s\n", c.rootpath,
		    c.known ? " for the service user " : "", c.user);
	else
		printf("%s: %lu problems found%s\n", c.rootpath,
		    c.problems + c.unshown,
		    c.failed ? ", and some things could not be checked" : "");
	if (fflush(stdout) == EOF || ferror(stdout))
		die_sys(SNF_EXIT_TEMP, "unable to write");
	if (c.failed)
		return SNF_EXIT_TEMP;
	return c.problems + c.unshown > 0 ? SNF_EXIT_PERM : 0;
}
