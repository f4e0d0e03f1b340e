/*
 * check.h - snf-check's run: the root folder, the service user it is
 * checked for, and the count of what was found wrong.
 */
#ifndef SNF_CHECK_H
#define SNF_CHECK_H

#include <sys/types.h>

struct chk {
	int		 root;		/* the root folder, open */
	const char	*rootpath;
	uid_t		 uid;		/* the service user */
	gid_t		 gid;		/* and its login group */
	char		 user[64];	/* its name, for messages */
	int		 known;		/* uid/gid are known */
	unsigned long	 problems;	/* lines printed */
	unsigned long	 unshown;	/* problems past the per-folder cap */
	int		 failed;	/* something could not be checked */
};

void	problem(struct chk *, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	cannot(struct chk *, const char *, const char *);

void	check_operator(struct chk *);
void	check_service(struct chk *, const char *);
void	check_files(struct chk *);

#endif
