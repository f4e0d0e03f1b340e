/*
 * qwrite.h - the queue writer: one message on fd 0 and its envelope on
 * fd 1 (the qmail-queue protocol) into the queue. snf-queue runs it, and
 * so do snf-smtpd and snf-send, in a child process, without an exec.
 */
#ifndef SNF_QWRITE_H
#define SNF_QWRITE_H

int	queue_inject(int);

#endif
