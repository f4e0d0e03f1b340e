/*
 * deliver.c - one domain's deliveries, run in a child of the scheduler:
 * route, connect to the first host that greets, then one transaction per
 * queued message (all its recipients at once, see common/deliver.c), and
 * keep the domain's state.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "buf.h"
#include "domain.h"
#include "log.h"
#include "qupdate.h"
#include "route.h"
#include "send.h"

#define SELF_MAX	32

struct items {
	char	(*id)[QUEUE_ID_MAX];
	size_t	 n;		/* listed (due) */
	size_t	 total;		/* all waiting */
	uint64_t bytes;		/* of all waiting */
	int64_t	 oldest;	/* arrival of the oldest waiting */
};

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * list_items - the domain's items, oldest first; with due set, only
 * those whose time has come (mtime). bytes/oldest cover all of them.
 */
static int
list_items(int root, const char *domain, int due, struct items *it,
    int64_t maxwait)
{
	char		 path[300];
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 fd;
	size_t		 cap = 0;
	int64_t		 now = (int64_t)time(NULL);
	void		*p;

	memset(it, 0, sizeof(*it));
	snprintf(path, sizeof(path), QUEUE_MAIL "/%s", domain);
	if ((fd = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!queue_id_valid(de->d_name) ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		it->total++;
		it->bytes += (uint64_t)st.st_size;
		if (it->oldest == 0 || queue_id_time(de->d_name) < it->oldest)
			it->oldest = queue_id_time(de->d_name);
		/* due later, unless later than any delay we set: then the
		 * clock was stepped back, and the item is due now */
		if (due && st.st_mtime > now && st.st_mtime - now <= maxwait)
			continue;
		if (it->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((p = reallocarray(it->id, cap, QUEUE_ID_MAX)) == NULL) {
				closedir(d);
				return -1;
			}
			it->id = p;
		}
		strlcpy(it->id[it->n++], de->d_name, QUEUE_ID_MAX);
	}
	closedir(d);
	if (it->n > 1)
		qsort(it->id, it->n, QUEUE_ID_MAX, cmp_id);
	return 0;
}

/* bounce_all - every recipient of every item failed for good. */
static void
bounce_all(struct dctx *c, const char *domain, struct items *it, int code,
    const char *text)
{
	struct rcpt_result	*res;
	struct qitem		 q;
	char			 path[300];
	size_t			 k;

	for (k = 0; k < it->n && !stopping; k++) {
		snprintf(path, sizeof(path), QUEUE_MAIL "/%s/%s", domain,
		    it->id[k]);
		if (dlv_claim(c, path, it->id[k], &q) == -1)
			continue;
		if ((res = calloc(q.env.nrcpt, sizeof(*res))) != NULL) {
			dlv_set_all(res, q.env.nrcpt, code, text);
			if (dlv_apply(c, path, &q, "none", res, 0) == -1)
				k = it->n;	/* cannot record: stop */
			free(res);
		}
		qitem_close(&q);
	}
}

/*
 * deliver_items - this part's share of the items over session s.
 * Returns 0, -1 when the session was lost, -2 when results could not be
 * recorded in the queue (then nothing more may be sent).
 */
static int
deliver_items(struct dctx *c, const char *domain, struct items *it,
    struct smtpc *s, unsigned part, unsigned nparts)
{
	struct rcpt_result	*res;
	struct qitem		 q;
	char			 path[300], host[400];
	size_t			 k;
	int			 alive = 1;

	snprintf(host, sizeof(host), "%s[%s]", s->host, s->addr);
	for (k = 0; k < it->n && alive && !stopping; k++) {
		/* the share of each part comes from the id itself, not from
		 * its place in a listing that other parts change by delivering */
		if (strtoull(it->id[k] + 11, NULL, 16) % nparts != part)
			continue;
		snprintf(path, sizeof(path), QUEUE_MAIL "/%s/%s", domain,
		    it->id[k]);
		if (dlv_claim(c, path, it->id[k], &q) == -1)
			continue;
		if ((res = calloc(q.env.nrcpt, sizeof(*res))) == NULL) {
			qitem_close(&q);
			break;
		}
		alive = dlv_transaction(s, &q, res) == 0;
		if (dlv_apply(c, path, &q, host, res, s->ext & SMTPC_DSN) == -1) {
			free(res);
			qitem_close(&q);
			return -2;
		}
		free(res);
		qitem_close(&q);
	}
	return alive ? 0 : -1;
}

/*
 * writable - the queue can record what a delivery does: its folder is
 * not read-only. Else nothing may be sent: every pass would send the
 * same mail again. (A full disk is met item by item: removing a
 * delivered item needs no room, and the first result that cannot be
 * recorded stops the session.)
 */
static int
writable(int root, const char *domain)
{
	char	dir[300];

	snprintf(dir, sizeof(dir), QUEUE_MAIL "/%s", domain);
	if (faccessat(root, dir, W_OK, AT_EACCESS) == -1) {
		warn_sys("%s cannot be written: nothing delivered", dir);
		return 0;
	}
	return 1;
}

/*
 * deliver_domain - deliver what is due for domain (everything when
 * force), taking the items whose id falls to part of nparts, so that
 * several connections to one domain share the work. Returns 0, or 111
 * when the queue could not record deliveries (the scheduler then leaves
 * the domain alone for a while).
 */
int
deliver_domain(struct dctx *c, const char *domain, int force, unsigned part,
    unsigned nparts)
{
	struct dstate	st;
	struct items	it;
	struct route	r;
	struct smtpc	s;
	char		err[SMTPC_TEXT_MAX + 300];
	int		rc, protected, status = 0;

	state_read(c->root, domain, &st);
	if (list_items(c->root, domain, !force, &it, c->backoff_max) == -1) {
		warn_sys("unable to list " QUEUE_MAIL "/%s", domain);
		return 111;
	}
	if (it.n == 0)
		goto out;
	if (!writable(c->root, domain)) {
		status = 111;
		goto out;
	}
	st.count = it.total;	/* for an alert raised on the way */
	st.bytes = it.bytes;
	st.oldest = it.oldest;
	protected = domain_mode(c->root, domain) != DOMAIN_NONE;
	rc = route_for(c->root, domain, &r);
	if (rc == ROUTE_NONE && !protected) {
		snprintf(err, sizeof(err), "550 5.1.2 %s", r.why);
		bounce_all(c, domain, &it, 550, err);
		goto out;
	}
	if (rc != ROUTE_OK) {
		if (part == 0)
			state_fail(c, domain, &st, r.why);
		goto out;
	}
	if (dlv_session(c, &r, &s, err, sizeof(err)) == -1) {
		if (part == 0)
			state_fail(c, domain, &st, err);
		goto out;
	}
	if (part == 0)
		state_ok(c, domain, &st);
	switch (deliver_items(c, domain, &it, &s, part, nparts)) {
	case -1:
		snprintf(err, sizeof(err), "%s[%s]: ", s.host, s.addr);
		strlcat(err, s.text, sizeof(err));
		smtpc_close(&s);
		if (part == 0)
			state_fail(c, domain, &st, err);
		break;
	case -2:
		log_event("warning domain=%s the queue cannot record what was "
		    "delivered: stopping", domain);
		smtpc_quit(&s);
		status = 111;
		break;
	default:
		smtpc_quit(&s);
	}
out:
	free(it.id);
	/* what waits now, for the status verb and the threshold alert */
	if (part == 0 && list_items(c->root, domain, 0, &it, 0) == 0) {
		state_waiting(c, domain, &st, it.total, it.bytes, it.oldest);
		if (state_write(c->root, domain, &st) == -1)
			status = 111;
		free(it.id);
	}
	return status;
}
