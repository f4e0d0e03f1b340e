/*
 * qcopy.h - copying a message body from one file to another, deflated
 * (zlib format) or as it is, with the checksum of what was written
 * (qcopy.c): how the queue writer makes an item that is a copy.
 */
#ifndef SNF_QCOPY_H
#define SNF_QCOPY_H

#include <stdint.h>

int	qcopy(int, uint64_t, int, int, uint32_t *, const char **);

#endif
