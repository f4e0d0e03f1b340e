/*
 * alert.c - the alert program, for a protected domain only:
 * domains/D/alert, else control/alert, an
 * executable run with the facts in its environment (see snf-send(8)),
 * standard input from /dev/null, its output in the caller's log, and at
 * most ALERT_TIMEOUT seconds to run.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "domain.h"
#include "log.h"

#define ALERT_TIMEOUT	60	/* seconds an alert program may run */

/* program - domains/D/alert, else control/alert; -1 if there is none. */
static int
program(const struct alert_ctx *c, const char *domain, char *path,
    size_t size)
{
	char	rel[300];

	if (domain_path(rel, sizeof(rel), domain, "alert") == 0 &&
	    faccessat(c->root, rel, X_OK, 0) == 0) {
		snprintf(path, size, "%s/%s", c->rootpath, rel);
		return 0;
	}
	if (faccessat(c->root, "control/alert", X_OK, 0) == 0) {
		snprintf(path, size, "%s/control/alert", c->rootpath);
		return 0;
	}
	return -1;
}

static void
setenv_num(const char *name, long long v)
{
	char	s[32];

	snprintf(s, sizeof(s), "%lld", v);
	setenv(name, s, 1);
}

/* child - in the program's process: its environment, then exec. */
static void
child(const struct alert_ctx *c, const char *prog, const char *domain,
    const char *event, const struct dstate *st)
{
	int64_t	now = (int64_t)time(NULL);
	int	fd;

	setenv("SNF_EVENT", event, 1);
	setenv("SNF_DOMAIN", domain, 1);
	setenv("SNF_STATE", dstate_name(st->state), 1);
	setenv_num("SNF_SINCE", st->since);
	setenv_num("SNF_COUNT", (long long)st->count);
	setenv_num("SNF_BYTES", (long long)st->bytes);
	setenv_num("SNF_OLDEST", st->count && st->oldest ? now - st->oldest : 0);
	setenv("SNF_ERROR", st->error, 1);
	setenv("SNF_HOST", c->me, 1);
	setenv("SNFDIR", c->rootpath, 1);
	if ((fd = open("/dev/null", O_RDONLY)) != -1)
		dup2(fd, 0);
	dup2(2, 1);
	signal(SIGALRM, SIG_DFL);
	alarm(ALERT_TIMEOUT);	/* kept across exec: the run's limit */
	execl(prog, prog, (char *)NULL);
	log_warn("unable to run %s", prog);
	_exit(111);
}

/* reap - wait for the program; kill it when its time is up. */
static int
reap(pid_t pid)
{
	struct timespec	ts = { 0, 50000000 };
	int		status = 0, i;

	for (i = 0; i < ALERT_TIMEOUT * 20 + 20; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/*
 * alert_run - run the alert program for event of domain, whose state is
 * st; with ALERT_WAIT, wait for it and log how it ended, else leave it
 * running on its own (its parent exits at once, so it is never a
 * zombie of ours).
 */
void
alert_run(const struct alert_ctx *c, const char *domain, const char *event,
    const struct dstate *st, int flags)
{
	char	prog[4096];
	pid_t	pid;
	int	rc;

	/* an outsider can make mail for any domain fail (a forged sender's
	 * report): only the domains the operator protects page anyone */
	if (domain_mode(c->root, domain) == DOMAIN_NONE) {
		log_event("alert domain=%s event=%s skipped: not a protected "
		    "domain", logesc(domain), event);
		return;
	}
	if (program(c, domain, prog, sizeof(prog)) == -1) {
		log_event("alert domain=%s event=%s program=none", domain, event);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("unable to fork the alert program");
		return;
	}
	if (pid == 0) {
		if (!(flags & ALERT_WAIT) && fork() != 0)
			_exit(0);	/* the program's parent is init now */
		child(c, prog, domain, event, st);
	}
	if (!(flags & ALERT_WAIT)) {
		(void)waitpid(pid, NULL, 0);
		log_event("alert domain=%s event=%s program=%s started", domain,
		    event, logesc(prog));
		return;
	}
	rc = reap(pid);
	log_event("alert domain=%s event=%s program=%s status=%d", domain,
	    event, logesc(prog), rc);
}
