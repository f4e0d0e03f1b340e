/*
 * t_control.c - control.c (durations, control files read as one line,
 * numbers, flags) and fileio.c's file_replace, in a temporary root
 * folder. A row's content NULL means the file does not exist; results
 * are rendered as "return:value" so that a row states both.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "date.h"
#include "fileio.h"
#include "settings.h"
#include "../tap.h"

struct dcase {
	const char	*in;
	const char	*want;		/* seconds, or "ERR" */
};

static const struct dcase durations[] = {
	{ "30", "30" },
	{ "0", "0" },
	{ "30s", "30" },
	{ "5m", "300" },
	{ "2h", "7200" },
	{ "5d", "432000" },
	{ "007", "7" },
	{ "9223372036854775807", "9223372036854775807" },
	{ "9223372036854775807s", "9223372036854775807" },
	{ "106751991167300d", "9223372036854720000" },
	{ "", "ERR" },
	{ "d", "ERR" },
	{ "s", "ERR" },
	{ "-1", "ERR" },
	{ "+1", "ERR" },
	{ "1x", "ERR" },
	{ "1.5h", "ERR" },
	{ "1 h", "ERR" },
	{ " 1", "ERR" },
	{ "1 ", "ERR" },
	{ "1hh", "ERR" },
	{ "h1", "ERR" },
	{ "5D", "ERR" },
	{ "1w", "ERR" },
	{ "9223372036854775808", "ERR" },
	{ "99999999999999999999", "ERR" },
	{ "106751991167301d", "ERR" },
	{ "153722867280912931m", "ERR" },
	{ "2562047788015216h", "ERR" },
};

static void
test_durations(void)
{
	char	got[32];
	int64_t	v;
	size_t	i;

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		v = -42;
		errno = 0;
		if (duration_parse(durations[i].in, &v) == 0)
			snprintf(got, sizeof(got), "%" PRId64, v);
		else if (errno != EINVAL || v != -42)
			snprintf(got, sizeof(got), "ERR, errno %d, v %" PRId64,
			    errno, v);
		else
			snprintf(got, sizeof(got), "ERR");
		ok_str(got, durations[i].want, "duration_parse(\"%s\")",
		    durations[i].in);
	}
}

static int	root = -1;
static char	rootpath[512];

/* put - make file name hold s (NULL: make sure it does not exist). */
static void
put(const char *name, const char *s, size_t n)
{
	int	fd;

	unlinkat(root, name, 0);
	if (s == NULL)
		return;
	fd = openat(root, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write_all(fd, s, n) == -1 || close(fd) == -1) {
		perror(name);
		exit(1);
	}
}

static void
puts_file(const char *name, const char *s)
{
	put(name, s, s ? strlen(s) : 0);
}

struct fcase {
	const char	*label;
	const char	*content;	/* NULL: missing */
	const char	*want;
};

static const struct fcase lines[] = {
	{ "missing file", NULL, "0" },
	{ "empty file", "", "0" },
	{ "blank lines", "\n\n  \n\t\n", "0" },
	{ "only comments", "# one\n  # two\n", "0" },
	{ "one value", "value\n", "1:value" },
	{ "no newline", "value", "1:value" },
	{ "trimmed", "  \tvalue with space \t \n", "1:value with space" },
	{ "after comments and blanks", "# c\n\n  \n  x y \n z\n", "1:x y" },
	{ "CR LF file", "\r\nv\r\n", "1:v" },
	{ "first of two", "a\nb\n", "1:a" },
	{ "hash inside is kept", "a # not a comment\n", "1:a # not a comment" },
	{ "comment without newline then value", "#a\nb", "1:b" },
	{ "63 octets fit", "123456789012345678901234567890123456789012345678901"
	    "234567890123\n", "1:1234567890123456789012345678901234567890123"
	    "45678901234567890123" },
	{ "64 octets do not", "123456789012345678901234567890123456789012345678"
	    "9012345678901234\n", "-1:EFBIG" },
};

static void
render_line(char *dst, size_t size, int r, const char *buf)
{
	if (r == 1)
		snprintf(dst, size, "1:%s", buf);
	else if (r == -1)
		snprintf(dst, size, "-1:%s", errno == EFBIG ? "EFBIG" :
		    strerror(errno));
	else
		snprintf(dst, size, "%d", r);
}

static void
test_lines(void)
{
	char	buf[64], got[128], *big;
	size_t	i;
	int	r;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		puts_file("f", lines[i].content);
		errno = 0;
		r = control_line(root, "f", buf, sizeof(buf));
		render_line(got, sizeof(got), r, buf);
		ok_str(got, lines[i].want, "control_line: %s", lines[i].label);
	}
	if ((big = malloc(CONTROL_MAX)) == NULL)
		abort();
	memset(big, '#', CONTROL_MAX);
	big[0] = 'x';
	big[1] = '\n';
	put("f", big, CONTROL_MAX - 1);
	r = control_line(root, "f", buf, sizeof(buf));
	render_line(got, sizeof(got), r, buf);
	ok_str(got, "1:x", "control_line: file of CONTROL_MAX - 1 octets");
	put("f", big, CONTROL_MAX);
	errno = 0;
	r = control_line(root, "f", buf, sizeof(buf));
	render_line(got, sizeof(got), r, buf);
	ok_str(got, "-1:EFBIG", "control_line: file of CONTROL_MAX octets");
	free(big);
	r = control_line(root, "nodir/f", buf, sizeof(buf));
	ok(r == 0, "control_line: missing folder is a missing file");
}

static const struct fcase uints[] = {
	{ "missing: default", NULL, "0:7" },
	{ "empty: default", "", "0:7" },
	{ "comment only: default", "# 5\n", "0:7" },
	{ "zero", "0\n", "0:0" },
	{ "number", "42\n", "0:42" },
	{ "trimmed", "  42  \n", "0:42" },
	{ "leading zeros", "0042", "0:42" },
	{ "largest", "18446744073709551615", "0:18446744073709551615" },
	{ "2^64", "18446744073709551616", "-1:7" },
	{ "huge", "99999999999999999999999", "-1:7" },
	{ "negative", "-1", "-1:7" },
	{ "plus", "+1", "-1:7" },
	{ "suffix", "4x", "-1:7" },
	{ "inner space", "4 2", "-1:7" },
	{ "duration is not a number", "5m", "-1:7" },
};

/* sroot - a root folder for the settings: control/, domains/d.example/ */
static int	sroot = -1;

static void
sput(const char *name, const char *s)
{
	int	fd;

	unlinkat(sroot, name, 0);
	if (s == NULL)
		return;
	fd = openat(sroot, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write_all(fd, s, strlen(s)) == -1 || close(fd) == -1) {
		perror(name);
		exit(1);
	}
}

static void
test_uints(void)
{
	char		got[64];
	uint64_t	v;
	size_t		i;
	int		r;

	for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		sput("control/n", uints[i].content);
		v = 12345;
		r = setting_count(sroot, NULL, "n", 7, 0, UINT64_MAX, &v);
		snprintf(got, sizeof(got), "%d:%" PRIu64, r, v);
		ok_str(got, uints[i].want, "setting_count: %s", uints[i].label);
	}
	sput("control/n", "0\n");
	setting_count(sroot, NULL, "n", 7, 1, 10, &v);
	ok(v == 7, "setting_count: below min is the default");
	sput("control/n", "11\n");
	setting_count(sroot, NULL, "n", 7, 1, 10, &v);
	ok(v == 10, "setting_count: above max is max");
	sput("control/n", NULL);
}

static const struct fcase durs[] = {
	{ "missing: default", NULL, "0:432000" },
	{ "empty: default", "", "0:432000" },
	{ "seconds", "30\n", "0:30" },
	{ "minutes, trimmed", "  30m \n", "0:1800" },
	{ "after a comment", "# hold a week\n7d\n", "0:604800" },
	{ "typo keeps the default", "5 days\n", "-1:432000" },
	{ "negative keeps the default", "-5d\n", "-1:432000" },
	{ "overflow keeps the default", "99999999999999999999d\n",
	    "-1:432000" },
};

static void
test_durs(void)
{
	char	got[64];
	int64_t	v;
	size_t	i;
	int	r;

	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		sput("control/t", durs[i].content);
		v = 12345;
		r = setting_duration(sroot, NULL, "t", 432000, &v);
		snprintf(got, sizeof(got), "%d:%" PRId64, r, v);
		ok_str(got, durs[i].want, "setting_duration: %s",
		    durs[i].label);
	}
	sput("control/t", NULL);
}

/*
 * The one rule: domains/D/NAME, else control/NAME, else the default; a
 * bad file is passed over (and reported with -1) as if it were absent.
 */
static const struct scase {
	const char	*label;
	const char	*dom;		/* domains/d.example/t, NULL: none */
	const char	*ctl;		/* control/t, NULL: none */
	const char	*want;
} sorder[] = {
	{ "neither: the default", NULL, NULL, "0:99" },
	{ "control alone", NULL, "5m", "0:300" },
	{ "domain alone", "1h", NULL, "0:3600" },
	{ "domain over control", "1h", "5m", "0:3600" },
	{ "bad domain file: control, reported", "1 hour", "5m", "-1:300" },
	{ "bad domain file, no control: default", "x", NULL, "-1:99" },
	{ "bad control file: default, reported", NULL, "x", "-1:99" },
	{ "good domain file, bad control: domain", "2s", "x", "0:2" },
	{ "both bad: default", "x", "y", "-1:99" },
};

static void
test_settings(void)
{
	char	got[64], line[64];
	int64_t	v;
	size_t	i;
	int	r;

	for (i = 0; i < sizeof(sorder) / sizeof(sorder[0]); i++) {
		sput("domains/d.example/t", sorder[i].dom);
		sput("control/t", sorder[i].ctl);
		r = setting_duration(sroot, "d.example", "t", 99, &v);
		snprintf(got, sizeof(got), "%d:%" PRId64, r, v);
		ok_str(got, sorder[i].want, "settings: %s", sorder[i].label);
	}
	sput("domains/d.example/t", "1h");
	sput("control/t", "5m");
	setting_duration(sroot, "[192.0.2.1]", "t", 99, &v);
	ok(v == 300, "settings: an address literal has control/ only");
	setting_duration(sroot, "other.example", "t", 99, &v);
	ok(v == 300, "settings: a domain without the file: control/");
	sput("domains/d.example/t", NULL);
	sput("control/t", NULL);
	sput("control/f", "");
	ok(setting_flag(sroot, "d.example", "f", 0) == 1,
	    "setting_flag: an empty control file is on");
	sput("domains/d.example/f", "off");
	ok(setting_flag(sroot, "d.example", "f", 0) == 0,
	    "setting_flag: the domain's off over control's on");
	sput("domains/d.example/f", NULL);
	sput("control/f", NULL);
	ok(setting_flag(sroot, "d.example", "f", 1) == 1 &&
	    setting_flag(sroot, "d.example", "f", 0) == 0,
	    "setting_flag: neither: the default");
	sput("control/w", "ctl value\n");
	ok(setting_line(sroot, "d.example", "w", line, sizeof(line)) == 1 &&
	    strcmp(line, "ctl value") == 0, "setting_line: from control/");
	sput("domains/d.example/w", "# note\ndom\n");
	ok(setting_line(sroot, "d.example", "w", line, sizeof(line)) == 1 &&
	    strcmp(line, "dom") == 0, "setting_line: the domain's first");
	sput("domains/d.example/w", NULL);
	sput("control/w", NULL);
	ok(setting_line(sroot, "d.example", "w", line, sizeof(line)) == 0 &&
	    line[0] == '\0', "setting_line: none: 0, empty");
}

static void
settings_root(int make)
{
	if (make) {
		if (mkdirat(root, "s", 0700) == -1 ||
		    (sroot = openat(root, "s", O_RDONLY | O_DIRECTORY)) == -1 ||
		    mkdirat(sroot, "control", 0700) == -1 ||
		    mkdirat(sroot, "domains", 0700) == -1 ||
		    mkdirat(sroot, "domains/d.example", 0700) == -1) {
			perror("settings root");
			exit(1);
		}
		return;
	}
	unlinkat(sroot, "domains/d.example", AT_REMOVEDIR);
	unlinkat(sroot, "domains", AT_REMOVEDIR);
	unlinkat(sroot, "control", AT_REMOVEDIR);
	close(sroot);
	unlinkat(root, "s", AT_REMOVEDIR);
}

struct flcase {
	const char	*label;
	const char	*content;
	int		 dflt;
	int		 want;
};

static const struct flcase flags[] = {
	{ "missing, default 0", NULL, 0, 0 },
	{ "missing, default 1", NULL, 1, 1 },
	{ "empty file (touch)", "", 0, 1 },
	{ "blank and comment only", "\n# on\n", 0, 1 },
	{ "0", "0\n", 1, 0 },
	{ "no", "no\n", 1, 0 },
	{ "NO", "NO", 1, 0 },
	{ "off", "off\n", 1, 0 },
	{ "Off, trimmed", "  Off  \n", 1, 0 },
	{ "1", "1\n", 0, 1 },
	{ "yes", "yes\n", 0, 1 },
	{ "on", "on\n", 0, 1 },
	{ "anything else", "please\n", 0, 1 },
	{ "00 is not 0", "00\n", 0, 1 },
	{ "nope is not no", "nope\n", 0, 1 },
	{ "line too long is on", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 0, 1 },
};

static void
test_flags(void)
{
	size_t	i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		puts_file("flag", flags[i].content);
		ok(control_flag(root, "flag", flags[i].dflt) == flags[i].want,
		    "control_flag: %s", flags[i].label);
	}
}

/* count - entries in the root folder other than . and .. */
static int
count(void)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(rootpath)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int
is_content(const char *name, const char *want)
{
	char	buf[256];

	return control_read(root, name, buf, sizeof(buf)) ==
	    (ssize_t)strlen(want) && memcmp(buf, want, strlen(want)) == 0;
}

static int
mode_of(const char *name)
{
	struct stat	st;

	if (fstatat(root, name, &st, 0) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

static int
fill_fail(int fd, void *arg)
{
	(void)arg;
	if (write(fd, "partial", 7) != 7)
		return -1;
	errno = EIO;
	return -1;
}

static const struct replace *
mode(mode_t m)
{
	static struct replace	o;

	memset(&o, 0, sizeof(o));
	o.mode = m;
	return &o;
}

static void
test_replace(void)
{
	static const char *const	 names[] = { "f", "n", "t", "flag" };
	struct stat			 st;
	ino_t				 old;
	size_t				 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlinkat(root, names[i], 0);
	umask(022);
	ok(file_replace(root, "r", "first\n", 6, mode(0644)) == 0 &&
	    is_content("r", "first\n") && mode_of("r") == 0644 && count() == 1,
	    "file_replace: creates a new file, mode 0644, nothing else");
	fstatat(root, "r", &st, 0);
	old = st.st_ino;
	ok(file_replace(root, "r", "second, longer\n", 15, mode(0600)) == 0 &&
	    is_content("r", "second, longer\n") && mode_of("r") == 0600 &&
	    count() == 1, "file_replace: replaces content and mode");
	fstatat(root, "r", &st, 0);
	ok(st.st_ino != old, "file_replace: a new inode, renamed over");
	ok(file_replace(root, "r", "", 0, mode(0640)) == 0 && is_content("r", "") &&
	    mode_of("r") == 0640 && count() == 1,
	    "file_replace: empty content");
	ok(file_replace(root, "r", "x", 1, mode(0666)) == 0 && mode_of("r") == 0644,
	    "file_replace: mode goes through the umask");
	errno = 0;
	ok(file_replace_fn(root, "r", mode(0644), fill_fail, NULL) == -1 &&
	    errno == EIO && is_content("r", "x") && count() == 1,
	    "file_replace_fn: failing writer leaves the old file, no temp");
	errno = 0;
	ok(file_replace(root, "nodir/r", "x", 1, mode(0644)) == -1 &&
	    errno == ENOENT && count() == 1,
	    "file_replace: missing folder fails, leaves nothing");
	unlinkat(root, "r", 0);
}

/*
 * Dates: known instants (checked against date -u), the leap days of a
 * century and of a 400-year era, both sides of the epoch, and every day
 * of 1900-2100 against a count kept day by day here.
 */
static void
test_dates(void)
{
	static const struct {
		long long	 t;
		const char	*rfc, *ct;
	} d[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 +0000", "Thu Jan  1 00:00:00 1970" },
		{ -1, "Wed, 31 Dec 1969 23:59:59 +0000", "Wed Dec 31 23:59:59 1969" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 +0000", "Tue Feb 29 00:00:00 2000" },
		{ 4107542399LL, "Sun, 28 Feb 2100 23:59:59 +0000", "Sun Feb 28 23:59:59 2100" },
		{ 4107542400LL, "Mon, 01 Mar 2100 00:00:00 +0000", "Mon Mar  1 00:00:00 2100" },
		{ 1795451405, "Mon, 23 Nov 2026 16:30:05 +0000", "Mon Nov 23 16:30:05 2026" },
		{ 2147483647, "Tue, 19 Jan 2038 03:14:07 +0000", "Tue Jan 19 03:14:07 2038" },
		{ 2147483648LL, "Tue, 19 Jan 2038 03:14:08 +0000", "Tue Jan 19 03:14:08 2038" },
		{ -2208988800LL, "Mon, 01 Jan 1900 00:00:00 +0000", "Mon Jan  1 00:00:00 1900" },
		{ 253402300799LL, "Fri, 31 Dec 9999 23:59:59 +0000", "Fri Dec 31 23:59:59 9999" },
	};
	static const int	 mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	static const char	*mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const char	*wd[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	char		 got[DATE_MAX], want[DATE_MAX];
	size_t		 i;
	long long	 t = -2208988800LL + 43200;	/* 1900-01-01 noon, a Monday */
	int		 y, m, day, w = 0, bad = 0, n = 0;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		date_rfc5322(got, sizeof(got), (time_t)d[i].t);
		ok_str(got, d[i].rfc, "date_rfc5322(%lld)", d[i].t);
		date_ctime(got, sizeof(got), (time_t)d[i].t);
		ok_str(got, d[i].ct, "date_ctime(%lld)", d[i].t);
	}
	for (y = 1900; y <= 2100; y++)
		for (m = 0; m < 12; m++) {
			int	len = mdays[m] + (m == 1 && y % 4 == 0 &&
			    (y % 100 != 0 || y % 400 == 0));

			for (day = 1; day <= len; day++, t += 86400, w = (w + 1) % 7) {
				snprintf(want, sizeof(want),
				    "%s, %02d %s %d 12:00:00 +0000", wd[w], day,
				    mon[m], y);
				date_rfc5322(got, sizeof(got), (time_t)t);
				n++;
				if (strcmp(got, want) != 0 && bad++ < 3)
					printf("#   got %s, want %s\n", got, want);
			}
		}
	ok(bad == 0 && n == 73414, "every noon from 1900 to 2100 (%d days): %d wrong",
	    n, bad);
	date_rfc5322(got, 10, 0);
	ok(strlen(got) == 9, "date_rfc5322 cuts to the buffer (%s)", got);
}

int
main(void)
{
	const char	*tmp = getenv("TMPDIR");
	int		 n;

	n = snprintf(rootpath, sizeof(rootpath), "%s/t_control.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(rootpath) ||
	    mkdtemp(rootpath) == NULL ||
	    (root = open(rootpath, O_RDONLY | O_DIRECTORY)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_durations();
	test_lines();
	settings_root(1);
	test_uints();
	test_durs();
	test_settings();
	settings_root(0);
	test_flags();
	test_replace();
	test_dates();
	close(root);
	ok(rmdir(rootpath) == 0, "temporary folder left empty");
	return done();
}
