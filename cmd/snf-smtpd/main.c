/*
 * snf-smtpd - SMTP server for one connection on fds 0 and 1, started by
 * tcpserver, s6-tcpserver or inetd. Accepts mail only for protected
 * domains and hands each message to snf-queue; see snf-smtpd(8).
 *
 *   snf-smtpd [-d DIR]
 */
#include <arpa/inet.h>
#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "die.h"
#include "envelope.h"
#include "exitcodes.h"
#include "log.h"
#include "qinject.h"
#include "smtpd.h"

static struct session	sess;

/* env_ip - TCPREMOTEIP if it is an IP address, else "unknown". */
static void
env_ip(struct session *s)
{
	unsigned char	 tmp[16];
	const char	*e = getenv("TCPREMOTEIP");

	strlcpy(s->ip, "unknown", sizeof(s->ip));
	if (e && (inet_pton(AF_INET, e, tmp) == 1 ||
	    inet_pton(AF_INET6, e, tmp) == 1))
		strlcpy(s->ip, e, sizeof(s->ip));
}

/* env_host - TCPREMOTEHOST if it looks like a host name, else "". */
static void
env_host(struct session *s)
{
	const char	*e = getenv("TCPREMOTEHOST"), *p;

	s->host[0] = '\0';
	if (e == NULL || strlen(e) >= sizeof(s->host))
		return;
	for (p = e; *p; p++)
		if (!isascii((unsigned char)*p) || !(isalnum((unsigned char)*p) ||
		    *p == '.' || *p == '-'))
			return;
	strlcpy(s->host, e, sizeof(s->host));
}

/*
 * setting - a numeric control file, warning about a bad one. A value of
 * 0 where 0 makes no sense (min 1) means the default.
 */
static uint64_t
setting(int root, const char *name, uint64_t dflt, uint64_t min, uint64_t max)
{
	uint64_t	v;

	if (control_uint(root, name, dflt, &v) == -1) {
		log_event("warning %s is not a number: using %llu", name,
		    (unsigned long long)dflt);
		return dflt;
	}
	if (v < min)
		return dflt;
	return v > max ? max : v;
}

static int64_t
seconds(int root, const char *name, int64_t dflt)
{
	int64_t	v;

	if (control_duration(root, name, dflt, &v) == -1) {
		log_event("warning %s is not a duration: using %llds", name,
		    (long long)dflt);
		return dflt;
	}
	return v > 86400 ? 86400 : v;
}

static void
settings(struct session *s)
{
	int	r = s->root;

	control_me(r, s->me, sizeof(s->me));
	/* databytes 0: no limit (and EHLO says SIZE 0, RFC 1870) */
	s->databytes = setting(r, "control/databytes", DEF_DATABYTES, 0,
	    UINT64_C(1) << 40);
	s->minfree = setting(r, "control/queue_minfree", 0, 0, UINT64_MAX);
	s->maxrcpt = (unsigned)setting(r, "control/maxrcpt", DEF_MAXRCPT, 1,
	    ENV_RCPT_MAX);
	s->maxhops = (unsigned)setting(r, "control/maxhops", DEF_MAXHOPS, 1,
	    1000);
	s->softerr = (unsigned)setting(r, "control/softerrors", DEF_SOFTERR, 0,
	    1000);
	s->harderr = (unsigned)setting(r, "control/harderrors", DEF_HARDERR, 1,
	    1000);
	s->junkmax = (unsigned)setting(r, "control/junkcommands", DEF_JUNK, 1,
	    100000);
	s->datarate = setting(r, "control/datarate", DEF_DATARATE, 1, 1U << 30);
	s->timeout_ms = seconds(r, "control/timeout", DEF_TIMEOUT) * 1000;
	if (s->timeout_ms == 0)
		s->timeout_ms = 1000;
	s->errsleep_ms = seconds(r, "control/errorsleep", DEF_ERRSLEEP) * 1000;
	s->greetdelay_ms = seconds(r, "control/greetdelay", 0) * 1000;
}

int
main(int argc, char **argv)
{
	struct session	*s = &sess;
	const char	*dir = NULL;
	int		 ch;

	progname = "snf-smtpd";
	while ((ch = getopt(argc, argv, "d:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		default:
			die(SNF_EXIT_PERM, "usage: snf-smtpd [-d dir]");
		}
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);	/* an inherited SIG_IGN would reap snf-queue */
	umask(077);
	env_ip(s);
	env_host(s);
	outbuf_init(&s->out, 1, DEF_TIMEOUT * 1000);
	inbuf_init(&s->in, 0, &s->out);
	s->rootpath = root_path(dir);
	if ((s->root = root_open(dir)) == -1) {
		log_event("error ip=%s unable to open root folder %s", s->ip,
		    logesc(s->rootpath));
		outbuf_puts(&s->out, "421 4.3.0 Service not available, "
		    "try again later\r\n");
		outbuf_flush(&s->out);
		return SNF_EXIT_TEMP;
	}
	settings(s);
	verify_init(&s->vf, s->root);
	s->out.timeout = s->timeout_ms;
	s->queueprog = qinject_prog();
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	smtp_session(s);
	return SNF_EXIT_OK;
}
