/*
 * exitcodes.h - the exit status every snf program uses (qmail's convention).
 * 0: done. 100: permanent failure or usage error, do not retry.
 * 111: temporary failure (a system call failed), try again later.
 */
#ifndef SNF_EXITCODES_H
#define SNF_EXITCODES_H

#define SNF_EXIT_OK	0
#define SNF_EXIT_PERM	100
#define SNF_EXIT_TEMP	111

#endif
