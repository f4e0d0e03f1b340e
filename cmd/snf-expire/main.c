/*
 * snf-expire - return to the sender what outlived its domain's lifetime,
 * warn about what is late, and sweep what crashes left behind.
 *
 *   snf-expire [-d DIR] [-n]
 *
 * Run from cron, at any time, beside snf-send and snf-smtpd and beside
 * another snf-expire: every message is claimed (flock) before it is
 * touched, and a report is queued before its message leaves the queue.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "exitcodes.h"
#include "privs.h"
#include "rootdir.h"
#include "tickets.h"
#include "expire.h"

static void
usage(void)
{
	die(SNF_EXIT_PERM, "usage: snf-expire [-d dir] [-n]");
}

/*
 * say - one line of the run's account on stdout, "verb\tfield...";
 * with -n the verb is prefixed "would-" by the caller.
 */
void
say(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int
main(int argc, char **argv)
{
	struct ectx	 c = { 0 };
	const char	*dir = NULL;
	char		 why[512];
	int		 ch;

	progname = "snf-expire";
	while ((ch = getopt(argc, argv, "d:n")) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n': c.dry = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	/* a queue program that dies early must not kill us with it */
	signal(SIGPIPE, SIG_IGN);
	/* each line is an action done: out before the next one starts */
	setvbuf(stdout, NULL, _IOLBF, 0);
	c.rootpath = root_path(dir);
	if ((c.root = root_open(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open root folder %s",
		    c.rootpath);
	if (privs_service(c.root, c.rootpath, why, sizeof(why)) == -1)
		die(SNF_EXIT_TEMP, "%s", why);
	c.now = (int64_t)time(NULL);
	control_me(c.root, c.me, sizeof(c.me));

	/* the queue's folders are named durably, whoever made them */
	if (!c.dry && rdir_flush(c.root) == -1) {
		log_warn("unable to flush the queue folders");
		c.failed = 1;
	}
	if (!c.dry && tlsio_available())
		switch (tickets_rotate(c.root, c.now)) {
		case 1:
			log_event("rotated file=cache/.tls-tickets");
			break;
		case -1:
			log_warn("unable to rotate cache/.tls-tickets");
			c.failed = 1;
		}
	expire_queue(&c);
	sweep_leftovers(&c, RD_TMP);
	sweep_leftovers(&c, RD_STATE);
	sweep_etrn(&c);
	sweep_cache(&c);

	if (fflush(stdout) == EOF || ferror(stdout))
		die_sys(SNF_EXIT_TEMP, "unable to write");
	return c.failed ? SNF_EXIT_TEMP : SNF_EXIT_OK;
}
