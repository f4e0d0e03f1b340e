/*
 * snf-queue - put one message into the queue, or show the queue.
 *
 *   snf-queue [-d DIR]                  message on fd 0, envelope on fd 1
 *   snf-queue [-d DIR] status [DOMAIN...]
 *   snf-queue [-d DIR] list [DOMAIN...]
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "exitcodes.h"
#include "qwrite.h"
#include "snfq.h"

static void
usage(void)
{
	die(SNF_EXIT_PERM, "usage: snf-queue [-d dir] [status|list "
	    "[domain ...]]");
}

int
main(int argc, char **argv)
{
	const char	*dir = NULL;
	int		 ch, root;

	progname = "snf-queue";
	while ((ch = getopt(argc, argv, "d:")) != -1) {
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
	if (argc == 0)
		return queue_inject(root);
	if (strcmp(argv[0], "status") == 0)
		return queue_status(root, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return queue_list(root, argc - 1, argv + 1);
	usage();
}
