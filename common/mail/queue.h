/*
 * queue.h - the queue folder (see snf-queue(5)).
 *
 *   queue/tmp/            files being written; never read by delivery
 *   queue/mail/D/ID       one committed item: a message for domain D
 *
 * An item file is the body (raw, or zlib-compressed), then the envelope
 * text, then a fixed 32-byte trailer "SNF1 <envlen> <bodycrc> <envcrc>\n"
 * (three 8-digit hex numbers). A name under queue/mail/ exists only for
 * a whole, fsync'd file (see qwrite.c for the commit).
 */
#ifndef SNF_QUEUE_H
#define SNF_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#include "envelope.h"

#define QUEUE_TRIGGER	"trigger"	/* in queue/: the FIFO that wakes snf-send */
#define QUEUE_TRAILER	32
#define QUEUE_ID_MAX	32

struct qitem {
	int		 fd;
	off_t		 filesize;
	int64_t		 mtime;		/* when the item is next due */
	off_t		 bodylen;	/* stored body bytes */
	uint32_t	 bodycrc;
	char		*envtext;
	struct envelope	 env;
};

struct qbody {
	int		 fd;
	int		 zlib;
	int		 zdone;
	off_t		 off, end;
	uint32_t	 crc, wantcrc;
	z_stream	 z;
	unsigned char	 in[16384];
};

int	queue_id_make(char *, size_t, int64_t);
int	queue_id_valid(const char *);
int64_t	queue_id_time(const char *);
int	queue_trailer(char *, size_t, uint32_t, uint32_t);
int	qitem_open(int, const char *, struct qitem *);
int	qitem_read(int, struct qitem *);
void	qitem_close(struct qitem *);
int	qbody_open(struct qbody *, const struct qitem *);
ssize_t	qbody_read(struct qbody *, void *, size_t);
void	qbody_close(struct qbody *);
int	qbody_check(struct qitem *);
int	qitem_append_env(int, const struct envelope *, uint32_t);
void	queue_trigger(int);

#endif
