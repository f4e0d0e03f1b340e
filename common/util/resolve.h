/*
 * resolve.h - the addresses of a host name, without the C library's
 * name service switch: an address literal, /etc/hosts, then DNS A and
 * AAAA records. Programs linked statically can use it safely.
 */
#ifndef SNF_RESOLVE_H
#define SNF_RESOLVE_H

#include <sys/socket.h>

#define RESOLVE_MAX	16

struct resolved {
	int			n;
	struct sockaddr_storage	a[RESOLVE_MAX];
	socklen_t		len[RESOLVE_MAX];
};

int	resolve_host(const char *, unsigned short, struct resolved *,
	    char *, size_t);
int	resolve_hosts_file(const char *, const char *, unsigned short,
	    struct resolved *);

#endif
