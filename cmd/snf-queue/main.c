/*
 * snf-queue - put one message into the queue, show the queue, and the
 * operator's verbs for a long outage (see snf-queue(8)).
 *
 *   snf-queue [-d DIR]                  message on fd 0, envelope on fd 1
 *   snf-queue [-d DIR] status [-v] [DOMAIN...]
 *   snf-queue [-d DIR] list [DOMAIN...]
 *   snf-queue [-d DIR] hold|unhold [SELECTION] [DOMAIN...]
 *   snf-queue [-d DIR] requeue|release [SELECTION] [DOMAIN...]
 *   snf-queue [-d DIR] release -H HOST[:PORT] | -m ADDRESS [SELECTION]
 *   snf-queue [-d DIR] export -o DIR | -z FILE [-x] [SELECTION]
 *   snf-queue [-d DIR] remove -y [SELECTION] [DOMAIN...]
 *
 * SELECTION: -n (dry run), -i ID, -r RECIPIENT, -s SENDER, -a AGE
 * (at least), -b AGE (at most).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "exitcodes.h"
#include "privs.h"
#include "snfq.h"

/*
 * queue_become - root works as the service user from here on (see
 * privs.c); hold and unhold call it themselves once they have written
 * domains/D/hold, the operator's.
 */
void
queue_become(int root, const char *rootpath)
{
	char	why[512];

	if (privs_service(root, rootpath, why, sizeof(why)) == -1)
		die(SNF_EXIT_TEMP, "%s", why);
}

static void
usage(void)
{
	die(SNF_EXIT_PERM, "usage: snf-queue [-d dir] [status|list|hold|"
	    "unhold|requeue|release|export|remove ...]; see snf-queue(8)");
}

int
main(int argc, char **argv)
{
	struct sel	 s;
	const char	*dir = NULL, *verb;
	int		 ch, root, r;

	progname = "snf-queue";
	while ((ch = getopt(argc, argv, "+d:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((root = root_open(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open root folder %s",
		    root_path(dir));
	if (argc == 0 || (strcmp(argv[0], "hold") != 0 &&
	    strcmp(argv[0], "unhold") != 0))
		queue_become(root, root_path(dir));
	if (argc == 0)
		return queue_inject(root);
	signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof(s));
	s.root = root;
	s.rootpath = root_path(dir);
	verb = argv[0];
	if (strcmp(verb, "status") == 0)
		r = queue_status(&s, argc, argv);
	else if (strcmp(verb, "list") == 0)
		r = queue_list(&s, argc, argv);
	else if (strcmp(verb, "hold") == 0 || strcmp(verb, "unhold") == 0)
		r = queue_hold(&s, argc, argv, verb[0] == 'h');
	else if (strcmp(verb, "requeue") == 0)
		r = queue_requeue(&s, argc, argv, 0);
	else if (strcmp(verb, "release") == 0)
		r = queue_release(&s, argc, argv);
	else if (strcmp(verb, "export") == 0)
		r = queue_export(&s, argc, argv);
	else if (strcmp(verb, "remove") == 0)
		r = queue_remove(&s, argc, argv);
	else
		usage();
	sel_free(&s);
	if (fflush(stdout) == EOF)
		die_sys(SNF_EXIT_TEMP, "unable to write");
	return r;
}
