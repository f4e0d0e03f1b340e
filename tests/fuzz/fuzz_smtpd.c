/*
 * fuzz_smtpd.c - a whole snf-smtpd session (cmd/snf-smtpd without
 * main.c) with the input as the client's bytes, in a temporary root
 * folder that protects example.com (userprotect: joe, postmaster),
 * example.org (no user list: every user refused) and example.net
 * (cloudprotect, cache only: no callout ever leaves this host).
 *
 * Input: a mode byte, then the client's bytes. The client speaks only
 * after the server has read everything before and waits for more, as a
 * well-behaved client waits for replies; a 0xff byte (never sent) marks
 * such a wait, and with mode bit 0 every LF is one too. Without
 * separators the client pipelines, so synchronization checks are
 * reached. Mode bit 1 sets tight limits (databytes, maxrcpt, maxhops,
 * error and junk counts) so that they are reached with small inputs.
 *
 * How the code runs unchanged: the program is linked with --wrap=poll,
 * so that the harness hands over the next client turn when the session
 * is about to wait for input (it never waits for real), and with
 * --wrap=exit, so that session_close's exit() returns here (longjmp)
 * instead of ending the fuzzer. The queue program is /bin/true: DATA is
 * read to its end and answered 451, so nothing is ever queued.
 *
 * Checked after each session: every reply line is "ddd" then " " or "-",
 * printable, CR LF terminated and at most 512 octets (RFC 5321
 * 4.5.3.1.5); a multi-line reply keeps its code; the first reply is the
 * 220 greeting; no 250 "queued"; every accepted recipient a listed user
 * of example.com (no relay); the session's counters within their
 * limits; no file descriptor left open.
 */
#include "fuzz.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "die.h"
#include "smtpd.h"

#define SEP	0xff		/* a client turn ends here */
#define FD_SCAN	64		/* descriptors checked for leaks */

void	__real_exit(int) __attribute__((__noreturn__));
int	__real_poll(struct pollfd *, nfds_t, int);
void	__wrap_exit(int) __attribute__((__noreturn__));
int	__wrap_poll(struct pollfd *, nfds_t, int);
int	LLVMFuzzerInitialize(int *, char ***);

static struct session	 sess;
static char		 rootpath[256];
static int		 rootfd = -1, outfd = -1;
static pid_t		 mypid;
static jmp_buf		 session_end;
static int		 in_session;

/* the client: its bytes, how far they went, the turn being sent */
static struct {
	const uint8_t	*p;
	size_t		 n, off;	/* next byte to consider */
	size_t		 tend;		/* end of this turn */
	int		 lockstep;	/* every LF ends a turn */
	int		 rd, wr;	/* the pipe; wr -1 once closed */
} cl;

/* turn_end - where the turn starting at off ends (exclusive) */
static size_t
turn_end(size_t off)
{
	size_t	i;

	for (i = off; i < cl.n; i++) {
		if (cl.p[i] == SEP)
			return i;
		if (cl.lockstep && cl.p[i] == '\n')
			return i + 1;
	}
	return cl.n;
}

/* feed - the session would wait: send (more of) the next turn, or EOF */
static void
feed(void)
{
	ssize_t	w;

	if (cl.wr == -1)
		return;
	if (cl.off == cl.tend) {
		/* separators in a row: waits with nothing sent in between */
		while (cl.off < cl.n && cl.p[cl.off] == SEP)
			cl.off++;
		if (cl.off == cl.n) {
			close(cl.wr);
			cl.wr = -1;
			return;
		}
		cl.tend = turn_end(cl.off);
	}
	w = write(cl.wr, cl.p + cl.off, cl.tend - cl.off);
	if (w > 0)
		cl.off += (size_t)w;
}

int
__wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (in_session && n == 1 && fds[0].fd == cl.rd && timeout != 0 &&
	    (fds[0].events & POLLIN))
		feed();
	return __real_poll(fds, n, timeout);
}

void
__wrap_exit(int code)
{
	if (in_session && getpid() == mypid)
		longjmp(session_end, 1);
	__real_exit(code);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_root(void)
{
	if (getpid() == mypid && rootpath[0])
		(void)nftw(rootpath, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
put(const char *name, const char *text)
{
	int	fd;

	fd = openat(rootfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp = getenv("TMPDIR");
	static const char *const dirs[] = { "control", "domains",
	    "domains/example.com", "domains/example.org",
	    "domains/example.net", "queue" };
	size_t		 i;

	(void)argc;
	(void)argv;
	mypid = getpid();
	progname = "snf-smtpd";
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	snprintf(rootpath, sizeof(rootpath), "%s/snf-fuzz-smtpd.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(rootpath) == NULL ||
	    (rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	atexit(rm_root);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdirat(rootfd, dirs[i], 0700) == -1)
			abort();
	put("domains/example.com/mode", "userprotect\n");
	put("domains/example.com/users", "joe\npostmaster\n\"a b\"\n");
	put("domains/example.net/mode", "cloudprotect\n");
	if ((outfd = memfd_create("fuzz-replies", MFD_CLOEXEC)) == -1)
		abort();
	/* messages go to a queue program that keeps nothing */
	setenv("SNF_QUEUE", "/bin/true", 1);
	return 0;
}

static void
session_init(struct session *s, int tight)
{
	memset(s, 0, sizeof(*s));
	s->root = rootfd;
	s->rootpath = rootpath;
	strlcpy(s->me, "mx.example.net", sizeof(s->me));
	strlcpy(s->ip, "192.0.2.1", sizeof(s->ip));
	s->databytes = tight ? 200 : DEF_DATABYTES;
	s->maxrcpt = tight ? 3 : DEF_MAXRCPT;
	s->maxhops = tight ? 2 : DEF_MAXHOPS;
	s->softerr = tight ? 2 : DEF_SOFTERR;
	s->harderr = tight ? 5 : DEF_HARDERR;
	s->junkmax = tight ? 5 : DEF_JUNK;
	s->datarate = DEF_DATARATE;
	s->timeout_ms = 3600 * 1000;	/* never reached: nothing waits */
	s->end_ms = mono_ms() + s->timeout_ms;
	s->errsleep_ms = 0;
	s->greetdelay_ms = 0;
	verify_init(&s->vf, rootfd, rootpath);
	s->vf.cache_only = 1;
	outbuf_init(&s->out, outfd, s->timeout_ms);
	inbuf_init(&s->in, cl.rd, &s->out);
}

/* check_replies - what the session wrote, line by line */
static void
check_replies(void)
{
	static char	 buf[1 << 20];
	struct stat	 st;
	char		*p, *end, *cr;
	size_t		 len, lines = 0;
	int		 code, prev = -1;

	CHECK(fstat(outfd, &st) == 0);
	if (st.st_size == 0 || st.st_size > (off_t)sizeof(buf))
		return;
	CHECK(pread(outfd, buf, (size_t)st.st_size, 0) == st.st_size);
	p = buf;
	end = buf + st.st_size;
	while (p < end) {
		cr = memchr(p, '\r', (size_t)(end - p));
		CHECK(cr != NULL && cr + 1 < end && cr[1] == '\n');
		len = (size_t)(cr - p) + 2;
		CHECK(len <= 512);
		CHECK(memchr(p, '\n', len - 1) == NULL);
		CHECK(len >= 6 && p[0] >= '2' && p[0] <= '5' &&
		    p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9');
		CHECK(p[3] == ' ' || p[3] == '-');
		code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		if (lines++ == 0)
			CHECK(code == 220);	/* the client waited */
		if (prev != -1)
			CHECK(code == prev);	/* inside a multi-line reply */
		prev = p[3] == '-' ? code : -1;
		for (; p < cr; p++)
			CHECK((unsigned char)*p >= 32 &&
			    (unsigned char)*p < 127);
		CHECK(strncmp(p - len + 2, "250 2.0.0 Ok: queued", 20) != 0);
		p = cr + 2;
	}
	CHECK(prev == -1);
}

/*
 * check_relay - every recipient the session ever accepted (the array
 * keeps those of earlier transactions) is a listed user of example.com:
 * no address trick gets mail for another domain or user accepted.
 */
static void
check_relay(const struct session *s)
{
	struct addr	a;
	unsigned	i;
	char		*c;

	for (i = 0; i < s->nrcpt; i++) {
		CHECK(addr_parse_mailbox(s->rcpt[i].addr,
		    strlen(s->rcpt[i].addr), 0, &a) == ADDR_OK);
		CHECK(strcmp(a.domain, "example.com") == 0);
		CHECK(!(a.flags & (ADDR_F_LITERAL | ADDR_F_ROUTE)));
		for (c = a.plain; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		CHECK(strcmp(a.plain, "joe") == 0 ||
		    strcmp(a.plain, "postmaster") == 0 ||
		    strcmp(a.plain, "a b") == 0);
	}
}

/* open_fds - which of the first FD_SCAN descriptors are open */
static void
open_fds(unsigned char *map)
{
	int	fd;

	for (fd = 0; fd < FD_SCAN; fd++)
		map[fd] = fcntl(fd, F_GETFD) != -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session	*s = &sess;
	unsigned char	 before[FD_SCAN], after[FD_SCAN];
	int		 p[2];

	if (size < 1)
		return 0;
	open_fds(before);
	memset(&cl, 0, sizeof(cl));
	cl.p = data + 1;
	cl.n = size - 1;
	cl.lockstep = data[0] & 1;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1)
		abort();
	(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	cl.rd = p[0];
	cl.wr = p[1];
	if (ftruncate(outfd, 0) == -1 || lseek(outfd, 0, SEEK_SET) == -1)
		abort();
	session_init(s, data[0] & 2);

	in_session = 1;
	if (setjmp(session_end) == 0)
		smtp_session(s);	/* ends only through exit() */
	in_session = 0;

	CHECK(s->out.n == 0 || s->out.err);	/* flushed before the end */
	CHECK(s->nrcpt <= s->maxrcpt && s->nrcpt <= s->rcptcap);
	CHECK(s->errors <= s->harderr + 1);
	CHECK(s->junk <= s->junkmax + 1);
	check_replies();
	check_relay(s);
	free(s->rcpt);
	close(cl.rd);
	if (cl.wr != -1)
		close(cl.wr);
	/* every descriptor the session opened is closed again */
	open_fds(after);
	CHECK(memcmp(before, after, sizeof(before)) == 0);
	return 0;
}
