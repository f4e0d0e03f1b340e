/*
 * session.h - the harness of the libFuzzer targets that run a whole
 * snf-smtpd session (cmd/snf-smtpd without main.c): fuzz_smtpd.c and
 * fuzz_starttls.c, one of which includes it (its functions are static).
 *
 * The client's bytes come in turns: a 0xff byte (never sent) ends one,
 * and with lockstep so does every LF. The session runs unchanged: the
 * program is linked with --wrap=poll, so that the next turn is handed
 * over when the session is about to wait for input (it never waits for
 * real), and with --wrap=exit, so that session_close's exit() returns
 * to the harness (longjmp). The root folder is a temporary one that
 * protects example.com (userprotect: joe, postmaster, "a b"),
 * example.org (no user list) and example.net (cloudprotect, cache only:
 * no callout leaves the host); the queue program is /bin/true, so DATA
 * is read to its end and answered 451, and nothing is ever queued.
 * Replies go to a memfd, checked line by line after the session.
 */
#ifndef FUZZ_SESSION_H
#define FUZZ_SESSION_H

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
void	session_on_wait(void);

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
	size_t		 turns;		/* turns handed over so far */
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

	session_on_wait();		/* the target's look at the session */
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
		cl.turns++;
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

/* harness_init - the root folder and the reply file (at start-up) */
static void
harness_init(void)
{
	const char	*tmp = getenv("TMPDIR");
	static const char *const dirs[] = { "control", "domains",
	    "domains/example.com", "domains/example.org",
	    "domains/example.net", "queue" };
	size_t		 i;

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

/* open_fds - which of the first FD_SCAN descriptors are open */
static void
open_fds(unsigned char *map)
{
	int	fd;

	for (fd = 0; fd < FD_SCAN; fd++)
		map[fd] = fcntl(fd, F_GETFD) != -1;
}

/*
 * session_run - one session with data (a mode byte, then the client's
 * bytes): mode bit 0 lockstep, bit 1 tight limits. Returns when the
 * session ends (through exit()).
 */
static void
session_run(const uint8_t *data, size_t size)
{
	struct session	*s = &sess;
	int		 p[2];

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
}

/* session_checks - what every session leaves: limits kept, replies sane */
static void
session_checks(void)
{
	struct session	*s = &sess;

	CHECK(s->out.n == 0 || s->out.err);	/* flushed before the end */
	CHECK(s->nrcpt <= s->maxrcpt && s->nrcpt <= s->rcptcap);
	CHECK(s->errors <= s->harderr + 1);
	CHECK(s->junk <= s->junkmax + 1);
	check_replies();
}

/* session_free - the session's memory and the client's pipe */
static void
session_free(void)
{
	free(sess.rcpt);
	close(cl.rd);
	if (cl.wr != -1)
		close(cl.wr);
}

#endif
