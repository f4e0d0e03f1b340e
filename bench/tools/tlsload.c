/*
 * tlsload - SMTP load over STARTTLS, on libtls (smtp-source has no TLS):
 * S sessions in parallel send M messages in all, one per connection:
 * EHLO, STARTTLS, the handshake, EHLO, MAIL, RCPT, DATA, QUIT, each
 * command waiting for its reply (no pipelining), as smtp-source does.
 *
 *   tlsload [-23r] [-s S] [-m M] [-l SIZE] HOST PORT
 *   tlsload -H [-23] [-s S] HOST PORT
 *
 *   -s S     sessions in parallel (10); -m M messages (1000); -l SIZE
 *            bytes a message (5000)
 *   -2, -3   TLS 1.2 only, TLS 1.3 only (default: both, libtls's own)
 *   -r       resumed handshakes: each session first makes one
 *            connection of its own, before the clock starts, to get a
 *            TLS session (tls_config_set_session_fd(3)), which every
 *            later connection of that session offers again; libtls
 *            saves the session as the handshake ends, and keeps it up
 *            to date at each one after
 *   -H       hold: open S sessions, each to the EHLO after STARTTLS,
 *            print "ready", keep them open until stdin closes (at most
 *            10 minutes), then QUIT
 *
 * Prints one line: "messages M sent N failed F seconds T rate R
 * handshakes H resumed K tls1.2 A tls1.3 B". The server's certificate
 * is not checked (opportunistic TLS, as between MTAs). Exit 0 when
 * every message was accepted, 1 when not, 100 on a usage error, 111
 * when TLS cannot be set up.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

struct conn {
	int		 fd;
	struct tls	*tls;
	char		 buf[4096];
	size_t		 r, w;
};

struct worker {
	pthread_t		 th;
	struct tls_config	*cfg;
};

static struct sockaddr_in	 addr;
static uint32_t			 protocols = TLS_PROTOCOLS_DEFAULT;
static int			 resume;
static char			*message;
static size_t			 msglen;
static int			 total = 1000;
static atomic_int		 next, sent, failed, shakes, resumed, v12, v13;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* fill - more bytes into c->buf: 0, or -1 at the end or an error */
static int
fill(struct conn *c)
{
	ssize_t	n;

	if (c->r > 0) {
		memmove(c->buf, c->buf + c->r, c->w - c->r);
		c->w -= c->r;
		c->r = 0;
	}
	if (c->w == sizeof(c->buf))
		return -1;
	for (;;) {
		if (c->tls == NULL)
			n = read(c->fd, c->buf + c->w, sizeof(c->buf) - c->w);
		else if ((n = tls_read(c->tls, c->buf + c->w,
		    sizeof(c->buf) - c->w)) == TLS_WANT_POLLIN ||
		    n == TLS_WANT_POLLOUT)
			continue;
		if (n <= 0)
			return -1;
		c->w += (size_t)n;
		return 0;
	}
}

/*
 * reply - the code of the server's next reply (its last line), -1 when
 * the connection ends first; with text, the whole reply is checked
 * for it (STARTTLS among the EHLO keywords), 0 when it is not there.
 */
static int
reply(struct conn *c, const char *text)
{
	char	*nl, *line;
	int	 found = text == NULL;

	for (;;) {
		while ((nl = memchr(c->buf + c->r, '\n', c->w - c->r)) == NULL)
			if (fill(c) == -1)
				return -1;
		line = c->buf + c->r;
		c->r = (size_t)(nl + 1 - c->buf);
		if (nl - line < 3)
			return -1;
		if (text && memmem(line, (size_t)(nl - line), text,
		    strlen(text)))
			found = 1;
		if (nl - line == 3 || line[3] == ' ' || line[3] == '\r')
			return found ? atoi(line) : 0;
	}
}

static int
say(struct conn *c, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if (c->tls == NULL)
			w = write(c->fd, p, n);
		else if ((w = tls_write(c->tls, p, n)) == TLS_WANT_POLLIN ||
		    w == TLS_WANT_POLLOUT)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* cmd - a command and its reply's code, -1 when the connection ends */
static int
cmd(struct conn *c, const char *line)
{
	if (say(c, line, strlen(line)) == -1)
		return -1;
	return reply(c, NULL);
}

static void
hangup(struct conn *c)
{
	if (c->tls) {
		tls_close(c->tls);
		tls_free(c->tls);
		c->tls = NULL;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/*
 * open_tls - connect, EHLO, STARTTLS, the handshake and EHLO again; 0,
 * or -1 with the connection closed.
 */
static int
open_tls(struct conn *c, struct tls_config *cfg)
{
	struct timeval	tv = { 30, 0 };
	const char	*v;
	int		 r, one = 1;

	c->r = c->w = 0;
	c->tls = NULL;
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) == -1 ||
	    reply(c, NULL) != 220 ||
	    say(c, "EHLO bench.invalid\r\n", 20) == -1 ||
	    reply(c, "STARTTLS") != 250 ||
	    cmd(c, "STARTTLS\r\n") != 220 || c->r != c->w)
		goto fail;
	if ((c->tls = tls_client()) == NULL ||
	    tls_configure(c->tls, cfg) == -1 ||
	    tls_connect_socket(c->tls, c->fd, "bench.invalid") == -1)
		goto fail;
	while ((r = tls_handshake(c->tls)) == TLS_WANT_POLLIN ||
	    r == TLS_WANT_POLLOUT)
		;
	if (r == -1)
		goto fail;
	c->r = c->w = 0;
	atomic_fetch_add(&shakes, 1);
	if (tls_conn_session_resumed(c->tls) == 1)
		atomic_fetch_add(&resumed, 1);
	if ((v = tls_conn_version(c->tls)) != NULL)
		atomic_fetch_add(strcmp(v, "TLSv1.3") == 0 ? &v13 : &v12, 1);
	if (cmd(c, "EHLO bench.invalid\r\n") != 250)
		goto fail;
	return 0;
fail:
	if (c->tls && getenv("TLSLOAD_DEBUG"))
		fprintf(stderr, "tlsload: %s\n", tls_error(c->tls));
	hangup(c);
	return -1;
}

/* one - one message on a connection of its own; 0 when accepted */
static int
one(struct tls_config *cfg)
{
	struct conn	c;
	int		ok;

	if (open_tls(&c, cfg) == -1)
		return -1;
	ok = cmd(&c, "MAIL FROM:<sender@origin.test>\r\n") == 250 &&
	    cmd(&c, "RCPT TO:<alice@example.com>\r\n") == 250 &&
	    cmd(&c, "DATA\r\n") == 354 &&
	    say(&c, message, msglen) == 0 && reply(&c, NULL) == 250;
	if (ok)
		(void)cmd(&c, "QUIT\r\n");
	hangup(&c);
	return ok ? 0 : -1;
}

static void *
work(void *arg)
{
	struct worker	*w = arg;

	while (atomic_fetch_add(&next, 1) < total)
		atomic_fetch_add(one(w->cfg) == 0 ? &sent : &failed, 1);
	return NULL;
}

/* prime - one connection to get the session the next ones offer */
static int
prime(struct tls_config *cfg)
{
	struct conn	c;

	if (open_tls(&c, cfg) == -1)
		return -1;
	(void)cmd(&c, "QUIT\r\n");
	hangup(&c);
	return 0;
}

static struct tls_config *
config(void)
{
	struct tls_config	*cfg;
	int			 fd;

	if ((cfg = tls_config_new()) == NULL ||
	    tls_config_set_protocols(cfg, protocols) == -1)
		return NULL;
	tls_config_insecure_noverifycert(cfg);
	tls_config_insecure_noverifyname(cfg);
	/* libtls takes a regular file of ours, mode 0600, only */
	if (resume && ((fd = memfd_create("tlsload", 0)) == -1 ||
	    fchmod(fd, 0600) == -1 ||
	    tls_config_set_session_fd(cfg, fd) == -1)) {
		fprintf(stderr, "tlsload: session file: %s\n",
		    tls_config_error(cfg));
		return NULL;
	}
	return cfg;
}

/* make_message - SIZE bytes of header and body, with the final dot */
static void
make_message(size_t size)
{
	const char	*head = "From: <sender@origin.test>\r\n"
			    "To: <alice@example.com>\r\n"
			    "Subject: tlsload\r\n\r\n";
	size_t		 n, i;

	if (size < strlen(head) + 2)
		size = strlen(head) + 2;
	if ((message = malloc(size + 8)) == NULL)
		exit(111);
	n = strlen(head);
	memcpy(message, head, n);
	for (i = 0; n < size; n++, i++)
		message[n] = i % 78 == 76 ? '\r' : i % 78 == 77 ? '\n' : 'x';
	if (message[n - 1] != '\n') {
		message[n - 2] = '\r';
		message[n - 1] = '\n';
	}
	memcpy(message + n, ".\r\n", 3);
	msglen = n + 3;
}

/* hold - S sessions open after STARTTLS until stdin closes */
static int
hold(int sessions)
{
	struct tls_config	*cfg;
	struct conn		*c;
	char			 b[64];
	int			 i;

	if ((cfg = config()) == NULL ||
	    (c = calloc((size_t)sessions, sizeof(*c))) == NULL)
		return 111;
	for (i = 0; i < sessions; i++)
		if (open_tls(&c[i], cfg) == -1) {
			fprintf(stderr, "tlsload: session %d failed\n", i + 1);
			return 1;
		}
	printf("ready\n");
	fflush(stdout);
	alarm(600);
	while (read(0, b, sizeof(b)) > 0)
		;
	for (i = 0; i < sessions; i++) {
		(void)cmd(&c[i], "QUIT\r\n");
		hangup(&c[i]);
	}
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: tlsload [-23Hr] [-s sessions] [-m messages] "
	    "[-l size] host port\n");
	return 100;
}

int
main(int argc, char **argv)
{
	struct worker	*w;
	double		 t0, t;
	int		 ch, i, sessions = 10, holding = 0;
	size_t		 size = 5000;

	while ((ch = getopt(argc, argv, "23Hl:m:rs:")) != -1) {
		switch (ch) {
		case '2':
			protocols = TLS_PROTOCOL_TLSv1_2;
			break;
		case '3':
			protocols = TLS_PROTOCOL_TLSv1_3;
			break;
		case 'H':
			holding = 1;
			break;
		case 'l':
			size = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			total = atoi(optarg);
			break;
		case 'r':
			resume = 1;
			break;
		case 's':
			sessions = atoi(optarg);
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || sessions < 1 || total < 1)
		return usage();
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[1]));
	if (inet_pton(AF_INET, argv[0], &addr.sin_addr) != 1)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	if (tls_init() == -1)
		return 111;
	if (holding)
		return hold(sessions);
	make_message(size);
	if ((w = calloc((size_t)sessions, sizeof(*w))) == NULL)
		return 111;
	for (i = 0; i < sessions; i++) {
		if ((w[i].cfg = config()) == NULL)
			return 111;
		if (resume && prime(w[i].cfg) == -1) {
			fprintf(stderr, "tlsload: no first session\n");
			return 1;
		}
	}
	shakes = resumed = v12 = v13 = 0;
	t0 = now();
	for (i = 0; i < sessions; i++)
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			return 111;
	for (i = 0; i < sessions; i++)
		pthread_join(w[i].th, NULL);
	t = now() - t0;
	printf("messages %d sent %d failed %d seconds %.3f rate %.0f "
	    "handshakes %d resumed %d tls1.2 %d tls1.3 %d\n", total,
	    (int)sent, (int)failed, t, sent / t, (int)shakes, (int)resumed,
	    (int)v12, (int)v13);
	return failed ? 1 : 0;
}
