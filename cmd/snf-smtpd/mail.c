/*
 * mail.c - MAIL FROM (RFC 5321 4.1.1.2) and the path argument parser
 * MAIL and RCPT share: the sender, its ESMTP parameters (SIZE, BODY,
 * and the DSN ones, RET and ENVID), and room in the queue for the size
 * announced.
 */
#include <sys/statvfs.h>

#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rootdir.h"
#include "smtpd.h"

/*
 * path_arg - "FROM:" or "TO:" and a path at arg, with the reply for a
 * bad one already sent (enhanced code X.1.7 for a sender, X.1.3 for a
 * recipient). *rest points after the path. Returns 0 or -1.
 */
int
path_arg(struct session *s, const char *arg, size_t len, const char *prefix,
    int opts, struct addr *a, const char **rest)
{
	const char	*p = arg, *end = arg + len;
	const char	*what = prefix[0] == 'F' ? "sender" : "recipient";
	const char	*enh = prefix[0] == 'F' ? "5.1.7" : "5.1.3";
	size_t		 plen = strlen(prefix), used;
	int		 r;

	if (len < plen || strncasecmp(p, prefix, plen) != 0) {
		reply(s, "501 5.5.4 Syntax: %s <address>",
		    prefix[0] == 'F' ? "MAIL FROM:" : "RCPT TO:");
		return -1;
	}
	p += plen;
	while (p < end && *p == ' ')	/* "FROM: <a>" is common enough */
		p++;
	r = addr_parse_path(p, (size_t)(end - p), opts, a, &used);
	if (r == ADDR_OK && p + used < end && p[used] != ' ')
		r = ADDR_ESYNTAX;
	switch (r) {
	case ADDR_OK:
		*rest = p + used;
		return 0;
	case ADDR_E8BIT:
		reply(s, "553 5.6.7 Error: non-ASCII %s address needs SMTPUTF8",
		    what);
		break;
	case ADDR_ENODOMAIN:
		reply(s, "550 5.1.1 Error: %s address needs a domain: this "
		    "backup MX has no local mailboxes", what);
		break;
	case ADDR_ELONGPATH:
	case ADDR_ELONGLOCAL:
	case ADDR_ELONGDOMAIN:
		reply(s, "501 %s Error: %s: %s", enh, what, addr_strerror(r));
		break;
	default:
		reply(s, "501 %s Error: bad %s address syntax", enh, what);
	}
	return -1;
}

/* mail_params - SIZE, BODY, RET, ENVID; 0 when all are acceptable. */
static int
mail_params(struct session *s, const char *p, const char *end,
    uint64_t *size)
{
	struct param	pa;
	int		k;

	*size = 0;
	while ((k = param_next(&p, end, &pa)) == 1) {
		if (!s->esmtp)
			goto unsupported;
		if (param_is(&pa, "SIZE")) {
			if (pa.val == NULL || size_parse(pa.val, pa.vlen, size) == -1) {
				reply(s, "501 5.5.4 Error: bad message size syntax");
				return -1;
			}
		} else if (param_is(&pa, "BODY")) {
			if (param_val_is(&pa, "7BIT"))
				strlcpy(s->body, "7BIT", sizeof(s->body));
			else if (param_val_is(&pa, "8BITMIME"))
				strlcpy(s->body, "8BITMIME", sizeof(s->body));
			else
				goto bad;
		} else if (param_is(&pa, "RET")) {
			if (param_val_is(&pa, "FULL"))
				strlcpy(s->ret, "FULL", sizeof(s->ret));
			else if (param_val_is(&pa, "HDRS"))
				strlcpy(s->ret, "HDRS", sizeof(s->ret));
			else
				goto bad;
		} else if (param_is(&pa, "ENVID")) {
			if (pa.val == NULL || pa.vlen > ENVID_MAX ||
			    !xtext_valid(pa.val, pa.vlen))
				goto bad;
			memcpy(s->envid, pa.val, pa.vlen);
			s->envid[pa.vlen] = '\0';
		} else
			goto unsupported;
	}
	if (k == 0)
		return 0;
bad:
	reply(s, "501 5.5.4 Error: bad MAIL parameter syntax");
	return -1;
unsupported:
	reply(s, "555 5.5.4 Error: unsupported MAIL parameter");
	return -1;
}

/* space_ok - room in the queue for size more bytes (and minfree). */
static int
space_ok(struct session *s, uint64_t size)
{
	struct statvfs	sv;
	uint64_t	avail;

	int		fd, r;

	/* the queue's file system, which may be a mount of its own */
	if ((fd = rdir_open(s->root, RD_QUEUE, NULL, 0)) == -1)
		fd = dup(s->root);
	r = fstatvfs(fd, &sv);
	close(fd);
	if (r == -1)
		return 1;	/* cannot tell: let the write decide */
	if (sv.f_files > 0 && sv.f_favail == 0)
		return 0;
	avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return avail >= size && avail - size >= s->minfree;
}

void
cmd_mail(struct session *s, const char *arg, size_t len)
{
	struct addr	 a;
	const char	*rest;
	uint64_t	 size;

	if (!s->greeted) {
		reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->inmail) {
		reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (path_arg(s, arg, len, "FROM:", ADDR_NULL_OK | ADDR_LAX_LOCAL, &a,
	    &rest) == -1)
		return;
	if (mail_params(s, rest, arg + len, &size) == -1) {
		txn_reset(s);
		return;
	}
	if (s->databytes && size > s->databytes) {
		txn_reset(s);
		reply(s, "552 5.3.4 Error: message size exceeds the limit of "
		    "%llu bytes", (unsigned long long)s->databytes);
		return;
	}
	if (!space_ok(s, size)) {
		txn_reset(s);
		reply(s, "452 4.3.1 Error: insufficient system storage");
		return;
	}
	strlcpy(s->sender, a.full, sizeof(s->sender));
	s->inmail = 1;
	reply(s, "250 2.1.0 Ok");
}

