/*
 * dstate.c - read and write queue/state/D: "key=value" lines, written
 * whole and atomically (file_replace), read leniently (an unknown key
 * is skipped, a missing file is a domain never tried).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "dstate.h"
#include "fileio.h"
#include "log.h"
#include "rootdir.h"

/* dstate_name - the word for a state, in the file and in status. */
const char *
dstate_name(int state)
{
	switch (state) {
	case DS_UP:		return "up";
	case DS_DOWN:		return "down";
	case DS_REFUSED:	return "refused";
	}
	return "unknown";
}

static int64_t
num(const char *s)
{
	return strtoll(s, NULL, 10);
}

void
state_read(int root, const char *domain, struct dstate *st)
{
	char	buf[CONTROL_MAX], *line, *next, *eq;

	memset(st, 0, sizeof(*st));
	st->state = DS_UNKNOWN;
	if (rdir_read(root, RD_STATE, NULL, domain, buf, sizeof(buf)) == -1)
		return;
	for (line = buf; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(line, "state") == 0)
			st->state = strcmp(eq, "up") == 0 ? DS_UP :
			    strcmp(eq, "down") == 0 ? DS_DOWN :
			    strcmp(eq, "refused") == 0 ? DS_REFUSED : DS_UNKNOWN;
		else if (strcmp(line, "since") == 0)
			st->since = num(eq);
		else if (strcmp(line, "fails") == 0)
			st->fails = (unsigned)num(eq);
		else if (strcmp(line, "next") == 0)
			st->next = num(eq);
		else if (strcmp(line, "tried") == 0)
			st->tried = num(eq);
		else if (strcmp(line, "count") == 0)
			st->count = (uint64_t)num(eq);
		else if (strcmp(line, "bytes") == 0)
			st->bytes = (uint64_t)num(eq);
		else if (strcmp(line, "oldest") == 0)
			st->oldest = num(eq);
		else if (strcmp(line, "over") == 0)
			st->over = num(eq) != 0;
		else if (strcmp(line, "error") == 0)
			strlcpy(st->error, eq, sizeof(st->error));
		else if (strcmp(line, "tls") == 0)
			strlcpy(st->tls, eq, sizeof(st->tls));
	}
}

int
state_write(int root, const char *domain, const struct dstate *st)
{
	struct buf	b;
	int		dfd, r;

	if ((dfd = rdir_open(root, RD_STATE, NULL, RD_CREATE)) == -1) {
		log_warn("unable to open queue/state");
		return -1;
	}
	buf_init(&b, 0);
	r = buf_printf(&b, "state=%s\nsince=%lld\nfails=%u\nnext=%lld\n"
	    "tried=%lld\ncount=%llu\nbytes=%llu\noldest=%lld\nover=%d\n"
	    "error=%s\ntls=%s\n",
	    dstate_name(st->state),
	    (long long)st->since, st->fails, (long long)st->next,
	    (long long)st->tried,
	    (unsigned long long)st->count, (unsigned long long)st->bytes,
	    (long long)st->oldest, st->over, st->error,
	    st->tls[0] ? st->tls : "-");
	if (r == 0)
		r = file_replace(dfd, domain, b.p, b.len, NULL);
	if (r == -1)
		log_warn("unable to write queue/state/%s", domain);
	buf_free(&b);
	close(dfd);
	return r;
}

