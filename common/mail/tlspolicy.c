/*
 * tlspolicy.c - the TLS level of a destination: domains/D/tls for a
 * protected domain's primary, control/tls for it and every other
 * destination (reports, a release to one mailbox or another server),
 * TLS_MAY without either. A level is one word, none, may, encrypt or
 * verify; verify may be followed by the name the certificate must hold,
 * for a primary given by address. control/tls_ca, when present, is what
 * verify trusts instead of the system's store.
 */
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <unistd.h>

#include "dial.h"
#include "log.h"
#include "settings.h"

static const char *const levels[] = { "none", "may", "encrypt", "verify" };

const char *
tls_level_name(int level)
{
	return level >= TLS_NONE && level <= TLS_VERIFY ? levels[level] : "?";
}

/*
 * tls_level_parse - "LEVEL [NAME]" into *level and name; -1 when the
 * word is none of the levels, or a name follows another level than
 * verify.
 */
int
tls_level_parse(const char *line, int *level, char *name, size_t size)
{
	size_t	n = strcspn(line, " \t"), i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strlen(levels[i]) == n && strncasecmp(line, levels[i],
		    n) == 0)
			break;
	if (i == sizeof(levels) / sizeof(levels[0]))
		return -1;
	line += n;
	line += strspn(line, " \t");
	if (*line && (i != TLS_VERIFY || strcspn(line, " \t") != strlen(line) ||
	    strlen(line) >= size))
		return -1;
	*level = (int)i;
	strlcpy(name, line, size);
	return 0;
}

/*
 * tls_policy - d's TLS level for mail to domain (NULL: any other
 * destination than a protected domain), the CA file under rootpath.
 * A bad level is passed over with a warning, as every setting is.
 */
int
tls_policy(struct dial *d, int root, const char *rootpath, const char *domain)
{
	char	line[300];
	int	r = 0;

	d->tls = TLS_MAY;
	d->tls_name[0] = d->tls_ca[0] = '\0';
	if (setting_line(root, domain, "tls", line, sizeof(line)) == 1 &&
	    tls_level_parse(line, &d->tls, d->tls_name,
	    sizeof(d->tls_name)) == -1) {
		log_warnx("the tls setting of %s is not a level (none, may, "
		    "encrypt, verify [name]): \"%s\" passed over for may",
		    domain ? domain : "control/", logesc(line));
		d->tls = TLS_MAY;
		d->tls_name[0] = '\0';
		r = -1;
	}
	if (faccessat(root, "control/tls_ca", F_OK, 0) == 0)
		snprintf(d->tls_ca, sizeof(d->tls_ca), "%s/control/tls_ca",
		    rootpath);
	return r;
}
