/*
 * rootdir.h - the fixed folders of the root folder, opened in one place
 * (rootdir.c), so that a rule about how they are opened is one change:
 *
 *   queue/  queue/tmp/  queue/mail/D/  queue/hold/D/  queue/state/
 *   queue/etrn/  cache/D/  domains/D/  control/
 */
#ifndef SNF_ROOTDIR_H
#define SNF_ROOTDIR_H

#include <stddef.h>
#include <sys/types.h>

enum rdir {
	RD_QUEUE,	/* queue */
	RD_TMP,		/* queue/tmp: files being written */
	RD_MAIL,	/* queue/mail[/D]: items waiting for delivery */
	RD_HOLD,	/* queue/hold[/D]: items held one by one */
	RD_STATE,	/* queue/state: one file per destination domain */
	RD_ETRN,	/* queue/etrn: delivery requests, one per domain */
	RD_CACHE,	/* cache[/D]: the recipient cache */
	RD_DOMAINS,	/* domains[/D]: the protected domains' settings */
	RD_CONTROL	/* control: the global settings */
};

#define RD_CREATE	0x01	/* make the folder, and the levels above */

int		 rdir_open(int, int, const char *, int);
const char	*rdir_name(int);
int		 rdir_path(char *, size_t, int, const char *, const char *);
ssize_t		 rdir_read(int, int, const char *, const char *, char *,
		    size_t);
int		 rdir_flush(int);

#endif
