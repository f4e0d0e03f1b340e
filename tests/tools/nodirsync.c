/*
 * nodirsync.c - an LD_PRELOAD shim that makes a deliberately weak queue
 * writer: fsync(2) and fdatasync(2) of a folder succeed without doing
 * anything, so no new name is ever flushed. 615-power-control.t runs
 * snf-smtpd with it on the power-loss layer, which must then find
 * acknowledged messages lost. Files are still flushed.
 *
 *   cc -shared -fPIC -o nodirsync.so nodirsync.c
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/syscall.h>

#include <unistd.h>

static int
is_dir(int fd)
{
	struct stat	st;

	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

int
fsync(int fd)
{
	if (is_dir(fd))
		return 0;
	return (int)syscall(SYS_fsync, fd);
}

int
fdatasync(int fd)
{
	if (is_dir(fd))
		return 0;
	return (int)syscall(SYS_fdatasync, fd);
}
