/*
 * tlsio.h - TLS on an open connection (tlsio.c, the one file that
 * speaks to libtls): a server side for STARTTLS in snf-smtpd, a client
 * side for STARTTLS to a primary, and reads and writes with deadlines
 * for io.c. Without libtls at build time every start fails (ENOTSUP)
 * and tlsio_available() says so.
 */
#ifndef SNF_TLSIO_H
#define SNF_TLSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLSIO_TICKET_KEY	48	/* bytes of one session ticket key */
#define TLSIO_TICKET_KEYS	2	/* the current one and the one before */

struct tlsio;

struct tlsio_server {		/* what snf-smtpd offers */
	const char	*cert;		/* PEM chain, path */
	const char	*key;		/* its private key, path */
	unsigned	 nkeys;		/* session ticket keys, newest first */
	uint32_t	 keyrev[TLSIO_TICKET_KEYS];
	unsigned char	 keys[TLSIO_TICKET_KEYS][TLSIO_TICKET_KEY];
	int		 lifetime;	/* of a session, seconds (0: no tickets) */
};

struct tlsio_client {		/* what a client of a primary asks */
	int		 verify;	/* check the certificate and the name */
	const char	*name;		/* the name to check (and SNI), or NULL */
	const char	*cafile;	/* trust these, NULL: the system's */
};

struct tlsio_info {
	char	version[32];
	char	cipher[96];
	int	bits;
	int	resumed;
	int	verified;	/* client: the peer's certificate and name */
};

int	tlsio_available(void);
int	tlsio_server(struct tlsio **, const struct tlsio_server *, int, int,
	    char *, size_t);
int	tlsio_client(struct tlsio **, const struct tlsio_client *, int,
	    char *, size_t);
int	tlsio_handshake(struct tlsio *, int64_t, char *, size_t);
void	tlsio_get_info(struct tlsio *, struct tlsio_info *);
ssize_t	tlsio_read(struct tlsio *, void *, size_t, int64_t);
int	tlsio_write(struct tlsio *, const void *, size_t, int64_t);
void	tlsio_close(struct tlsio *, int64_t);
void	tlsio_free(struct tlsio *);

#endif
