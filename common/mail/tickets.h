/*
 * tickets.h - the keys of TLS session tickets (tickets.c): loaded by
 * snf-smtpd at STARTTLS, rotated by snf-expire.
 */
#ifndef SNF_TICKETS_H
#define SNF_TICKETS_H

#include <stdint.h>

#include "tlsio.h"

#define TICKET_LIFETIME	7200	/* seconds a session can be resumed */
#define TICKET_ROTATE	3600	/* a new key when the newest is older */

void	tickets_load(int, struct tlsio_server *, int64_t);
int	tickets_rotate(int, int64_t);

#endif
