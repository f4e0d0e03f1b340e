/*
 * powerfs.h - the power-loss layer's shared state: the nodes (one per
 * backing inode the layer knows), the names changed in each folder
 * since that folder was last flushed, and the locks. The model itself
 * is described at the top of powerfs.c.
 */
#ifndef POWERFS_H
#define POWERFS_H

#define FUSE_USE_VERSION 34
#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>

#include <fuse_lowlevel.h>

/* what a power cut leaves of a file's data */
enum dur {
	DUR_LIVE,	/* the live data: unchanged since its last flush */
	DUR_STORE,	/* the copy store/d.ID, taken before the change */
	DUR_NONE	/* nothing: created and never flushed */
};

enum model {
	MODEL_STRICT,	/* only what was flushed, folder by folder */
	MODEL_WORST,	/* strict, and removed names stay removed */
	MODEL_JOURNAL	/* names durable in order at any flush */
};

struct pent;

struct pnode {
	struct pnode	*hnext;		/* chain of the table by backing ino */
	struct pnode	*dnext, *dprev;	/* folders with changed names */
	struct pent	*pend;		/* this folder's changed names */
	ino_t		 ino;		/* backing st_ino */
	uint64_t	 id;		/* for store names */
	uint64_t	 nlookup;	/* the kernel's references */
	int		 fd;		/* O_PATH, pins the backing inode */
	mode_t		 type;		/* S_IFMT bits */
	unsigned	 nopen;		/* open handles */
	unsigned	 dref;		/* changed names whose durable binding is it */
	unsigned	 npend;		/* entries in pend */
	enum dur	 dur;
	int		 hidden;	/* its only live name is store/g.ID */
	int		 linkable;	/* a tmpfile opened without O_EXCL */
	int		 emitted;	/* folder already written by the cut */
	pthread_mutex_t	 lock;		/* data: write, truncate, fsync */
};

/* a name of folder dir changed since its last flush; was is its durable
 * binding then (NULL: absent) */
struct pent {
	struct pent	*hnext;		/* chain of the global table */
	struct pent	*next, *prev;	/* the folder's list */
	struct pnode	*dir;
	struct pnode	*was;
	char		 name[];
};

struct pstats {
	unsigned long	fsyncs, dirsyncs, tmpfiles, cows, stored;
};

extern struct pnode	*root;
extern int		 storefd;	/* the store folder */
extern int		 cut;		/* set once the power is cut */
extern enum model	 model;
extern pthread_mutex_t	 big;		/* names, nodes, tables */
extern pthread_rwlock_t	 cutlock;	/* every operation reads, the cut writes */
extern struct pstats	 stats;
extern struct fuse_session *se;

/* node.c */
int		 node_init(const char *);
struct pnode	*node_of(fuse_ino_t);
struct pnode	*node_find(ino_t);
struct pnode	*node_get(int, const struct stat *);
struct pnode	*node_at(struct pnode *, const char *);
void		 node_free_maybe(struct pnode *);
int		 node_stat(struct pnode *, struct stat *);
void		 node_proc(struct pnode *, char *, size_t);
void		 store_name(char *, size_t, char, uint64_t);
int		 node_hide(struct pnode *, struct pnode *, const char *);
int		 node_cow(struct pnode *);
struct pent	*pend_find(struct pnode *, const char *);
void		 pend_mark(struct pnode *, const char *, struct pnode *,
		    struct pnode *);
unsigned	 pend_refs_after(struct pnode *, const char *, struct pnode *);
void		 pend_flush(struct pnode *);
void		 pend_flush_all(void);

/* names.c, files.c */
void		 ops_names(struct fuse_lowlevel_ops *);
void		 ops_files(struct fuse_lowlevel_ops *);
int		 ops_enter(fuse_req_t);
void		 ops_leave(void);
void		 reply_entry(fuse_req_t, struct pnode *, const struct stat *);
void		 fix_stat(struct pnode *, struct stat *);

/* cut.c */
int		 cut_build(int, char *, size_t);

#endif
