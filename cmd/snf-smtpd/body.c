/*
 * body.c - the DATA byte machine, kept apart from I/O so that it can be
 * tested byte by byte. It removes dot-stuffing (RFC 5321 4.5.2), counts
 * the message size and the Received: header fields, and finds the end.
 *
 * Only CR LF "." CR LF ends the data. Any bare CR or LF marks the message
 * bad (it is never queued), and so does a NUL byte (nul: the caller
 * refuses the message at its end; "CR LF NUL . CR LF" is message text,
 * not an end). A "." line delimited by a bare CR or LF on
 * either side, the shape every SMTP-smuggling attack needs, is reported
 * as DATA_BOGUS so that the caller can close the connection before a
 * byte after it is read as a command.
 */
#include <ctype.h>
#include <string.h>

#include "smtpd.h"

enum {
	DS_START,	/* at the start of a line */
	DS_MID,		/* inside a line */
	DS_CR,		/* after a CR inside a line */
	DS_DOT,		/* after a "." at the start of a line */
	DS_DOTCR	/* after "." CR at the start of a line */
};

void
data_init(struct data_state *d, uint64_t max)
{
	memset(d, 0, sizeof(*d));
	d->st = DS_START;
	d->inhdr = 1;
	d->empty = 1;
	d->max = max;
}

/* emit - one message byte out (unless the message is already too big). */
static void
emit(struct data_state *d, int c, char *out, size_t *o)
{
	if (d->size >= d->max) {
		d->toolarge = 1;
		return;
	}
	d->size++;
	if (!d->bare)
		out[(*o)++] = (char)c;
}

/* header - watch the header section for "Received:" at a line start. */
static void
header(struct data_state *d, int c)
{
	static const char	want[] = "received:";

	if (!d->inhdr || d->hm < 0)
		return;
	if (tolower(c) == want[d->hm]) {
		if (++d->hm == (int)sizeof(want) - 1) {
			d->hops++;
			d->hm = -1;
		}
	} else
		d->hm = -1;
}

/* line_start - a line ended; bare says whether without CR LF. */
static void
line_start(struct data_state *d, int bare)
{
	if (bare)
		d->bare = 1;
	else if (d->empty)
		d->inhdr = 0;	/* the empty line after the header section */
	d->prevbare = bare;
	d->empty = 1;
	d->hm = 0;
	d->st = DS_START;
}

static void
mid(struct data_state *d, int c, char *out, size_t *o)
{
	switch (c) {
	case '\r':
		/*
		 * out now, not with its LF: a CR that ends one feed would
		 * make the next feed write one byte more than it was given
		 */
		emit(d, c, out, o);
		d->st = DS_CR;
		break;
	case '\n':
		line_start(d, 1);
		break;
	default:
		if (c == '\0')
			d->nul = 1;
		d->empty = 0;
		header(d, c);
		emit(d, c, out, o);
		d->st = DS_MID;
	}
}

/*
 * plain - inside a line (not empty, then) and past any "Received:" to
 * watch for, the bytes up to the next CR or LF change nothing but the
 * size: take them in one step. Returns how many were taken.
 */
static size_t
plain(struct data_state *d, const char *in, size_t n, char *out, size_t *o)
{
	const char	*lf, *cr;
	size_t		 k, room;

	if ((lf = memchr(in, '\n', n)) != NULL)
		n = (size_t)(lf - in);
	if ((cr = memchr(in, '\r', n)) != NULL)
		n = (size_t)(cr - in);
	if (n == 0)
		return 0;
	if (memchr(in, '\0', n) != NULL)
		d->nul = 1;
	room = d->size < d->max ? d->max - d->size : 0;
	k = n < room ? n : room;
	if (k < n)
		d->toolarge = 1;
	d->size += k;
	if (!d->bare) {
		memcpy(out + *o, in, k);
		*o += k;
	}
	return n;
}

/*
 * data_feed - run n input bytes through the machine. Message bytes go to
 * out (room for n bytes), *outlen says how many. *used is the number of
 * input bytes taken: all of them for DATA_MORE, up to and including the
 * end for DATA_END and DATA_BOGUS (the rest belongs to what follows).
 */
int
data_feed(struct data_state *d, const char *in, size_t n, size_t *used,
    char *out, size_t *outlen)
{
	size_t	i = 0, o = 0;
	int	c, r = DATA_MORE;

	while (i < n && r == DATA_MORE) {
		if (d->st == DS_MID && (d->hm < 0 || !d->inhdr) &&
		    (i += plain(d, in + i, n - i, out, &o)) == n)
			break;
		c = (unsigned char)in[i++];
		switch (d->st) {
		case DS_START:
			if (c == '.')
				d->st = DS_DOT;
			else
				mid(d, c, out, &o);
			break;
		case DS_MID:
			mid(d, c, out, &o);
			break;
		case DS_CR:
			if (c == '\n') {
				emit(d, '\n', out, &o);
				line_start(d, 0);
			} else {
				/* a bare CR: count it as a line end, so that
				 * "<CR>.<CR>" shapes are caught, and look at
				 * this byte again at the start of a line */
				line_start(d, 1);
				i--;
			}
			break;
		case DS_DOT:
			if (c == '\r')
				d->st = DS_DOTCR;
			else if (c == '\n')
				r = DATA_BOGUS;		/* "." LF */
			else {
				/* a stuffed dot is dropped; the rest of the
				 * line counts as stored, Received: and all */
				mid(d, c, out, &o);
			}
			break;
		case DS_DOTCR:
			if (c == '\n' && !d->prevbare)
				r = DATA_END;		/* CR LF "." CR LF */
			else
				r = DATA_BOGUS;		/* "." CR x, or LF "." CR LF */
			break;
		}
	}
	if (r == DATA_BOGUS)
		d->bare = 1;
	*used = i;
	*outlen = o;
	return r;
}
