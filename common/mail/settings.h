/*
 * settings.h - the one reader of snf's settings (settings.c): a
 * setting NAME of domain D is domains/D/NAME, else control/NAME, else
 * its default. With no domain (or an address literal), control/NAME,
 * else the default. One function per kind of value.
 */
#ifndef SNF_SETTINGS_H
#define SNF_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

int	setting_duration(int, const char *, const char *, int64_t, int64_t *);
int	setting_count(int, const char *, const char *, uint64_t, uint64_t,
	    uint64_t, uint64_t *);
int	setting_flag(int, const char *, const char *, int);
int	setting_line(int, const char *, const char *, char *, size_t);

#endif
