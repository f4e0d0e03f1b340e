/*
 * etrn.c - ETRN (RFC 1985): the customer's server, back up, asks for its
 * mail now. snf-smtpd leaves a request in queue/etrn/D and wakes
 * snf-send through queue/trigger; delivery happens over a new outbound
 * connection to the domain's primary, never over this session.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "domain.h"
#include "log.h"
#include "qscan.h"
#include "rootdir.h"
#include "smtpd.h"

/* is_printable - s[0..n) is printable ASCII, safe to echo in a reply. */
static int
is_printable(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

/* waiting - 1 when queue/mail/D holds at least one item. */
static int
waiting(int root, const char *domain)
{
	int	dfd, any;

	if ((dfd = rdir_open(root, RD_MAIL, domain, 0)) == -1)
		return 0;
	any = qscan_any(dfd);
	close(dfd);
	return any;
}

/* request - leave queue/etrn/D and poke the trigger; 0 when done. */
static int
request(int root, const char *domain)
{
	int	efd, fd, e;

	if ((efd = rdir_open(root, RD_ETRN, NULL, RD_CREATE)) == -1)
		return -1;
	fd = openat(efd, domain, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	e = errno;
	close(efd);
	if (fd == -1) {
		errno = e;
		return -1;
	}
	close(fd);
	queue_trigger(root);
	return 0;
}

void
cmd_etrn(struct session *s, const char *arg, size_t len)
{
	char	domain[ADDR_DOMAIN_MAX + 1];

	if (!s->greeted) {
		reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->inmail) {
		reply(s, "503 5.5.1 Error: ETRN is not allowed in a mail "
		    "transaction");
		return;
	}
	if (len > 0 && arg[0] == '#') {
		/* echo the name only when it is reply text (RFC 5321 4.2:
		 * printable ASCII): never a control or 8-bit client byte */
		if (is_printable(arg, len))
			reply(s, "459 4.7.1 %.200s: queue names are not "
			    "supported", arg);
		else
			reply(s, "459 4.7.1 queue names are not supported");
		return;
	}
	if (len > 0 && arg[0] == '@') {	/* subdomains: this one only */
		arg++;
		len--;
	}
	if (len > 0 && arg[len - 1] == '.')
		len--;
	if (len == 0 || len > ADDR_DOMAIN_MAX ||
	    addr_domain_valid(arg, len) != ADDR_OK) {
		reply(s, "501 5.5.4 Syntax: ETRN domain");
		return;
	}
	memcpy(domain, arg, len);
	domain[len] = '\0';
	lowercase(domain);
	if (domain_mode(s->root, domain) == DOMAIN_NONE) {
		reply(s, "459 4.7.1 %s: not a domain this host holds mail for",
		    domain);
		return;
	}
	if (!waiting(s->root, domain)) {
		reply(s, "251 2.0.0 %s: no messages waiting", domain);
		return;
	}
	if (request(s->root, domain) == -1) {
		log_event("error ip=%s unable to request delivery for %s",
		    s->ip, domain);
		reply(s, "458 4.3.0 %s: unable to queue messages, try again "
		    "later", domain);
		return;
	}
	log_event("etrn ip=%s domain=%s", s->ip, domain);
	reply(s, "250 2.0.0 Queuing for node %s started", domain);
}
