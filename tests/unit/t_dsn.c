/*
 * t_dsn.c - dsn.c: dsn_wanted for every NOTIFY value and action, and
 * dsn_make on queue items written here as snf-queue writes them. A
 * report is compared whole, with its random parts (Date, Message-ID,
 * the boundary) checked for shape and then masked; the returned
 * original (all of it, or its header section) is compared byte for
 * byte, and every report is checked for CR LF line ends and line length.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "dsn.h"
#include "envelope.h"
#include "fileio.h"
#include "queue.h"
#include "smtpc.h"
#include "../tap.h"

#define S(x)	(x), sizeof(x) - 1
#define ME	"backup.example.net"
#define WHY	"Your message could not be delivered."

static int	dir = -1;
static char	dirpath[512];

struct wcase {
	const char	*notify;
	const char	*want;		/* failed delayed relayed */
};

static const struct wcase wanted[] = {
	{ NULL, "1 1 0" },
	{ "", "1 1 0" },
	{ "NEVER", "0 0 0" },
	{ "SUCCESS", "0 0 1" },
	{ "FAILURE", "1 0 0" },
	{ "DELAY", "0 1 0" },
	{ "SUCCESS,FAILURE", "1 0 1" },
	{ "FAILURE,DELAY", "1 1 0" },
	{ "DELAY,SUCCESS", "0 1 1" },
	{ "SUCCESS,FAILURE,DELAY", "1 1 1" },
	{ "failure", "1 0 0" },
	{ "success,delay", "0 1 1" },
	{ "Delay", "0 1 0" },
	{ "never", "0 0 0" },
	{ "FAILURES", "0 0 0" },
	{ "FAIL", "0 0 0" },
	{ "FAILURE,", "1 0 0" },
	{ ",SUCCESS", "0 0 1" },
	{ "SUCCESS FAILURE", "0 0 0" },
};

static void
test_wanted(void)
{
	char	got[16];
	size_t	i;

	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		snprintf(got, sizeof(got), "%d %d %d",
		    dsn_wanted(wanted[i].notify, "failed"),
		    dsn_wanted(wanted[i].notify, "delayed"),
		    dsn_wanted(wanted[i].notify, "relayed"));
		ok_str(got, wanted[i].want, "dsn_wanted(%s%s%s): failed, "
		    "delayed, relayed", wanted[i].notify ? "\"" : "",
		    wanted[i].notify ? wanted[i].notify : "NULL",
		    wanted[i].notify ? "\"" : "");
	}
}

/*
 * put_item - body[0..n) as item "item" for size bytes, with RET ret.
 * A rich envelope (1) has ENVID, client, HELO and two recipients with
 * NOTIFY and ORCPT, or all that but HELO (2); a plain one (0) only
 * what every item has.
 */
static void
put_item(const char *body, size_t n, uint64_t size, const char *ret,
    int rich)
{
	char		 bob[] = "bob@example.com";
	char		 carol[] = "carol@example.com";
	char		 tr[QUEUE_TRAILER];
	struct envelope	 env;
	struct buf	 b;
	int		 fd;

	env_init(&env);
	env.arrival = 1700000000;
	env.domain = "example.com";
	env.sender = "alice@example.org";
	env.size = size;
	env.ret = (char *)ret;
	if (env_add_rcpt(&env, bob) == -1)
		abort();
	if (rich) {
		env.envid = "QQ314159";
		env.client = "192.0.2.9";
		env.helo = rich == 1 ? "client.example.org" : NULL;
		env.rcpt[0].notify = "FAILURE";
		env.rcpt[0].orcpt = "rfc822;bob@example.com";
		if (env_add_rcpt(&env, carol) == -1)
			abort();
		env.rcpt[1].notify = "SUCCESS,FAILURE";
	}
	buf_init(&b, ENV_MAX);
	if (env_format(&env, &b) == -1 || queue_trailer(tr, b.len,
	    (uint32_t)crc32(0, (const Bytef *)body, (uInt)n),
	    (uint32_t)crc32(0, (const Bytef *)b.p, (uInt)b.len)) == -1)
		abort();
	fd = openat(dir, "item", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write_all(fd, body, n) == -1 ||
	    write_all(fd, b.p, b.len) == -1 ||
	    write_all(fd, tr, sizeof(tr)) == -1 || close(fd) == -1)
		abort();
	buf_free(&b);
	env_free(&env);
}

/* report - dsn_make for item "item" into out; its return value. */
static int
report(struct buf *out, const struct dsn_rcpt *r, size_t n)
{
	struct qitem	q;
	int		rc;

	if (qitem_open(dir, "item", &q) == -1)
		abort();
	buf_reset(out);
	rc = dsn_make(out, ME, &q, r, n, WHY);
	qitem_close(&q);
	return rc;
}

/* shape - s has the shape pat: 'A' a letter, '9' a digit, else itself. */
static int
shape(const char *s, const char *pat)
{
	for (; *pat; s++, pat++) {
		if (*pat == 'A' && !((*s >= 'A' && *s <= 'Z') ||
		    (*s >= 'a' && *s <= 'z')))
			return 0;
		if (*pat == '9' && !(*s >= '0' && *s <= '9'))
			return 0;
		if (*pat != 'A' && *pat != '9' && *s != *pat)
			return 0;
	}
	return *s == '\0';
}

/* hexes - s starts with n lowercase hex digits. */
static int
hexes(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") >= n;
}

/* value - the header field of the header section hdr, into v. */
static int
value(const char *hdr, const char *name, char *v, size_t size)
{
	const char	*p = hdr;
	size_t		 k = strlen(name);

	while (p && strncmp(p, name, k) != 0) {
		p = strstr(p, "\r\n");
		p = p && strncmp(p, "\r\n\r\n", 4) != 0 ? p + 2 : NULL;
	}
	if (p == NULL)
		return -1;
	p += k;
	k = strcspn(p, "\r");
	if (k >= size)
		return -1;
	memcpy(v, p, k);
	v[k] = '\0';
	return 0;
}

/* find - the first s in p[0..n), NUL bytes and all; NULL if none. */
static const char *
find(const char *p, size_t n, const char *s)
{
	size_t	k = strlen(s), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return p + i;
	return NULL;
}

/* replace - every "from" in b replaced by "to". */
static void
replace(struct buf *b, const char *from, const char *to)
{
	struct buf	 o;
	const char	*p = b->p, *q;
	size_t		 k = strlen(from);

	buf_init(&o, 0);
	while ((q = find(p, b->len - (size_t)(p - b->p), from)) != NULL) {
		buf_add(&o, p, (size_t)(q - p));
		buf_adds(&o, to);
		p = q + k;
	}
	buf_add(&o, p, b->len - (size_t)(p - b->p));
	buf_free(b);
	*b = o;
}

/* count - occurrences of s in b. */
static size_t
count(const struct buf *b, const char *s)
{
	const char	*p = b->p, *q;
	size_t		 n = 0;

	while ((q = find(p, b->len - (size_t)(p - b->p), s)) != NULL) {
		n++;
		p = q + 1;
	}
	return n;
}

/*
 * mask - check the shapes of Date, Message-ID and the boundary, then
 * replace them in b with DATE, MSGID and BND. -1 when one is wrong.
 */
static int
mask(struct buf *b, const char *label)
{
	char	date[128], mid[300], bnd[128], tmp[600];
	size_t	k;
	int	bad;

	if (value(b->p, "Date: ", date, sizeof(date)) == -1 ||
	    value(b->p, "Message-ID: ", mid, sizeof(mid)) == -1 ||
	    value(b->p, "\tboundary=\"", bnd, sizeof(bnd)) == -1) {
		ok(0, "%s: Date, Message-ID and boundary present", label);
		return -1;
	}
	ok(shape(date, "AAA, 99 AAA 9999 99:99:99 +9999"),
	    "%s: Date has the RFC 5322 shape: %s", label, date);
	snprintf(tmp, sizeof(tmp), ".@%s>", ME);
	ok(mid[0] == '<' && strspn(mid + 1, "0123456789") > 0 &&
	    hexes(mid + 2 + strspn(mid + 1, "0123456789"), 8) &&
	    mid[1 + strspn(mid + 1, "0123456789")] == '.' &&
	    strcmp(mid + 10 + strspn(mid + 1, "0123456789"), tmp + 1) == 0,
	    "%s: Message-ID has the shape <time.hex@me>: %s", label, mid);
	k = strlen(bnd);
	bad = k < 2 || bnd[k - 1] != '"';
	if (!bad)
		bnd[k - 1] = '\0';
	bad = bad || !hexes(bnd, 16) || strcmp(bnd + 16, "/" ME) != 0;
	ok(!bad, "%s: boundary is 16 hex digits, /, this host: %s", label,
	    bnd);
	snprintf(tmp, sizeof(tmp), "Date: %s\r\n", date);
	replace(b, tmp, "Date: DATE\r\n");
	snprintf(tmp, sizeof(tmp), "Message-ID: %s\r\n", mid);
	replace(b, tmp, "Message-ID: MSGID\r\n");
	replace(b, bnd, "BND");
	return bad ? -1 : 0;
}

/* lines_ok - CR LF ends every line, and no line is over 998 octets. */
static void
lines_ok(const struct buf *b, const char *label)
{
	size_t	i, start = 0, longest = 0;
	int	bare = 0;

	for (i = 0; i < b->len; i++) {
		if (b->p[i] == '\r' && (i + 1 == b->len || b->p[i + 1] != '\n'))
			bare = 1;
		if (b->p[i] != '\n')
			continue;
		if (i == 0 || b->p[i - 1] != '\r')
			bare = 1;
		if (i - start - 1 > longest)
			longest = i - start - 1;
		start = i + 1;
	}
	ok(!bare && start == b->len && b->len > 0,
	    "%s: every line ends in CR LF", label);
	ok(longest <= 998, "%s: longest line %zu octets (998 at most)",
	    label, longest);
}

/* parts_ok - the boundary opens exactly three parts and closes once. */
static void
parts_ok(const struct buf *b, const char *label)
{
	size_t	n = strlen("\r\n--BND--\r\n");

	ok(count(b, "\r\n--BND\r\n") == 3 && count(b, "\r\n--BND--\r\n") == 1 &&
	    count(b, "BND") == 5 && b->len > n &&
	    memcmp(b->p + b->len - n, "\r\n--BND--\r\n", n) == 0,
	    "%s: the boundary delimits exactly three parts", label);
}

#define RFC822	"Content-Type: message/rfc822\r\n\r\n"
#define HDRS	"Content-Type: text/rfc822-headers\r\n\r\n"

#define MSG	"Subject: test\r\nFrom: alice@example.org\r\n\r\nhello\r\n" \
	".dot line\r\n"

#define HEAD(subject)	\
	"From: Mail Delivery System <MAILER-DAEMON@" ME ">\r\n" \
	"To: <alice@example.org>\r\n" \
	"Subject: " subject "\r\n" \
	"Date: DATE\r\nMessage-ID: MSGID\r\n" \
	"Auto-Submitted: auto-replied\r\n" \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\r\n" \
	"\tboundary=\"BND\"\r\n" \
	"\r\n" \
	"This is a MIME-encapsulated message.\r\n" \
	"\r\n" \
	"--BND\r\n" \
	"Content-Type: text/plain; charset=us-ascii\r\n" \
	"\r\n" \
	"This is the mail system at " ME ".\r\n" \
	"\r\n" \
	WHY "\r\n" \
	"\r\n"

static const char want_rich[] =
	HEAD("Undelivered Mail Returned to Sender")
	"<bob@example.com>: 550 5.1.1 no such user\r\n"
	"<carol@example.com>: 5.0.0\r\n"
	"\r\n"
	"--BND\r\n"
	"Content-Type: message/delivery-status\r\n"
	"\r\n"
	"Reporting-MTA: dns; " ME "\r\n"
	"Original-Envelope-Id: QQ314159\r\n"
	"Received-From-MTA: dns; client.example.org (192.0.2.9)\r\n"
	"Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	"\r\n"
	"Final-Recipient: rfc822; bob@example.com\r\n"
	"Original-Recipient: rfc822;bob@example.com\r\n"
	"Action: failed\r\n"
	"Status: 5.1.1\r\n"
	"Remote-MTA: dns; mx1.example.com\r\n"
	"Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
	"\r\n"
	"Final-Recipient: rfc822; carol@example.com\r\n"
	"Action: failed\r\n"
	"Status: 5.0.0\r\n"
	"\r\n"
	"--BND\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	MSG
	"\r\n--BND--\r\n";

static const struct dsn_rcpt rich[] = {
	{ "bob@example.com", "rfc822;bob@example.com", "failed", "5.1.1",
	    "mx1.example.com", "550 5.1.1 no such user" },
	{ "carol@example.com", NULL, "failed", "5.0.0", NULL, NULL },
};

struct vcase {
	const char	*label;
	const char	*action;
	const char	*subject;
};

static const struct vcase plains[] = {
	{ "failed", "failed", "Undelivered Mail Returned to Sender" },
	{ "delayed", "delayed", "Delayed Mail (still being retried)" },
	{ "relayed", "relayed", "Successful Mail Delivery Report" },
};

/* The whole report: a rich envelope; a plain one for each action. */
static void
test_report(void)
{
	struct dsn_rcpt	 r;
	struct buf	 b, want;
	char		 label[128];
	size_t		 i;
	int		 rc;

	buf_init(&b, 0);
	buf_init(&want, 0);
	put_item(S(MSG), sizeof(MSG) - 1, NULL, 1);
	rc = report(&b, rich, 2);
	ok(rc == 0, "report: dsn_make returns 0");
	lines_ok(&b, "report");
	if (mask(&b, "report") == 0) {
		parts_ok(&b, "report");
		ok_str(b.p, want_rich, "report: rich envelope, the whole "
		    "report");
	}
	for (i = 0; i < sizeof(plains) / sizeof(plains[0]); i++) {
		r.addr = "bob@example.com";
		r.orcpt = "";
		r.action = plains[i].action;
		r.status = plains[i].action[0] == 'f' ? "5.0.0" : "2.0.0";
		r.remote = NULL;
		r.diag = NULL;
		put_item(S(MSG), sizeof(MSG) - 1, "FULL", 0);
		snprintf(label, sizeof(label), "report, %s", plains[i].label);
		rc = report(&b, &r, 1);
		lines_ok(&b, label);
		if (rc != 0 || mask(&b, label) == -1) {
			ok(0, "%s: made", label);
			continue;
		}
		buf_reset(&want);
		buf_printf(&want, "%.*s", (int)(strstr(want_rich,
		    "Subject: ") - want_rich), want_rich);
		buf_printf(&want, "Subject: %s\r\n", plains[i].subject);
		buf_printf(&want, "%.*s", (int)(strstr(want_rich, "<bob") -
		    strstr(want_rich, "Date: ")), strstr(want_rich, "Date: "));
		buf_printf(&want, "<bob@example.com>: %s\r\n\r\n--BND\r\n"
		    "Content-Type: message/delivery-status\r\n\r\n"
		    "Reporting-MTA: dns; " ME "\r\n"
		    "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\r\n"
		    "Final-Recipient: rfc822; bob@example.com\r\n"
		    "Action: %s\r\nStatus: %s\r\n\r\n--BND\r\n"
		    RFC822 MSG "\r\n--BND--\r\n", r.status, r.action,
		    r.status);
		parts_ok(&b, label);
		ok_str(b.p, want.p, "%s: plain envelope, the whole report",
		    label);
	}
	buf_free(&b);
	buf_free(&want);
}

/* A client without HELO, and a diagnostic as long as smtpc keeps. */
static void
test_fields(void)
{
	struct dsn_rcpt	 r = rich[0];
	struct buf	 b;
	char		 diag[SMTPC_TEXT_MAX + 1], want[1100];

	buf_init(&b, 0);
	memset(diag, 'x', sizeof(diag) - 1);
	memcpy(diag, "550 5.1.1 ", 10);
	diag[sizeof(diag) - 1] = '\0';
	r.diag = diag;
	put_item(S(MSG), sizeof(MSG) - 1, NULL, 2);
	ok(report(&b, &r, 1) == 0, "long diagnostic: made");
	lines_ok(&b, "long diagnostic");
	ok(strstr(b.p, "\r\nReceived-From-MTA: dns; unknown (192.0.2.9)"
	    "\r\n") != NULL, "client without HELO: Received-From-MTA "
	    "names it unknown");
	snprintf(want, sizeof(want), "\r\nDiagnostic-Code: smtp; %.700s\r\n",
	    diag);
	ok(strstr(b.p, want) != NULL, "long diagnostic: its first 700 "
	    "octets in Diagnostic-Code");
	snprintf(want, sizeof(want), "\r\n<bob@example.com>: %.700s\r\n",
	    diag);
	ok(strstr(b.p, want) != NULL, "long diagnostic: its first 700 "
	    "octets in the text part");
	buf_free(&b);
}

struct ocase {
	const char	*label;
	const char	*body;
	size_t		 len;
	const char	*ret;
	const char	*want;		/* the third part */
	size_t		 wlen;
};

static const struct ocase originals[] = {
	{ "RET unset, small", S(MSG), NULL, S(RFC822 MSG) },
	{ "RET=FULL, small", S(MSG), "FULL", S(RFC822 MSG) },
	{ "RET=HDRS", S(MSG), "HDRS",
	    S(HDRS "Subject: test\r\nFrom: alice@example.org\r\n") },
	{ "no line end at the end", S("Subject: t\r\n\r\nno end"), NULL,
	    S(RFC822 "Subject: t\r\n\r\nno end\r\n") },
	{ "empty body section", S("Subject: t\r\n\r\n"), "HDRS",
	    S(HDRS "Subject: t\r\n") },
	{ "no body section, RET=HDRS", S("Subject: t\r\nX: y\r\n"), "HDRS",
	    S(HDRS "Subject: t\r\nX: y\r\n") },
	{ "no header section, RET=HDRS", S("\r\nbody\r\n"), "HDRS",
	    S(HDRS) },
	{ "NUL in the body, RET=HDRS", S("Subject: t\r\n\r\na\0b\r\n"),
	    "HDRS", S(HDRS "Subject: t\r\n") },
	{ "NUL in the header, RET=HDRS", S("X: a\0b\r\n\r\nbody\r\n"),
	    "HDRS", S(HDRS "X: a\0b\r\n") },
	{ "an empty line later is body", S("Subject: t\r\n\r\nb\r\n\r\n"
	    "c\r\n"), "HDRS", S(HDRS "Subject: t\r\n") },
};

/* third - the third part of report b (after masking), into *p, *n. */
static int
third(const struct buf *b, const char **p, size_t *n)
{
	const char	*s = b->p, *e;
	int		 i;

	for (i = 0; i < 3; i++) {
		s = find(s, b->len - (size_t)(s - b->p), "\r\n--BND\r\n");
		if (s == NULL)
			return -1;
		s += 9;
	}
	e = find(s, b->len - (size_t)(s - b->p), "\r\n--BND--\r\n");
	if (e == NULL)
		return -1;
	*p = s;
	*n = (size_t)(e - s);
	return 0;
}

/*
 * original_ok - the report of item "item" returns want[0..wlen); its
 * lines are checked too when the original's own are short.
 */
static void
original_ok(const char *label, const char *want, size_t wlen, int lines)
{
	struct buf	 b;
	const char	*p;
	size_t		 n = 0;

	buf_init(&b, 0);
	if (report(&b, rich, 1) == -1 || mask(&b, label) == -1 ||
	    third(&b, &p, &n) == -1)
		ok(0, "%s: report made and parsed", label);
	else {
		if (lines)
			lines_ok(&b, label);
		parts_ok(&b, label);
		ok(n == wlen && memcmp(p, want, n) == 0,
		    "%s: the original part (%zu octets, want %zu)", label, n,
		    wlen);
	}
	buf_free(&b);
}

static void
test_originals(void)
{
	char	label[128];
	size_t	i;

	for (i = 0; i < sizeof(originals) / sizeof(originals[0]); i++) {
		put_item(originals[i].body, originals[i].len, originals[i].len,
		    originals[i].ret, 1);
		snprintf(label, sizeof(label), "original, %s",
		    originals[i].label);
		original_ok(label, originals[i].want, originals[i].wlen, 1);
	}
}

/* report_info - dsn_make_info for item "item" into out; its value. */
static int
report_info(struct buf *out, const struct dsn_rcpt *r, size_t n,
    const struct dsn_info *in)
{
	struct qitem	q;
	int		rc;

	if (qitem_open(dir, "item", &q) == -1)
		abort();
	buf_reset(out);
	rc = dsn_make_info(out, ME, &q, r, n, in);
	qitem_close(&q);
	return rc;
}

#define ARRIVED	"Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
#define UNTIL	1700432000	/* the arrival plus 5 days */
#define UNTIL_S	"Sun, 19 Nov 2023 22:13:20 +0000"

struct icase {
	const char	*label;
	const char	*action;
	const char	*diag;
	int64_t		 until;
	const char	*subject;
	const char	*text;		/* the recipient's line of the text */
	const char	*tail;		/* after Status, in the block */
};

static const struct icase infos[] = {
	{ "delayed, Will-Retry-Until", "delayed", NULL, UNTIL,
	    "Delayed Mail (still being retried)", "the note",
	    "Will-Retry-Until: " UNTIL_S "\r\n" },
	{ "delayed, no retry time", "delayed", NULL, 0,
	    "Delayed Mail (still being retried)", "the note", "" },
	{ "failed, a retry time is not said", "failed", NULL, UNTIL,
	    "Undelivered Mail Returned to Sender", "the note", "" },
	{ "delayed, a diagnostic wins over the note", "delayed",
	    "451 4.4.1 try later", UNTIL,
	    "Delayed Mail (still being retried)", "451 4.4.1 try later",
	    "Diagnostic-Code: smtp; 451 4.4.1 try later\r\n"
	    "Will-Retry-Until: " UNTIL_S "\r\n" },
};

/* dsn_make_info: the note, Will-Retry-Until, the whole report. */
static void
test_info(void)
{
	struct dsn_rcpt	 r;
	struct dsn_info	 in;
	struct buf	 b, want;
	char		 label[160];
	size_t		 i;

	buf_init(&b, 0);
	buf_init(&want, 0);
	put_item(S(MSG), sizeof(MSG) - 1, NULL, 0);
	for (i = 0; i < sizeof(infos) / sizeof(infos[0]); i++) {
		snprintf(label, sizeof(label), "info, %s", infos[i].label);
		r.addr = "bob@example.com";
		r.orcpt = "rfc822;bob@example.com";
		r.action = infos[i].action;
		r.status = "4.4.7";
		r.remote = NULL;
		r.diag = infos[i].diag;
		in.why = WHY;
		in.note = "the note";
		in.retry_until = infos[i].until;
		if (report_info(&b, &r, 1, &in) != 0 || mask(&b, label) == -1) {
			ok(0, "%s: made", label);
			continue;
		}
		lines_ok(&b, label);
		parts_ok(&b, label);
		buf_reset(&want);
		buf_printf(&want, "%.*s", (int)(strstr(want_rich,
		    "Subject: ") - want_rich), want_rich);
		buf_printf(&want, "Subject: %s\r\n", infos[i].subject);
		buf_printf(&want, "%.*s", (int)(strstr(want_rich, "<bob") -
		    strstr(want_rich, "Date: ")), strstr(want_rich, "Date: "));
		buf_printf(&want, "<bob@example.com>: %s\r\n\r\n--BND\r\n"
		    "Content-Type: message/delivery-status\r\n\r\n"
		    "Reporting-MTA: dns; " ME "\r\n" ARRIVED "\r\n"
		    "Final-Recipient: rfc822; bob@example.com\r\n"
		    "Original-Recipient: rfc822;bob@example.com\r\n"
		    "Action: %s\r\nStatus: 4.4.7\r\n%s\r\n--BND\r\n"
		    RFC822 MSG "\r\n--BND--\r\n", infos[i].text,
		    infos[i].action, infos[i].tail);
		ok_str(b.p, want.p, "%s: the whole report", label);
	}
	/* dsn_make, as snf-send calls it, has no note and no retry time */
	r.diag = NULL;
	r.action = "delayed";
	ok(report(&b, &r, 1) == 0 && strstr(b.p, "Will-Retry-Until") ==
	    NULL && strstr(b.p, "\r\n<bob@example.com>: 4.4.7\r\n") != NULL,
	    "dsn_make: no Will-Retry-Until, the status as the text line");
	buf_free(&b);
	buf_free(&want);
}

struct hcase {
	const char	*action;
	int64_t		 age;
	const char	*want;
};

#define GONE	", the destination did not come back. It was not " \
	"delivered to the recipients below and will not be tried again."
#define LATE	", the destination has not come back yet. It will be " \
	"tried until " UNTIL_S "; you need do nothing now, and you will " \
	"be told if it has to be returned."

static const struct hcase helds[] = {
	{ "failed", 5 * 86400 + 7200, "This message was held 5 days" GONE },
	{ "failed", 6 * 86400, "This message was held 6 days" GONE },
	{ "failed", 86400, "This message was held 1 day" GONE },
	{ "failed", 2 * 86400 - 1, "This message was held 1 day" GONE },
	{ "failed", 86399, "This message was held 23 hours" GONE },
	{ "failed", 3600, "This message was held 1 hour" GONE },
	{ "failed", 3599, "This message was held 59 minutes" GONE },
	{ "failed", 60, "This message was held 1 minute" GONE },
	{ "failed", 59, "This message was held 59 seconds" GONE },
	{ "failed", 1, "This message was held 1 second" GONE },
	{ "failed", 0, "This message was held 0 seconds" GONE },
	{ "failed", -5, "This message was held 0 seconds" GONE },
	{ "failed", 400 * 86400, "This message was held 400 days" GONE },
	{ "delayed", 4 * 3600, "This message has been held 4 hours" LATE },
	{ "delayed", 86400 + 1, "This message has been held 1 day" LATE },
};

/* dsn_held_why: the explanation of expiry and delay reports. */
static void
test_held_why(void)
{
	char	why[512];
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(helds) / sizeof(helds[0]); i++) {
		rc = dsn_held_why(why, sizeof(why), helds[i].action,
		    helds[i].age, UNTIL);
		ok(rc == 0, "dsn_held_why(%s, %lld): 0", helds[i].action,
		    (long long)helds[i].age);
		ok_str(why, helds[i].want, "dsn_held_why(%s, %lld): text",
		    helds[i].action, (long long)helds[i].age);
	}
	ok(dsn_held_why(why, 40, "failed", 86400, 0) == -1,
	    "dsn_held_why: -1 when it does not fit");
}

/* big - a message of n octets: head, then lines of 80 with CR LF. */
static void
big(struct buf *b, const char *head, size_t n)
{
	static const char	line[] = "X-Line: 0123456789012345678901234"
	    "567890123456789012345678901234567890123456789\r\n";

	buf_reset(b);
	buf_adds(b, head);
	while (b->len + sizeof(line) - 1 <= n)
		buf_adds(b, line);
	while (b->len + 2 < n)
		buf_addc(b, 'z');
	buf_adds(b, "\r\n");
}

/* Large originals come back as their header section. */
static void
test_large(void)
{
	static const char	head[] =
	    "Subject: big\r\nFrom: a@b.example\r\n\r\n";
	struct buf		b, want;
	const char		*rets[] = { NULL, "FULL", "HDRS" };
	char			label[128];
	size_t			i;

	buf_init(&b, 0);
	buf_init(&want, 0);
	for (i = 0; i < 3; i++) {
		big(&b, head, DSN_FULL_MAX + 1);
		put_item(b.p, b.len, b.len, rets[i], 1);
		snprintf(label, sizeof(label), "original over %d octets, "
		    "RET %s", DSN_FULL_MAX, rets[i] ? rets[i] : "unset");
		original_ok(label, HDRS "Subject: big\r\nFrom: a@b.example\r\n",
		    sizeof(HDRS) - 1 + sizeof(head) - 3, 1);
	}
	big(&b, head, DSN_FULL_MAX);
	put_item(b.p, b.len, b.len, NULL, 1);
	buf_reset(&want);
	buf_adds(&want, RFC822);
	buf_add(&want, b.p, b.len);
	original_ok("original of exactly the limit, whole", want.p, want.len,
	    1);

	/* the empty line across two 8 KB reads */
	buf_reset(&b);
	buf_adds(&b, "X-Long: ");
	while (b.len < 8190)
		buf_addc(&b, 'h');
	buf_adds(&b, "\r\n\r\n");
	big(&want, b.p, DSN_FULL_MAX * 2);
	put_item(want.p, want.len, want.len, NULL, 1);
	buf_reset(&want);
	buf_adds(&want, HDRS);
	buf_add(&want, b.p, b.len - 2);
	original_ok("original with its empty line across reads", want.p,
	    want.len, 0);

	/* no empty line: at most DSN_FULL_MAX octets, cut at a line end */
	big(&b, "", DSN_FULL_MAX * 2);
	put_item(b.p, b.len, b.len, "HDRS", 1);
	buf_reset(&want);
	buf_adds(&want, HDRS);
	buf_add(&want, b.p, DSN_FULL_MAX / 80 * 80);
	original_ok("original without an empty line, large", want.p,
	    want.len, 1);

	/* one line past the limit, a CR where it is cut: no bare CR */
	buf_reset(&b);
	while (b.len < DSN_FULL_MAX - 1)
		buf_addc(&b, 'a');
	buf_adds(&b, "\rbbbb\r\n");
	put_item(b.p, b.len, b.len, "HDRS", 1);
	buf_reset(&want);
	buf_adds(&want, HDRS);
	buf_add(&want, b.p, DSN_FULL_MAX - 1);
	buf_adds(&want, "\r\n");
	original_ok("original of one long line, cut before a CR", want.p,
	    want.len, 0);
	buf_free(&b);
	buf_free(&want);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 n;

	if (setenv("TZ", "UTC", 1) == -1)
		abort();
	tzset();
	n = snprintf(dirpath, sizeof(dirpath), "%s/t_dsn.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(dirpath) ||
	    mkdtemp(dirpath) == NULL ||
	    (dir = open(dirpath, O_RDONLY | O_DIRECTORY)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_wanted();
	test_report();
	test_fields();
	test_originals();
	test_info();
	test_held_why();
	test_large();
	unlinkat(dir, "item", 0);
	close(dir);
	ok(rmdir(dirpath) == 0, "temporary folder left empty");
	return done();
}
