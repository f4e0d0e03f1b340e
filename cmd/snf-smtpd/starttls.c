/*
 * starttls.c - STARTTLS (RFC 3207). Offered after EHLO when the operator
 * has put a certificate chain in control/tls_cert and its key in
 * control/tls_key, both read at each STARTTLS, so that a renewed
 * certificate serves the next connection. After the 220, whatever the
 * client sent behind STARTTLS in clear text is thrown away unread (the
 * command injection of CVE-2011-0411), the handshake must end within
 * the command timeout (and the session's lifetime), and the session
 * starts again: the client says EHLO anew, and STARTTLS is not offered
 * twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "smtpd.h"
#include "tickets.h"
#include "tlsio.h"

#define TLS_CERT	"control/tls_cert"
#define TLS_KEY		"control/tls_key"

/* readable - 0 when file name of the root folder can be read, else errno */
static int
readable(struct session *s, const char *name)
{
	return faccessat(s->root, name, R_OK, 0) == 0 ? 0 : errno;
}

/*
 * tls_offered - STARTTLS is offered to this client now: this build has
 * TLS, the session is not encrypted yet, and both files can be read (a
 * key that does not match its certificate shows only at STARTTLS).
 * Neither file there is no TLS set up; one of them missing or either
 * unreadable is a broken set-up, said once per session.
 */
int
tls_offered(struct session *s)
{
	int	cert, key;

	if (s->tls || !tlsio_available())
		return 0;
	cert = readable(s, TLS_CERT);
	key = readable(s, TLS_KEY);
	if (cert == 0 && key == 0)
		return 1;
	if ((cert == ENOENT && key == ENOENT) || s->tls_warned)
		return 0;
	errno = cert ? cert : key;
	log_warn("ip=%s %s cannot be read: STARTTLS not offered", s->ip,
	    cert ? TLS_CERT : TLS_KEY);
	s->tls_warned = 1;
	return 0;
}

/* setup - the server side, key pair read now; -1 when it cannot be */
static int
setup(struct session *s, struct tlsio **t)
{
	struct tlsio_server	srv;
	char			cert[600], key[600], err[512];

	memset(&srv, 0, sizeof(srv));
	snprintf(cert, sizeof(cert), "%s/%s", s->rootpath, TLS_CERT);
	snprintf(key, sizeof(key), "%s/%s", s->rootpath, TLS_KEY);
	srv.cert = cert;
	srv.key = key;
	tickets_load(s->root, &srv, (int64_t)time(NULL));
	if (tlsio_server(t, &srv, s->in.fd, s->out.fd, err, sizeof(err)) == 0) {
		explicit_bzero(&srv, sizeof(srv));
		return 0;
	}
	explicit_bzero(&srv, sizeof(srv));
	log_event("error ip=%s STARTTLS not available: %s", s->ip, logesc(err));
	return -1;
}

/* started - the session over TLS: everything said before is forgotten */
static void
started(struct session *s, struct tlsio *t)
{
	struct tlsio_info	i;

	s->tls = t;
	s->in.tls = s->out.tls = t;
	txn_reset(s);
	s->greeted = s->esmtp = 0;
	s->helo[0] = '\0';
	tlsio_get_info(t, &i);
	snprintf(s->tlsinfo, sizeof(s->tlsinfo), "%s %s %d", i.version,
	    i.cipher, i.bits);
	log_event("tls ip=%s version=%s cipher=%s bits=%d resumed=%s", s->ip,
	    logesc(i.version), logesc(i.cipher), i.bits, i.resumed ? "yes" :
	    "no");
}

void
cmd_starttls(struct session *s, const char *arg, size_t len)
{
	struct tlsio	*t;
	char		 err[512];
	size_t		 junk;

	(void)arg;
	if (len > 0) {
		reply(s, "501 5.5.4 Syntax: STARTTLS");
		return;
	}
	if (s->tls) {
		reply(s, "503 5.5.1 Error: TLS is already active");
		return;
	}
	if (!s->esmtp || !tls_offered(s)) {
		reply(s, "502 5.5.1 Error: command not implemented");
		return;
	}
	if (s->inmail) {
		reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return;
	}
	if (setup(s, &t) == -1) {
		reply(s, "454 4.7.0 TLS not available due to local problem");
		return;
	}
	reply(s, "220 2.0.0 Ready to start TLS");
	if (outbuf_flush(&s->out) == -1) {
		tlsio_free(t);
		session_close(s, "lost connection at STARTTLS");
	}
	/* clear text behind STARTTLS is never read as a command */
	if ((junk = s->in.w - s->in.r) > 0)
		log_event("starttls ip=%s discarded=%zu bytes sent behind "
		    "STARTTLS", s->ip, junk);
	s->in.r = s->in.w = 0;
	if (tlsio_handshake(t, session_deadline(s), err, sizeof(err)) == -1) {
		tlsio_free(t);
		log_event("lost ip=%s during=STARTTLS reason=%s", s->ip,
		    logesc(err));
		session_close(s, "TLS handshake failed");
	}
	started(s, t);
}
