/*
 * privs.h - who the programs run as (privs.c): the service user owns
 * queue/ and cache/, the operator owns control/ and domains/.
 */
#ifndef SNF_PRIVS_H
#define SNF_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

int		 privs_service(int, const char *, char *, size_t);
int		 privs_root(void);
const char	*privs_who(uid_t, char *, size_t);

#endif
