/*
 * qwrite.c - the queue writer, snf-queue's main job: take one message on
 * fd 0 and its envelope on fd 1, and make it durable in the queue, one
 * item per recipient domain. Exit 0 only when every item is fsync'd,
 * renamed into queue/mail/D/ and its folder fsync'd. It runs in a
 * process of its own (snf-queue, or a child of snf-smtpd or snf-send)
 * and ends it: every failure exits through die().
 *
 * The commit protocol (a crash at any instant leaves the whole message
 * or nothing visible under queue/mail/):
 *  1. the body streams into queue/tmp/NAME (O_EXCL, mode 0600);
 *  2. each item gets envelope and trailer appended (or is a copy,
 *     compressed if its domain says so), then fsync and close;
 *  3. rename(2) without replace into queue/mail/D/ID, the commit point;
 *  4. fsync of queue/mail/D. Only then exit 0.
 * Any failure before 4 unlinks what is still in queue/tmp/. For a message
 * to several domains the items are prepared first and renamed last, one
 * after the other: a failure between two renames (rare: the data is
 * already written) leaves the earlier domains queued while the client
 * gets a 4xx, so its retry duplicates them. Never a loss.
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
#define MAX_GROUPS	ENV_RCPT_MAX

struct group {
	struct envelope	 env;
	int		 compress;
	int		 fd;
	char		 tmp[128];
	char		 id[QUEUE_ID_MAX];
	int		 committed;
};

static int		 root = -1;
static int		 rawfd = -1;
static char		 rawtmp[128];
static int		 rawkeep;	/* raw tmp became an item */
static uint64_t		 rawsize;
static uint32_t		 rawcrc;
static struct group	*groups;
static size_t		 ngroups;
static struct envelope	 proto;		/* message-level fields */

/* cleanup - remove every temporary file not yet committed. */
static void
cleanup(void)
{
	size_t	i;

	for (i = 0; i < ngroups; i++)
		if (!groups[i].committed && groups[i].tmp[0])
			unlinkat(root, groups[i].tmp, 0);
	if (rawtmp[0] && !rawkeep)
		unlinkat(root, rawtmp, 0);
}

/* status_line - tell the caller, when fd 1 is a socket it can read. */
static void
status_line(const char *line, size_t n)
{
	struct stat	st;

	if (fstat(1, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)!write(1, line, n);
}

/*
 * fail - report on fd 1, remove temporaries and exit: kind 'Z'
 * temporary (111), 'D' permanent (100). sys: errno explains why.
 */
static void __attribute__((__noreturn__))
fail_how(char kind, const char *status, const char *why, int sys)
{
	char	line[256];
	int	n, e = errno;

	cleanup();
	n = snprintf(line, sizeof(line), "%c%s %s\n", kind, status, why);
	if (n > 0 && (size_t)n < sizeof(line))
		status_line(line, (size_t)n);
	errno = e;
	if (kind == 'D')
		die(SNF_EXIT_PERM, "%s", why);
	if (sys)
		die_sys(SNF_EXIT_TEMP, "%s", why);
	die(SNF_EXIT_TEMP, "%s", why);
}

static void __attribute__((__noreturn__))
fail(char kind, const char *status, const char *why)
{
	fail_how(kind, status, why, 0);
}

/* fail_io - a system call failed: a full disk is 4.3.1, else 4.3.0. */
static void __attribute__((__noreturn__))
fail_io(const char *why)
{
	if (errno == ENOSPC || errno == EDQUOT)
		fail_how('Z', "4.3.1", "insufficient system storage", 1);
	fail_how('Z', "4.3.0", why, 1);
}

static int
open_tmp(char *name, size_t size)
{
	int	fd;

	do {
		if (tmpname(name, size, QUEUE_TMP "/", "m") == -1)
			return -1;
		fd = openat(root, name, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0600);
	} while (fd == -1 && errno == EEXIST);
	return fd;
}

/* read_body - stream fd 0 into the raw temporary file. */
static void
read_body(void)
{
	char	*b;
	ssize_t	 n;

	if ((b = malloc(CHUNK)) == NULL)
		fail('Z', "4.3.0", "out of memory");
	if ((rawfd = open_tmp(rawtmp, sizeof(rawtmp))) == -1)
		fail_io("unable to create a file in queue/tmp");
	rawcrc = crc32(0, NULL, 0);
	for (;;) {
		n = read(0, b, CHUNK);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fail('Z', "4.3.0", "unable to read the message");
		}
		if (write_all(rawfd, b, (size_t)n) == -1)
			fail_io("unable to write the message");
		rawcrc = crc32(rawcrc, (unsigned char *)b, (uInt)n);
		rawsize += (uint64_t)n;
	}
	free(b);
}

/*
 * read_envelope - records "Kvalue\0" from fd 1 up to an empty record.
 * Returns the bytes (the empty record included) in b.
 */
static void
read_envelope(struct buf *b)
{
	char	chunk[4096];
	size_t	pos = 0;
	ssize_t	n;
	char	*z;

	for (;;) {
		while (pos < b->len) {
			if (b->p[pos] == '\0')
				return;
			if ((z = memchr(b->p + pos, '\0', b->len - pos)) == NULL)
				break;
			pos = (size_t)(z - b->p) + 1;
		}
		n = read(1, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* the caller gave up (client gone, message refused):
			 * nothing to report, nothing kept */
			cleanup();
			exit(SNF_EXIT_TEMP);
		}
		if (buf_add(b, chunk, (size_t)n) == -1)
			fail('D', "5.3.0", "envelope too large");
	}
}

static struct group *
group_for(const char *domain)
{
	size_t	i;

	for (i = 0; i < ngroups; i++)
		if (strcmp(groups[i].env.domain, domain) == 0)
			return &groups[i];
	if (ngroups == MAX_GROUPS)
		return NULL;
	groups[ngroups].env = proto;
	groups[ngroups].env.nrcpt = groups[ngroups].env.rcptcap = 0;
	groups[ngroups].env.rcpt = NULL;
	if ((groups[ngroups].env.domain = strdup(domain)) == NULL)
		return NULL;
	groups[ngroups].fd = -1;
	groups[ngroups].tmp[0] = '\0';
	groups[ngroups].committed = 0;
	return &groups[ngroups++];
}

static void
bad(const char *why)
{
	fail('D', "5.6.0", why);
}

/* add_rcpt - a T record: parse, normalise, file under its domain. */
static struct env_rcpt *
add_rcpt(const char *val)
{
	struct addr	 a;
	struct group	*g;
	char		*full;

	if (addr_parse_mailbox(val, strlen(val), ADDR_LAX_LOCAL, &a) != ADDR_OK)
		bad("bad recipient address in envelope");
	if (!env_domain_ok(a.domain))	/* it becomes a folder name */
		bad("recipient domain unusable as a queue folder");
	if ((g = group_for(a.domain)) == NULL || (full = strdup(a.full)) == NULL)
		fail('Z', "4.3.0", "out of memory");
	if (env_add_rcpt(&g->env, full) == -1) {
		if (errno == E2BIG)
			fail('D', "5.5.3", "too many recipients");
		fail('Z', "4.3.0", "out of memory");
	}
	return &g->env.rcpt[g->env.nrcpt - 1];
}

/* parse_envelope - check every record and build the item envelopes. */
static void
parse_envelope(struct buf *b)
{
	struct env_rcpt	*last = NULL;
	struct addr	 a;
	char		*p = b->p, *v;
	int		 have_from = 0;

	for (; *p; p += strlen(p) + 1) {
		v = p + 1;
		if (*p != 'F' && *p != 'T' && !env_value_ok(v))
			bad("control character in envelope");
		switch (*p) {
		case 'F':
			if (have_from++ || addr_parse_mailbox(v, strlen(v),
			    ADDR_NULL_OK | ADDR_LAX_LOCAL, &a) != ADDR_OK)
				bad("bad sender address in envelope");
			if ((proto.sender = strdup(a.full)) == NULL)
				fail('Z', "4.3.0", "out of memory");
			continue;
		case 'T':
			if (!have_from)
				bad("recipient before sender in envelope");
			last = add_rcpt(v);
			continue;
		case 'N':
			if (!last || last->notify || !notify_valid(v, strlen(v)))
				bad("bad NOTIFY in envelope");
			last->notify = v;
			continue;
		case 'O':
			if (!last || last->orcpt || !orcpt_valid(v, strlen(v)))
				bad("bad ORCPT in envelope");
			last->orcpt = v;
			continue;
		}
		if (last)
			bad("message record after a recipient in envelope");
		switch (*p) {
		case 'E':
			if (strlen(v) > ENVID_MAX || !xtext_valid(v, strlen(v)))
				bad("bad ENVID in envelope");
			proto.envid = v;
			break;
		case 'R':
			if (strcmp(v, "FULL") && strcmp(v, "HDRS"))
				bad("bad RET in envelope");
			proto.ret = v;
			break;
		case 'B':
			if (strcmp(v, "7BIT") && strcmp(v, "8BITMIME"))
				bad("bad BODY in envelope");
			proto.body = v;
			break;
		case 'U': proto.smtputf8 = 1; break;
		case 'I': proto.client = v; break;
		case 'H': proto.helo = v; break;
		default:
			bad("unknown record in envelope");
		}
	}
	if (!have_from || ngroups == 0)
		bad("envelope without sender or recipients");
}

/* append_env - envelope and trailer after the body, or fail. */
static void
append_env(int fd, const struct envelope *env, uint32_t bodycrc)
{
	if (qitem_append_env(fd, env, bodycrc) == -1)
		fail_io("unable to write the envelope");
}

/* copy_body - the raw body into fd, deflated when compress is set. */
static uint32_t
copy_body(int fd, int compress)
{
	unsigned char	*in, *out;
	z_stream	 z;
	uint32_t	 crc = crc32(0, NULL, 0);
	off_t		 off = 0;
	ssize_t		 n;
	int		 zr = Z_OK;

	if ((in = malloc(CHUNK)) == NULL || (out = malloc(CHUNK)) == NULL)
		fail('Z', "4.3.0", "out of memory");
	memset(&z, 0, sizeof(z));
	if (compress && deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
		fail('Z', "4.3.0", "zlib initialisation failed");
	do {
		n = pread(rawfd, in, CHUNK, off);
		if (n == -1)
			fail('Z', "4.3.0", "unable to read the message back");
		off += n;
		if (!compress) {
			if (write_all(fd, in, (size_t)n) == -1)
				fail_io("unable to copy the message");
			crc = crc32(crc, in, (uInt)n);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = out;
			z.avail_out = CHUNK;
			zr = deflate(&z, (uint64_t)off == rawsize ? Z_FINISH :
			    Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR)
				fail('Z', "4.3.0", "zlib failed");
			if (write_all(fd, out, CHUNK - z.avail_out) == -1)
				fail_io("unable to write the compressed message");
			crc = crc32(crc, out, CHUNK - z.avail_out);
		} while (z.avail_out == 0);
	} while ((uint64_t)off < rawsize);
	if (compress) {
		if (zr != Z_STREAM_END)
			fail('Z', "4.3.0", "zlib did not finish");
		deflateEnd(&z);
	}
	free(in);
	free(out);
	return crc;
}

/*
 * prepare - write every item file completely in queue/tmp/ and fsync
 * it. The first uncompressed item reuses the raw file, so the common
 * case (one domain, stored raw) writes the body once.
 */
static void
prepare(void)
{
	struct group	*g;
	size_t		 i;
	uint32_t	 crc;

	for (i = 0; i < ngroups; i++) {
		g = &groups[i];
		g->env.size = rawsize;
		g->env.zlib = g->compress;
		if (!g->compress && !rawkeep) {
			rawkeep = 1;
			strlcpy(g->tmp, rawtmp, sizeof(g->tmp));
			continue;	/* done last: copies read the raw body */
		}
		if ((g->fd = open_tmp(g->tmp, sizeof(g->tmp))) == -1)
			fail_io("unable to create a file in queue/tmp");
		crc = copy_body(g->fd, g->compress);
		append_env(g->fd, &g->env, crc);
		if (fsync(g->fd) == -1 || close(g->fd) == -1)
			fail_io("unable to fsync the message");
	}
	for (i = 0; i < ngroups; i++) {
		g = &groups[i];
		if (strcmp(g->tmp, rawtmp) != 0)
			continue;
		if (lseek(rawfd, (off_t)rawsize, SEEK_SET) == -1)
			fail('Z', "4.3.0", "seek failed");
		append_env(rawfd, &g->env, rawcrc);
	}
	if (fsync(rawfd) == -1 || close(rawfd) == -1)
		fail_io("unable to fsync the message");
	rawfd = -1;
	if (!rawkeep) {
		unlinkat(root, rawtmp, 0);
		rawtmp[0] = '\0';
	}
}

/* rename_new - rename without replacing: an existing name is EEXIST. */
static int
rename_new(const char *from, const char *to)
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

/* commit - rename each item into queue/mail/D/ and fsync the folders. */
static void
commit(int64_t arrival)
{
	char		 dir[300], path[340];
	struct group	*g;
	size_t		 i, j;
	int		 tries;

	if (mkdir_durable(root, QUEUE_MAIL, 0700) == -1)
		fail_io("unable to create queue/mail");
	for (i = 0; i < ngroups; i++) {
		g = &groups[i];
		snprintf(dir, sizeof(dir), QUEUE_MAIL "/%s", g->env.domain);
		if (mkdir_durable(root, dir, 0700) == -1)
			fail_io("unable to create a domain folder in queue/mail");
		for (tries = 0; ; tries++) {
			if (queue_id_make(g->id, sizeof(g->id), arrival) == -1)
				fail('Z', "4.3.0", "unable to make an id");
			snprintf(path, sizeof(path), "%s/%s", dir, g->id);
			if (rename_new(g->tmp, path) == 0)
				break;
			if (errno != EEXIST || tries == 10)
				fail_io("unable to move the message into the queue");
		}
		g->committed = 1;
		if (strcmp(g->tmp, rawtmp) == 0)
			rawtmp[0] = '\0';
	}
	for (i = 0; i < ngroups; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(groups[j].env.domain, groups[i].env.domain) == 0)
				break;
		if (j < i)
			continue;
		snprintf(dir, sizeof(dir), QUEUE_MAIL "/%s", groups[i].env.domain);
		if (fsync_dirat(root, dir) == -1)
			fail_io("unable to fsync the queue folder");
	}
}

static int
want_compress(const char *domain)
{
	char	path[300];
	int	global = control_flag(root, "control/compress", 0);

	if (snprintf(path, sizeof(path), "domains/%s/compress", domain) >=
	    (int)sizeof(path) || domain[0] == '[')
		return global;
	return control_flag(root, path, global);
}

int
queue_inject(int rootfd)
{
	struct buf	 env;
	struct buf	 ok;
	int64_t		 arrival;
	size_t		 i;

	root = rootfd;
	signal(SIGPIPE, SIG_IGN);
	alarm(86400);		/* a stuck writer must not live forever */
	umask(077);
	arrival = (int64_t)time(NULL);
	env_init(&proto);
	proto.arrival = arrival;
	if ((groups = calloc(MAX_GROUPS, sizeof(*groups))) == NULL)
		fail('Z', "4.3.0", "out of memory");
	if (mkdir_durable(root, QUEUE_DIR, 0700) == -1 ||
	    mkdir_durable(root, QUEUE_TMP, 0700) == -1)
		fail_io("unable to create the queue folders");
	read_body();
	buf_init(&env, ENV_MAX);
	read_envelope(&env);
	parse_envelope(&env);
	for (i = 0; i < ngroups; i++)
		groups[i].compress = want_compress(groups[i].env.domain);
	prepare();
	commit(arrival);
	queue_trigger(root);
	buf_init(&ok, 0);
	buf_adds(&ok, "K");
	for (i = 0; i < ngroups; i++) {
		buf_printf(&ok, " %s", groups[i].id);
		log_event("queued id=%s domain=%s from=<%s> rcpts=%zu size=%llu%s",
		    groups[i].id, logesc(groups[i].env.domain),
		    logesc(proto.sender), groups[i].env.nrcpt,
		    (unsigned long long)rawsize, groups[i].compress ? " zlib" : "");
	}
	buf_adds(&ok, "\n");
	status_line(ok.p, ok.len);
	buf_free(&ok);
	return SNF_EXIT_OK;
}
