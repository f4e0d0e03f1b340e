/*
 * verbs.c - the verbs that change the queue in place: hold and unhold
 * (a domain, by its hold file, or messages, moved between queue/mail/
 * and queue/hold/), requeue and release (due now, backoff cleared, and
 * for release an attempt at once, as an ETRN), remove. Each message is
 * claimed first (sel_claim): one that snf-send is delivering is skipped
 * and said so, never changed under it, and a damaged one is named and
 * left as it is. Requeue and release check the message as snf-send
 * will: a damaged one is never made due.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "domain.h"
#include "dstate.h"
#include "exitcodes.h"
#include "qupdate.h"
#include "queue.h"
#include "rootdir.h"
#include "snfq.h"

static int
hold_one(struct sel *s, const struct qref *it, void *arg)
{
	int		 hold = *(int *)arg;
	struct qitem	 q;

	if (s->dry) {
		sel_say(s, hold ? "hold" : "unhold", it, NULL);
		return 1;
	}
	if (sel_claim(s, it, &q, 0) == -1)
		return 0;
	if ((!hold && qitem_defer(&q, (int64_t)time(NULL)) == -1) ||
	    qitem_move(s->root, it, hold ? RD_HOLD : RD_MAIL) == -1) {
		sel_say(s, "error", it, strerror(errno));
		s->failures++;
		qitem_close(&q);
		return 0;
	}
	qitem_close(&q);
	sel_say(s, hold ? "held" : "unheld", it, NULL);
	return 1;
}

/* hold_domains - the hold file of each domain named. */
static int
hold_domains(struct sel *s, int hold)
{
	struct qref	it = { -1, 0, NULL, "-" };
	int		root = s->root;
	char		path[300];
	size_t		i;
	int		fd;

	for (i = 0; i < s->domains.n; i++)	/* all of them, before any */
		if (domain_mode(root, s->domains.v[i]) == DOMAIN_NONE)
			die(SNF_EXIT_PERM, "%s is not a protected domain",
			    s->domains.v[i]);
	for (i = 0; i < s->domains.n; i++) {
		it.domain = s->domains.v[i];
		domain_path(path, sizeof(path), it.domain, "hold");
		if (!s->dry && hold && ((fd = openat(root, path, O_WRONLY |
		    O_CREAT | O_CLOEXEC, 0644)) == -1 || close(fd) == -1))
			die_sys(SNF_EXIT_TEMP, "unable to create %s", path);
		if (!s->dry && !hold && unlinkat(root, path, 0) == -1 &&
		    errno != ENOENT)
			die_sys(SNF_EXIT_TEMP, "unable to remove %s", path);
		sel_say(s, s->dry ? (hold ? "hold" : "unhold") : hold ? "held" :
		    "unheld", &it, "domain");
	}
	queue_become(root, s->rootpath);
	if (!hold && !s->dry)
		queue_trigger(root);
	return SNF_EXIT_OK;
}

/*
 * queue_hold - hold (or unhold) the domains named, when no message is
 * selected otherwise, or the messages selected.
 */
int
queue_hold(struct sel *s, int argc, char **argv, int hold)
{
	sel_parse(argc, argv, "nr:s:a:b:i:", s);
	if (!s->filtered && s->domains.n == 0)
		die(SNF_EXIT_PERM, "%s what? name domains, or select messages "
		    "with -i, -r, -s, -a or -b", argv[0]);
	if (!s->filtered)
		return hold_domains(s, hold);
	queue_become(s->root, s->rootpath);
	sel_each(s, hold ? SEL_MAIL : SEL_HOLD, hold_one, &hold);
	if (!hold && !s->dry)
		queue_trigger(s->root);
	return sel_exit(s);
}

struct requeue {
	int		release;
	struct names	domains;	/* of the messages touched */
};

static int
requeue_one(struct sel *s, const struct qref *it, void *arg)
{
	struct requeue	*rq = arg;
	struct qitem	 q;

	if (s->dry) {
		sel_say(s, rq->release ? "release" : "requeue", it, NULL);
		return 1;
	}
	if (sel_claim(s, it, &q, 1) == -1)
		return 0;
	if (qitem_defer(&q, (int64_t)time(NULL)) == -1) {
		sel_say(s, "error", it, strerror(errno));
		s->failures++;
	} else {
		sel_say(s, rq->release ? "released" : "requeued", it, NULL);
		if (names_add(&rq->domains, it->domain) == -1)
			die_sys(SNF_EXIT_TEMP, "out of memory");
	}
	qitem_close(&q);
	return 1;
}

/* clear_backoff - the domain is due now; release also asks for a try. */
static void
clear_backoff(int root, const char *domain, int release)
{
	struct dstate	st;
	int		fd, efd;

	state_read(root, domain, &st);
	if (st.state != DS_UNKNOWN) {
		st.next = 0;
		st.fails = 0;
		st.tried = 0;
		(void)state_write(root, domain, &st);
	}
	if (!release || (efd = rdir_open(root, RD_ETRN, NULL, RD_CREATE)) == -1)
		return;
	if ((fd = openat(efd, domain, O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) != -1)
		close(fd);
	close(efd);
}

/*
 * queue_requeue - the messages selected are due now and the backoff of
 * their domains is cleared; release also asks snf-send to try those
 * domains at once, as an ETRN does. Held messages stay held.
 */
int
queue_requeue(struct sel *s, int argc, char **argv, int release)
{
	struct requeue	rq = { release, { 0 } };
	size_t		i;

	sel_parse(argc, argv, "nr:s:a:b:i:", s);
	sel_each(s, SEL_MAIL, requeue_one, &rq);
	names_sort(&rq.domains);
	for (i = 0; i < rq.domains.n; i++)
		clear_backoff(s->root, rq.domains.v[i], release);
	names_free(&rq.domains);
	if (!s->dry)
		queue_trigger(s->root);
	return sel_exit(s);
}

static int
remove_one(struct sel *s, const struct qref *it, void *arg)
{
	struct qitem	q;

	(void)arg;
	if (s->dry) {
		sel_say(s, "remove", it, it->where == RD_HOLD ? "held" : NULL);
		return 1;
	}
	if (sel_claim(s, it, &q, 0) == -1)
		return 0;
	if (qitem_remove(it) == -1) {
		sel_say(s, "error", it, strerror(errno));
		s->failures++;
	} else
		sel_say(s, "removed", it, it->where == RD_HOLD ? "held" : NULL);
	qitem_close(&q);
	return 1;
}

/* queue_remove - drop the messages selected, for good: needs -y. */
int
queue_remove(struct sel *s, int argc, char **argv)
{
	sel_parse(argc, argv, "nyr:s:a:b:i:", s);
	if (!s->filtered && s->domains.n == 0)
		die(SNF_EXIT_PERM, "remove what? name domains, or select "
		    "messages with -i, -r, -s, -a or -b");
	if (!s->yes && !s->dry)
		die(SNF_EXIT_PERM, "remove deletes mail for good: add -y (or "
		    "-n to see what it would remove)");
	sel_each(s, SEL_MAIL | SEL_HOLD, remove_one, NULL);
	return sel_exit(s);
}
