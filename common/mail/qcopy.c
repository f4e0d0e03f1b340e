/*
 * qcopy.c - the first size bytes of file from, read with pread(2) (the
 * writer's own offset is not touched), into file to as they are, or
 * deflated when compress is set. The CRC-32 is of the bytes written,
 * as the queue's trailer records it (see snf-queue(5)).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fileio.h"
#include "qcopy.h"

#define CHUNK	65536

/* deflate_out - deflate what is in z into fd; 0, or -1 with why set. */
static int
deflate_out(z_stream *z, int fd, unsigned char *out, int flush,
    uint32_t *crc, const char **why)
{
	int	zr;

	do {
		z->next_out = out;
		z->avail_out = CHUNK;
		zr = deflate(z, flush);
		if (zr == Z_STREAM_ERROR ||
		    write_all(fd, out, CHUNK - z->avail_out) == -1) {
			*why = "unable to write the compressed message";
			return -1;
		}
		*crc = crc32(*crc, out, CHUNK - z->avail_out);
	} while (z->avail_out == 0);
	if (flush == Z_FINISH && zr != Z_STREAM_END) {
		errno = 0;
		*why = "zlib did not finish";
		return -1;
	}
	return 0;
}

/*
 * qcopy - copy; 0 with *crcp set, or -1 with errno (ENOMEM, a failed
 * system call, or 0 when zlib failed) and what went wrong in *why.
 */
int
qcopy(int from, uint64_t size, int to, int compress, uint32_t *crcp,
    const char **why)
{
	unsigned char	*in = NULL, *out = NULL;
	z_stream	 z;
	uint32_t	 crc = crc32(0, NULL, 0);
	off_t		 off = 0;
	ssize_t		 n;
	int		 e;

	*why = NULL;
	memset(&z, 0, sizeof(z));
	if ((in = malloc(CHUNK)) == NULL || (out = malloc(CHUNK)) == NULL ||
	    (compress && deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)) {
		free(in);
		free(out);
		*why = "out of memory";
		errno = ENOMEM;
		return -1;
	}
	do {
		if ((n = pread(from, in, CHUNK, off)) == -1) {
			*why = "unable to read the message back";
			break;
		}
		off += n;
		if (!compress) {
			if (write_all(to, in, (size_t)n) == -1) {
				*why = "unable to copy the message";
				break;
			}
			crc = crc32(crc, in, (uInt)n);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)n;
		if (deflate_out(&z, to, out, (uint64_t)off == size ? Z_FINISH :
		    Z_NO_FLUSH, &crc, why) == -1)
			break;
	} while ((uint64_t)off < size);
	e = errno;
	if (compress)
		deflateEnd(&z);
	free(in);
	free(out);
	if (*why) {
		errno = e;
		return -1;
	}
	*crcp = crc;
	return 0;
}
