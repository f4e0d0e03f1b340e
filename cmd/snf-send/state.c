/*
 * state.c - what snf-send knows about each destination domain, kept in
 * queue/state/D as "key=value" lines (see snf-queue(5)): up, down or
 * refused and since when, failures in a row, the earliest next attempt,
 * what waits, the last error. Backoff is per domain, not per message:
 * one dead primary costs one connection attempt per interval, and so
 * does one that refuses this host. Changes of state, and waiting mail
 * passing a threshold, run the operator's alert program.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "log.h"
#include "send.h"
#include "settings.h"

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

static void
alert(struct dctx *c, const char *domain, const struct dstate *st,
    const char *event)
{
	struct alert_ctx	a = { c->root, c->rootpath, c->me };

	alert_run(&a, domain, event, st, ALERT_WAIT);
}

/*
 * backoff - the next attempt after one more failure in a row:
 * exponentially from backoff_min to backoff_max, with jitter.
 */
static void
backoff(struct dctx *c, struct dstate *st, int64_t now)
{
	int64_t		delay = c->backoff_min;
	unsigned	i;

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
}

/*
 * become - the domain is now in state s: written, and alerted on a
 * change (to up, only from down or refused: a first success is news to
 * nobody).
 */
static void
become(struct dctx *c, const char *domain, struct dstate *st, int s,
    int64_t now)
{
	int	was = st->state;

	if (was == s) {
		state_write(c->root, domain, st);
		return;
	}
	st->state = s;
	st->since = now;
	state_write(c->root, domain, st);
	if (s != DS_UP || was == DS_DOWN || was == DS_REFUSED)
		alert(c, domain, st, dstate_name(s));
}

/*
 * state_fail - the domain could not be reached (or routed): back off,
 * and alert when it was not down before.
 */
void
state_fail(struct dctx *c, const char *domain, struct dstate *st,
    const char *error)
{
	int64_t	now = (int64_t)time(NULL);

	backoff(c, st, now);
	printable(st->error, sizeof(st->error), error);
	log_event("down domain=%s fails=%u retry=%llds error=%s", domain,
	    st->fails, (long long)(st->next - now), logesc(st->error));
	become(c, domain, st, DS_DOWN, now);
}

/*
 * state_refused - the domain's server refused this host (rclass.c): a
 * fault of its configuration or ours, not an answer about the mail,
 * which stays. Backed off as a failure; alerted once, on the change.
 */
void
state_refused(struct dctx *c, const char *domain, struct dstate *st,
    const char *stage, const char *error)
{
	int64_t	now = (int64_t)time(NULL);

	backoff(c, st, now);
	printable(st->error, sizeof(st->error), error);
	log_event("refused domain=%s stage=%s fails=%u retry=%llds reply=%s",
	    domain, stage, st->fails, (long long)(st->next - now),
	    logesc(st->error));
	become(c, domain, st, DS_REFUSED, now);
}

/* state_ok - a session with the domain's host worked. */
void
state_ok(struct dctx *c, const char *domain, struct dstate *st)
{
	int64_t	now = (int64_t)time(NULL);

	st->fails = 0;
	st->next = 0;
	st->tried = now;
	if (st->state == DS_DOWN || st->state == DS_REFUSED) {
		log_event("up domain=%s", domain);
		st->error[0] = '\0';
	}
	become(c, domain, st, DS_UP, now);
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
