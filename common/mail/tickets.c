/*
 * tickets.c - the keys of TLS session tickets, in cache/.tls-tickets
 * (mode 0600, the service's): one line per key, newest first,
 * "REV TIME HEX" (a revision number, when it was made, 48 bytes in
 * hex). snf-smtpd makes the file when it is missing; snf-expire makes
 * a new key when the newest is older than TICKET_ROTATE and keeps the
 * one before, so that a ticket stays good for one more rotation and no
 * key ever serves longer than two. A lost file costs only full
 * handshakes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "fileio.h"
#include "rootdir.h"
#include "tickets.h"

#define TICKETS		".tls-tickets"

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	unsigned	v;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return s[2 * n] == '\0' || s[2 * n] == '\n' ? 0 : -1;
}

/* parse - the keys of text into s; 0 when there is at least one */
static int
parse(char *text, struct tlsio_server *s, int64_t *newest)
{
	char		*line, *next, hex[2 * TLSIO_TICKET_KEY + 2];
	unsigned long	 rev;
	long long	 when;

	s->nkeys = 0;
	for (line = text; *line && s->nkeys < TLSIO_TICKET_KEYS; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (sscanf(line, "%lu %lld %97s", &rev, &when, hex) != 3 ||
		    strlen(hex) != 2 * TLSIO_TICKET_KEY ||
		    unhex(hex, s->keys[s->nkeys], TLSIO_TICKET_KEY) == -1)
			continue;
		if (s->nkeys == 0)
			*newest = when;
		s->keyrev[s->nkeys++] = (uint32_t)rev;
	}
	return s->nkeys > 0 ? 0 : -1;
}

/* key_line - "REV TIME HEX\n" of a new random key */
static void
key_line(char *dst, size_t size, uint32_t rev, int64_t now)
{
	unsigned char	key[TLSIO_TICKET_KEY];
	size_t		i, o;

	arc4random_buf(key, sizeof(key));
	o = (size_t)snprintf(dst, size, "%u %lld ", (unsigned)rev,
	    (long long)now);
	for (i = 0; i < sizeof(key) && o + 3 < size; i++)
		o += (size_t)snprintf(dst + o, size - o, "%02x", key[i]);
	strlcat(dst, "\n", size);
	explicit_bzero(key, sizeof(key));
}

/* store - write the key lines whole (atomically, not durably) */
static int
store(int root, const char *text)
{
	struct replace	o = { 0 };
	int		dfd, r, e;

	if ((dfd = rdir_open(root, RD_CACHE, NULL, RD_CREATE)) == -1)
		return -1;
	o.mode = 0600;
	o.flags = REPLACE_NOSYNC;
	r = file_replace(dfd, TICKETS, text, strlen(text), &o);
	e = errno;
	close(dfd);
	errno = e;
	return r;
}

/* read_keys - the file's text into buf; -1 when missing or unreadable */
static int
read_keys(int root, char *buf, size_t size)
{
	return rdir_read(root, RD_CACHE, NULL, TICKETS, buf, size) > 0 ? 0 :
	    -1;
}

/*
 * tickets_load - the keys into s, with the session lifetime; the file is
 * made when missing. Without keys (a file that cannot be made), s has
 * none: TLS goes on without tickets.
 */
void
tickets_load(int root, struct tlsio_server *s, int64_t now)
{
	char	text[1024];
	int64_t	newest;

	s->nkeys = 0;
	s->lifetime = TICKET_LIFETIME;
	if (read_keys(root, text, sizeof(text)) == 0 &&
	    parse(text, s, &newest) == 0)
		return;
	key_line(text, sizeof(text), 1, now);
	if (store(root, text) == 0 && read_keys(root, text, sizeof(text)) == 0)
		(void)parse(text, s, &newest);
	explicit_bzero(text, sizeof(text));
}

/*
 * tickets_rotate - a new key when the newest is older than
 * TICKET_ROTATE (or there is none), the newest kept behind it. Returns
 * 1 when rotated, 0 when not due, -1 with errno.
 */
int
tickets_rotate(int root, int64_t now)
{
	struct tlsio_server	s;
	char			text[1024], old[1024], *nl;
	int64_t			newest = 0;
	uint32_t		rev = 1;
	int			r;

	old[0] = '\0';
	if (read_keys(root, old, sizeof(old)) == 0 && parse(old, &s,
	    &newest) == 0) {
		if (newest <= now && now - newest < TICKET_ROTATE)
			return 0;
		rev = s.keyrev[0] + 1;
		(void)read_keys(root, old, sizeof(old));
		if ((nl = strchr(old, '\n')) != NULL)
			nl[1] = '\0';	/* the newest stays, as the older one */
	} else
		old[0] = '\0';
	key_line(text, sizeof(text), rev, now);
	strlcat(text, old, sizeof(text));
	r = store(root, text) == 0 ? 1 : -1;
	explicit_bzero(text, sizeof(text));
	explicit_bzero(old, sizeof(old));
	return r;
}
