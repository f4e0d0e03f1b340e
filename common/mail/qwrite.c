/*
 * qwrite.c - the queue writer: one message and its envelope into the
 * queue, durably, one item per recipient domain. qw_commit returns
 * SNF_EXIT_OK only when every item is fsync'd, renamed into
 * queue/mail/D/ and its folder fsync'd; w->status then says "K ids",
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
 *     queue/mail/D. Only then success.
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "addr.h"
#include "buf.h"
#include "control.h"
#include "die.h"
#include "envelope.h"
#include "exitcodes.h"
#include "fileio.h"
#include "log.h"
#include "param.h"
#include "queue.h"
#include "qwrite.h"

#define CHUNK		65536

struct qw_group {
	struct envelope	 env;
	int		 compress;
	int		 fd;		/* the item, open until committed */
	int		 raw;		/* the item is the raw file */
	char		 tmp[128];	/* its name in queue/tmp/, or "" */
	char		 id[QUEUE_ID_MAX];
	int		 committed;
};

/*
 * close_items - close the item files. Each was fsync'd, which reports
 * any write error, so what close(2) says adds nothing.
 */
static void
close_items(struct qw *w)
{
	size_t	i;

	for (i = 0; i < w->ngroups; i++) {
		if (w->groups[i].fd != -1)
			close(w->groups[i].fd);
		w->groups[i].fd = -1;
	}
}

/* cleanup - remove every temporary file not yet committed. */
static void
cleanup(struct qw *w)
{
	size_t	i;

	for (i = 0; i < w->ngroups; i++)
		if (!w->groups[i].committed && w->groups[i].tmp[0])
			unlinkat(w->root, w->groups[i].tmp, 0);
	close_items(w);
	if (w->rawtmp[0] && !w->rawkeep)
		unlinkat(w->root, w->rawtmp, 0);
	w->rawtmp[0] = '\0';
	if (w->rawfd != -1)
		close(w->rawfd);
	w->rawfd = -1;
}

/* release - free what the writer holds; the files are dealt with. */
static void
release(struct qw *w)
{
	size_t	i, j;

	for (i = 0; i < w->ngroups; i++) {
		for (j = 0; j < w->groups[i].env.nrcpt; j++)
			free(w->groups[i].env.rcpt[j].addr);
		free(w->groups[i].env.domain);
		env_free(&w->groups[i].env);
	}
	free(w->groups);
	free(w->sender);
	w->groups = NULL;
	w->sender = NULL;
	w->ngroups = w->gcap = 0;
}

/*
 * fail - note why in w->status, remove temporaries, return -1: kind
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

static int
fail(struct qw *w, char kind, const char *status, const char *why)
{
	return fail_how(w, kind, status, why, 0);
}

/* fail_io - a system call failed: a full disk is 4.3.1, else 4.3.0. */
static int
fail_io(struct qw *w, const char *why)
{
	if (errno == ENOSPC || errno == EDQUOT)
		return fail_how(w, 'Z', "4.3.1", "insufficient system storage",
		    0);
	return fail_how(w, 'Z', "4.3.0", why, 1);
}

/* unnamed: -1 after O_TMPFILE or /proc/self/fd proved missing */
static int	unnamed = 0;

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
	if (unnamed == 0)
		unnamed = access("/proc/self/fd", X_OK) == 0 ? 1 : -1;
	if (unnamed == 1) {
		fd = openat(w->root, QUEUE_TMP, O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0600);
		if (fd != -1 || (errno != EOPNOTSUPP && errno != EISDIR &&
		    errno != EINVAL))
			return fd;
		unnamed = -1;	/* old kernel or a file system without it */
	}
#endif
	do {
		if (tmpname(name, size, QUEUE_TMP "/", "m") == -1)
			return -1;
		fd = openat(w->root, name, O_RDWR | O_CREAT | O_EXCL |
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
	/* the folders exist after the first message: no syscalls then */
	if ((w->rawfd = open_tmp(w, w->rawtmp, sizeof(w->rawtmp))) == -1) {
		if (errno != ENOENT)
			return fail_io(w, "unable to create a file in queue/tmp");
		if (mkdir_durable(root, QUEUE_DIR, 0700) == -1 ||
		    mkdir_durable(root, QUEUE_TMP, 0700) == -1)
			return fail_io(w, "unable to create the queue folders");
		if ((w->rawfd = open_tmp(w, w->rawtmp, sizeof(w->rawtmp))) == -1)
			return fail_io(w, "unable to create a file in queue/tmp");
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
		return fail_io(w, "unable to write the message");
	w->rawcrc = crc32(w->rawcrc, p, (uInt)n);
	w->rawsize += n;
	return 0;
}

/* qw_abort - the message will not be queued: remove what was written. */
void
qw_abort(struct qw *w)
{
	cleanup(w);
	release(w);
}

static struct qw_group *
group_for(struct qw *w, const char *domain)
{
	struct qw_group	*g;
	size_t		 i;
	void		*p;

	for (i = 0; i < w->ngroups; i++)
		if (strcmp(w->groups[i].env.domain, domain) == 0)
			return &w->groups[i];
	if (w->ngroups == w->gcap) {
		w->gcap = w->gcap ? w->gcap * 2 : 4;
		if ((p = reallocarray(w->groups, w->gcap, sizeof(*g))) == NULL)
			return NULL;
		w->groups = p;
	}
	g = &w->groups[w->ngroups];
	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->env = w->proto;
	g->env.nrcpt = g->env.rcptcap = 0;
	g->env.rcpt = NULL;
	if ((g->env.domain = strdup(domain)) == NULL)
		return NULL;
	w->ngroups++;
	return g;
}

/* add_rcpt - a T record: parse, normalise, file under its domain. */
static struct env_rcpt *
add_rcpt(struct qw *w, const char *val, int *err)
{
	struct addr	 a;
	struct qw_group	*g;
	char		*full;

	if (addr_parse_mailbox(val, strlen(val), ADDR_LAX_LOCAL, &a) != ADDR_OK) {
		*err = fail(w, 'D', "5.6.0", "bad recipient address in envelope");
		return NULL;
	}
	if (!env_domain_ok(a.domain)) {	/* it becomes a folder name */
		*err = fail(w, 'D', "5.6.0",
		    "recipient domain unusable as a queue folder");
		return NULL;
	}
	if ((g = group_for(w, a.domain)) == NULL ||
	    (full = strdup(a.full)) == NULL) {
		*err = fail(w, 'Z', "4.3.0", "out of memory");
		return NULL;
	}
	if (env_add_rcpt(&g->env, full) == -1) {
		free(full);
		*err = errno == E2BIG ? fail(w, 'D', "5.5.3",
		    "too many recipients") : fail(w, 'Z', "4.3.0",
		    "out of memory");
		return NULL;
	}
	return &g->env.rcpt[g->env.nrcpt - 1];
}

/* message_record - a record that applies to the whole message. */
static int
message_record(struct qw *w, char key, char *v)
{
	switch (key) {
	case 'E':
		if (strlen(v) > ENVID_MAX || !xtext_valid(v, strlen(v)))
			return fail(w, 'D', "5.6.0", "bad ENVID in envelope");
		w->proto.envid = v;
		return 0;
	case 'R':
		if (strcmp(v, "FULL") && strcmp(v, "HDRS"))
			return fail(w, 'D', "5.6.0", "bad RET in envelope");
		w->proto.ret = v;
		return 0;
	case 'B':
		if (strcmp(v, "7BIT") && strcmp(v, "8BITMIME"))
			return fail(w, 'D', "5.6.0", "bad BODY in envelope");
		w->proto.body = v;
		return 0;
	case 'U': w->proto.smtputf8 = 1; return 0;
	case 'I': w->proto.client = v; return 0;
	case 'H': w->proto.helo = v; return 0;
	}
	return fail(w, 'D', "5.6.0", "unknown record in envelope");
}

/*
 * parse_envelope - check every record of env[0..len) (the last one the
 * empty record) and build the item envelopes. Values point into env.
 */
static int
parse_envelope(struct qw *w, char *p, const char *end)
{
	struct env_rcpt	*last = NULL;
	struct addr	 a;
	char		*v;
	int		 have_from = 0, err = 0;

	for (; p < end && *p; p += strlen(p) + 1) {
		v = p + 1;
		if (memchr(p, '\0', (size_t)(end - p)) == NULL)
			return fail(w, 'D', "5.6.0", "envelope incomplete");
		if (*p != 'F' && *p != 'T' && !env_value_ok(v))
			return fail(w, 'D', "5.6.0",
			    "control character in envelope");
		switch (*p) {
		case 'F':
			if (have_from++ || addr_parse_mailbox(v, strlen(v),
			    ADDR_NULL_OK | ADDR_LAX_LOCAL, &a) != ADDR_OK)
				return fail(w, 'D', "5.6.0",
				    "bad sender address in envelope");
			if ((w->sender = strdup(a.full)) == NULL)
				return fail(w, 'Z', "4.3.0", "out of memory");
			w->proto.sender = w->sender;
			continue;
		case 'T':
			if (!have_from)
				return fail(w, 'D', "5.6.0",
				    "recipient before sender in envelope");
			if ((last = add_rcpt(w, v, &err)) == NULL)
				return err;
			continue;
		case 'N':
			if (!last || last->notify || !notify_valid(v, strlen(v)))
				return fail(w, 'D', "5.6.0",
				    "bad NOTIFY in envelope");
			last->notify = v;
			continue;
		case 'O':
			if (!last || last->orcpt || !orcpt_valid(v, strlen(v)))
				return fail(w, 'D', "5.6.0",
				    "bad ORCPT in envelope");
			last->orcpt = v;
			continue;
		}
		if (last)
			return fail(w, 'D', "5.6.0",
			    "message record after a recipient in envelope");
		if (message_record(w, *p, v) == -1)
			return -1;
	}
	if (!have_from || w->ngroups == 0)
		return fail(w, 'D', "5.6.0",
		    "envelope without sender or recipients");
	return 0;
}

/* copy_body - the raw body into fd, deflated when compress is set. */
static int
copy_body(struct qw *w, int fd, int compress, uint32_t *crcp)
{
	unsigned char	*in = NULL, *out = NULL;
	z_stream	 z;
	uint32_t	 crc = crc32(0, NULL, 0);
	off_t		 off = 0;
	ssize_t		 n;
	int		 zr = Z_OK, r = -1;

	memset(&z, 0, sizeof(z));
	if ((in = malloc(CHUNK)) == NULL || (out = malloc(CHUNK)) == NULL ||
	    (compress && deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)) {
		free(in);
		free(out);
		return fail(w, 'Z', "4.3.0", "out of memory");
	}
	do {
		if ((n = pread(w->rawfd, in, CHUNK, off)) == -1) {
			fail_io(w, "unable to read the message back");
			goto out;
		}
		off += n;
		if (!compress) {
			if (write_all(fd, in, (size_t)n) == -1) {
				fail_io(w, "unable to copy the message");
				goto out;
			}
			crc = crc32(crc, in, (uInt)n);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = out;
			z.avail_out = CHUNK;
			zr = deflate(&z, (uint64_t)off == w->rawsize ? Z_FINISH :
			    Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR ||
			    write_all(fd, out, CHUNK - z.avail_out) == -1) {
				fail_io(w, "unable to write the compressed message");
				goto out;
			}
			crc = crc32(crc, out, CHUNK - z.avail_out);
		} while (z.avail_out == 0);
	} while ((uint64_t)off < w->rawsize);
	if (compress && zr != Z_STREAM_END) {
		fail(w, 'Z', "4.3.0", "zlib did not finish");
		goto out;
	}
	*crcp = crc;
	r = 0;
out:
	if (compress)
		deflateEnd(&z);
	free(in);
	free(out);
	return r;
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
			return fail_io(w, "unable to create a file in queue/tmp");
		if (copy_body(w, g->fd, g->compress, &crc) == -1)
			return -1;
		if (qitem_append_env(g->fd, &g->env, crc) == -1 ||
		    fsync(g->fd) == -1)
			return fail_io(w, "unable to write the message");
	}
	for (i = 0; i < w->ngroups; i++) {
		g = &w->groups[i];
		if (!g->raw)
			continue;
		if (lseek(w->rawfd, (off_t)w->rawsize, SEEK_SET) == -1 ||
		    qitem_append_env(w->rawfd, &g->env, w->rawcrc) == -1)
			return fail_io(w, "unable to write the envelope");
		if (fsync(w->rawfd) == -1)
			return fail_io(w, "unable to fsync the message");
		g->fd = w->rawfd;	/* the item owns it now */
		w->rawfd = -1;
		w->rawtmp[0] = '\0';
		return 0;
	}
	/* every item is a copy: the raw file goes */
	close(w->rawfd);
	w->rawfd = -1;
	if (w->rawtmp[0])
		unlinkat(w->root, w->rawtmp, 0);
	w->rawtmp[0] = '\0';
	return 0;
}

/* rename_new - rename without replacing: an existing name is EEXIST. */
static int
rename_new(int root, const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(root, from, root, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (linkat(root, from, root, to, 0) == -1)
		return -1;
	return unlinkat(root, from, 0);
}

/*
 * name_item - give item g the name path (relative to the root), never
 * replacing one: a link of its open file, or a rename of its name in
 * queue/tmp/.
 */
static int
name_item(struct qw *w, struct qw_group *g, const char *path)
{
	char	proc[64];

	if (g->tmp[0])
		return rename_new(w->root, g->tmp, path);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", g->fd);
	return linkat(AT_FDCWD, proc, w->root, path, AT_SYMLINK_FOLLOW);
}

/* commit - name each item in queue/mail/D/ and fsync the folders. */
static int
commit(struct qw *w)
{
	char		 dir[300], path[340];
	struct qw_group	*g;
	size_t		 i, j;
	int		 tries, r;

	for (i = 0; i < w->ngroups; i++) {
		g = &w->groups[i];
		snprintf(dir, sizeof(dir), QUEUE_MAIL "/%s", g->env.domain);
		for (tries = 0; ; tries++) {
			if (queue_id_make(g->id, sizeof(g->id),
			    w->proto.arrival) == -1)
				return fail(w, 'Z', "4.3.0", "unable to make an id");
			snprintf(path, sizeof(path), "%s/%s", dir, g->id);
			if ((r = name_item(w, g, path)) == 0)
				break;
			if (errno == ENOENT && tries == 0 &&
			    (mkdir_durable(w->root, QUEUE_MAIL, 0700) == -1 ||
			    mkdir_durable(w->root, dir, 0700) == -1))
				return fail_io(w, "unable to create a domain "
				    "folder in queue/mail");
			if ((errno != EEXIST && errno != ENOENT) || tries == 10)
				return fail_io(w, "unable to move the message "
				    "into the queue");
		}
		g->committed = 1;
		/* the new link count must reach the disk with the name */
		if (!g->tmp[0] && fsync(g->fd) == -1)
			return fail_io(w, "unable to fsync the message");
	}
	for (i = 0; i < w->ngroups; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(w->groups[j].env.domain,
			    w->groups[i].env.domain) == 0)
				break;
		if (j < i)
			continue;
		snprintf(dir, sizeof(dir), QUEUE_MAIL "/%s",
		    w->groups[i].env.domain);
		if (fsync_dirat(w->root, dir) == -1)
			return fail_io(w, "unable to fsync the queue folder");
	}
	return 0;
}

static int
want_compress(int root, const char *domain)
{
	char	path[300];
	int	global = control_flag(root, "control/compress", 0);

	if (snprintf(path, sizeof(path), "domains/%s/compress", domain) >=
	    (int)sizeof(path) || domain[0] == '[')
		return global;
	return control_flag(root, path, global);
}

/*
 * qw_commit - the envelope records env[0..len) ("Kvalue\0" each, the
 * last one empty) for the message written: check, store, commit. Returns
 * SNF_EXIT_OK, SNF_EXIT_PERM or SNF_EXIT_TEMP, with w->status.
 */
int
qw_commit(struct qw *w, const char *env, size_t len)
{
	struct qw_group	*g;
	char		*copy;
	size_t		 i, o;
	int		 r;

	if (w->rawfd == -1)
		return SNF_EXIT_TEMP;	/* failed before: status says why */
	if (len == 0 || env[len - 1] != '\0' || (copy = malloc(len)) == NULL) {
		fail(w, 'D', "5.6.0", "envelope incomplete");
		release(w);
		return SNF_EXIT_PERM;
	}
	memcpy(copy, env, len);
	r = parse_envelope(w, copy, copy + len);
	for (i = 0; r == 0 && i < w->ngroups; i++)
		w->groups[i].compress = want_compress(w->root,
		    w->groups[i].env.domain);
	if (r == 0)
		r = prepare(w);
	if (r == 0)
		r = commit(w);
	close_items(w);
	if (r == -1) {
		r = w->status[0] == 'D' ? SNF_EXIT_PERM : SNF_EXIT_TEMP;
		log_event("warning message not queued: %s",
		    logesc(w->status + 1));
		cleanup(w);
		release(w);
		free(copy);
		return r;
	}
	queue_trigger(w->root);
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
	release(w);
	free(copy);
	return SNF_EXIT_OK;
}

/* status_line - tell the caller, when fd 1 is a socket it can read. */
static void
status_line(const char *line)
{
	struct stat	st;

	if (fstat(1, &st) == 0 && S_ISSOCK(st.st_mode)) {
		(void)!write(1, line, strlen(line));
		(void)!write(1, "\n", 1);
	}
}

/*
 * read_envelope - records "Kvalue\0" from fd 1 up to an empty record.
 * Returns 0, or -1 when the envelope ended before its empty record.
 */
static int
read_envelope(struct buf *b)
{
	char	chunk[4096], *z;
	size_t	pos = 0;
	ssize_t	n;

	for (;;) {
		while (pos < b->len) {
			if (b->p[pos] == '\0') {
				b->len = pos + 1;
				return 0;
			}
			if ((z = memchr(b->p + pos, '\0', b->len - pos)) == NULL)
				break;
			pos = (size_t)(z - b->p) + 1;
		}
		n = read(1, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || buf_add(b, chunk, (size_t)n) == -1)
			return -1;
	}
}

/*
 * queue_inject - snf-queue's job: the message on fd 0, the envelope on
 * fd 1, the status line back on fd 1 when it is a socket. Returns the
 * exit status.
 */
int
queue_inject(int root)
{
	struct qw	 w;
	struct buf	 env;
	char		*b;
	ssize_t		 n;
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	alarm(86400);		/* a stuck writer must not live forever */
	umask(077);
	if ((b = malloc(CHUNK)) == NULL)
		die_sys(SNF_EXIT_TEMP, "out of memory");
	if (qw_begin(&w, root) == -1)
		goto failed;
	for (;;) {
		n = read(0, b, CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(w.status, sizeof(w.status),
			    "Z4.3.0 unable to read the message");
			qw_abort(&w);
			goto failed;
		}
		if (n == 0)
			break;
		if (qw_write(&w, b, (size_t)n) == -1)
			goto failed;
	}
	free(b);
	buf_init(&env, ENV_MAX);
	if (read_envelope(&env) == -1) {
		/* the caller gave up (client gone, message refused):
		 * nothing to report, nothing kept */
		qw_abort(&w);
		exit(SNF_EXIT_TEMP);
	}
	r = qw_commit(&w, env.p, env.len);
	status_line(w.status);
	if (r != SNF_EXIT_OK)
		die(r, "%s", w.status + 1);
	return SNF_EXIT_OK;
failed:
	status_line(w.status);
	die(w.status[0] == 'D' ? SNF_EXIT_PERM : SNF_EXIT_TEMP, "%s",
	    w.status + 1);
}
