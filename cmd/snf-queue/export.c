/*
 * export.c - held mail handed over as files: a Maildir folder per
 * recipient (tmp/, new/, cur/; each message written in tmp/ and renamed
 * into new/, as the Maildir protocol wants) that Dovecot or any IMAP
 * server can serve, and one mbox file compressed with zlib (.mbox.gz,
 * "mboxrd" quoting). Line ends become LF, as both formats expect. The
 * queue keeps the mail unless -x asks to remove what was exported. Each
 * message is checked whole first, as snf-send checks it: a damaged one
 * is named, not exported, and stays.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "control.h"
#include "date.h"
#include "die.h"
#include "domain.h"
#include "exitcodes.h"
#include "fileio.h"
#include "qupdate.h"
#include "snfq.h"

struct exp {
	int		 out;		/* the Maildir parent folder, or -1 */
	int		 gzfd;		/* the mbox file */
	gzFile		 gz;		/* the mbox, or NULL */
	char		 host[256];
	unsigned long	 n;
};

/* folder_name - a recipient as one safe folder name: %XX for the rest. */
static void
folder_name(char *dst, size_t size, const char *addr)
{
	size_t	o = 0;

	for (; *addr && o + 4 < size; addr++) {
		unsigned char c = (unsigned char)*addr;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("@+-_", c) || (c == '.' && o > 0))
			dst[o++] = (char)c;
		else if (c >= 'A' && c <= 'Z')
			dst[o++] = (char)(c - 'A' + 'a');
		else
			o += (size_t)snprintf(dst + o, size - o, "%%%02X", c);
	}
	dst[o] = '\0';
}

/* body_lf - the stored message with LF line ends, into b. */
static int
body_lf(struct qitem *q, struct buf *b)
{
	struct qbody	qb;
	char		chunk[16384];
	ssize_t		n, i;
	int		cr = 0;

	if (qbody_open(&qb, q) == -1)
		return -1;
	while ((n = qbody_read(&qb, chunk, sizeof(chunk))) > 0) {
		for (i = 0; i < n; i++) {
			if (cr && chunk[i] != '\n' && buf_addc(b, '\r') == -1)
				n = -1;
			cr = chunk[i] == '\r';
			if (!cr && buf_addc(b, chunk[i]) == -1)
				n = -1;
		}
		if (n == -1)
			break;
	}
	qbody_close(&qb);
	if (n == 0 && b->len && b->p[b->len - 1] != '\n')
		return buf_addc(b, '\n');
	return n == 0 ? 0 : -1;
}

/* maildir_one - message m for recipient rcpt into OUT/rcpt/new/. */
static int
maildir_one(struct exp *x, const char *id, const char *sender,
    const char *rcpt, const struct buf *m)
{
	char	dir[600], tmp[1000], new[1000], name[300];
	int	fd, i;

	folder_name(dir, sizeof(dir), rcpt);
	if (mkdirat(x->out, dir, 0700) == -1 && errno != EEXIST)
		return -1;
	for (i = 0; i < 3; i++) {
		snprintf(tmp, sizeof(tmp), "%s/%s", dir, (const char *[]){
		    "tmp", "new", "cur" }[i]);
		if (mkdirat(x->out, tmp, 0700) == -1 && errno != EEXIST)
			return -1;
	}
	snprintf(name, sizeof(name), "%lld.%s_%lu.%s", (long long)time(NULL),
	    id, ++x->n, x->host);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	snprintf(new, sizeof(new), "%s/new/%s", dir, name);
	if ((fd = openat(x->out, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	if (dprintf(fd, "Return-Path: <%s>\nDelivered-To: %s\n", sender,
	    rcpt) < 0 || write_all(fd, m->p, m->len) == -1 || fsync(fd) == -1 ||
	    close(fd) == -1 || renameat(x->out, tmp, x->out, new) == -1) {
		unlinkat(x->out, tmp, 0);
		return -1;
	}
	snprintf(new, sizeof(new), "%s/new", dir);
	return fsync_dirat(x->out, new);
}

/* mbox_one - message m into the mbox, From_ lines quoted (mboxrd). */
static int
mbox_one(struct exp *x, struct qitem *q, const struct buf *m)
{
	char		 date[DATE_MAX];
	const char	*line, *end = m->p + m->len, *nl;
	size_t		 i, k;

	date_ctime(date, sizeof(date), (time_t)q->env.arrival);
	if (gzprintf(x->gz, "From %s %s\nReturn-Path: <%s>\nX-Original-To: ",
	    q->env.sender[0] ? q->env.sender : "MAILER-DAEMON", date,
	    q->env.sender) <= 0)
		return -1;
	for (i = 0; i < q->env.nrcpt; i++)
		if (gzprintf(x->gz, "%s<%s>", i ? ", " : "",
		    q->env.rcpt[i].addr) <= 0)
			return -1;
	if (gzputs(x->gz, "\n") <= 0)
		return -1;
	for (line = m->p; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		k = strspn(line, ">");
		if ((size_t)(end - line) >= k + 5 &&
		    memcmp(line + k, "From ", 5) == 0 && gzputc(x->gz, '>') == -1)
			return -1;
		if (gzwrite(x->gz, line, (unsigned)(nl - line + 1)) <= 0)
			return -1;
	}
	if (gzputs(x->gz, "\n") <= 0)
		return -1;
	/* on disk before the message may leave the queue (-x) */
	if (gzflush(x->gz, Z_SYNC_FLUSH) != Z_OK || fsync(x->gzfd) == -1)
		return -1;
	return 0;
}

static int
export_one(struct sel *s, const struct qref *it, void *arg)
{
	struct exp	*x = arg;
	struct qitem	 q;
	struct buf	 m;
	char		 why[300];
	size_t		 i;
	int		 bad = 0;

	if (s->dry) {
		sel_say(s, "export", it, NULL);
		return 1;
	}
	if (sel_claim(s, it, &q, 1) == -1)
		return 0;
	buf_init(&m, 0);
	if (body_lf(&q, &m) == -1)
		bad = 1;
	for (i = 0; !bad && x->out != -1 && i < q.env.nrcpt; i++)
		bad = maildir_one(x, it->id, q.env.sender, q.env.rcpt[i].addr,
		    &m) == -1;
	if (!bad && x->gz)
		bad = mbox_one(x, &q, &m) == -1;
	if (bad) {
		sel_say(s, "error", it, strerror(errno));
		s->failures++;
	} else if (s->remove && qitem_remove(it) == -1) {
		snprintf(why, sizeof(why), "not removed: %s", strerror(errno));
		sel_say(s, "error", it, why);
		s->failures++;
	} else
		sel_say(s, s->remove ? "exported-removed" : "exported", it,
		    NULL);
	buf_free(&m);
	qitem_close(&q);
	return 1;
}

int
queue_export(struct sel *s, int argc, char **argv)
{
	struct exp	x;
	int		root = s->root;

	sel_parse(argc, argv, "nxr:s:a:b:i:o:z:", s);
	if (s->outdir == NULL && s->mbox == NULL)
		die(SNF_EXIT_PERM, "export where? -o folder (Maildir) and/or "
		    "-z file.mbox.gz");
	memset(&x, 0, sizeof(x));
	x.out = -1;
	control_me(root, x.host, sizeof(x.host));
	if (s->outdir && !s->dry && ((mkdir(s->outdir, 0700) == -1 &&
	    errno != EEXIST) || (x.out = open(s->outdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1))
		die_sys(SNF_EXIT_TEMP, "unable to open %s", s->outdir);
	if (s->mbox && !s->dry && ((x.gzfd = open(s->mbox, O_WRONLY | O_CREAT |
	    O_APPEND | O_CLOEXEC, 0600)) == -1 ||
	    (x.gz = gzdopen(dup(x.gzfd), "ab")) == NULL))
		die_sys(SNF_EXIT_TEMP, "unable to open %s", s->mbox);
	sel_each(s, SEL_MAIL | SEL_HOLD, export_one, &x);
	if (x.gz && (gzclose(x.gz) != Z_OK || fsync(x.gzfd) == -1 ||
	    close(x.gzfd) == -1))
		die(SNF_EXIT_TEMP, "unable to finish %s", s->mbox);
	if (x.out != -1 && (fsync(x.out) == -1 || close(x.out) == -1))
		die_sys(SNF_EXIT_TEMP, "unable to finish %s", s->outdir);
	return sel_exit(s);
}
