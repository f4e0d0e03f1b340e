/*
 * snf-send - deliver queued mail.
 *
 *   snf-send [-d DIR]                  the service (under s6)
 *   snf-send [-d DIR] -1 [DOMAIN...]   one pass, then exit
 *
 * The service wakes when snf-queue writes to queue/trigger, when
 * snf-smtpd leaves an ETRN request in queue/etrn/, when a delivery ends,
 * and at least once a minute; each wake is a pass of the scheduler
 * (sched.c).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "envelope.h"
#include "exitcodes.h"
#include "log.h"
#include "privs.h"
#include "rootdir.h"
#include "send.h"

#define WAKE_MAX	60	/* seconds between passes at most */

volatile sig_atomic_t	stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
on_chld(int sig)
{
	(void)sig;	/* only to interrupt poll(2) */
}

/* trigger_open - the FIFO snf-queue pokes; made when missing. */
static int
trigger_open(int root, int *keep)
{
	struct stat	st;
	int		qfd, fd;

	if ((qfd = rdir_open(root, RD_QUEUE, NULL, 0)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open queue");
	if (mkfifoat(qfd, QUEUE_TRIGGER, 0600) == -1 && errno != EEXIST)
		die_sys(SNF_EXIT_TEMP, "unable to make queue/" QUEUE_TRIGGER);
	fd = openat(qfd, QUEUE_TRIGGER, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open queue/" QUEUE_TRIGGER);
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode))
		die(SNF_EXIT_TEMP, "queue/" QUEUE_TRIGGER " is not a FIFO");
	/* our own writer keeps the FIFO from reading as end of file */
	*keep = openat(qfd, QUEUE_TRIGGER, O_WRONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	close(qfd);
	return fd;
}

static void
service(struct sched *s)
{
	struct names	force = { 0 };
	struct pollfd	pfd;
	char		junk[512];
	int64_t		wake, left;
	int		keep;

	pfd.fd = trigger_open(s->ctx.root, &keep);
	pfd.events = POLLIN;
	log_event("start root=%s", logesc(s->ctx.rootpath));
	while (!stopping) {
		sched_reap(s, 0);
		names_free(&force);
		etrn_requests(s, &force);
		wake = sched_pass(s, &force, 0, NULL, 1);
		left = wake ? wake - (int64_t)time(NULL) : WAKE_MAX;
		if (left < 1)
			left = 1;
		if (left > WAKE_MAX)
			left = WAKE_MAX;
		if (poll(&pfd, 1, (int)left * 1000) > 0)
			while (read(pfd.fd, junk, sizeof(junk)) > 0)
				;
	}
	log_event("stop: waiting for %u deliveries to finish", s->nkids);
	sched_stop(s);
	names_free(&force);
	close(keep);
	close(pfd.fd);
	log_event("stopped");
}

static void
one_pass(struct sched *s, int argc, char **argv)
{
	struct names	force = { 0 }, tried = { 0 };
	int		i;

	for (i = 0; i < argc; i++) {
		if (!env_domain_ok(argv[i]))
			die(SNF_EXIT_PERM, "not a domain name: %s", argv[i]);
		if (names_add(&force, argv[i]) == -1)
			die_sys(SNF_EXIT_TEMP, "out of memory");
	}
	if (argc == 0)
		etrn_requests(s, &force);
	for (;;) {
		(void)sched_pass(s, &force, argc > 0, &tried, argc == 0);
		if (s->nkids == 0 || stopping)
			break;
		sched_reap(s, 1);
	}
	sched_stop(s);
	names_free(&force);
	names_free(&tried);
}

static void
signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	struct sched	 s;
	const char	*dir = NULL;
	char		 why[512];
	int		 ch, root, once = 0, st;

	progname = "snf-send";
	while ((ch = getopt(argc, argv, "d:1")) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case '1': once = 1; break;
		default:
			die(SNF_EXIT_PERM, "usage: snf-send [-d dir] [-1 [domain ...]]");
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && !once)
		die(SNF_EXIT_PERM, "domains are for a one-shot pass: -1 domain ...");
	if ((root = root_open(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open root folder %s",
		    root_path(dir));
	if (privs_service(root, root_path(dir), why, sizeof(why)) == -1)
		die(SNF_EXIT_TEMP, "%s", why);
	umask(077);
	if (sched_init(&s, root, root_path(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "out of memory");
	if ((ch = rdir_open(root, RD_TMP, NULL, RD_CREATE)) == -1 ||
	    close(ch) == -1 || (ch = rdir_open(root, RD_ETRN, NULL,
	    RD_CREATE)) == -1 || close(ch) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to make the queue folders");
	/* the queue's folders are named durably, whoever made them */
	if (rdir_flush(root) == -1)
		log_warn("unable to flush the queue folders");
	signals();
	if (once)
		one_pass(&s, argc, argv);
	else
		service(&s);
	/* -1: the pass could not record what it did (full or read-only) */
	st = once && s.failed ? SNF_EXIT_TEMP : SNF_EXIT_OK;
	sched_free(&s);
	return st;
}
