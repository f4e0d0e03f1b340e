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
#include "privs.h"
#include "settings.h"
#include "smtpd.h"

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

/* count - a numeric setting in [min, max]; below min, the default. */
static uint64_t
count(int root, const char *name, uint64_t dflt, uint64_t min, uint64_t max)
{
	uint64_t	v;

	(void)setting_count(root, NULL, name, dflt, min, max, &v);
	return v;
}

/* seconds - a duration setting, at most a day. */
static int64_t
seconds(int root, const char *name, int64_t dflt)
{
	int64_t	v;

	(void)setting_duration(root, NULL, name, dflt, &v);
	return v > 86400 ? 86400 : v;
}

static void
settings(struct session *s)
{
	int	r = s->root;
	int64_t	start = mono_ms(), lifetime;

	control_me(r, s->me, sizeof(s->me));
	/* databytes 0: no limit (and EHLO says SIZE 0, RFC 1870) */
	s->databytes = count(r, "databytes", DEF_DATABYTES, 0,
	    UINT64_C(1) << 40);
	s->minfree = count(r, "queue_minfree", 0, 0, UINT64_MAX);
	s->maxrcpt = (unsigned)count(r, "maxrcpt", DEF_MAXRCPT, 1,
	    ENV_RCPT_MAX);
	s->maxhops = (unsigned)count(r, "maxhops", DEF_MAXHOPS, 1, 1000);
	s->softerr = (unsigned)count(r, "softerrors", DEF_SOFTERR, 0, 1000);
	s->harderr = (unsigned)count(r, "harderrors", DEF_HARDERR, 1, 1000);
	s->junkmax = (unsigned)count(r, "junkcommands", DEF_JUNK, 1, 100000);
	s->datarate = count(r, "datarate", DEF_DATARATE, 1, 1U << 30);
	s->timeout_ms = seconds(r, "timeout", DEF_TIMEOUT) * 1000;
	if (s->timeout_ms == 0)
		s->timeout_ms = 1000;
	s->errsleep_ms = seconds(r, "errorsleep", DEF_ERRSLEEP) * 1000;
	s->greetdelay_ms = seconds(r, "greetdelay", 0) * 1000;
	lifetime = seconds(r, "session_lifetime", DEF_LIFETIME);
	s->end_ms = start + (lifetime > 0 ? lifetime : 1) * 1000;
}

int
main(int argc, char **argv)
{
	struct session	 sess, *s = &sess;
	const char	*dir = NULL;
	int		 ch;

	progname = "snf-smtpd";
	memset(&sess, 0, sizeof(sess));
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
	if (privs_root()) {
		/* the network's side never has root's powers */
		outbuf_puts(&s->out, "421 4.3.0 Service not available, "
		    "try again later\r\n");
		outbuf_flush(&s->out);
		die(SNF_EXIT_PERM, "refusing to run as root: run snf-smtpd "
		    "under tcpserver -u UID -g GID, as the owner of queue/");
	}
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
	verify_init(&s->vf, s->root, s->rootpath);
	if (strcmp(s->ip, "unknown") != 0)
		s->vf.client = s->ip;	/* for its share of negative_rate */
	s->out.timeout = s->timeout_ms;
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	smtp_session(s);
	return SNF_EXIT_OK;
}
