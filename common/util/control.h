/*
 * control.h - the root folder and the small files an operator writes in
 * it: control/NAME for global settings, domains/D/NAME per domain.
 */
#ifndef SNF_CONTROL_H
#define SNF_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CONTROL_MAX	4096	/* one-value control files are small */

const char	*root_path(const char *);
int		 root_open(const char *);
ssize_t		 control_read(int, const char *, char *, size_t);
int		 control_line(int, const char *, char *, size_t);
int		 duration_parse(const char *, int64_t *);
int		 control_flag_read(int, const char *);
int		 control_flag(int, const char *, int);
void		 control_me(int, char *, size_t);

#endif
