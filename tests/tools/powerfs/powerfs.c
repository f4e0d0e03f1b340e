/*
 * powerfs - a FUSE file system that can lose power.
 *
 *   powerfs [-T] [-m strict|worst|journal] [-n threads] [-t seconds]
 *       -s STORE BACKING MOUNTPOINT
 *
 * Every operation passes through to the folder BACKING. Beside that live
 * tree the layer keeps what a power cut would leave of it, the durable
 * tree; on SIGUSR1 it cuts the power: every later operation fails with
 * EIO, and BACKING becomes the durable tree (the live one is moved to
 * STORE/old). STORE is a scratch folder on the same file system; powerfs
 * keeps its copies there. SIGTERM (or the -t lifetime, 600 s) unmounts
 * and exits. -T refuses O_TMPFILE (EOPNOTSUPP, as an older kernel or
 * libfuse does), for programs that fall back to named temporary files.
 * Status lines on stdout: "powerfs: ready conn=N" once
 * mounted, "powerfs: cut ..." once the durable tree is in place (or
 * "powerfs: cut failed ..."), "powerfs: exit".
 *
 * The model, strict (the default): the minimal guarantee of POSIX and of
 * ext4 without a journal.
 *  - Everything in BACKING at the mount is durable.
 *  - A file's data and size are durable as of its last fsync(2) or
 *    fdatasync(2). A file created and never flushed has no data (it is
 *    empty, should a name of it survive). Attributes other than the size
 *    (mode, owner, times) are not modelled: the cut keeps the live ones.
 *  - A folder's names (name -> inode) are durable as of the last fsync of
 *    that folder, and only then. A name added since is gone after the
 *    cut; a name removed since is back, bound to the inode it had; a name
 *    bound since to another inode is bound to the old one. Nothing else
 *    flushes a folder: not the fsync of a file in it, not sync(2), not
 *    the flush of its parent (so a new folder whose parent was flushed
 *    exists, empty of the names it got since its own last flush).
 *  - So a rename is durable only once both folders are flushed, each on
 *    its own: with only the target flushed the file is under both names
 *    (the source folder keeps the old name until it is flushed: no loss,
 *    a duplicate); with only the source flushed it is under neither.
 *  - A linked inode is durable through any durable name, all of its
 *    durable names are hard links of one file, and its data is its own
 *    durable data (its link count is what the durable names make it).
 *    A folder durable under two names (a rename of a folder flushed on
 *    one side only) is kept under the first one the cut finds.
 *  - O_TMPFILE is implemented (the FUSE_TMPFILE request, which libfuse
 *    3.14 does not know, is answered here): the file has no name until
 *    linkat(2), through /proc/self/fd, gives it one, which is then an
 *    ordinary added name.
 * The model worst: strict, except that a name removed since its folder's
 * last flush (unlink, the source of a rename) stays removed: the worst
 * of the outcomes strict allows for a reader looking for its files, as on
 * a file system without a journal that writes a folder block back by
 * itself. A name bound since to another inode keeps the old one.
 * The model journal: metadata (names) are durable in order, all of them
 * at the next flush of anything (fsync of any file or folder), as with a
 * metadata journal; data as in strict (a name committed before its
 * file's data was flushed gives an empty or old file, as with
 * data=writeback).
 *
 * The layer must run as root: allow_other (the tests may run programs as
 * another user), default_permissions (the kernel checks the modes).
 * flock(2) and fcntl locks are the kernel's own (local to this machine).
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "powerfs.h"

struct pnode	*root;
int		 storefd = -1;
int		 cut;
enum model	 model = MODEL_STRICT;
pthread_mutex_t	 big = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t cutlock;
struct pstats	 stats;
struct fuse_session *se;

static int		 backfd = -1;	/* BACKING, for the cut */
static unsigned long	 ntmp;
static int		 notmpfile;
static pthread_mutex_t	 wlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 wcond = PTHREAD_COND_INITIALIZER;
static int		 workers;

static void
usage(void)
{
	fprintf(stderr, "usage: powerfs [-T] [-m strict|worst|journal] "
	    "[-n threads] [-t seconds] -s store backing mountpoint\n");
	exit(100);
}

static void
to_attr(const struct stat *st, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = st->st_ino;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = (uint64_t)st->st_atim.tv_sec;
	a->mtime = (uint64_t)st->st_mtim.tv_sec;
	a->ctime = (uint64_t)st->st_ctim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = 1;	/* the kernel's d_tmpfile drops it to 0 */
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->blksize = (uint32_t)st->st_blksize;
}

/* tmp_make - a tmpfile: a new file named store/g.ID, no name in the tree.
 * Returns its node (looked up and open once, fd in *fdp), NULL with errno. */
static struct pnode *
tmp_make(const struct fuse_in_header *h, const struct fuse_create_in *ci,
    int *fdp, struct stat *st)
{
	struct pnode	*n;
	char		 t[64], g[64];
	int		 fd, pfd;

	snprintf(t, sizeof(t), "n.%lu", ++ntmp);
	fd = openat(storefd, t, (int)(ci->flags & (O_ACCMODE | O_APPEND)) |
	    O_CREAT | O_EXCL | O_CLOEXEC, ci->mode & 07777);
	if (fd == -1)
		return NULL;
	if (h->uid != geteuid() || h->gid != getegid())
		(void)fchown(fd, h->uid, h->gid);
	if ((pfd = openat(storefd, t, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(pfd, st) == -1 || (n = node_get(pfd, st)) == NULL) {
		unlinkat(storefd, t, 0);
		close(fd);
		return NULL;
	}
	store_name(g, sizeof(g), 'g', n->id);
	if (renameat(storefd, t, storefd, g) == -1) {
		unlinkat(storefd, t, 0);
		close(fd);
		node_free_maybe(n);
		return NULL;
	}
	n->hidden = 1;
	n->linkable = !(ci->flags & O_EXCL);
	n->dur = DUR_NONE;
	n->nlookup++;
	n->nopen++;
	stats.tmpfiles++;
	*fdp = fd;
	return n;
}

/*
 * tmpfile_raw - answer a FUSE_TMPFILE request: a struct fuse_create_in
 * and a name ("/", unused) in, a struct fuse_entry_out and a struct
 * fuse_open_out back, as for FUSE_CREATE.
 */
static void
tmpfile_raw(const struct fuse_in_header *h, const struct fuse_create_in *ci)
{
	struct fuse_out_header	oh;
	struct fuse_entry_out	eo;
	struct fuse_open_out	oo;
	struct iovec		iov[3];
	struct pnode		*n = NULL;
	struct stat		st;
	int			fd = -1, e = EIO;

	pthread_rwlock_rdlock(&cutlock);
	if (notmpfile)
		e = ENOSYS;	/* the kernel says EOPNOTSUPP from now on */
	else if (!cut) {
		pthread_mutex_lock(&big);
		n = tmp_make(h, ci, &fd, &st);
		e = errno;
		pthread_mutex_unlock(&big);
	}
	memset(&oh, 0, sizeof(oh));
	oh.unique = h->unique;
	iov[0].iov_base = &oh;
	iov[0].iov_len = sizeof(oh);
	if (n == NULL) {
		oh.error = -(e ? e : EIO);
		oh.len = sizeof(oh);
		(void)!writev(fuse_session_fd(se), iov, 1);
		pthread_rwlock_unlock(&cutlock);
		return;
	}
	memset(&eo, 0, sizeof(eo));
	memset(&oo, 0, sizeof(oo));
	eo.nodeid = (uint64_t)(uintptr_t)n;
	eo.entry_valid = eo.attr_valid = 1;
	to_attr(&st, &eo.attr);
	oo.fh = (uint64_t)fd;
	iov[1].iov_base = &eo;
	iov[1].iov_len = sizeof(eo);
	iov[2].iov_base = &oo;
	iov[2].iov_len = sizeof(oo);
	oh.len = sizeof(oh) + sizeof(eo) + sizeof(oo);
	if (writev(fuse_session_fd(se), iov, 3) == -1) {
		close(fd);	/* the request was interrupted: undo */
		pthread_mutex_lock(&big);
		n->nopen--;
		n->nlookup--;
		node_free_maybe(n);
		pthread_mutex_unlock(&big);
	}
	pthread_rwlock_unlock(&cutlock);
}

/* is_tmpfile - the request in buf is FUSE_TMPFILE (libfuse would say
 * ENOSYS, and the kernel would then refuse O_TMPFILE with EOPNOTSUPP). */
static int
is_tmpfile(const struct fuse_buf *buf)
{
	const struct fuse_in_header	*h = buf->mem;

	return !(buf->flags & FUSE_BUF_IS_FD) && buf->size >= sizeof(*h) +
	    sizeof(struct fuse_create_in) && h->opcode == FUSE_TMPFILE;
}

static void *
worker(void *arg)
{
	struct fuse_buf	buf;
	int		r;

	(void)arg;
	memset(&buf, 0, sizeof(buf));
	while (!fuse_session_exited(se)) {
		r = fuse_session_receive_buf(se, &buf);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r <= 0)
			break;
		if (is_tmpfile(&buf))
			tmpfile_raw(buf.mem, (const struct fuse_create_in *)
			    ((const char *)buf.mem + sizeof(struct fuse_in_header)));
		else
			fuse_session_process_buf(se, &buf);
	}
	free(buf.mem);
	pthread_mutex_lock(&wlock);
	workers--;
	pthread_cond_signal(&wcond);
	pthread_mutex_unlock(&wlock);
	return NULL;
}

static void
pfs_init(void *data, struct fuse_conn_info *conn)
{
	(void)data;
	conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
	    FUSE_CAP_SPLICE_MOVE | FUSE_CAP_WRITEBACK_CACHE);
}

/* power_cut - stop everything, then put the durable tree in place. */
static void
power_cut(void)
{
	char	msg[512];

	pthread_rwlock_wrlock(&cutlock);
	pthread_mutex_lock(&big);
	cut = 1;
	if (cut_build(backfd, msg, sizeof(msg)) == -1)
		printf("powerfs: cut failed: %s: %s\n", strerror(errno), msg);
	else
		printf("powerfs: cut %s\n", msg);
	fflush(stdout);
	pthread_mutex_unlock(&big);
	pthread_rwlock_unlock(&cutlock);
}

/* finish - unmount, abort the connection, give the workers 3 s. */
static void
finish(unsigned conn)
{
	struct timespec	ts;
	char		path[80];
	int		fd;

	fuse_session_exit(se);
	fuse_session_unmount(se);
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort", conn);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) != -1) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	pthread_mutex_lock(&wlock);
	while (workers > 0)
		if (pthread_cond_timedwait(&wcond, &wlock, &ts) != 0)
			break;
	pthread_mutex_unlock(&wlock);
	printf("powerfs: exit\n");
	fflush(stdout);
	_exit(0);	/* closes /dev/fuse: whatever is left is aborted */
}

/* setup - the store, the root node, the locks, the descriptors. */
static void
setup(const char *store, const char *backing)
{
	pthread_rwlockattr_t	ra;
	struct rlimit		rl;
	struct stat		a, b;

	if ((storefd = open(store, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (backfd = open(backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(storefd, &a) == -1 || fstat(backfd, &b) == -1) {
		perror("powerfs: store or backing folder");
		exit(111);
	}
	if (a.st_dev != b.st_dev) {
		fprintf(stderr, "powerfs: store and backing on two file systems\n");
		exit(100);
	}
	if (node_init(backing) == -1) {
		perror("powerfs: backing folder");
		exit(111);
	}
	pthread_rwlockattr_init(&ra);
	/* the cut must not wait for a pause in the traffic */
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&cutlock, &ra);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;	/* one O_PATH per node */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
serve(const char *mnt, int nthreads)
{
	struct fuse_lowlevel_ops	 ops;
	char				*argv[] = { "powerfs", "-o",
	    "allow_other,default_permissions,fsname=powerfs,subtype=powerfs",
	    NULL };
	struct fuse_args		 args = FUSE_ARGS_INIT(3, argv);
	struct stat			 st;
	pthread_t			 t;
	sigset_t			 set;
	int				 i, sig;

	memset(&ops, 0, sizeof(ops));
	ops.init = pfs_init;
	ops_names(&ops);
	ops_files(&ops);
	if ((se = fuse_session_new(&args, &ops, sizeof(ops), NULL)) == NULL ||
	    fuse_session_mount(se, mnt) != 0) {
		fprintf(stderr, "powerfs: unable to mount %s\n", mnt);
		exit(111);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGALRM);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&t, NULL, worker, NULL) == 0) {
			pthread_detach(t);
			workers++;
		}
	/* only now: the stat is served by the workers */
	if (stat(mnt, &st) == -1) {
		fprintf(stderr, "powerfs: unable to mount %s\n", mnt);
		exit(111);
	}
	printf("powerfs: ready conn=%u\n", minor(st.st_dev));
	fflush(stdout);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1 && !cut)
			power_cut();
		else if (sig != SIGUSR1)
			finish(minor(st.st_dev));
	}
}

int
main(int argc, char *argv[])
{
	const char	*store = NULL;
	sigset_t	 set;
	int		 c, nthreads = 16, lifetime = 600;

	while ((c = getopt(argc, argv, "Tm:n:s:t:")) != -1) {
		switch (c) {
		case 'T':
			notmpfile = 1;
			break;
		case 'm':
			if (strcmp(optarg, "strict") == 0)
				model = MODEL_STRICT;
			else if (strcmp(optarg, "worst") == 0)
				model = MODEL_WORST;
			else if (strcmp(optarg, "journal") == 0)
				model = MODEL_JOURNAL;
			else
				usage();
			break;
		case 'n':
			nthreads = atoi(optarg);
			break;
		case 's':
			store = optarg;
			break;
		case 't':
			lifetime = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || store == NULL || nthreads < 1 ||
	    lifetime < 1)
		usage();
	if (geteuid() != 0) {
		fprintf(stderr, "powerfs: must run as root\n");
		exit(100);
	}
	umask(0);
	setup(store, argv[optind]);
	/* signals go to sigwait in serve, never to a worker */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)lifetime);
	serve(argv[optind + 1], nthreads);
	return 0;
}
