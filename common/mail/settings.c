/*
 * settings.c - settings read one way, with one rule for a bad value
 * (snf-domains(5)): a file that cannot be read, or whose value does not
 * parse, is reported in one warning line that names it, and is then
 * passed over as if it were absent, so that the setting falls back to
 * control/NAME and then to its default. Each reader returns 0, or -1
 * when it passed over a bad file: a caller for whom the fallback could
 * do harm (returning mail early) can refuse to act on it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "domain.h"
#include "log.h"
#include "settings.h"

struct place {
	char	path[300];
};

/*
 * places - the files of setting name for domain, most specific first:
 * domains/D/NAME (when domain names a folder), then control/NAME.
 * Returns how many.
 */
static int
places(const char *domain, const char *name, struct place p[2])
{
	int	n = 0;

	if (domain && domain_path(p[0].path, sizeof(p[0].path), domain,
	    name) == 0)
		n++;
	snprintf(p[n].path, sizeof(p[n].path), "control/%s", name);
	return n + 1;
}

/*
 * bad - the one warning for a file passed over: p[i] is bad, p[i + 1]
 * (if any) and then dflt are what the setting falls back to.
 */
static void
bad(const struct place *p, int i, int n, const char *what, const char *dflt)
{
	char	next[340];

	if (i + 1 < n)
		snprintf(next, sizeof(next), "%s, else %s", p[i + 1].path, dflt);
	else
		snprintf(next, sizeof(next), "the default, %s", dflt);
	if (errno && errno != EINVAL)
		log_warn("%s is unreadable or not %s (passed over for %s)",
		    p[i].path, what, next);
	else
		log_warnx("%s is unreadable or not %s (passed over for %s)",
		    p[i].path, what, next);
}

/*
 * lookup - the value of the first of the setting's files that has one,
 * by parse(line, out), what it is said to be in a warning. Returns 1
 * when found, 0 when no file has one; *bad is set when a file was
 * passed over. dflt is the default, as the warning says it.
 */
static int
lookup(int root, const char *domain, const char *name, const char *what,
    const char *dflt, int (*parse)(const char *, void *), void *out,
    int *bad_seen)
{
	struct place	p[2];
	char		line[64];
	int		i, n;

	*bad_seen = 0;
	n = places(domain, name, p);
	for (i = 0; i < n; i++) {
		errno = 0;
		switch (control_line(root, p[i].path, line, sizeof(line))) {
		case 0:
			continue;
		case 1:
			if (parse(line, out) == 0)
				return 1;
		}
		bad(p, i, n, what, dflt);
		*bad_seen = 1;
	}
	return 0;
}

static int
parse_duration(const char *s, void *out)
{
	return duration_parse(s, out);
}

/* setting_duration - seconds (N, or N with s, m, h or d). */
int
setting_duration(int root, const char *domain, const char *name,
    int64_t dflt, int64_t *out)
{
	char	d[32];
	int	bad_seen;

	snprintf(d, sizeof(d), "%llds", (long long)dflt);
	if (!lookup(root, domain, name, "a duration", d, parse_duration, out,
	    &bad_seen))
		*out = dflt;
	return bad_seen ? -1 : 0;
}

/* parse_count - digits only, every value up to UINT64_MAX, no more. */
static int
parse_count(const char *s, void *out)
{
	uint64_t	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*(uint64_t *)out = v;
	return 0;
}

/*
 * setting_count - a whole number. A value below min (0, for a setting
 * that cannot be 0) means the default; one above max is max.
 */
int
setting_count(int root, const char *domain, const char *name,
    uint64_t dflt, uint64_t min, uint64_t max, uint64_t *out)
{
	char		d[32];
	uint64_t	v;
	int		bad_seen;

	snprintf(d, sizeof(d), "%llu", (unsigned long long)dflt);
	if (!lookup(root, domain, name, "a number", d, parse_count, &v,
	    &bad_seen))
		v = dflt;
	*out = v < min ? dflt : v > max ? max : v;
	return bad_seen ? -1 : 0;
}

/*
 * setting_flag - 1 for a file that exists and does not say 0, no or off
 * (an empty file, touch(1)ed, is on); 0 for one that does; dflt when
 * neither file exists.
 */
int
setting_flag(int root, const char *domain, const char *name, int dflt)
{
	struct place	p[2];
	int		i, n, v;

	n = places(domain, name, p);
	for (i = 0; i < n; i++) {
		errno = 0;
		if ((v = control_flag_read(root, p[i].path)) != -1)
			return v;
		if (errno != ENOENT && errno != ENOTDIR)
			bad(p, i, n, "a flag", dflt ? "on" : "off");
	}
	return dflt;
}

/*
 * setting_line - the value of a one-line setting into buf: 1 when a
 * file gave one, 0 when none did (buf is then empty).
 */
int
setting_line(int root, const char *domain, const char *name, char *buf,
    size_t size)
{
	struct place	p[2];
	int		i, n;

	n = places(domain, name, p);
	for (i = 0; i < n; i++) {
		errno = 0;
		switch (control_line(root, p[i].path, buf, size)) {
		case 1:
			return 1;
		case -1:
			bad(p, i, n, "one line", "none");
		}
	}
	buf[0] = '\0';
	return 0;
}
