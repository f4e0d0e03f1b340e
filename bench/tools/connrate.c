/*
 * connrate - how many connections per second a server accepts and
 * finishes: C clients in parallel each connect, read until the server
 * closes, and connect again, N connections in all. With tcpserver
 * running /bin/true, this is the fork-and-exec ceiling of any
 * one-process-per-connection server on the machine.
 *
 *   connrate HOST PORT CLIENTS TOTAL     prints connections per second
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
client(const struct sockaddr_in *sa, int n)
{
	char	buf[4096];
	int	i, fd;

	for (i = 0; i < n; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == -1)
			exit(1);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	exit(0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	sa;
	int			c, n, i, st, bad = 0;
	double			t0;

	if (argc != 5)
		return 100;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	c = atoi(argv[3]);
	n = atoi(argv[4]);
	t0 = now();
	for (i = 0; i < c; i++)
		if (fork() == 0)
			client(&sa, n / c);
	for (i = 0; i < c; i++)
		if (wait(&st) == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	if (bad)
		return 111;
	printf("%.0f\n", (n / c) * c / (now() - t0));
	return 0;
}
