/*
 * die.h - fatal errors and warnings, one line each on stderr:
 * "snf-queue: fatal: unable to open queue/tmp: Permission denied".
 * Only die() and die_sys() exit; nothing else in common/ does.
 */
#ifndef SNF_DIE_H
#define SNF_DIE_H

extern const char *progname;

void	die(int, const char *, ...)
	    __attribute__((__noreturn__, __format__(printf, 2, 3)));
void	die_sys(int, const char *, ...)
	    __attribute__((__noreturn__, __format__(printf, 2, 3)));
void	warnx_(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	warn_sys(const char *, ...) __attribute__((__format__(printf, 1, 2)));

#endif
