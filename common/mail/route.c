/*
 * route.c - routing decisions for delivery and callouts. A backup MX
 * must never deliver to itself or to an equal or worse backup: from the
 * MX records only hosts with a strictly better preference than this
 * host's own are kept; when this host is the best, that is a DNS mistake
 * and the mail is kept (ROUTE_SELF), neither sent to itself nor bounced.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "addr.h"
#include "control.h"
#include "domain.h"
#include "route.h"

/*
 * hostport_parse - "host", "host:port", "[addr]" or "[addr]:port"
 * (IPv6 in brackets). Port defaults to 25. Returns 0 or -1.
 */
int
hostport_parse(const char *s, struct hostport *hp)
{
	const char	*end, *colon;
	size_t		 n;
	int		 port;

	strlcpy(hp->port, "25", sizeof(hp->port));
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		n = (size_t)(end - s - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			return -1;	/* bare IPv6 needs brackets */
		n = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (n == 0 || n >= sizeof(hp->host))
		return -1;
	memcpy(hp->host, s, n);
	hp->host[n] = '\0';
	if (colon) {
		if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(hp->port) ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return -1;
		/* getaddrinfo would take 65561 as port 25, mod 65536 */
		port = atoi(colon + 1);		/* at most 7 digits */
		if (port < 1 || port > 65535)
			return -1;
		strlcpy(hp->port, colon + 1, sizeof(hp->port));
	}
	for (n = 0; hp->host[n]; n++)
		if (!isascii((unsigned char)hp->host[n]) ||
		    !(isalnum((unsigned char)hp->host[n]) ||
		    strchr(".-:_", hp->host[n])))
			return -1;
	return 0;
}

/* self_names - control/me and control/mxnames, lowercase, no final dot. */
int
self_names(int root, char names[][256], int max)
{
	char	buf[CONTROL_MAX], *line, *next;
	int	n = 0;
	size_t	len;

	control_me(root, names[n++], 256);
	if (control_read(root, "control/mxnames", buf, sizeof(buf)) == -1)
		buf[0] = '\0';
	for (line = buf; *line && n < max; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		line += strspn(line, " \t");
		len = strcspn(line, " \t#");
		if (len == 0 || len >= 256)
			continue;
		memcpy(names[n], line, len);
		names[n++][len] = '\0';
	}
	for (int i = 0; i < n; i++) {
		lowercase(names[i]);
		len = strlen(names[i]);
		if (len > 1 && names[i][len - 1] == '.')
			names[i][len - 1] = '\0';
	}
	return n;
}

static int
cmp_mx(const void *a, const void *b)
{
	const struct mx	*x = a, *y = b;

	return x->pref - y->pref;
}

/*
 * mx_select - sort the MX list by preference and keep only the hosts
 * better than this host's own best entry (names are compared case-
 * insensitively, without a final dot). Returns how many remain, or
 * ROUTE_SELF when this host is listed and nothing is better.
 */
int
mx_select(struct mx *mx, int n, int nself, const char *const *self)
{
	int	i, j, mine = -1;
	size_t	len;

	for (i = 0; i < n; i++) {
		len = strlen(mx[i].name);
		if (len > 1 && mx[i].name[len - 1] == '.')
			mx[i].name[len - 1] = '\0';
		lowercase(mx[i].name);
		for (j = 0; j < nself; j++)
			if (strcasecmp(mx[i].name, self[j]) == 0 &&
			    (mine == -1 || mx[i].pref < mine))
				mine = mx[i].pref;
	}
	if (n > 1)
		qsort(mx, (size_t)n, sizeof(*mx), cmp_mx);
	if (mine == -1)
		return n;
	for (i = 0; i < n && mx[i].pref < mine; i++)
		;
	return i == 0 ? ROUTE_SELF : i;
}

/* mx_lookup - the MX records of domain; 0 records means none exist. */
static int
mx_lookup(const char *domain, struct mx *mx, int max, char *why, size_t wn)
{
	unsigned char	ans[8192];
	ns_msg		msg;
	ns_rr		rr;
	int		len, i, n = 0;

	len = res_query(domain, ns_c_in, ns_t_mx, ans, sizeof(ans));
	if (len < 0) {
		if (h_errno == HOST_NOT_FOUND) {
			snprintf(why, wn, "domain %s does not exist", domain);
			return ROUTE_NONE;
		}
		if (h_errno == NO_DATA)
			return 0;
		snprintf(why, wn, "DNS lookup for %s failed", domain);
		return ROUTE_TEMP;
	}
	if (ns_initparse(ans, len, &msg) == -1) {
		snprintf(why, wn, "bad DNS answer for %s", domain);
		return ROUTE_TEMP;
	}
	for (i = 0; i < ns_msg_count(msg, ns_s_an) && n < max; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) == -1 ||
		    ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		mx[n].pref = ns_get16(ns_rr_rdata(rr));
		if (dn_expand(ns_msg_base(msg), ns_msg_end(msg),
		    ns_rr_rdata(rr) + 2, mx[n].name, sizeof(mx[n].name)) < 0)
			continue;
		n++;
	}
	return n;
}

/* route_mx - route by MX records, this host and worse ones left out. */
static int
route_mx(int root, const char *domain, struct route *r)
{
	struct mx	 mx[ROUTE_MAX];
	char		 names[SELF_MAX][256];
	const char	*self[SELF_MAX];
	int		 n, ns, i;

	n = mx_lookup(domain, mx, ROUTE_MAX, r->why, sizeof(r->why));
	if (n < 0)
		return n;
	if (n == 0) {		/* no MX: the domain itself (RFC 5321 5.1) */
		strlcpy(r->h[0].host, domain, sizeof(r->h[0].host));
		strlcpy(r->h[0].port, "25", sizeof(r->h[0].port));
		r->n = 1;
		return ROUTE_OK;
	}
	ns = self_names(root, names, SELF_MAX);
	for (i = 0; i < ns; i++)
		self[i] = names[i];
	n = mx_select(mx, n, ns, self);
	if (n == ROUTE_SELF) {
		snprintf(r->why, sizeof(r->why), "this host is the best MX "
		    "for %s: check its DNS", domain);
		return ROUTE_SELF;
	}
	for (i = 0; i < n; i++) {
		strlcpy(r->h[i].host, mx[i].name, sizeof(r->h[i].host));
		strlcpy(r->h[i].port, "25", sizeof(r->h[i].port));
	}
	r->n = n;
	return ROUTE_OK;
}

/*
 * hosts_from - parse host lines (or words) of text into r; a word that
 * starts with '#' comments out the rest of its line. The word "mx" alone
 * means route by MX. Returns hosts added, -1 on a bad word.
 */
static int
hosts_from(char *text, struct route *r, int *mx)
{
	char	*line, *next, *w, *save = NULL;

	for (line = text; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		for (w = strtok_r(line, " \t", &save); w && *w != '#';
		    w = strtok_r(NULL, " \t", &save)) {
			if (strcasecmp(w, "mx") == 0) {
				*mx = 1;
				continue;
			}
			if (r->n == ROUTE_MAX) {
				snprintf(r->why, sizeof(r->why), "more than %d "
				    "hosts", ROUTE_MAX);
				return -1;
			}
			if (hostport_parse(w, &r->h[r->n]) == -1) {
				snprintf(r->why, sizeof(r->why), "bad host "
				    "\"%.100s\"", w);
				return -1;
			}
			r->n++;
		}
	}
	return r->n;
}

/* table_hosts - the hosts of one control/routes line, 1; or -1. */
static int
table_hosts(char *rest, const char *domain, struct route *r)
{
	int	mx = 0;

	if (hosts_from(rest, r, &mx) > 0)
		return 1;
	if (r->why[0] == '\0')
		snprintf(r->why, sizeof(r->why), "control/routes names no "
		    "host for %s", domain);
	return -1;
}

/* route_table - control/routes: "DOMAIN HOST[:PORT]..." and "*". */
static int
route_table(int root, const char *domain, struct route *r)
{
	char	 buf[65536], *line, *next, *rest, star[4096] = "";
	size_t	 len;

	if (control_read(root, "control/routes", buf, sizeof(buf)) == -1)
		return 0;
	for (line = buf; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		line += strspn(line, " \t");
		len = strcspn(line, " \t");
		if (len == 0 || *line == '#')
			continue;
		rest = line + len;
		if (len == 1 && *line == '*') {
			if (star[0] == '\0')
				strlcpy(star, rest, sizeof(star));
			continue;
		}
		if (len == strlen(domain) && strncasecmp(line, domain, len) == 0)
			return table_hosts(rest, domain, r);
	}
	if (star[0])
		return table_hosts(star, domain, r);
	return 0;
}

/*
 * route_for - the hosts to try, in order, for mail to domain. Returns
 * ROUTE_OK with r->n >= 1, or ROUTE_TEMP, ROUTE_SELF, ROUTE_NONE with
 * the reason in r->why.
 */
int
route_for(int root, const char *domain, struct route *r)
{
	char		path[300], text[CONTROL_MAX];
	struct stat	st;
	int		mx = 0, k;

	r->n = 0;
	r->why[0] = '\0';
	if (domain_path(path, sizeof(path), domain, NULL) == 0 &&
	    fstatat(root, path, &st, 0) == 0 && S_ISDIR(st.st_mode)) {
		strlcat(path, "/primary", sizeof(path));
		if (control_read(root, path, text, sizeof(text)) == -1)
			return route_mx(root, domain, r);
		if (hosts_from(text, r, &mx) < 0)
			return ROUTE_TEMP;
		if (r->n > 0)
			return ROUTE_OK;
		return route_mx(root, domain, r);
	}
	if ((k = route_table(root, domain, r)) == 1)
		return ROUTE_OK;
	if (k == -1)
		return ROUTE_TEMP;
	return route_mx(root, domain, r);
}
