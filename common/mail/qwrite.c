/*
 * qwrite.c - the queue writer: one message and its envelope into the
 * queue, durably, one item per recipient domain. qw_commit returns
 * SNF_EXIT_OK only when every item is fsync'd and named in
 * queue/mail/D/, and that folder fsync'd; w->status then says "K ids",
 * else "Z<code> why" (temporary) or "D<code> why" (permanent).
 *
 * The commit protocol (a crash at any instant leaves the whole message
 * or nothing visible under queue/mail/):
 *  1. the body streams into a file of queue/tmp/ without a name
 *     (O_TMPFILE, mode 0600), so a crash leaves nothing behind;
 *  2. each item gets envelope and trailer appended (or is a copy,
 *     compressed if its domain says so), then fsync; it stays open;
 *  3. linkat(2) of /proc/self/fd/N to queue/mail/D/ID, which never
 *     replaces a name: the commit point;
 *  4. fsync of each linked item again (its link count, which a file
 *     system without a journal writes apart from the name), then of
 *     queue/mail/D (made durably first when it is new: rootdir.c).
 *     Only then success.
 * Without O_TMPFILE or /proc the files are named in queue/tmp/ (O_EXCL)
 * and step 3 is a rename without replace; any failure before 4 unlinks
 * them. For a message to several domains the items are prepared first
 * and named last, one after the other: a failure between two (rare: the
 * data is already written) leaves the earlier domains queued while the
 * client gets a 4xx, so its retry duplicates them. Never a loss.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "exitcodes.h"
#include "fileio.h"
#include "log.h"
#include "qcopy.h"
#include "qwrite.h"
#include "rootdir.h"
#include "settings.h"

/*
 * close_items - close the item files and folders. Each file was
 * fsync'd, which reports any write error, so what close(2) says adds
 * nothing.
 */
static void
close_items(struct qw *w)
{
	struct qw_group	*g;
	size_t		 i;

	for (i = 0; i < w->ngroups; i++) {
		g = &w->groups[i];
		if (g->fd != -1)
			close(g->fd);
		if (g->dfd != -1)
			close(g->dfd);
		g->fd = g->dfd = -1;
	}
}

/* cleanup - remove every temporary file not yet committed. */
static void
cleanup(struct qw *w)
{
	size_t	i;

	for (i = 0; i < w->ngroups; i++)
		if (!w->groups[i].committed && w->groups[i].tmp[0])
			unlinkat(w->tmpfd, w->groups[i].tmp, 0);
	close_items(w);
	if (w->rawtmp[0] && !w->rawkeep)
		unlinkat(w->tmpfd, w->rawtmp, 0);
	w->rawtmp[0] = '\0';
	if (w->rawfd != -1)
		close(w->rawfd);
	w->rawfd = -1;
}

/* done - the writer holds nothing more: files dealt with, memory free. */
static void
done(struct qw *w)
{
	cleanup(w);
	qrec_free(w);
	if (w->tmpfd != -1)
		close(w->tmpfd);
	w->tmpfd = -1;
}

/*
 * fail_how - note why in w->status, remove temporaries, return -1: kind
 * 'Z' temporary, 'D' permanent; sys: errno explains it.
 */
static int
fail_how(struct qw *w, char kind, const char *status, const char *why,
    int sys)
{
	int	e = errno;

	cleanup(w);
	if (sys && e)
		snprintf(w->status, sizeof(w->status), "%c%s %s: %s", kind,
		    status, why, strerror(e));
	else
		snprintf(w->status, sizeof(w->status), "%c%s %s", kind, status,
		    why);
	errno = e;
	return -1;
}

int
qw_fail(struct qw *w, char kind, const char *status, const char *why)
{
	return fail_how(w, kind, status, why, 0);
}

/* qw_fail_io - a system call failed: a full disk is 4.3.1, else 4.3.0. */
int
qw_fail_io(struct qw *w, const char *why)
{
	if (errno == ENOSPC || errno == EDQUOT)
		return fail_how(w, 'Z', "4.3.1", "insufficient system storage",
		    0);
	return fail_how(w, 'Z', "4.3.0", why, 1);
}

/*
 * open_tmp - a new file in queue/tmp/: without a name (name becomes "")
 * when the system can name it later through /proc/self/fd, else a name
 * of its own, created exclusively.
 */
static int
open_tmp(struct qw *w, char *name, size_t size)
{
	int	fd;

	name[0] = '\0';
#ifdef O_TMPFILE
	if (w->unnamed == 0)
		w->unnamed = access("/proc/self/fd", X_OK) == 0 ? 1 : -1;
	if (w->unnamed == 1) {
		fd = openat(w->tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0600);
		if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR &&
		    errno != EINVAL))
			return fd;
		w->unnamed = -1;	/* old kernel or a file system without it */
	}
#endif
	do {
		if (tmpname(name, size, NULL, "m") == -1)
			return -1;
		fd = openat(w->tmpfd, name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0600);
	} while (fd == -1 && errno == EEXIST);
	return fd;
}

/*
 * qw_begin - start a message: the queue folders, the temporary file.
 * Returns 0, or -1 with w->status set.
 */
int
qw_begin(struct qw *w, int root)
{
	memset(w, 0, sizeof(*w));
	w->root = root;
	w->rawfd = -1;
	w->rawcrc = crc32(0, NULL, 0);
	env_init(&w->proto);
	w->proto.arrival = (int64_t)time(NULL);
	if ((w->tmpfd = rdir_open(root, RD_TMP, NULL, RD_CREATE)) == -1)
		return qw_fail_io(w, "unable to open queue/tmp");
	if ((w->rawfd = open_tmp(w, w->rawtmp, sizeof(w->rawtmp))) == -1) {
		qw_fail_io(w, "unable to create a file in queue/tmp");
		close(w->tmpfd);
		w->tmpfd = -1;
		return -1;
	}
	return 0;
}

/* qw_write - message bytes; -1 with w->status set (the file is gone). */
int
qw_write(struct qw *w, const void *p, size_t n)
{
	if (w->rawfd == -1)
		return -1;
	if (write_all(w->rawfd, p, n) == -1)
		return qw_fail_io(w, "unable to write the message");
	w->rawcrc = crc32(w->rawcrc, p, (uInt)n);
	w->rawsize += n;
	return 0;
}

/* qw_abort - the message will not be queued: remove what was written. */
void
qw_abort(struct qw *w)
{
	done(w);
}

/* copy_body - the raw body into fd, deflated when compress is set. */
static int
copy_body(struct qw *w, int fd, int compress, uint32_t *crcp)
{
	const char	*why;

	if (qcopy(w->rawfd, w->rawsize, fd, compress, crcp, &why) == 0)
		return 0;
	if (errno == ENOMEM)
		return qw_fail(w, 'Z', "4.3.0", "out of memory");
	return errno ? qw_fail_io(w, why) : qw_fail(w, 'Z', "4.3.0", why);
}

/* take_raw - the raw file, envelope appended, becomes item g. */
static int
take_raw(struct qw *w, struct qw_group *g)
{
	if (lseek(w->rawfd, (off_t)w->rawsize, SEEK_SET) == -1 ||
	    qitem_append_env(w->rawfd, &g->env, w->rawcrc) == -1)
		return qw_fail_io(w, "unable to write the envelope");
	if (fsync(w->rawfd) == -1)
		return qw_fail_io(w, "unable to fsync the message");
	g->fd = w->rawfd;	/* the item owns it now */
	w->rawfd = -1;
	w->rawtmp[0] = '\0';
	return 0;
}

/*
 * prepare - write every item file completely in queue/tmp/ and fsync
 * it; each stays open for commit. The first uncompressed item reuses the
 * raw file, so the common case (one domain, stored raw) writes the body
 * once.
 */
static int
prepare(struct qw *w)
{
	struct qw_group	*g;
	uint32_t	 crc = 0;
	size_t		 i;

	for (i = 0; i < w->ngroups; i++) {
		g = &w->groups[i];
		g->env.size = w->rawsize;
		g->env.zlib = g->compress;
		if (!g->compress && !w->rawkeep) {
			w->rawkeep = g->raw = 1;
			strlcpy(g->tmp, w->rawtmp, sizeof(g->tmp));
			continue;	/* done last: copies read the raw body */
		}
		if ((g->fd = open_tmp(w, g->tmp, sizeof(g->tmp))) == -1)
			return qw_fail_io(w, "unable to create a file in queue/tmp");
		if (copy_body(w, g->fd, g->compress, &crc) == -1)
			return -1;
		if (qitem_append_env(g->fd, &g->env, crc) == -1 ||
		    fsync(g->fd) == -1)
			return qw_fail_io(w, "unable to write the message");
	}
	for (i = 0; i < w->ngroups; i++)
		if (w->groups[i].raw)
			return take_raw(w, &w->groups[i]);
	/* every item is a copy: the raw file goes */
	close(w->rawfd);
	w->rawfd = -1;
	if (w->rawtmp[0])
		unlinkat(w->tmpfd, w->rawtmp, 0);
	w->rawtmp[0] = '\0';
	return 0;
}

/* say_queued - the status line "K ids" and a log line per item. */
static void
say_queued(struct qw *w)
{
	struct qw_group	*g;
	size_t		 i, o;

	o = (size_t)snprintf(w->status, sizeof(w->status), "K");
	for (i = 0; i < w->ngroups; i++) {
		g = &w->groups[i];
		if (o < sizeof(w->status))
			o += (size_t)snprintf(w->status + o, sizeof(w->status) - o,
			    " %s", g->id);
		log_event("queued id=%s domain=%s from=<%s> rcpts=%zu size=%llu%s",
		    g->id, logesc(g->env.domain), logesc(w->sender),
		    g->env.nrcpt, (unsigned long long)w->rawsize,
		    g->compress ? " zlib" : "");
	}
}

/*
 * qw_commit - the envelope records env[0..len) ("Kvalue\0" each, the
 * last one empty) for the message written: check, store, commit. Returns
 * SNF_EXIT_OK, SNF_EXIT_PERM or SNF_EXIT_TEMP, with w->status. The
 * writer holds nothing afterwards, whatever the outcome.
 */
int
qw_commit(struct qw *w, const char *env, size_t len)
{
	char	*copy;
	size_t	 i;
	int	 r;

	if (w->rawfd == -1) {
		done(w);
		return SNF_EXIT_TEMP;	/* failed before: status says why */
	}
	if (len == 0 || env[len - 1] != '\0' || (copy = malloc(len)) == NULL) {
		qw_fail(w, 'D', "5.6.0", "envelope incomplete");
		done(w);
		return SNF_EXIT_PERM;
	}
	memcpy(copy, env, len);
	r = qrec_parse(w, copy, copy + len);
	for (i = 0; r == 0 && i < w->ngroups; i++)
		w->groups[i].compress = setting_flag(w->root,
		    w->groups[i].env.domain, "compress", 0);
	if (r == 0)
		r = prepare(w);
	if (r == 0)
		r = qw_name(w);
	if (r == 0) {
		queue_trigger(w->root);
		say_queued(w);
		r = SNF_EXIT_OK;
	} else {
		r = w->status[0] == 'D' ? SNF_EXIT_PERM : SNF_EXIT_TEMP;
		log_warnx("message not queued: %s", logesc(w->status + 1));
	}
	done(w);
	free(copy);
	return r;
}
