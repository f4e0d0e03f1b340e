/*
 * fuzz_reply.c - the SMTP client's reply parser (common/mail/smtpc.c), which
 * reads whatever a primary or a callout target sends. The first byte
 * picks the dialogue: 0 replies only (smtpc_reply until it fails), 1
 * EHLO first (smtpc_ehlo, then replies), 2 the greeting first with
 * this host's own names (smtpc_greeting, smtpc_ehlo, replies). The rest
 * is the server's bytes, through a non-blocking pipe; what the client
 * sends goes to /dev/null. Each result must be a code of 200-599 or -1,
 * with c->text bounded, printable and starting with the code; extension
 * flags only the five known ones; the enhanced code, when found, within
 * its buffer and of the form class.subject.detail.
 */
#include "fuzz.h"

#include <ctype.h>
#include <string.h>

#include "io.h"
#include "smtpc.h"

static const char *const self[] = { "mx.example.net", "backup.example.org" };

static void
check_enhanced(const char *text)
{
	char		 buf[16], tiny[6];
	const char	*e;
	size_t		 n, i, dots = 0;

	e = smtpc_enhanced(text, buf, sizeof(buf));
	if (e == NULL)
		return;
	CHECK(e == buf);
	n = strlen(buf);
	CHECK(n >= 5 && n <= 9 && n < sizeof(buf));
	CHECK(strncmp(text + 4, buf, n) == 0);
	CHECK(buf[0] == '2' || buf[0] == '4' || buf[0] == '5');
	for (i = 0; i < n; i++) {
		CHECK(isdigit((unsigned char)buf[i]) || buf[i] == '.');
		dots += buf[i] == '.';
	}
	CHECK(dots == 2);
	/* a buffer too small is refused, never overrun */
	e = smtpc_enhanced(text, tiny, sizeof(tiny));
	CHECK(e == NULL || (e == tiny && strlen(tiny) < sizeof(tiny)));
}

/* check - the state after a call that returned code */
static void
check(const struct smtpc *c, int code)
{
	size_t	i, n;

	CHECK(memchr(c->text, '\0', sizeof(c->text)) != NULL);
	n = strlen(c->text);
	CHECK(n <= SMTPC_TEXT_MAX);
	CHECK(code == -1 || (code >= 200 && code <= 599));
	CHECK((c->ext & ~(SMTPC_PIPELINING | SMTPC_SIZE | SMTPC_8BITMIME |
	    SMTPC_DSN | SMTPC_ENHANCED | SMTPC_STARTTLS)) == 0);
	CHECK((c->ext & SMTPC_SIZE) || c->maxsize == 0);
	if (code == -1)
		return;
	CHECK(c->code == code);
	CHECK(n >= 3 && c->text[0] == '0' + code / 100 &&
	    c->text[1] == '0' + code / 10 % 10 &&
	    c->text[2] == '0' + code % 10);
	for (i = 0; i < n; i++)
		CHECK((unsigned char)c->text[i] >= 32 &&
		    (unsigned char)c->text[i] <= 126);
	check_enhanced(c->text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtpc	 c;
	static int		 null = -1;
	size_t			 fed;
	int			 code, more, i;

	if (size < 1)
		return 0;
	/* one line as the parser sees it: code and continuation only */
	if (smtpc_parse_line((const char *)data + 1, size - 1, &code,
	    &more) == 0) {
		CHECK(code >= 200 && code <= 599 && (more == 0 || more == 1));
		CHECK(memchr(data + 1, '\0', size - 1) == NULL);
	}
	if (null == -1 &&
	    (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		abort();
	memset(&c, 0, sizeof(c));
	smtpc_timeouts_default(&c.t);
	strlcpy(c.host, "mx.example.net", sizeof(c.host));
	c.code = -1;
	c.fd = pipe_with(data + 1, size - 1, &fed);
	outbuf_init(&c.out, null, c.t.data_block);
	inbuf_init(&c.in, c.fd, &c.out);

	switch (data[0] % 3) {
	case 2:
		code = smtpc_greeting(&c, self, 2);
		check(&c, code);
		if (code != 220)
			break;
		/* FALLTHROUGH */
	case 1:
		code = smtpc_ehlo(&c, "backup.example.org");
		check(&c, code);
		break;
	}
	for (i = 0; i < 1000; i++) {
		code = smtpc_reply(&c, FUZZ_DEADLINE(mono_ms()));
		check(&c, code);
		if (code == -1)
			break;
	}
	CHECK(i < 1000);
	smtpc_close(&c);
	return 0;
}
