/*
 * tlscost - what libtls costs a TLS server for each connection, in CPU
 * time. N connections, each served by a new process that execs this
 * program again, as tcpserver runs snf-smtpd: the start of the program
 * (exec and the C library's start-up), tls_init, the configuration,
 * reading the key pair, tls_configure (the library's context) and the
 * handshake, each measured by the process itself, and the whole
 * process's CPU as its parent sees it. Then N connections each served by
 * a child forked, without exec, from one process that did all but the
 * handshake once. The client is this program's parent, over a socket
 * pair. Build it as snf-smtpd is built (statically) to measure the same.
 *
 *   tlscost CERT KEY N
 *
 * Prints two markdown table rows: milliseconds of CPU, means.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#define STAGES	6

static double
cpu_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
ru_ms(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
	    (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

static struct tls_config *
server_config(const char *cert, const char *key)
{
	struct tls_config	*c;

	if ((c = tls_config_new()) == NULL ||
	    tls_config_set_protocols(c, TLS_PROTOCOLS_DEFAULT) == -1)
		exit(111);
	if (tls_config_set_keypair_file(c, cert, key) == -1) {
		fprintf(stderr, "tlscost: %s\n", tls_config_error(c));
		exit(111);
	}
	return c;
}

/* serve - the handshake on fd and one byte written; exits */
static void
serve(struct tls *srv, int fd)
{
	struct tls	*conn;

	if (tls_accept_socket(srv, &conn, fd) == -1 ||
	    tls_handshake(conn) == -1 || tls_write(conn, "x", 1) != 1)
		_exit(1);
	_exit(0);
}

/* one - the server of one connection on fd 3, stages to fd 4 */
static int
one(const char *cert, const char *key)
{
	struct tls_config	*c;
	struct tls		*srv, *conn;
	double			 t[STAGES + 1];
	char			 line[256];
	int			 i, n;

	t[0] = cpu_ms();
	if (tls_init() == -1)
		return 111;
	t[1] = cpu_ms();
	if ((c = tls_config_new()) == NULL ||
	    tls_config_set_protocols(c, TLS_PROTOCOLS_DEFAULT) == -1)
		return 111;
	t[2] = cpu_ms();
	if (tls_config_set_keypair_file(c, cert, key) == -1)
		return 111;
	t[3] = cpu_ms();
	if ((srv = tls_server()) == NULL || tls_configure(srv, c) == -1)
		return 111;
	t[4] = cpu_ms();
	if (tls_accept_socket(srv, &conn, 3) == -1 ||
	    tls_handshake(conn) == -1 || tls_write(conn, "x", 1) != 1)
		return 1;
	t[5] = cpu_ms();
	n = snprintf(line, sizeof(line), "%f", t[0]);
	for (i = 1; i <= 5; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %f",
		    t[i] - t[i - 1]);
	line[n++] = '\n';
	return write(4, line, (size_t)n) == n ? 0 : 1;
}

/* client - the client's side of one connection on fd */
static void
client(struct tls_config *cc, int fd)
{
	struct tls	*t;
	ssize_t		 r;
	char		 b;

	/* a TLS 1.3 ticket read before the byte is a TLS_WANT_POLLIN */
	if ((t = tls_client()) == NULL || tls_configure(t, cc) == -1 ||
	    tls_connect_socket(t, fd, "bench.invalid") == -1 ||
	    tls_handshake(t) == -1)
		r = -1;
	else
		while ((r = tls_read(t, &b, 1)) == TLS_WANT_POLLIN)
			;
	if (r != 1) {
		fprintf(stderr, "tlscost: client: %s\n", t ? tls_error(t) : "");
		exit(1);
	}
	tls_close(t);
	tls_free(t);
}

/* child - fork a server for sv[1]: execs, or serves with srv */
static pid_t
child(int sv[2], int out, struct tls *srv, char **argv)
{
	pid_t	p;

	if ((p = fork()) == -1)
		exit(111);
	if (p > 0)
		return p;
	close(sv[0]);
	if (srv != NULL)
		serve(srv, sv[1]);
	if (dup2(sv[1], 3) == -1 || dup2(out, 4) == -1)
		_exit(111);
	execl(argv[0], argv[0], "-1", argv[1], argv[2], (char *)NULL);
	_exit(111);
}

int
main(int argc, char **argv)
{
	static const char	*name[STAGES] = { "start", "tls_init",
	    "config", "key pair", "tls_configure", "handshake" };
	struct tls_config	*cc;
	struct tls		*srv = NULL;
	struct rusage		 ru;
	double			 sum[STAGES], whole[2] = { 0, 0 }, v;
	FILE			*in;
	int			 sv[2], pp[2], n, i, k, st;
	pid_t			 p;

	if (argc == 4 && strcmp(argv[1], "-1") == 0)
		return one(argv[2], argv[3]);
	if (argc != 4 || (n = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: tlscost cert key count\n");
		return 100;
	}
	signal(SIGPIPE, SIG_IGN);	/* close_notify to a server gone */
	if (tls_init() == -1 || (cc = tls_config_new()) == NULL ||
	    pipe(pp) == -1 || (in = fdopen(pp[0], "r")) == NULL)
		return 111;
	tls_config_insecure_noverifycert(cc);
	tls_config_insecure_noverifyname(cc);
	memset(sum, 0, sizeof(sum));
	for (k = 0; k < 2; k++) {
		if (k == 1 && ((srv = tls_server()) == NULL ||
		    tls_configure(srv, server_config(argv[1], argv[2])) == -1))
			return 111;
		for (i = 0; i < n; i++) {
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
				return 111;
			p = child(sv, pp[1], srv, argv);
			close(sv[1]);
			client(cc, sv[0]);
			close(sv[0]);
			if (wait4(p, &st, 0, &ru) == -1 || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 0)
				return 1;
			whole[k] += ru_ms(&ru);
			for (st = 0; k == 0 && st < STAGES; st++) {
				if (fscanf(in, "%lf", &v) != 1)
					return 1;
				sum[st] += v;
			}
		}
	}
	printf("| exec per connection (as under tcpserver) |");
	for (st = 0; st < STAGES; st++)
		printf(" %s %.2f%s", name[st], sum[st] / n,
		    st < STAGES - 1 ? "," : "");
	printf(" | %.2f |\n", whole[0] / n);
	printf("| forked from a process that set TLS up once | handshake "
	    "only | %.2f |\n", whole[1] / n);
	return 0;
}
