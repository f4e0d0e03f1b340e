/*
 * fuzz_starttls.c - the state changes of an snf-smtpd session across
 * STARTTLS (cmd/snf-smtpd/starttls.c), the session run whole as in
 * fuzz_smtpd.c (session.h), with a stand-in for the TLS layer: every
 * tlsio_* call of the session is linked to the __wrap_tlsio_* below
 * (--wrap), whose "TLS" carries the bytes unchanged over the same pipe
 * and memfd, so that the fuzzer drives what comes after the handshake
 * as plainly as what comes before.
 *
 * Input: a mode byte, then the client's bytes in turns (session.h).
 * Mode bits 0 and 1 as fuzz_smtpd (lockstep, tight limits); bit 2: no
 * control/tls_cert and tls_key (STARTTLS is not set up); bit 3: the
 * key pair cannot be set up (tlsio_server fails: 454); bit 4: the
 * handshake fails. A handshake also fails, as a real one would, when
 * client bytes sent before the 220 are still unread in the pipe (they
 * are no ClientHello).
 *
 * Checked, besides what session.h checks of every session:
 *  - STARTTLS is offered, and 220 said, only when it is set up; at most
 *    one handshake per session, started only right after the 220 went
 *    out whole, with nothing of the clear text left in the buffer;
 *  - after the handshake the session starts again: no HELO name, no
 *    greeting, no extensions, no transaction, and nothing is answered
 *    before the client's first turn over TLS (what came behind STARTTLS
 *    is thrown away, never executed);
 *  - over TLS, every read and every reply goes through the TLS layer
 *    (no read(2) of the socket, no byte written past it), STARTTLS is
 *    never offered nor started again, and MAIL, RCPT and DATA are not
 *    accepted before a new EHLO or HELO;
 *  - the TLS layer is freed exactly once; no descriptor left open.
 */
#include "session.h"

#define READY	"220 2.0.0 Ready to start TLS\r\n"

ssize_t	__real_read(int, void *, size_t);
ssize_t	__wrap_read(int, void *, size_t);
int	__wrap_tlsio_available(void);
int	__wrap_tlsio_server(struct tlsio **, const struct tlsio_server *, int,
	    int, char *, size_t);
int	__wrap_tlsio_client(struct tlsio **, const struct tlsio_client *, int,
	    char *, size_t);
int	__wrap_tlsio_handshake(struct tlsio *, int64_t, char *, size_t);
void	__wrap_tlsio_get_info(struct tlsio *, struct tlsio_info *);
ssize_t	__wrap_tlsio_read(struct tlsio *, void *, size_t, int64_t);
int	__wrap_tlsio_write(struct tlsio *, const void *, size_t, int64_t);
void	__wrap_tlsio_close(struct tlsio *, int64_t);
void	__wrap_tlsio_free(struct tlsio *);

struct tlsio {			/* the stand-in: no state but its life */
	int	magic;
};
#define MAGIC	0x544c53	/* "TLS" */

/* what the TLS layer saw of this session */
static struct {
	int		 set_up;	/* control/tls_cert and tls_key exist */
	int		 server_fails, handshake_fails;
	unsigned	 servers, handshakes, frees;
	struct tlsio	*t;		/* after tlsio_server, until freed */
	int		 on;		/* the handshake succeeded */
	int		 in_read;	/* inside the stand-in's read */
	off_t		 at;		/* the reply file's size at the handshake */
	size_t		 turn;		/* the client turns handed over by then */
	int		 looked;	/* the session was seen after it */
	uint64_t	 written;	/* bytes written through it */
} tl;

/* replies - the reply file's size */
static off_t
replies(void)
{
	struct stat	st;

	CHECK(fstat(outfd, &st) == 0);
	return st.st_size;
}

/*
 * session_on_wait - the session waits for the client: the first time
 * after the handshake, it must have started again and said nothing.
 */
void
session_on_wait(void)
{
	struct session	*s = &sess;

	if (!tl.on || tl.looked)
		return;
	tl.looked = 1;
	CHECK(cl.turns == tl.turn);	/* no turn went in between */
	CHECK(replies() == tl.at);	/* nothing behind STARTTLS answered */
	CHECK(s->tls == tl.t && s->in.tls == tl.t && s->out.tls == tl.t);
	CHECK(!s->greeted && !s->esmtp && s->helo[0] == '\0');
	CHECK(!s->inmail && s->nrcpt == 0 && s->sender[0] == '\0');
}

ssize_t
__wrap_read(int fd, void *p, size_t n)
{
	/* over TLS the socket is read by the TLS layer alone */
	if (in_session && fd == cl.rd)
		CHECK(!tl.on || tl.in_read);
	return __real_read(fd, p, n);
}

int
__wrap_tlsio_available(void)
{
	return 1;
}

int
__wrap_tlsio_server(struct tlsio **tp, const struct tlsio_server *srv,
    int rfd, int wfd, char *err, size_t size)
{
	(void)srv;
	CHECK(rfd == cl.rd && wfd == outfd);
	CHECK(tl.set_up && tl.t == NULL && !tl.on);
	tl.servers++;
	*tp = NULL;
	if (tl.server_fails) {
		snprintf(err, size, "TLS key pair: the harness says no");
		return -1;
	}
	if ((tl.t = malloc(sizeof(*tl.t))) == NULL)
		abort();
	tl.t->magic = MAGIC;
	*tp = tl.t;
	return 0;
}

int
__wrap_tlsio_client(struct tlsio **tp, const struct tlsio_client *c, int fd,
    char *err, size_t size)
{
	(void)c;
	(void)fd;
	(void)size;
	(void)err;
	*tp = NULL;
	CHECK(0 && "snf-smtpd starts no TLS client");
	return -1;
}

/* pipe_pending - client bytes still unread in the pipe */
static int
pipe_pending(void)
{
	struct pollfd	pfd = { .fd = cl.rd, .events = POLLIN };

	return __real_poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

int
__wrap_tlsio_handshake(struct tlsio *t, int64_t deadline, char *err,
    size_t size)
{
	static const char	ready[] = READY;
	char			tail[sizeof(ready) - 1];
	off_t			end = replies();

	(void)deadline;
	CHECK(t == tl.t && t->magic == MAGIC && !tl.on);
	CHECK(++tl.handshakes == 1);
	/* the 220 went out whole, last; the clear text is gone */
	CHECK(sess.out.n == 0);
	CHECK(end >= (off_t)sizeof(tail) && pread(outfd, tail, sizeof(tail),
	    end - (off_t)sizeof(tail)) == (ssize_t)sizeof(tail) &&
	    memcmp(tail, ready, sizeof(tail)) == 0);
	CHECK(sess.in.r == sess.in.w);
	if (tl.handshake_fails || pipe_pending()) {
		snprintf(err, size, "TLS handshake: the harness says no");
		return -1;
	}
	tl.on = 1;
	tl.at = end;
	tl.turn = cl.turns;
	return 0;
}

void
__wrap_tlsio_get_info(struct tlsio *t, struct tlsio_info *i)
{
	CHECK(t == tl.t && tl.on);
	memset(i, 0, sizeof(*i));
	strlcpy(i->version, "TLSv1.3", sizeof(i->version));
	strlcpy(i->cipher, "TLS_HARNESS_PLAIN", sizeof(i->cipher));
	i->bits = 256;
}

/* the stand-in's reads: the pipe, waiting (in poll, fed) as io.c does */
ssize_t
__wrap_tlsio_read(struct tlsio *t, void *p, size_t n, int64_t deadline)
{
	struct pollfd	pfd = { .fd = cl.rd, .events = POLLIN };
	ssize_t		r;

	(void)deadline;
	CHECK(t == tl.t && tl.on && t->magic == MAGIC);
	for (;;) {
		tl.in_read = 1;
		r = read(cl.rd, p, n);
		tl.in_read = 0;
		if (r >= 0)
			return r;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			return -1;
	}
}

int
__wrap_tlsio_write(struct tlsio *t, const void *p, size_t n, int64_t deadline)
{
	const char	*s = p;
	ssize_t		 w;

	(void)deadline;
	CHECK(t == tl.t && tl.on && t->magic == MAGIC);
	while (n > 0) {
		if ((w = write(outfd, s, n)) <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
		tl.written += (uint64_t)w;
	}
	return 0;
}

void
__wrap_tlsio_close(struct tlsio *t, int64_t deadline)
{
	(void)deadline;
	CHECK(t == tl.t && t->magic == MAGIC);
}

void
__wrap_tlsio_free(struct tlsio *t)
{
	if (t == NULL)
		return;
	CHECK(t == tl.t && t->magic == MAGIC);
	tl.frees++;
	t->magic = 0;
	free(t);
	tl.t = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	harness_init();
	/* the file name is what tls_offered looks at: the stand-in loads
	 * nothing */
	if (mkdirat(rootfd, "cache", 0700) == -1)
		abort();
	return 0;
}

/* key_pair - control/tls_cert and tls_key there, or not */
static void
key_pair(int there)
{
	if (there) {
		put("control/tls_cert", "a chain\n");
		put("control/tls_key", "its key\n");
	} else {
		(void)unlinkat(rootfd, "control/tls_cert", 0);
		(void)unlinkat(rootfd, "control/tls_key", 0);
	}
}

/* is_line - the reply line at p (without CR LF) begins with s */
static int
is_line(const char *p, size_t len, const char *s)
{
	return len >= strlen(s) && memcmp(p, s, strlen(s)) == 0;
}

/*
 * check_tls_replies - the replies before and after the handshake: 220
 * Ready only when set up, and once; over TLS no STARTTLS offered or
 * started, and no MAIL, RCPT or DATA accepted before EHLO or HELO.
 */
static void
check_tls_replies(void)
{
	static char	 buf[1 << 20];
	off_t		 size = replies(), o;
	const char	*p, *end, *nl;
	size_t		 len;
	int		 readys = 0, greeted = 0, over;

	if (size > (off_t)sizeof(buf))
		return;
	CHECK(pread(outfd, buf, (size_t)size, 0) == size);
	/* everything after the handshake went through the TLS layer */
	if (tl.on)
		CHECK((uint64_t)(size - tl.at) == tl.written);
	else
		CHECK(tl.written == 0);
	for (p = buf, end = buf + size; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;		/* check_replies has judged it */
		len = (size_t)(nl - p);
		o = p - buf;
		over = tl.on && o >= tl.at;
		if (is_line(p, len, "220 2.0.0 Ready to start TLS")) {
			CHECK(tl.set_up && !tl.server_fails && !over);
			CHECK(++readys == 1);
		}
		if (is_line(p, len, "250-STARTTLS"))
			CHECK(tl.set_up && !over);
		if (!over)
			continue;
		if (is_line(p, len, "250-mx.example.net") ||
		    is_line(p, len, "250 mx.example.net"))
			greeted = 1;
		if (is_line(p, len, "250 2.1.0") || is_line(p, len, "250 2.1.5") ||
		    is_line(p, len, "354 "))
			CHECK(greeted);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	 before[FD_SCAN], after[FD_SCAN];

	if (size < 1)
		return 0;
	memset(&tl, 0, sizeof(tl));
	tl.set_up = !(data[0] & 4);
	tl.server_fails = (data[0] & 8) != 0;
	tl.handshake_fails = (data[0] & 16) != 0;
	key_pair(tl.set_up);
	open_fds(before);
	session_run(data, size);
	session_checks();
	check_tls_replies();
	/* the session's TLS, if any, freed once; none started unasked */
	CHECK(tl.t == NULL && sess.tls == NULL);
	CHECK(tl.frees == (tl.server_fails ? 0 : tl.servers));
	CHECK(tl.handshakes <= 1 && tl.handshakes <= tl.servers);
	/* a session that ended before it waited again said nothing more */
	if (tl.on && !tl.looked)
		CHECK(replies() == tl.at);
	session_free();
	open_fds(after);
	CHECK(memcmp(before, after, sizeof(before)) == 0);
	return 0;
}
