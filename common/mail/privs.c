/*
 * privs.c - who the programs run as. The root folder has two owners:
 * the operator (root) owns the root folder, control/ and domains/; the
 * service user, the one snf-smtpd runs as under tcpserver -u/-g, owns
 * queue/ and cache/ and everything in them. A program started by root
 * takes the identity of queue/'s owner, for good, before it reads or
 * writes a file of queue/ or cache/: whatever it makes is the service's,
 * so snf-send running as that user can deliver it, and a link planted
 * by the service user (or by whoever took snf-smtpd over) gets it
 * nothing that user could not do already. snf-smtpd, which talks to
 * the network, never runs as root. Below the root folder, rootdir.c
 * refuses a folder of queue/ or cache/ that is a link or belongs to
 * someone else.
 */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"

/* privs_root - this process has root's powers, or may get them back. */
int
privs_root(void)
{
	return getuid() == 0 || geteuid() == 0;
}

/* privs_who - "root", "snf (uid 999)" or "uid 1234" for messages. */
const char *
privs_who(uid_t uid, char *buf, size_t size)
{
	struct passwd	*pw;

	if (uid == 0)
		snprintf(buf, size, "root");
	else if ((pw = getpwuid(uid)) != NULL)
		snprintf(buf, size, "%s (uid %lu)", pw->pw_name,
		    (unsigned long)uid);
	else
		snprintf(buf, size, "uid %lu", (unsigned long)uid);
	return buf;
}

/* become - uid and gid, for good: groups first, the user last. */
static int
become(uid_t uid, gid_t gid)
{
	if (setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1)
		return -1;
	if (setuid(0) != -1 || getuid() != uid || geteuid() != uid ||
	    getgid() != gid || getegid() != gid) {
		errno = EPERM;	/* root's powers must be gone */
		return -1;
	}
	/*
	 * The process holds nothing its new user could not read: let that
	 * user's tools (a debugger, the leak checker of a sanitized build)
	 * look at it, as they could had it been started as that user.
	 */
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return 0;
}

/*
 * privs_service - when started by root, become the owner of queue/ (and
 * its login group). Nothing to do for anyone else: rootdir.c checks
 * that each folder opened below queue/ and cache/ is theirs. Returns 0,
 * or -1 with the reason in why: queue/ missing, a link, not a folder,
 * or root's (the service could not write it).
 */
int
privs_service(int root, const char *rootpath, char *why, size_t size)
{
	struct stat	 st;
	struct passwd	*pw;
	gid_t		 gid;

	if (!privs_root())
		return 0;
	if (fstatat(root, "queue", &st, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(why, size, "%s/queue: %s; make the root folder with "
		    "snf-setup -d %s -u USER", rootpath, strerror(errno),
		    rootpath);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, size, "%s/queue is %s: refused", rootpath,
		    S_ISLNK(st.st_mode) ? "a symbolic link" : "not a folder");
		return -1;
	}
	if (st.st_uid == 0) {
		snprintf(why, size, "%s/queue belongs to root, and snf-smtpd "
		    "never runs as root: give it to the service user with "
		    "snf-setup -d %s -u USER", rootpath, rootpath);
		return -1;
	}
	pw = getpwuid(st.st_uid);
	gid = pw ? pw->pw_gid : st.st_gid;
	if (gid == 0) {
		snprintf(why, size, "%s/queue: its owner has root's group; "
		    "give the service user a group of its own", rootpath);
		return -1;
	}
	if (become(st.st_uid, gid) == -1) {
		snprintf(why, size, "unable to become the owner of %s/queue "
		    "(uid %lu): %s", rootpath, (unsigned long)st.st_uid,
		    strerror(errno));
		return -1;
	}
	return 0;
}
