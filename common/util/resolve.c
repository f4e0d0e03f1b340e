/*
 * resolve.c - host name to addresses for the SMTP client. getaddrinfo()
 * would load NSS modules at run time, which a static program cannot do
 * safely; what snf needs is small: an address literal, /etc/hosts, and
 * DNS A and AAAA records through the resolver library.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "resolve.h"

static void
add(struct resolved *r, int family, const void *ip, unsigned short port)
{
	struct sockaddr_in	*s4;
	struct sockaddr_in6	*s6;

	if (r->n == RESOLVE_MAX)
		return;
	memset(&r->a[r->n], 0, sizeof(r->a[r->n]));
	if (family == AF_INET) {
		s4 = (struct sockaddr_in *)&r->a[r->n];
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, ip, 4);
		r->len[r->n++] = sizeof(*s4);
	} else {
		s6 = (struct sockaddr_in6 *)&r->a[r->n];
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, ip, 16);
		r->len[r->n++] = sizeof(*s6);
	}
}

/* literal - host is an IPv4 or IPv6 address. */
static int
literal(const char *host, unsigned short port, struct resolved *r)
{
	unsigned char	ip[16];

	if (inet_pton(AF_INET, host, ip) == 1)
		add(r, AF_INET, ip, port);
	else if (inet_pton(AF_INET6, host, ip) == 1)
		add(r, AF_INET6, ip, port);
	return r->n;
}

/*
 * resolve_hosts_file - the addresses a hosts(5) file gives host, name or
 * alias, compared without regard to case. Returns how many.
 */
int
resolve_hosts_file(const char *file, const char *host, unsigned short port,
    struct resolved *r)
{
	FILE		*f;
	char		 line[1024], *w, *save, *ipw;
	unsigned char	 ip[16];
	int		 fam;

	if ((f = fopen(file, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL && r->n < RESOLVE_MAX) {
		line[strcspn(line, "#\n")] = '\0';
		if ((ipw = strtok_r(line, " \t", &save)) == NULL)
			continue;
		if (inet_pton(AF_INET, ipw, ip) == 1)
			fam = AF_INET;
		else if (inet_pton(AF_INET6, ipw, ip) == 1)
			fam = AF_INET6;
		else
			continue;
		while ((w = strtok_r(NULL, " \t", &save)) != NULL)
			if (strcasecmp(w, host) == 0) {
				add(r, fam, ip, port);
				break;
			}
	}
	fclose(f);
	return r->n;
}

/* dns - the host's records of type t (A or AAAA). 0 ok, -1 failure. */
static int
dns(const char *host, int t, unsigned short port, struct resolved *r)
{
	unsigned char	ans[4096];
	ns_msg		msg;
	ns_rr		rr;
	int		len, i;

	len = res_query(host, ns_c_in, t, ans, sizeof(ans));
	if (len < 0)
		return h_errno == HOST_NOT_FOUND || h_errno == NO_DATA ? 0 : -1;
	if (ns_initparse(ans, len, &msg) == -1)
		return -1;
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) == -1 ||
		    (int)ns_rr_type(rr) != t)
			continue;
		if (t == ns_t_a && ns_rr_rdlen(rr) == 4)
			add(r, AF_INET, ns_rr_rdata(rr), port);
		else if (t == ns_t_aaaa && ns_rr_rdlen(rr) == 16)
			add(r, AF_INET6, ns_rr_rdata(rr), port);
	}
	return 0;
}

/*
 * resolve_host - the addresses of host, port filled in. Returns how many
 * (0: none exist), or -1 when DNS could not answer; why says what.
 */
int
resolve_host(const char *host, unsigned short port, struct resolved *r,
    char *why, size_t wn)
{
	int	a, aaaa;

	r->n = 0;
	if (literal(host, port, r) > 0 ||
	    resolve_hosts_file("/etc/hosts", host, port, r) > 0)
		return r->n;
	a = dns(host, ns_t_a, port, r);
	aaaa = dns(host, ns_t_aaaa, port, r);
	if (r->n > 0)
		return r->n;
	if (a == -1 || aaaa == -1) {
		snprintf(why, wn, "cannot resolve %s: DNS did not answer", host);
		return -1;
	}
	snprintf(why, wn, "cannot resolve %s: no such host", host);
	return 0;
}
