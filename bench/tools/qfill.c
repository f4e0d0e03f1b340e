/*
 * qfill - fill a queue through snf-queue: N messages (the file MSG)
 * spread over D domains (d0001.test ... each protected, user "u"),
 * P snf-queue processes at a time.
 *
 *   qfill SNF-QUEUE ROOT MSG N D P
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
one(const char *prog, const char *root, const char *msg, long i, int d)
{
	char	env[128];
	int	p[2], n, fd;

	if ((fd = open(msg, O_RDONLY)) == -1 || pipe(p) == -1)
		_exit(111);
	n = snprintf(env, sizeof(env), "Fsender@origin.test%cTu@d%04ld.test%c%c",
	    0, (long)(i % d) + 1, 0, 0);
	if (write(p[1], env, (size_t)n) != n)
		_exit(111);
	close(p[1]);
	dup2(fd, 0);
	dup2(p[0], 1);
	execl(prog, "snf-queue", "-d", root, (char *)NULL);
	_exit(111);
}

int
main(int argc, char **argv)
{
	long	n, i, running = 0, bad = 0;
	int	d, par, st;

	if (argc != 7)
		return 100;
	n = atol(argv[4]);
	d = atoi(argv[5]);
	par = atoi(argv[6]);
	for (i = 0; i < n; i++) {
		if (running == par) {
			if (wait(&st) != -1 && (!WIFEXITED(st) || WEXITSTATUS(st)))
				bad++;
			running--;
		}
		switch (fork()) {
		case -1:
			return 111;
		case 0:
			one(argv[1], argv[2], argv[3], i, d);
		}
		running++;
	}
	while (running-- > 0)
		if (wait(&st) != -1 && (!WIFEXITED(st) || WEXITSTATUS(st)))
			bad++;
	if (bad)
		fprintf(stderr, "qfill: %ld failures\n", bad);
	return bad ? 111 : 0;
}
