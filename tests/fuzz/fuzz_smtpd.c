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
 * How the code runs unchanged (session.h, shared with fuzz_starttls.c):
 * the program is linked with --wrap=poll, so that the harness hands over
 * the next client turn when the session is about to wait for input (it
 * never waits for real), and with --wrap=exit, so that session_close's
 * exit() returns here (longjmp) instead of ending the fuzzer. The queue
 * program is /bin/true: DATA is read to its end and answered 451, so
 * nothing is ever queued.
 *
 * Checked after each session: every reply line is "ddd" then " " or "-",
 * printable, CR LF terminated and at most 512 octets (RFC 5321
 * 4.5.3.1.5); a multi-line reply keeps its code; the first reply is the
 * 220 greeting; no 250 "queued"; every accepted recipient a listed user
 * of example.com (no relay); the session's counters within their
 * limits; no file descriptor left open.
 */
#include "session.h"

void
session_on_wait(void)
{
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	harness_init();
	return 0;
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	 before[FD_SCAN], after[FD_SCAN];

	if (size < 1)
		return 0;
	open_fds(before);
	session_run(data, size);
	session_checks();
	check_relay(&sess);
	session_free();
	/* every descriptor the session opened is closed again */
	open_fds(after);
	CHECK(memcmp(before, after, sizeof(before)) == 0);
	return 0;
}
