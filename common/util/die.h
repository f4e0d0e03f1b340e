/*
 * die.h - the end of a program, one line on stderr before it exits:
 * "snf-queue[42]: fatal: unable to open queue/tmp: Permission denied".
 * Only die() and die_sys() exit, and only programs call them: nothing
 * in common/ does.
 */
#ifndef SNF_DIE_H
#define SNF_DIE_H

#include "log.h"

void	die(int, const char *, ...)
	    __attribute__((__noreturn__, __format__(printf, 2, 3)));
void	die_sys(int, const char *, ...)
	    __attribute__((__noreturn__, __format__(printf, 2, 3)));

#endif
