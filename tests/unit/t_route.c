/*
 * t_route.c - route.c without DNS: hostport_parse, mx_select on MX lists
 * given here, route_for on a temporary root folder whose files name the
 * hosts (domains/D/primary, control/routes), and self_names. No row may
 * reach route_mx: each has an explicit host, or fails before the lookup.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "route.h"
#include "../tap.h"

static int	root = -1;
static char	rootpath[512];

struct hcase {
	const char	*in;
	const char	*want;		/* "host|port", or "-1" */
};

static const struct hcase hostports[] = {
	{ "mail.example.com", "mail.example.com|25" },
	{ "host:2525", "host|2525" },
	{ "host:1", "host|1" },
	{ "host:65535", "host|65535" },
	{ "[192.0.2.1]", "192.0.2.1|25" },
	{ "[192.0.2.1]:26", "192.0.2.1|26" },
	{ "192.0.2.1:26", "192.0.2.1|26" },
	{ "[::1]:2525", "::1|2525" },
	{ "[::1]", "::1|25" },
	{ "[2001:db8::25]", "2001:db8::25|25" },
	{ "mail_1.example.com", "mail_1.example.com|25" },
	{ "::1", "-1" },
	{ "2001:db8::25", "-1" },
	{ "host:", "-1" },
	{ "host:abc", "-1" },
	{ "host:25x", "-1" },
	{ "host:+25", "-1" },
	{ "host:-25", "-1" },
	{ "host: 25", "-1" },
	{ "host:25:26", "-1" },
	{ "host:99999999", "-1" },
	{ "host:65536", "-1" },
	{ "host:99999", "-1" },
	{ "host:0", "-1" },
	{ ":25", "-1" },
	{ "a b", "-1" },
	{ "a\tb", "-1" },
	{ "host/x", "-1" },
	{ "../x", "-1" },
	{ "h\xc3\xb4st", "-1" },
	{ "", "-1" },
	{ "[::1", "-1" },
	{ "[::1]x", "-1" },
	{ "[::1]:", "-1" },
	{ "[]", "-1" },
	{ "[]:25", "-1" },
	{ "[a b]", "-1" },
};

/* render_hp - "host|port" after hostport_parse, or "-1". */
static void
render_hp(char *got, size_t size, const char *in)
{
	struct hostport	hp;

	if (hostport_parse(in, &hp) == -1)
		snprintf(got, size, "-1");
	else
		snprintf(got, size, "%s|%s", hp.host, hp.port);
}

static void
test_hostport(void)
{
	char	in[400], got[600], want[600];
	size_t	i;

	for (i = 0; i < sizeof(hostports) / sizeof(hostports[0]); i++) {
		render_hp(got, sizeof(got), hostports[i].in);
		ok_str(got, hostports[i].want, "hostport_parse(\"%s\")",
		    hostports[i].in);
	}
	memset(in, 'a', 300);
	in[300] = '\0';
	render_hp(got, sizeof(got), in);
	ok_str(got, "-1", "hostport_parse: a 300-octet host");
	in[256] = '\0';
	render_hp(got, sizeof(got), in);
	ok_str(got, "-1", "hostport_parse: a 256-octet host");
	in[255] = '\0';
	render_hp(got, sizeof(got), in);
	snprintf(want, sizeof(want), "%s|25", in);
	ok_str(got, want, "hostport_parse: a 255-octet host");
	snprintf(in, sizeof(in), "[%.299s]", want);
	render_hp(got, sizeof(got), in);
	ok_str(got, "-1", "hostport_parse: a 258-octet bracketed host");
}

struct mxin {
	int		 pref;
	const char	*name;
};

struct mcase {
	const char	*label;
	struct mxin	 mx[6];		/* ends at a NULL name */
	const char	*want;		/* "n: name/pref ...", "SELF" */
};

/* This host is mx2.example.com, also known as backup.example.net. */
static const char *const self[] = {
	"mx2.example.com", "backup.example.net"
};

static const struct mcase mxs[] = {
	{ "not listed: all, sorted", { { 30, "c.example.com" },
	    { 10, "a.example.com" }, { 20, "b.example.com" } },
	    "3: a.example.com/10 b.example.com/20 c.example.com/30" },
	{ "listed at 20: only the better hosts", { { 30, "c.example.com" },
	    { 20, "mx2.example.com" }, { 10, "a.example.com" },
	    { 5, "z.example.com" } }, "2: z.example.com/5 a.example.com/10" },
	{ "an equal host is left out", { { 10, "a.example.com" },
	    { 20, "b.example.com" }, { 20, "mx2.example.com" } },
	    "1: a.example.com/10" },
	{ "listed as the best", { { 10, "mx2.example.com" },
	    { 20, "b.example.com" } }, "SELF" },
	{ "listed as the only one", { { 0, "mx2.example.com" } }, "SELF" },
	{ "tied with the best", { { 10, "a.example.com" },
	    { 10, "mx2.example.com" } }, "SELF" },
	{ "name in another case", { { 10, "a.example.com" },
	    { 20, "MX2.Example.COM" } }, "1: a.example.com/10" },
	{ "name with a trailing dot", { { 10, "a.example.com." },
	    { 20, "mx2.example.com." } }, "1: a.example.com/10" },
	{ "both at once", { { 20, "MX2.EXAMPLE.COM." },
	    { 10, "A.Example.Com." } }, "1: a.example.com/10" },
	{ "the other name of this host", { { 10, "a.example.com" },
	    { 15, "backup.example.net" }, { 20, "b.example.com" } },
	    "1: a.example.com/10" },
	{ "listed twice, at 10 and 30", { { 30, "mx2.example.com" },
	    { 20, "b.example.com" }, { 5, "a.example.com" },
	    { 10, "mx2.example.com" } }, "1: a.example.com/5" },
	{ "listed under both names", { { 40, "backup.example.net" },
	    { 30, "c.example.com" }, { 25, "mx2.example.com" },
	    { 1, "a.example.com" } }, "1: a.example.com/1" },
	{ "a longer name is not this host", { { 20, "mx2.example.com.evil" },
	    { 30, "xmx2.example.com" }, { 10, "a.example.com" } },
	    "3: a.example.com/10 mx2.example.com.evil/20 "
	    "xmx2.example.com/30" },
	{ "a shorter name is not this host", { { 20, "mx2.example" },
	    { 10, "a.example.com" } }, "2: a.example.com/10 mx2.example/20" },
	{ "preference 65535", { { 65535, "b.example.com" },
	    { 0, "a.example.com" } },
	    "2: a.example.com/0 b.example.com/65535" },
	{ "no MX", { { 0, NULL } }, "0:" },
};

/* run_mx - mx_select on the row's list with self[0..nself). */
static void
run_mx(char *got, size_t size, const struct mcase *m,
    const char *const *names, int nself)
{
	struct mx	mx[6];
	int		n, i;

	for (n = 0; n < 6 && m->mx[n].name; n++) {
		mx[n].pref = m->mx[n].pref;
		strlcpy(mx[n].name, m->mx[n].name, sizeof(mx[n].name));
	}
	n = mx_select(mx, n, nself, names);
	if (n == ROUTE_SELF) {
		snprintf(got, size, "SELF");
		return;
	}
	snprintf(got, size, "%d:", n);
	for (i = 0; i < n; i++) {
		strlcat(got, " ", size);
		strlcat(got, mx[i].name, size);
		snprintf(got + strlen(got), size - strlen(got), "/%d",
		    mx[i].pref);
	}
}

static void
test_mx_select(void)
{
	static const char *const upper[] = { "MX2.Example.COM" };
	static const struct mcase none = { "", { { 10, "mx2.example.com" },
	    { 20, "b.example.com" } }, "" };
	char	got[1024];
	size_t	i;

	for (i = 0; i < sizeof(mxs) / sizeof(mxs[0]); i++) {
		run_mx(got, sizeof(got), &mxs[i], self, 2);
		ok_str(got, mxs[i].want, "mx_select: %s", mxs[i].label);
	}
	run_mx(got, sizeof(got), &none, self, 0);
	ok_str(got, "2: mx2.example.com/10 b.example.com/20",
	    "mx_select: no names of this host: every MX");
	run_mx(got, sizeof(got), &none, upper, 1);
	ok_str(got, "SELF", "mx_select: this host's name given in "
	    "uppercase");
}

/* put - root-relative file path holding text; removed when NULL. */
static void
put(const char *path, const char *text)
{
	int	fd;

	if (text == NULL) {
		unlinkat(root, path, 0);
		return;
	}
	fd = openat(root, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write_all(fd, text, strlen(text)) == -1 ||
	    close(fd) == -1)
		abort();
}

struct rcase {
	const char	*label;
	const char	*primary;	/* domains/example.com/primary */
	const char	*routes;	/* control/routes */
	const char	*domain;
	const char	*want;
};

#define ROUTES	"# routes for the mail this host sends itself\n" \
	"*\tsmarthost.example.net\n" \
	"\n" \
	"  example.org relay1.example.net:587 [192.0.2.7] # two\n" \
	"Example.NET relay3.example.net\n" \
	"#example.edu relay4.example.net\n" \
	"example.info [2001:db8::25]:2525\n"

static const struct rcase routes[] = {
	{ "primary: two hosts and comments", "# example.com's mail\n"
	    "mail1.example.com\n#the second, on port 2525\n"
	    "mail2.example.com:2525   # the other one\n", NULL, "example.com",
	    "OK mail1.example.com:25 mail2.example.com:2525" },
	{ "primary: words on one line", "mail1.example.com mail2.example.com",
	    NULL, "example.com", "OK mail1.example.com:25 "
	    "mail2.example.com:25" },
	{ "primary: comment word without a space",
	    "#old\nmail1.example.com #x\n#\nmail2.example.com\n", NULL,
	    "example.com", "OK mail1.example.com:25 mail2.example.com:25" },
	{ "primary: addresses", "[192.0.2.25]\n\t[2001:db8::25]:2525\n",
	    NULL, "example.com", "OK 192.0.2.25:25 2001:db8::25:2525" },
	{ "primary: a bad host", "mail1.example.com\nmail/2.example.com\n",
	    NULL, "example.com",
	    "TEMP bad host \"mail/2.example.com\"" },
	{ "primary: a bad port", "mail1.example.com:smtp\n", NULL,
	    "example.com", "TEMP bad host \"mail1.example.com:smtp\"" },
	{ "primary: 16 hosts", "a b c d e f g h i j k l m n o p\n", NULL,
	    "example.com", "OK a:25 b:25 c:25 d:25 e:25 f:25 g:25 h:25 i:25 "
	    "j:25 k:25 l:25 m:25 n:25 o:25 p:25" },
	{ "primary: 17 hosts", "a b c d e f g h i j k l m n o p q\n", NULL,
	    "example.com", "TEMP more than 16 hosts" },
	{ "primary wins over routes", "mail1.example.com\n",
	    "example.com relay.example.net\n*\tsmarthost.example.net\n",
	    "example.com", "OK mail1.example.com:25" },
	{ "routes: exact domain", NULL, ROUTES, "example.org",
	    "OK relay1.example.net:587 192.0.2.7:25" },
	{ "routes: domain in another case", NULL, ROUTES, "example.net",
	    "OK relay3.example.net:25" },
	{ "routes: an IPv6 relay", NULL, ROUTES, "example.info",
	    "OK 2001:db8::25:2525" },
	{ "routes: \"*\" for the rest", NULL, ROUTES, "other.example",
	    "OK smarthost.example.net:25" },
	{ "routes: a commented-out line", NULL, ROUTES, "example.edu",
	    "OK smarthost.example.net:25" },
	{ "routes: a subdomain is another domain", NULL, ROUTES,
	    "sub.example.org", "OK smarthost.example.net:25" },
	{ "routes: a prefix is another domain", NULL, ROUTES, "example.or",
	    "OK smarthost.example.net:25" },
	{ "routes: the first \"*\" counts", NULL, "* a.example.net\n"
	    "* b.example.net\n", "x.example", "OK a.example.net:25" },
	{ "routes: a bad host", NULL, "example.org relay.example.net "
	    "bad!host\n* smarthost.example.net\n", "example.org",
	    "TEMP bad host \"bad!host\"" },
	{ "routes: a bad \"*\" host", NULL, "* smart host!\n",
	    "example.org", "TEMP bad host \"host!\"" },
	{ "routes: a domain without a host", NULL, "example.org\n"
	    "* smarthost.example.net\n", "example.org",
	    "TEMP control/routes names no host for example.org" },
	{ "routes: a domain with a comment only", NULL,
	    "example.org # later\n", "example.org",
	    "TEMP control/routes names no host for example.org" },
};

/* render_route - "OK host:port ...", or the failure and its reason. */
static void
render_route(char *got, size_t size, int rc, const struct route *r)
{
	int	i;

	if (rc != ROUTE_OK) {
		snprintf(got, size, "%s %s", rc == ROUTE_TEMP ? "TEMP" :
		    rc == ROUTE_SELF ? "SELF" : rc == ROUTE_NONE ? "NONE" :
		    "?", r->why);
		return;
	}
	snprintf(got, size, "OK");
	for (i = 0; i < r->n; i++)
		snprintf(got + strlen(got), size - strlen(got), " %s:%s",
		    r->h[i].host, r->h[i].port);
}

static void
test_route_for(void)
{
	struct route	r;
	char		got[2048];
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		put("domains/example.com/primary", routes[i].primary);
		put("control/routes", routes[i].routes);
		memset(&r, 'x', sizeof(r));
		rc = route_for(root, routes[i].domain, &r);
		render_route(got, sizeof(got), rc, &r);
		ok_str(got, routes[i].want, "route_for: %s", routes[i].label);
	}
	put("domains/example.com/primary", NULL);
	put("control/routes", NULL);
}

/* render_names - self_names with at most max names, space-separated. */
static void
render_names(char *got, size_t size, int max)
{
	char	names[8][256];
	int	i, n;

	n = self_names(root, names, max);
	snprintf(got, size, "%d:", n);
	for (i = 0; i < n; i++) {
		strlcat(got, " ", size);
		strlcat(got, names[i], size);
	}
}

static void
test_self_names(void)
{
	char	got[4096], want[600], host[256], mx[1024];
	size_t	len;

	put("control/me", "MX2.Example.COM.\n");
	put("control/mxnames", "# other names of this host\n"
	    "  Backup.Example.NET.  # the old name\n\nmx3.example.org\n"
	    "#mx9.example.org\n\tmx4.example.org\tmx5.example.org\n");
	render_names(got, sizeof(got), 8);
	ok_str(got, "4: mx2.example.com backup.example.net mx3.example.org "
	    "mx4.example.org", "self_names: control/me and control/mxnames");
	render_names(got, sizeof(got), 2);
	ok_str(got, "2: mx2.example.com backup.example.net",
	    "self_names: at most max names");

	memset(mx, 'a', 300);
	memcpy(mx + 300, "\nmx3.example.org\n", 18);
	put("control/mxnames", mx);
	render_names(got, sizeof(got), 8);
	ok_str(got, "2: mx2.example.com mx3.example.org",
	    "self_names: a 300-octet name is left out");

	put("control/mxnames", NULL);
	render_names(got, sizeof(got), 8);
	ok_str(got, "1: mx2.example.com", "self_names: no control/mxnames");

	put("control/me", "# comment\n\n  mx1.example.com  \n");
	render_names(got, sizeof(got), 8);
	ok_str(got, "1: mx1.example.com", "self_names: control/me trimmed");

	put("control/me", NULL);
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (len = 0; host[len]; len++)
		if (host[len] >= 'A' && host[len] <= 'Z')
			host[len] += 'a' - 'A';
	if (len > 1 && host[len - 1] == '.')
		host[len - 1] = '\0';
	snprintf(want, sizeof(want), "1: %s", host);
	render_names(got, sizeof(got), 8);
	ok_str(got, want, "self_names: no control/me, the host name");
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 n;

	n = snprintf(rootpath, sizeof(rootpath), "%s/t_route.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(rootpath) ||
	    mkdtemp(rootpath) == NULL ||
	    (root = open(rootpath, O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdirat(root, "control", 0755) == -1 ||
	    mkdirat(root, "domains", 0755) == -1 ||
	    mkdirat(root, "domains/example.com", 0755) == -1) {
		perror(rootpath);
		return 1;
	}
	test_hostport();
	test_mx_select();
	test_route_for();
	test_self_names();
	ok(unlinkat(root, "domains/example.com", AT_REMOVEDIR) == 0 &&
	    unlinkat(root, "domains", AT_REMOVEDIR) == 0 &&
	    unlinkat(root, "control", AT_REMOVEDIR) == 0 &&
	    rmdir(rootpath) == 0, "temporary root folder left empty");
	close(root);
	return done();
}
