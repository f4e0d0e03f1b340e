/*
 * smtpline.h - read one CRLF-terminated SMTP line (command or reply).
 */
#ifndef SNF_SMTPLINE_H
#define SNF_SMTPLINE_H

#include <stdint.h>
#include <sys/types.h>

#include "io.h"

#define SMTP_CMD_MAX	512	/* command line incl. CRLF, RFC 5321 4.5.3.1.4 */
#define SMTP_REPLY_MAX	512	/* reply line incl. CRLF, RFC 5321 4.5.3.1.5 */

ssize_t	smtp_getline(struct inbuf *, char *, size_t, int64_t);

#endif
