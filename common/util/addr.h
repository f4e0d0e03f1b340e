/*
 * addr.h - the one parser for RFC 5321 paths and mailboxes.
 * A parsed address keeps its local part as written (or unquoted when the
 * quotes were not needed), its local part with quoting removed (for
 * relay checks and lookups), and its domain lowercased without a
 * trailing dot.
 */
#ifndef SNF_ADDR_H
#define SNF_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* RFC 5321 4.5.3.1.3, brackets included */

/* parse options */
#define ADDR_NULL_OK	0x01	/* "<>" allowed (a reverse-path) */
#define ADDR_LAX_LOCAL	0x02	/* local part may exceed 64 (senders) */
#define ADDR_NODOMAIN_OK 0x04	/* "<postmaster>" without a domain */

/* flags of a parsed address */
#define ADDR_F_NULL	0x01	/* the null path <> */
#define ADDR_F_QUOTED	0x02	/* local part needs its quotes */
#define ADDR_F_ROUTE	0x04	/* a source route was given (and ignored) */
#define ADDR_F_LITERAL	0x08	/* domain is an address literal [...] */

enum addr_err {
	ADDR_OK = 0,
	ADDR_ESYNTAX,		/* not in the RFC 5321 grammar */
	ADDR_ELONGPATH,		/* path over 256 octets */
	ADDR_ELONGLOCAL,	/* local part over 64 octets */
	ADDR_ELONGDOMAIN,	/* domain over 255 or a label over 63 */
	ADDR_E8BIT,		/* non-ASCII without SMTPUTF8 */
	ADDR_ENODOMAIN,		/* no @domain */
	ADDR_ENULL		/* <> where a mailbox is required */
};

struct addr {
	char	local[ADDR_PATH_MAX + 1];	/* as it goes on the wire */
	char	plain[ADDR_PATH_MAX + 1];	/* quotes and escapes removed */
	char	domain[ADDR_DOMAIN_MAX + 1];	/* lowercase, "" if none */
	char	full[ADDR_PATH_MAX + 1];	/* local@domain, "" for <> */
	int	flags;
};

int		 addr_parse_path(const char *, size_t, int, struct addr *,
		    size_t *);
int		 addr_parse_mailbox(const char *, size_t, int, struct addr *);
int		 addr_domain_valid(const char *, size_t);
int		 addr_has_routing(const struct addr *);
const char	*addr_strerror(int);

#endif
