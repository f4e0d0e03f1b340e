/*
 * domain.h - what the root folder says about one domain: protected or
 * not, in which mode, and whether a recipient is on its user list.
 */
#ifndef SNF_DOMAIN_H
#define SNF_DOMAIN_H

#include <stddef.h>

#include "addr.h"

enum domain_mode {
	DOMAIN_NONE,		/* not protected: relaying denied */
	DOMAIN_USER,		/* userprotect: the users list decides */
	DOMAIN_CLOUD,		/* cloudprotect: the primary decides */
	DOMAIN_BROKEN		/* domains/D/mode unreadable or unknown */
};

enum domain_mode	 domain_mode(int, const char *);
int			 domain_held(int, const char *);
int			 domain_user_listed(int, const struct addr *);
int			 domain_path(char *, size_t, const char *, const char *);
void			 lowercase(char *);
const char		*domain_user_key(const char *, const char *, char *,
			    size_t);
struct stat;
void			 domain_stamp(const struct stat *, char *, size_t);

/* users.cdb key for the stamp of its source; no address has a ^A */
#define DOMAIN_CDB_STAMP	"\001users"

#endif
