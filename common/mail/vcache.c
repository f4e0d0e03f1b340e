/*
 * vcache.c - the files of the recipient cache. Many snf-smtpd processes
 * read and write at once: a record is written whole to a temporary file
 * in its folder and renamed over the old one, so a reader sees the old
 * record or the new one, never a torn one, and no lock is ever held
 * while waiting on the network. A cache is not mail: nothing is fsync'd,
 * and a record lost in a crash only costs a callout.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sha2.h>

#include "control.h"
#include "dirlist.h"
#include "domain.h"
#include "fileio.h"
#include "rootdir.h"
#include "settings.h"
#include "vcache.h"

#define LEFTOVER	129600	/* a temporary file older (36 h) is a crash's */
#define LINE_MAX_	(ADDR_PATH_MAX + 64)

/* vcache_folder - cache/D open, made when create is set; -1 with errno. */
int
vcache_folder(int root, const char *domain, int create)
{
	if (domain[0] == '[') {		/* an address literal is never a */
		errno = EINVAL;		/* cloudprotect domain */
		return -1;
	}
	return rdir_open(root, RD_CACHE, domain, create ? RD_CREATE : 0);
}

/* first_line - the first line of file name in dfd into buf; -1 if none. */
static int
first_line(int dfd, const char *name, char *buf, size_t size)
{
	ssize_t	n;
	char	*nl;

	n = file_read_at(dfd, name, O_NOFOLLOW, buf, size);
	if (n <= 0 || (nl = memchr(buf, '\n', (size_t)n)) == NULL)
		return -1;	/* a record is whole or absent */
	*nl = '\0';
	return 0;
}

/* vcache_read - the first line of file name of domain's cache folder. */
int
vcache_read(int root, const char *domain, const char *name, char *buf,
    size_t size)
{
	int	dfd, r, e;

	if ((dfd = vcache_folder(root, domain, 0)) == -1)
		return -1;
	r = first_line(dfd, name, buf, size);
	e = errno;
	close(dfd);
	errno = e;
	return r;
}

/* vcache_write - replace file name of domain's folder with text. */
int
vcache_write(int root, const char *domain, const char *name, const char *text)
{
	struct replace	o = { 0 };
	int		dfd, r, e;

	if ((dfd = vcache_folder(root, domain, 1)) == -1)
		return -1;
	o.prefix = ".w";
	o.flags = REPLACE_NOSYNC;
	r = file_replace(dfd, name, text, strlen(text), &o);
	e = errno;
	close(dfd);
	errno = e;
	return r;
}

/*
 * vcache_key - the normalised address of a: local part without quoting,
 * lowercased unless the domain's case_sensitive setting says otherwise,
 * "@", the lowercase domain. Returns 0 or -1.
 */
int
vcache_key(int root, const struct addr *a, char *key, size_t size)
{
	int	n;

	n = snprintf(key, size, "%s@%s", a->plain, a->domain);
	if (n < 0 || (size_t)n >= size)
		return -1;
	if (!setting_flag(root, a->domain, "case_sensitive", 0))
		lowercase(key);
	return 0;
}

/* record_name - the file name of key's record: its SHA-256 in hex. */
static void
record_name(const char *key, char hex[SHA256_DIGEST_STRING_LENGTH])
{
	SHA256Data((const uint8_t *)key, strlen(key), hex);
}

/*
 * parse_record - a record line "positive|negative TIME ADDRESS" into r;
 * -1 when it is none of these.
 */
static int
parse_record(const char *line, struct vrec *r)
{
	const char	*p;
	char		*sp;

	memset(r, 0, sizeof(*r));
	if (strncmp(line, "positive ", 9) == 0)
		r->kind = VREC_POSITIVE;
	else if (strncmp(line, "negative ", 9) == 0)
		r->kind = VREC_NEGATIVE;
	else
		return -1;
	p = line + 9;
	r->when = strtoll(p, &sp, 10);
	if (sp == p || *sp != ' ' ||
	    strlcpy(r->addr, sp + 1, sizeof(r->addr)) >= sizeof(r->addr)) {
		r->kind = VREC_NONE;
		return -1;
	}
	return 0;
}

/*
 * vcache_get - the record for key (of domain) into r. Returns 0 (r->kind
 * VREC_NONE when there is none or it does not parse), -1 when key has no
 * record name (the domain cannot have a cache).
 */
int
vcache_get(int root, const char *domain, const char *key, struct vrec *r)
{
	char	hex[SHA256_DIGEST_STRING_LENGTH], line[LINE_MAX_];

	memset(r, 0, sizeof(*r));
	if (domain[0] == '[')
		return -1;
	record_name(key, hex);
	if (vcache_read(root, domain, hex, line, sizeof(line)) == -1 ||
	    parse_record(line, r) == -1)
		return 0;
	if (strcmp(r->addr, key) != 0)
		memset(r, 0, sizeof(*r));	/* another address: a hash clash */
	return 0;
}

int
vcache_put(int root, const char *domain, const char *key, int kind,
    int64_t when)
{
	char	hex[SHA256_DIGEST_STRING_LENGTH], text[LINE_MAX_];
	int	n;

	n = snprintf(text, sizeof(text), "%s %lld %s\n", kind == VREC_POSITIVE ?
	    "positive" : "negative", (long long)when, key);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	record_name(key, hex);
	return vcache_write(root, domain, hex, text);
}

int
vcache_del(int root, const char *domain, const char *key)
{
	char	hex[SHA256_DIGEST_STRING_LENGTH];
	int	dfd, r, e;

	if ((dfd = vcache_folder(root, domain, 0)) == -1)
		return -1;
	record_name(key, hex);
	r = unlinkat(dfd, hex, 0);
	e = errno;
	close(dfd);
	errno = e;
	return r;
}

struct each {
	int	(*fn)(const struct vrec *, void *);
	void	*arg;
};

static int
each_one(int dfd, const char *name, void *arg)
{
	struct each	*e = arg;
	struct vrec	 r;
	char		 line[LINE_MAX_];

	if (name[0] == '.' || first_line(dfd, name, line, sizeof(line)) == -1 ||
	    parse_record(line, &r) == -1)
		return 0;
	return e->fn(&r, e->arg);
}

/* vcache_each - fn(record, arg) for every record of domain's cache. */
int
vcache_each(int root, const char *domain, int (*fn)(const struct vrec *,
    void *), void *arg)
{
	struct each	e = { fn, arg };
	int		dfd, r, err;

	if ((dfd = vcache_folder(root, domain, 0)) == -1)
		return errno == ENOENT ? 0 : -1;
	r = dir_each(dfd, each_one, &e);
	err = errno;
	close(dfd);
	errno = err;
	return r;
}

struct expiry {
	const char		*domain;
	const struct vttl	*ttl;
	int			 dry, n;
	int64_t			 now;
	vcache_said		 said;
	void			*arg;
};

/* record_named - name has the shape of a record's: 64 hex digits. */
static int
record_named(const char *name)
{
	return strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64;
}

/*
 * dead - file name of the folder dfd is past its time. Only names of
 * the cache's own shapes are ever judged: anything else is left alone.
 */
static int
dead(int dfd, const char *name, const struct expiry *x)
{
	struct vrec	r;
	struct stat	st;
	char		line[LINE_MAX_];
	int64_t		age;

	if (strcmp(name, ".down") == 0)
		return first_line(dfd, name, line, sizeof(line)) == 0 &&
		    strtoll(line, NULL, 10) < x->now;
	if (name[0] == '.')	/* a crash's temporary file */
		return strncmp(name, ".w.", 3) == 0 &&
		    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    x->now - st.st_mtime > LEFTOVER;
	if (!record_named(name))
		return 0;
	if (first_line(dfd, name, line, sizeof(line)) == -1)
		return errno != ENOENT;	/* no record: dead, unless gone */
	if (parse_record(line, &r) == -1)
		return 1;
	age = x->now > r.when ? x->now - r.when : 0;
	if (r.kind == VREC_POSITIVE)
		return age >= x->ttl->pos_ttl && !x->ttl->keep_positive;
	return age >= x->ttl->neg_ttl;
}

static int
expire_one(int dfd, const char *name, void *arg)
{
	struct expiry	*x = arg;
	int		 gone = 0;

	if (strncmp(name, ".slot.", 6) == 0 || strcmp(name, ".catchall") == 0)
		return 0;
	if (strcmp(name, ".rate") == 0) {
		/* a past minute's counts, removed under their lock */
		if (!vcache_rate_dead(dfd, x->now, x->dry))
			return 0;
		gone = 1;
	} else if (!dead(dfd, name, x))
		return 0;
	if (x->said)
		x->said(x->domain, name, x->dry ? "would remove" : "removed",
		    x->arg);
	if (!x->dry && !gone)
		unlinkat(dfd, name, 0);
	x->n++;
	return 0;
}

/*
 * vcache_expire - the dead records of domain's cache (past their time
 * to live), its expired down memo, the counts of a past minute (.rate)
 * and what a crash left (temporary files older than 36 hours) go; with dry, said() only tells. Returns
 * how many.
 */
int
vcache_expire(int root, const char *domain, const struct vttl *ttl, int dry,
    int64_t now, vcache_said said, void *arg)
{
	struct expiry	x = { domain, ttl, dry, 0, now, said, arg };
	int		dfd;

	if ((dfd = vcache_folder(root, domain, 0)) == -1)
		return 0;
	(void)dir_each(dfd, expire_one, &x);
	close(dfd);
	return x.n;
}
