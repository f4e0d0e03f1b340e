/*
 * domain.c - per-domain lookups under domains/D/. The domain name comes
 * from the address parser (lowercase letters, digits, '-' and '.'), and
 * is checked again here before it becomes part of a path.
 *
 * A userprotect list is domains/D/users, one local part or full address
 * a line, compiled by snf-userdb(8) into domains/D/users.cdb. The cdb
 * records the size, modification time and inode of the text it was made
 * from (key DOMAIN_CDB_STAMP) and is used only while the text is still
 * that file; otherwise the text is scanned, so a forgotten compile is
 * slow, never wrong.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cdb.h>

#include "control.h"
#include "domain.h"
#include "envelope.h"
#include "log.h"

void
lowercase(char *s)
{
	for (; *s; s++)
		*s = tolower((unsigned char)*s);
}

/* domain_path - "domains/D/name" into dst; -1 if D is not a safe name. */
int
domain_path(char *dst, size_t size, const char *domain, const char *name)
{
	int	n;

	if (domain[0] == '[' || !env_domain_ok(domain))
		return -1;
	n = snprintf(dst, size, "domains/%s%s%s", domain, name ? "/" : "",
	    name ? name : "");
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/*
 * domain_held - domains/D/hold exists: 1; 0 when it does not (or D can
 * have no settings); -1 with errno when that cannot be known.
 */
int
domain_held(int root, const char *domain)
{
	char	path[300];

	if (domain_path(path, sizeof(path), domain, "hold") == -1)
		return 0;
	if (faccessat(root, path, F_OK, 0) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

enum domain_mode
domain_mode(int root, const char *domain)
{
	char		path[300], mode[64];
	struct stat	st;
	int		r;

	if (domain_path(path, sizeof(path), domain, NULL) == -1)
		return DOMAIN_NONE;
	if (fstatat(root, path, &st, 0) == -1 || !S_ISDIR(st.st_mode))
		return DOMAIN_NONE;
	strlcat(path, "/mode", sizeof(path));
	r = control_line(root, path, mode, sizeof(mode));
	if (r == 0)
		return DOMAIN_USER;
	if (r == -1)
		return DOMAIN_BROKEN;
	if (strcmp(mode, "userprotect") == 0)
		return DOMAIN_USER;
	if (strcmp(mode, "cloudprotect") == 0)
		return DOMAIN_CLOUD;
	return DOMAIN_BROKEN;
}

/*
 * domain_user_key - the lookup key for one users-list line of domain:
 * its local part (or, for a line with an '@', its whole address) as the
 * address parser reads it, unquoted and lowercase. NULL when the line
 * is neither. snf-userdb and the text scan below both use it, so the
 * compiled and the plain list always agree.
 */
const char *
domain_user_key(const char *domain, const char *line, char *key,
    size_t size)
{
	struct addr	a;
	char		tmp[ADDR_PATH_MAX * 2];
	int		n, full = strchr(line, '@') != NULL;

	n = full ? snprintf(tmp, sizeof(tmp), "%s", line) :
	    snprintf(tmp, sizeof(tmp), "%s@%s", line, domain);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    addr_parse_mailbox(tmp, (size_t)n, 0, &a) != ADDR_OK)
		return NULL;
	strlcpy(key, a.plain, size);
	if (full) {
		strlcat(key, "@", size);
		strlcat(key, a.domain, size);
	}
	lowercase(key);
	return key;
}

/* cdb_has - key is in the constant database open on fd. */
static int
cdb_has(int fd, const char *key)
{
	unsigned	dlen;
	int		r;

	if (lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	r = cdb_seek(fd, key, (unsigned)strlen(key), &dlen);
	return r > 0 ? 1 : (r == 0 ? 0 : -1);
}

/*
 * text_has - scan the users text file for the local part or the full
 * address (both already lowercase). Lines are trimmed; blank lines and
 * "#" comments are skipped; a line longer than a path is ignored.
 */
static int
text_has(int root, const char *domain, const char *path, const char *local,
    const char *full)
{
	FILE	*f;
	char	 line[ADDR_PATH_MAX + 8], key[ADDR_PATH_MAX * 2];
	char	*s, *e;
	int	 fd, found = 0, skip = 0;

	if ((fd = openat(root, path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(f)) {
			skip = 1;	/* the rest of an over-long line */
			continue;
		}
		if (skip) {
			skip = 0;
			continue;
		}
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (*s == '\0' || *s == '#' ||
		    domain_user_key(domain, s, key, sizeof(key)) == NULL)
			continue;
		found = strcmp(key, strchr(s, '@') ? full : local) == 0;
	}
	if (ferror(f))
		found = -1;
	fclose(f);
	return found;
}

/* domain_stamp - how a users file is recognised: size, mtime, inode. */
void
domain_stamp(const struct stat *st, char *buf, size_t size)
{
	snprintf(buf, size, "%lld %lld.%09ld %llu", (long long)st->st_size,
	    (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
	    (unsigned long long)st->st_ino);
}

/* cdb_current - the cdb on fd was compiled from the users file ts. */
static int
cdb_current(int fd, const struct stat *ts)
{
	char		want[128], got[128];
	unsigned	dlen;

	domain_stamp(ts, want, sizeof(want));
	if (lseek(fd, 0, SEEK_SET) == -1 || cdb_seek(fd, DOMAIN_CDB_STAMP,
	    sizeof(DOMAIN_CDB_STAMP) - 1, &dlen) <= 0 || dlen >= sizeof(got) ||
	    cdb_bread(fd, got, (int)dlen) == -1)
		return 0;
	got[dlen] = '\0';
	return strcmp(got, want) == 0;
}

/*
 * domain_user_listed - 1 when a's local part (or whole address) is on
 * the domain's user list, case-insensitively; 0 when not; -1 when the
 * list cannot be read.
 */
int
domain_user_listed(int root, const struct addr *a)
{
	char		local[ADDR_PATH_MAX + 1], full[ADDR_PATH_MAX + 1];
	char		tpath[300], cpath[300];
	struct stat	ts;
	int		fd, r, have_t;

	if (domain_path(tpath, sizeof(tpath), a->domain, "users") == -1 ||
	    domain_path(cpath, sizeof(cpath), a->domain, "users.cdb") == -1)
		return 0;
	strlcpy(local, a->plain, sizeof(local));
	lowercase(local);
	if (snprintf(full, sizeof(full), "%s@%s", local, a->domain) >=
	    (int)sizeof(full))
		return 0;
	have_t = fstatat(root, tpath, &ts, 0) == 0;
	fd = openat(root, cpath, O_RDONLY | O_CLOEXEC);
	if (fd != -1 && (!have_t || cdb_current(fd, &ts))) {
		r = cdb_has(fd, local);
		if (r == 0)
			r = cdb_has(fd, full);
		close(fd);
		return r;
	}
	if (fd != -1) {
		close(fd);
		log_warnx("domain=%s users changed since users.cdb was "
		    "made: scanning the text (run snf-userdb)",
		    logesc(a->domain));
	}
	if (!have_t)
		return 0;
	return text_has(root, a->domain, tpath, local, full);
}
