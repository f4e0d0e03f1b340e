/*
 * tlsio.c - libtls glue. TLS 1.2 and 1.3 only, libtls's defaults for
 * the ciphers. The library is set up only when a connection starts TLS,
 * so a session that never says STARTTLS costs nothing here. Every wait
 * (the handshake, a read, a write, the close) is a poll(2) bounded by
 * the caller's deadline on the monotonic clock (io.h): the descriptors
 * are non-blocking, and libtls says which way it waits.
 *
 * Session tickets (RFC 5077, and TLS 1.3's) let a returning sender skip
 * the full handshake although every connection is a new process: the
 * keys come from the caller (a file kept by snf-expire), and a fixed
 * session id context makes a ticket one process issued good in another.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "tlsio.h"

#ifdef HAVE_TLS
#include <tls.h>

struct tlsio {
	struct tls_config	*cfg;
	struct tls		*ctx;	/* the server, or the client */
	struct tls		*conn;	/* the connection (the client's is ctx) */
	int			 rfd, wfd;
	int			 verify;
};

static const unsigned char	session_id[] = "snf-smtpd";

int
tlsio_available(void)
{
	return 1;
}

static void
say(char *err, size_t size, const char *what, const char *why)
{
	snprintf(err, size, "%s: %s", what, why ? why : "unknown error");
}

/* start - the library and a configuration for TLS 1.2 and 1.3. */
static struct tlsio *
start(char *err, size_t size)
{
	static int	 done;
	struct tlsio	*t;

	if (!done && tls_init() == -1) {
		say(err, size, "TLS", "the library cannot start");
		return NULL;
	}
	done = 1;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->cfg = tls_config_new()) == NULL) {
		free(t);
		say(err, size, "TLS", "out of memory");
		return NULL;
	}
	t->rfd = t->wfd = -1;
	if (tls_config_set_protocols(t->cfg, TLS_PROTOCOL_TLSv1_2 |
	    TLS_PROTOCOL_TLSv1_3) == -1) {
		say(err, size, "TLS protocols", tls_config_error(t->cfg));
		tlsio_free(t);
		return NULL;
	}
	return t;
}

/* tickets - the session ticket keys, oldest first: the last is used */
static int
tickets(struct tlsio *t, const struct tlsio_server *s, char *err, size_t size)
{
	unsigned	i;

	if (s->lifetime <= 0 || s->nkeys == 0)
		return 0;
	if (tls_config_set_session_id(t->cfg, session_id,
	    sizeof(session_id) - 1) == -1 ||
	    tls_config_set_session_lifetime(t->cfg, s->lifetime) == -1) {
		say(err, size, "TLS sessions", tls_config_error(t->cfg));
		return -1;
	}
	for (i = s->nkeys; i-- > 0; )
		if (tls_config_add_ticket_key(t->cfg, s->keyrev[i],
		    (unsigned char *)s->keys[i], TLSIO_TICKET_KEY) == -1) {
			say(err, size, "TLS ticket key", tls_config_error(t->cfg));
			return -1;
		}
	return 0;
}

/*
 * tlsio_server - TLS as the server over descriptors rfd and wfd, the
 * key pair read now. -1 with err when it cannot be set up (a key that
 * does not match its certificate is found here): nothing has been said
 * to the peer yet.
 */
int
tlsio_server(struct tlsio **tp, const struct tlsio_server *s, int rfd, int wfd,
    char *err, size_t size)
{
	struct tlsio	*t;

	*tp = NULL;
	if ((t = start(err, size)) == NULL)
		return -1;
	if (tls_config_set_keypair_file(t->cfg, s->cert, s->key) == -1) {
		say(err, size, "TLS key pair", tls_config_error(t->cfg));
		goto fail;
	}
	if (tickets(t, s, err, size) == -1)
		goto fail;
	if ((t->ctx = tls_server()) == NULL) {
		say(err, size, "TLS", "out of memory");
		goto fail;
	}
	if (tls_configure(t->ctx, t->cfg) == -1) {
		say(err, size, "TLS key pair", tls_error(t->ctx));
		goto fail;
	}
	if (tls_accept_fds(t->ctx, &t->conn, rfd, wfd) == -1) {
		say(err, size, "TLS", tls_error(t->ctx));
		goto fail;
	}
	t->rfd = rfd;
	t->wfd = wfd;
	*tp = t;
	return 0;
fail:
	tlsio_free(t);
	return -1;
}

/*
 * tlsio_client - TLS as the client over the connected socket fd: with
 * verify, the server's certificate must chain to the trust store (or
 * cafile) and name the host name given; else any certificate is taken
 * (encryption without authentication, as opportunistic TLS is).
 */
int
tlsio_client(struct tlsio **tp, const struct tlsio_client *c, int fd,
    char *err, size_t size)
{
	struct tlsio	*t;

	*tp = NULL;
	if ((t = start(err, size)) == NULL)
		return -1;
	t->verify = c->verify;
	if (!c->verify) {
		tls_config_insecure_noverifycert(t->cfg);
		tls_config_insecure_noverifyname(t->cfg);
	} else if (c->cafile && tls_config_set_ca_file(t->cfg, c->cafile) == -1) {
		say(err, size, "TLS CA file", tls_config_error(t->cfg));
		goto fail;
	}
	if ((t->ctx = tls_client()) == NULL) {
		say(err, size, "TLS", "out of memory");
		goto fail;
	}
	if (tls_configure(t->ctx, t->cfg) == -1 ||
	    tls_connect_fds(t->ctx, fd, fd, c->name) == -1) {
		say(err, size, "TLS", tls_error(t->ctx));
		goto fail;
	}
	t->conn = t->ctx;
	t->rfd = t->wfd = fd;
	*tp = t;
	return 0;
fail:
	tlsio_free(t);
	return -1;
}

/* await - poll for what libtls wants (TLS_WANT_*) until the deadline. */
static int
await(struct tlsio *t, ssize_t want, int64_t deadline)
{
	struct pollfd	pfd;
	int64_t		left;
	int		n;

	pfd.fd = want == TLS_WANT_POLLIN ? t->rfd : t->wfd;
	pfd.events = want == TLS_WANT_POLLIN ? POLLIN : POLLOUT;
	for (;;) {
		if ((left = deadline - mono_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/* tlsio_handshake - the handshake, before deadline; -1 with err. */
int
tlsio_handshake(struct tlsio *t, int64_t deadline, char *err, size_t size)
{
	int	r;

	for (;;) {
		r = tls_handshake(t->conn);
		if (r == 0)
			return 0;
		if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) {
			say(err, size, "TLS handshake", tls_error(t->conn));
			errno = EPROTO;
			return -1;
		}
		if (await(t, r, deadline) == -1) {
			say(err, size, "TLS handshake", errno == ETIMEDOUT ?
			    "timeout" : strerror(errno));
			return -1;
		}
	}
}

void
tlsio_get_info(struct tlsio *t, struct tlsio_info *i)
{
	const char	*s;

	memset(i, 0, sizeof(*i));
	if ((s = tls_conn_version(t->conn)) != NULL)
		strlcpy(i->version, s, sizeof(i->version));
	if ((s = tls_conn_cipher(t->conn)) != NULL)
		strlcpy(i->cipher, s, sizeof(i->cipher));
	i->bits = tls_conn_cipher_strength(t->conn);
	i->resumed = tls_conn_session_resumed(t->conn) == 1;
	i->verified = t->verify;
}

/*
 * tlsio_read - up to n bytes: the count, 0 at the end (the peer closed,
 * with close_notify or not), -1 with errno (ETIMEDOUT, EPROTO).
 */
ssize_t
tlsio_read(struct tlsio *t, void *p, size_t n, int64_t deadline)
{
	ssize_t	r;

	for (;;) {
		r = tls_read(t->conn, p, n);
		if (r >= 0)
			return r;
		if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) {
			errno = EPROTO;
			return -1;
		}
		if (await(t, r, deadline) == -1)
			return -1;
	}
}

/* tlsio_write - all n bytes before deadline; 0, or -1 with errno. */
int
tlsio_write(struct tlsio *t, const void *p, size_t n, int64_t deadline)
{
	const char	*s = p;
	ssize_t		 r;

	while (n > 0) {
		r = tls_write(t->conn, s, n);
		if (r > 0) {
			s += r;
			n -= (size_t)r;
			continue;
		}
		if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) {
			errno = EPIPE;
			return -1;
		}
		if (await(t, r, deadline) == -1)
			return -1;
	}
	return 0;
}

/* tlsio_close - close_notify, without waiting past deadline. */
void
tlsio_close(struct tlsio *t, int64_t deadline)
{
	int	r;

	if (t == NULL || t->conn == NULL)
		return;
	while ((r = tls_close(t->conn)) == TLS_WANT_POLLIN ||
	    r == TLS_WANT_POLLOUT)
		if (await(t, r, deadline) == -1)
			break;
}

void
tlsio_free(struct tlsio *t)
{
	if (t == NULL)
		return;
	if (t->conn && t->conn != t->ctx)
		tls_free(t->conn);
	if (t->ctx)
		tls_free(t->ctx);
	if (t->cfg)
		tls_config_free(t->cfg);
	free(t);
}

#else	/* no libtls: nothing starts */

int
tlsio_available(void)
{
	return 0;
}

static int
none(char *err, size_t size)
{
	snprintf(err, size, "TLS: this build has no TLS (no libtls)");
	errno = ENOTSUP;
	return -1;
}

int
tlsio_server(struct tlsio **tp, const struct tlsio_server *s, int rfd, int wfd,
    char *err, size_t size)
{
	(void)s; (void)rfd; (void)wfd;
	*tp = NULL;
	return none(err, size);
}

int
tlsio_client(struct tlsio **tp, const struct tlsio_client *c, int fd,
    char *err, size_t size)
{
	(void)c; (void)fd;
	*tp = NULL;
	return none(err, size);
}

int
tlsio_handshake(struct tlsio *t, int64_t deadline, char *err, size_t size)
{
	(void)t; (void)deadline;
	return none(err, size);
}

void
tlsio_get_info(struct tlsio *t, struct tlsio_info *i)
{
	(void)t;
	memset(i, 0, sizeof(*i));
}

ssize_t
tlsio_read(struct tlsio *t, void *p, size_t n, int64_t deadline)
{
	(void)t; (void)p; (void)n; (void)deadline;
	errno = ENOTSUP;
	return -1;
}

int
tlsio_write(struct tlsio *t, const void *p, size_t n, int64_t deadline)
{
	(void)t; (void)p; (void)n; (void)deadline;
	errno = ENOTSUP;
	return -1;
}

void
tlsio_close(struct tlsio *t, int64_t deadline)
{
	(void)t; (void)deadline;
}

void
tlsio_free(struct tlsio *t)
{
	(void)t;
}

#endif
