/*
 * snf-send - deliver queued mail.
 *
 *   snf-send [-d DIR]                  the service (under s6)
 *   snf-send [-d DIR] -1 [DOMAIN...]   one pass, then exit
 *
 * The service wakes when snf-queue writes to queue/trigger, when
 * snf-smtpd leaves an ETRN request in queue/etrn/, when a delivery ends,
 * and at least once a minute. Each pass starts one child per domain
 * with mail due (several for a long queue, within the limits), and each
 * child delivers that domain's mail over one connection (deliver.c).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "domain.h"
#include "exitcodes.h"
#include "fileio.h"
#include "log.h"
#include "qinject.h"
#include "send.h"

#define ETRN_DIR	"queue/etrn"
#define TRIGGER		"queue/trigger"
#define WAKE_MAX	60	/* seconds between passes at most */
#define PER_CHILD	50	/* due messages per extra connection */
#define ETRN_GAP	10	/* seconds between attempts an ETRN may ask for */

struct child {
	pid_t	pid;
	char	domain[256];
};

struct names {
	char	(*v)[256];
	size_t	 n;
};

volatile sig_atomic_t	 stopping;
static struct child	*kids;
static unsigned		 nkids;
static struct dctx	 ctx;

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

static unsigned
count(const char *name, unsigned dflt)
{
	uint64_t	v;

	if (control_uint(ctx.root, name, dflt, &v) == -1 || v == 0 ||
	    v > 1000) {
		log_event("warning %s: using %u", name, dflt);
		return dflt;
	}
	return (unsigned)v;
}

static void
settings(void)
{
	dlv_settings(&ctx);
	ctx.conc_total = count("control/concurrency", 20);
	ctx.conc_domain = count("control/concurrency_domain", 4);
}

static unsigned
running(const char *domain)
{
	unsigned	i, n = 0;

	for (i = 0; i < nkids; i++)
		n += strcmp(kids[i].domain, domain) == 0;
	return n;
}

/*
 * Domains whose last delivery could not be recorded (a full or read-only
 * queue): left alone for backoff_min, in memory, since the state file
 * may not be writable either.
 */
struct pause {
	char	domain[256];
	int64_t	until;
};
static struct pause	*pauses;
static size_t		 npauses;
static int		 failed;	/* a delivery ended with 111 */

static void
pause_domain(const char *domain)
{
	int64_t	until = (int64_t)time(NULL) + ctx.backoff_min;
	size_t	i;
	void	*p;

	for (i = 0; i < npauses; i++)
		if (strcmp(pauses[i].domain, domain) == 0) {
			pauses[i].until = until;
			return;
		}
	if ((p = reallocarray(pauses, npauses + 1, sizeof(*pauses))) == NULL)
		return;
	pauses = p;
	strlcpy(pauses[npauses].domain, domain, sizeof(pauses[0].domain));
	pauses[npauses++].until = until;
}

/* paused - the time domain is left alone until, when that is later. */
static int64_t
paused(const char *domain, int64_t now)
{
	size_t	i;

	for (i = 0; i < npauses; i++)
		if (strcmp(pauses[i].domain, domain) == 0)
			return pauses[i].until > now ? pauses[i].until : 0;
	return 0;
}

/* reap - collect finished children; block waits for at least one. */
static void
reap(int block)
{
	pid_t		pid;
	unsigned	i;
	int		st;

	while ((pid = waitpid(-1, &st, block ? 0 : WNOHANG)) > 0) {
		block = 0;
		for (i = 0; i < nkids; i++)
			if (kids[i].pid == pid) {
				if (WIFEXITED(st) && WEXITSTATUS(st) == 111) {
					failed = 1;
					pause_domain(kids[i].domain);
				} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
					log_event("warning delivery for %s ended "
					    "with status %d", kids[i].domain, st);
				kids[i] = kids[--nkids];
				break;
			}
	}
}

static void
spawn(const char *domain, int force, unsigned part, unsigned nparts)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		warn_sys("unable to fork");
		return;
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		_exit(deliver_domain(&ctx, domain, force, part, nparts));
	}
	kids[nkids].pid = pid;
	strlcpy(kids[nkids].domain, domain, sizeof(kids[nkids].domain));
	nkids++;
}

/* read_dir - valid domain names in folder path. */
static void
read_dir(const char *path, struct names *ns)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd;
	void		*p;

	ns->n = 0;
	if ((fd = openat(ctx.root, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !env_domain_ok(de->d_name))
			continue;
		if ((p = reallocarray(ns->v, ns->n + 1, sizeof(*ns->v))) == NULL)
			break;
		ns->v = p;
		strlcpy(ns->v[ns->n++], de->d_name, sizeof(*ns->v));
	}
	closedir(d);
}

static int
has(const struct names *ns, const char *s)
{
	size_t	i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], s) == 0)
			return 1;
	return 0;
}

static void
add(struct names *ns, const char *s)
{
	void	*p;

	if (has(ns, s) || (p = reallocarray(ns->v, ns->n + 1,
	    sizeof(*ns->v))) == NULL)
		return;
	ns->v = p;
	strlcpy(ns->v[ns->n++], s, sizeof(*ns->v));
}

/* due_count - items of domain due now (all of them when force). */
static size_t
due_count(const char *domain, int force)
{
	char		 path[300];
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd;
	size_t		 n = 0;
	time_t		 now = time(NULL);

	snprintf(path, sizeof(path), QUEUE_MAIL "/%s", domain);
	if ((fd = openat(ctx.root, path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (queue_id_valid(de->d_name) && fstatat(fd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && (force || st.st_mtime <= now ||
		    st.st_mtime - now > ctx.backoff_max))	/* clock stepped back */
			n++;
	closedir(d);
	return n;
}

static int
held(const char *domain)
{
	char	path[300];

	return domain_path(path, sizeof(path), domain, "hold") == 0 &&
	    faccessat(ctx.root, path, F_OK, 0) == 0;
}

/*
 * etrn_requests - the ETRN requests snf-smtpd left in queue/etrn/. A
 * request is removed when it is carried out (or has nothing to do), so
 * one that must wait for its turn survives a restart.
 */
static void
etrn_requests(struct names *force)
{
	struct names	r = { 0 };
	size_t		i;

	read_dir(ETRN_DIR, &r);
	for (i = 0; i < r.n; i++)
		add(force, r.v[i]);
	free(r.v);
}

static void
etrn_done(const char *domain)
{
	char	path[300];

	snprintf(path, sizeof(path), ETRN_DIR "/%s", domain);
	if (unlinkat(ctx.root, path, 0) == 0)
		log_event("etrn domain=%s", domain);
}

/*
 * pass - start deliveries for what is due. force: domains to try now
 * whatever their backoff (an ETRN from a client is honoured at most once
 * per ETRN_GAP seconds, so that ETRN cannot hammer a primary that is
 * down);
 * only: nothing else. tried (one-shot): domains already handled in this
 * run. Returns the earliest time a skipped domain becomes due again (0
 * when none).
 */
static int64_t
pass(struct names *force, int only, struct names *tried, int etrn)
{
	struct names	ds = { 0 };
	struct dstate	st;
	size_t		i, n;
	unsigned	parts, k;
	int64_t		now = (int64_t)time(NULL), wake = 0, p;
	int		f;

	read_dir(QUEUE_MAIL, &ds);
	for (i = 0; etrn && i < force->n; i++)	/* requests with no mail */
		if (!has(&ds, force->v[i]))
			etrn_done(force->v[i]);
	for (i = 0; i < ds.n && nkids < ctx.conc_total && !stopping; i++) {
		const char *d = ds.v[i];

		f = has(force, d);
		if ((only && !f) || (tried && has(tried, d)) || running(d) ||
		    held(d))
			continue;
		if ((p = paused(d, now)) != 0) {
			if (wake == 0 || p < wake)
				wake = p;
			continue;
		}
		state_read(ctx.root, d, &st);
		if (f && etrn && st.tried && st.tried <= now &&
		    now - st.tried < ETRN_GAP) {
			/* ETRN must not let a client hammer a primary that
			 * is down: one attempt per ETRN_GAP at most */
			f = 0;
			if (wake == 0 || st.tried + ETRN_GAP < wake)
				wake = st.tried + ETRN_GAP;
		} else if (f && etrn)
			etrn_done(d);
		if (!f) {
			/* a next attempt further off than any backoff: the
			 * clock was stepped back, and the domain is due */
			if (st.next > now && st.next - now <= 2 * ctx.backoff_max) {
				if (wake == 0 || st.next < wake)
					wake = st.next;
				continue;
			}
		}
		if ((n = due_count(d, f)) == 0)
			continue;
		parts = (unsigned)((n + PER_CHILD - 1) / PER_CHILD);
		if (parts > ctx.conc_domain)
			parts = ctx.conc_domain;
		if (parts > ctx.conc_total - nkids)
			parts = ctx.conc_total - nkids;
		for (k = 0; k < parts; k++)
			spawn(d, f, k, parts);
		if (tried)
			add(tried, d);
	}
	free(ds.v);
	return wake;
}

/* trigger_open - the FIFO snf-queue pokes; made when missing. */
static int
trigger_open(int *keep)
{
	int	fd;

	if (mkfifoat(ctx.root, TRIGGER, 0600) == -1 && errno != EEXIST)
		die_sys(SNF_EXIT_TEMP, "unable to make " TRIGGER);
	fd = openat(ctx.root, TRIGGER, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open " TRIGGER);
	/* our own writer keeps the FIFO from reading as end of file */
	*keep = openat(ctx.root, TRIGGER, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	return fd;
}

static void
service(void)
{
	struct names	force = { 0 };
	struct pollfd	pfd;
	char		junk[512];
	int64_t		wake, left;
	int		keep;

	pfd.fd = trigger_open(&keep);
	pfd.events = POLLIN;
	log_event("start root=%s", logesc(ctx.rootpath));
	while (!stopping) {
		reap(0);
		force.n = 0;
		etrn_requests(&force);
		wake = pass(&force, 0, NULL, 1);
		left = wake ? wake - (int64_t)time(NULL) : WAKE_MAX;
		if (left < 1)
			left = 1;
		if (left > WAKE_MAX)
			left = WAKE_MAX;
		if (poll(&pfd, 1, (int)left * 1000) > 0)
			while (read(pfd.fd, junk, sizeof(junk)) > 0)
				;
	}
	log_event("stop: waiting for %u deliveries to finish", nkids);
	for (unsigned i = 0; i < nkids; i++)
		kill(kids[i].pid, SIGTERM);
	while (nkids > 0)
		reap(1);
	free(force.v);
	close(keep);
	log_event("stopped");
}

static void
one_pass(int argc, char **argv)
{
	struct names	force = { 0 }, tried = { 0 };
	int		i;

	for (i = 0; i < argc; i++) {
		if (!env_domain_ok(argv[i]))
			die(SNF_EXIT_PERM, "not a domain name: %s", argv[i]);
		add(&force, argv[i]);
	}
	if (argc == 0)
		etrn_requests(&force);
	for (;;) {
		(void)pass(&force, argc > 0, &tried, argc == 0);
		if (nkids == 0 || stopping)
			break;
		reap(1);
	}
	while (nkids > 0)
		reap(1);
	free(force.v);
	free(tried.v);
}

int
main(int argc, char **argv)
{
	struct sigaction	sa;
	const char		*dir = NULL;
	int			 ch, once = 0;

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
	ctx.rootpath = root_path(dir);
	if ((ctx.root = root_open(dir)) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to open root folder %s",
		    ctx.rootpath);
	umask(077);
	settings();
	if ((kids = calloc(ctx.conc_total, sizeof(*kids))) == NULL)
		die_sys(SNF_EXIT_TEMP, "out of memory");
	if (mkdir_durable(ctx.root, QUEUE_DIR, 0700) == -1 ||
	    mkdir_durable(ctx.root, QUEUE_TMP, 0700) == -1 ||
	    mkdir_durable(ctx.root, ETRN_DIR, 0700) == -1)
		die_sys(SNF_EXIT_TEMP, "unable to make the queue folders");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (once)
		one_pass(argc, argv);
	else
		service();
	/* -1: the pass could not record what it did (full or read-only) */
	return once && failed ? SNF_EXIT_TEMP : SNF_EXIT_OK;
}
