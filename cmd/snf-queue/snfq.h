/*
 * snfq.h - snf-queue's parts: inject (the qmail-queue protocol) and the
 * read-only verbs (status, list).
 */
#ifndef SNFQ_H
#define SNFQ_H

int	queue_status(int, int, char **);
int	queue_list(int, int, char **);

#endif
