/*
 * etrn.c - the ETRN requests snf-smtpd leaves in queue/etrn/D (and
 * snf-queue release, which asks the same). A request is removed when
 * it is carried out (or has nothing to do), so one that must wait for
 * its turn survives a restart. ETRN must not let a client hammer a
 * primary that is down: it may ask for one attempt every etrn_gap
 * seconds at most (control/etrn_gap, default 10), whatever the backoff.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "die.h"
#include "exitcodes.h"
#include "log.h"
#include "qscan.h"
#include "rootdir.h"
#include "send.h"

/* etrn_requests - the domains asked for, added to force. */
void
etrn_requests(struct sched *s, struct names *force)
{
	struct names	r = { 0 };
	size_t		i;

	if (qscan_domains(s->ctx.root, RD_ETRN, &r) == -1)
		log_warn("unable to read queue/etrn");
	for (i = 0; i < r.n; i++)
		if (!names_has(force, r.v[i]) && names_add(force, r.v[i]) == -1)
			die_sys(SNF_EXIT_TEMP, "out of memory");
	names_free(&r);
}

/* etrn_done - the request for domain is carried out. */
void
etrn_done(struct sched *s, const char *domain)
{
	int	efd;

	if ((efd = rdir_open(s->ctx.root, RD_ETRN, NULL, 0)) == -1)
		return;
	if (unlinkat(efd, domain, 0) == 0)
		log_event("etrn domain=%s", domain);
	close(efd);
}

/*
 * etrn_wait - an ETRN for a domain last tried at st->tried must wait:
 * 1, with *wake moved to when it may go; 0 when it may go now.
 */
int
etrn_wait(struct sched *s, const struct dstate *st, int64_t now,
    int64_t *wake)
{
	int64_t	at = st->tried + s->etrn_gap;

	if (st->tried == 0 || st->tried > now || now >= at)
		return 0;
	if (*wake == 0 || at < *wake)
		*wake = at;
	return 1;
}
