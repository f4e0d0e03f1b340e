/*
 * control.c - the root folder, and the small files an operator writes
 * in it. Every reader caps what it reads (CONTROL_MAX) and tells a
 * missing file apart from a malformed one; the rule for what a setting
 * falls back to is mail/settings.c's.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "fileio.h"

/* root_path - the root folder: -d DIR, else $SNFDIR, else the default. */
const char *
root_path(const char *opt)
{
	const char	*e;

	if (opt && *opt)
		return opt;
	if ((e = getenv("SNFDIR")) != NULL && *e)
		return e;
	return SNF_DEFAULT_DIR;
}

int
root_open(const char *opt)
{
	return open(root_path(opt), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * control_read - read all of path (relative to dirfd) into buf, NUL
 * terminated. Returns its length, or -1: ENOENT when missing, EFBIG when
 * it does not fit in size - 1 bytes, EINVAL when it is not a regular
 * file. The operator's files may be links (a certificate kept
 * elsewhere); the service's own files are read with file_read_at and
 * O_NOFOLLOW.
 */
ssize_t
control_read(int dirfd, const char *path, char *buf, size_t size)
{
	return file_read_at(dirfd, path, 0, buf, size);
}

/*
 * control_line - the first line of path that is neither blank nor a
 * "#" comment, trimmed. Returns 1 when found, 0 when the file is missing
 * or has no such line, -1 on error.
 */
int
control_line(int dirfd, const char *path, char *buf, size_t size)
{
	char	tmp[CONTROL_MAX];
	char	*line, *next, *end;
	ssize_t	n;

	if ((n = control_read(dirfd, path, tmp, sizeof(tmp))) == -1)
		return errno == ENOENT ? 0 : -1;
	for (line = tmp; line < tmp + n; line = next) {
		next = memchr(line, '\n', (size_t)(tmp + n - line));
		next = next ? next + 1 : tmp + n;
		while (line < next && isspace((unsigned char)*line))
			line++;
		end = next;
		while (end > line && isspace((unsigned char)end[-1]))
			end--;
		if (end == line || *line == '#')
			continue;
		if ((size_t)(end - line) >= size) {
			errno = EFBIG;
			return -1;
		}
		memcpy(buf, line, (size_t)(end - line));
		buf[end - line] = '\0';
		return 1;
	}
	return 0;
}

/*
 * duration_parse - "N" seconds, or N followed by s, m, h or d. No sign,
 * no spaces, no overflow past INT64_MAX seconds.
 */
int
duration_parse(const char *s, int64_t *out)
{
	int64_t	v = 0, mul = 1;
	size_t	i, n = strlen(s);

	if (n == 0)
		goto bad;
	switch (s[n - 1]) {
	case 's': mul = 1; n--; break;
	case 'm': mul = 60; n--; break;
	case 'h': mul = 3600; n--; break;
	case 'd': mul = 86400; n--; break;
	}
	if (n == 0)
		goto bad;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto bad;
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			goto bad;
		v = v * 10 + (s[i] - '0');
	}
	if (v > INT64_MAX / mul)
		goto bad;
	*out = v * mul;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/*
 * control_flag_read - 1 when path exists and does not say 0, no or off
 * (present but empty, touch(1)ed: on), 0 when it says one of them; -1
 * with errno when it cannot be read (ENOENT: it is missing).
 */
int
control_flag_read(int dirfd, const char *path)
{
	char	line[64];
	int	r;

	r = control_line(dirfd, path, line, sizeof(line));
	if (r == -1 && errno == EFBIG)
		return 1;	/* a long value is not one of the "off" words */
	if (r == -1)
		return -1;
	if (r == 0)
		return faccessat(dirfd, path, F_OK, 0) == -1 ? -1 : 1;
	return !(strcmp(line, "0") == 0 || strcasecmp(line, "no") == 0 ||
	    strcasecmp(line, "off") == 0);
}

/* control_flag - control_flag_read, dflt when the file is unreadable. */
int
control_flag(int dirfd, const char *path, int dflt)
{
	int	v = control_flag_read(dirfd, path);

	return v == -1 ? dflt : v;
}

/* control_me - this host's name from control/me, else the hostname. */
void
control_me(int dirfd, char *buf, size_t size)
{
	if (control_line(dirfd, "control/me", buf, size) == 1)
		return;
	if (gethostname(buf, size) == -1 || buf[0] == '\0')
		strlcpy(buf, "localhost", size);
	buf[size - 1] = '\0';
}
