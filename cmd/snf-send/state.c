/*
 * state.c - what snf-send knows about each destination domain, kept in
 * queue/state/D as "key=value" lines (see snf-queue(5)): up or down and
 * since when, failures in a row, the earliest next attempt, what waits,
 * the last error. Backoff is per domain, not per message: one dead
 * primary costs one connection attempt per interval. Changes of state,
 * and waiting mail passing a threshold, run the operator's alert program.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "domain.h"
#include "fileio.h"
#include "log.h"
#include "send.h"
#include "settings.h"

#define ALERT_TIMEOUT	60	/* seconds an alert program may run */
#define DEF_THRESHOLD	100	/* messages waiting before an alert */

/* printable - error text safe for a one-line state file. */
static void
printable(char *dst, size_t size, const char *src)
{
	size_t	i;

	strlcpy(dst, src, size);
	for (i = 0; dst[i]; i++)
		if ((unsigned char)dst[i] < 32 || (unsigned char)dst[i] > 126)
			dst[i] = '?';
}

/* alert_program - domains/D/alert, else control/alert; NULL if none. */
static int
alert_program(struct dctx *c, const char *domain, char *path, size_t size)
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

/*
 * alert - run the alert program with the facts in its environment, and
 * wait for it at most ALERT_TIMEOUT seconds. Its output goes to our log.
 */
static void
alert(struct dctx *c, const char *domain, const struct dstate *st,
    const char *event)
{
	char	prog[4096];
	pid_t	pid;
	int	status, fd, i;
	int64_t	now = (int64_t)time(NULL);

	if (alert_program(c, domain, prog, sizeof(prog)) == -1) {
		log_event("alert domain=%s event=%s program=none", domain, event);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("unable to fork the alert program");
		return;
	}
	if (pid == 0) {
		setenv("SNF_EVENT", event, 1);
		setenv("SNF_DOMAIN", domain, 1);
		setenv("SNF_STATE", st->up == 1 ? "up" : "down", 1);
		setenv_num("SNF_SINCE", st->since);
		setenv_num("SNF_COUNT", (long long)st->count);
		setenv_num("SNF_BYTES", (long long)st->bytes);
		setenv_num("SNF_OLDEST", st->count && st->oldest ?
		    now - st->oldest : 0);
		setenv("SNF_ERROR", st->error, 1);
		setenv("SNF_HOST", c->me, 1);
		setenv("SNFDIR", c->rootpath, 1);
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		dup2(2, 1);
		execl(prog, prog, (char *)NULL);
		log_warn("unable to run %s", prog);
		_exit(111);
	}
	for (i = 0; i < ALERT_TIMEOUT * 20; i++) {
		struct timespec ts = { 0, 50000000 };

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == ALERT_TIMEOUT * 20) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	log_event("alert domain=%s event=%s program=%s status=%d", domain,
	    event, logesc(prog), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/*
 * state_fail - the domain could not be reached (or routed): back off
 * exponentially from backoff_min to backoff_max, with jitter, and alert
 * when it was up before.
 */
void
state_fail(struct dctx *c, const char *domain, struct dstate *st,
    const char *error)
{
	int64_t	now = (int64_t)time(NULL), delay = c->backoff_min;
	unsigned i;

	st->fails++;
	st->tried = now;
	for (i = 1; i < st->fails && delay < c->backoff_max; i++)
		delay *= 2;
	if (delay > c->backoff_max)
		delay = c->backoff_max;
	/* jitter: 75% to 125%, so that domains spread out */
	delay = delay * 3 / 4 + (int64_t)arc4random_uniform(
	    (uint32_t)(delay / 2 + 1));
	st->next = now + (delay > 0 ? delay : 1);
	printable(st->error, sizeof(st->error), error);
	log_event("down domain=%s fails=%u retry=%llds error=%s", domain,
	    st->fails, (long long)(st->next - now), logesc(st->error));
	if (st->up != 0) {
		st->up = 0;
		st->since = now;
		state_write(c->root, domain, st);
		alert(c, domain, st, "down");
		return;
	}
	state_write(c->root, domain, st);
}

/* state_ok - a session with the domain's host worked. */
void
state_ok(struct dctx *c, const char *domain, struct dstate *st)
{
	int	was_down = st->up == 0;

	st->fails = 0;
	st->next = 0;
	st->tried = (int64_t)time(NULL);
	if (st->up != 1) {
		st->up = 1;
		st->since = (int64_t)time(NULL);
	}
	if (was_down) {
		log_event("up domain=%s", domain);
		st->error[0] = '\0';
		state_write(c->root, domain, st);
		alert(c, domain, st, "up");
		return;
	}
	state_write(c->root, domain, st);
}

/*
 * state_waiting - record what waits for the domain; crossing the alert
 * threshold (domains/D/alert_threshold, else control/alert_threshold,
 * 0 for never) runs the alert program once until it drops below.
 */
void
state_waiting(struct dctx *c, const char *domain, struct dstate *st,
    uint64_t count, uint64_t bytes, int64_t oldest)
{
	uint64_t	thr;

	st->count = count;
	st->bytes = bytes;
	st->oldest = oldest;
	(void)setting_count(c->root, domain, "alert_threshold", DEF_THRESHOLD,
	    0, UINT64_MAX, &thr);
	if (thr > 0 && count >= thr && !st->over) {
		st->over = 1;
		state_write(c->root, domain, st);
		alert(c, domain, st, "threshold");
	} else if (st->over && (thr == 0 || count < thr))
		st->over = 0;
}
