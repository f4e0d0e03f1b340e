/*
 * files.c - the files the service uses and the operator provides: the
 * TLS key pair that snf-smtpd reads at each STARTTLS, and the alert
 * programs that snf-send runs. Each is tried as the service user (a
 * child process that becomes that user), as the service will meet it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dirlist.h"
#include "log.h"
#include "tlsio.h"
#include "check.h"

#define TLS_CERT	"control/tls_cert"
#define TLS_KEY		"control/tls_key"

typedef int	(*tryfn)(struct chk *, const char *, char *, size_t);

/*
 * as_service - fn(c, path, why) in a child that is the service user:
 * 0 when it says yes, 1 with its reason in why, -1 when it cannot be
 * tried (not root, and not the service user).
 */
static int
as_service(struct chk *c, tryfn fn, const char *path, char *why,
    size_t size)
{
	pid_t	pid;
	ssize_t	n;
	size_t	got = 0;
	int	p[2], st;

	if (geteuid() != 0 && geteuid() != c->uid)
		return -1;
	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		if (geteuid() == 0 && (setgroups(1, &c->gid) == -1 ||
		    setgid(c->gid) == -1 || setuid(c->uid) == -1))
			_exit(2);
		if ((st = fn(c, path, why, size)) == 0)
			_exit(0);
		_exit(write(p[1], why, strlen(why)) == -1 ? 2 : 1);
	}
	close(p[1]);
	while (got + 1 < size &&
	    (n = read(p[0], why + got, size - 1 - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		got += (size_t)n;
	}
	why[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 2)
		return -1;
	return WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* try_pair - the key pair loads, as snf-smtpd loads it at STARTTLS */
static int
try_pair(struct chk *c, const char *unused, char *why, size_t size)
{
	struct tlsio_server	 srv;
	struct tlsio		*t;
	char			 cert[4096], key[4096];
	int			 sv[2];

	(void)unused;
	snprintf(cert, sizeof(cert), "%s/%s", c->rootpath, TLS_CERT);
	snprintf(key, sizeof(key), "%s/%s", c->rootpath, TLS_KEY);
	if (access(cert, R_OK) == -1 || access(key, R_OK) == -1) {
		snprintf(why, size, "%s", strerror(errno));
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		snprintf(why, size, "socketpair: %s", strerror(errno));
		return 1;
	}
	memset(&srv, 0, sizeof(srv));
	srv.cert = cert;
	srv.key = key;
	if (tlsio_server(&t, &srv, sv[0], sv[0], why, size) == -1)
		return 1;
	tlsio_free(t);
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* check_tls - control/tls_cert and control/tls_key, both or neither */
static void
check_tls(struct chk *c)
{
	struct stat	st;
	char		why[512];
	int		cert, key;

	cert = fstatat(c->root, TLS_CERT, &st, 0) == 0;
	key = fstatat(c->root, TLS_KEY, &st, 0) == 0;
	if (!cert && !key)
		return;
	if (cert != key) {
		problem(c, cert ? TLS_CERT : TLS_KEY, "is there without %s: "
		    "STARTTLS is not offered", cert ? TLS_KEY : TLS_CERT);
		return;
	}
	if (st.st_mode & 004)
		problem(c, TLS_KEY, "the private key is readable by everyone "
		    "(mode %04o): chmod o-r %s/%s, and give it to the "
		    "service's group", (unsigned)(st.st_mode & 07777),
		    c->rootpath, TLS_KEY);
	if (!tlsio_available()) {
		problem(c, TLS_CERT, "this build of snf has no TLS: STARTTLS "
		    "is not offered");
		return;
	}
	if (!c->known)
		return;
	switch (as_service(c, try_pair, NULL, why, sizeof(why))) {
	case 0:
		break;
	case 1:
		problem(c, TLS_KEY, "the service user %s cannot use the key "
		    "pair (%s): STARTTLS is not offered or fails with 454",
		    c->user, why);
		break;
	default:
		log_warnx("the key pair can only be tried by root or by %s",
		    c->user);
		c->failed = 1;
	}
}

/* try_exec - path is a program the service user may run */
static int
try_exec(struct chk *c, const char *path, char *why, size_t size)
{
	struct stat	st;
	char		full[4096];

	snprintf(full, sizeof(full), "%s/%s", c->rootpath, path);
	if (stat(full, &st) == -1 || access(full, X_OK) == -1) {
		snprintf(why, size, "%s", strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, size, "not a file");
		return 1;
	}
	return 0;
}

static void
check_alert(struct chk *c, const char *path)
{
	struct stat	st;
	char		why[512];

	if (fstatat(c->root, path, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return;
	switch (c->known ? as_service(c, try_exec, path, why,
	    sizeof(why)) : 0) {
	case 0:
		break;
	case 1:
		problem(c, path, "the service user %s cannot run it (%s): the "
		    "alert never runs", c->user, why);
		break;
	default:
		log_warnx("%s/%s can only be tried by root or by %s",
		    c->rootpath, path, c->user);
		c->failed = 1;
	}
}

static int
alert_one(int dirfd, const char *name, void *arg)
{
	char	path[600];

	(void)dirfd;
	if (name[0] == '.')
		return 0;
	snprintf(path, sizeof(path), "domains/%s/alert", name);
	check_alert(arg, path);
	return 0;
}

/* check_files - the key pair, the alert programs */
void
check_files(struct chk *c)
{
	int	fd;

	check_tls(c);
	check_alert(c, "control/alert");
	if ((fd = openat(c->root, "domains", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;		/* check_operator said why */
	if (dir_each(fd, alert_one, c) == -1)
		cannot(c, "domains", "read");
	close(fd);
}
