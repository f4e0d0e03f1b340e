# Makefile for snf. Generated from Makefile.in by configure:
# ./configure
# Edit Makefile.in, not Makefile. POSIX make.

CC = cc
CFLAGS =  -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Werror=implicit-function-declaration -fstack-protector-strong -D_FORTIFY_SOURCE=2 -O2 -isystem /usr/include/bsd -DLIBBSD_OVERLAY      -Icommon
LDFLAGS = 
LIBS = -lbsd  -lcdb  -lz  -ltls 
PREFIX = /usr/local
BINDIR = /usr/local/bin
MANDIR = /usr/local/share/man
SNFDIR = /var/spool/snf
HAVE_S6 = no
DESTDIR =

PROGS = bin/snf-smtpd bin/snf-queue bin/snf-userdb

COMMON_OBJS = common/addr.o common/buf.o common/control.o common/die.o \
	common/domain.o common/envelope.o common/fileio.o common/io.o \
	common/log.o common/param.o common/qinject.o common/queue.o \
	common/smtpline.o
COMMON_HDRS = common/addr.h common/buf.h common/config.h common/control.h \
	common/die.h common/domain.h common/envelope.h common/exitcodes.h \
	common/fileio.h common/io.h common/log.h common/param.h \
	common/qinject.h common/queue.h common/smtpline.h

SMTPD_OBJS = cmd/snf-smtpd/main.o cmd/snf-smtpd/smtp.o cmd/snf-smtpd/data.o \
	cmd/snf-smtpd/rcpt.o cmd/snf-smtpd/reply.o cmd/snf-smtpd/body.o
SMTPD_HDRS = cmd/snf-smtpd/smtpd.h
QUEUE_OBJS = cmd/snf-queue/main.o cmd/snf-queue/inject.o cmd/snf-queue/list.o
QUEUE_HDRS = cmd/snf-queue/snfq.h
USERDB_OBJS = cmd/snf-userdb/main.o

UNIT_TESTS = tests/unit/t_addr tests/unit/t_param tests/unit/t_smtpline \
	tests/unit/t_control tests/unit/t_envelope tests/unit/t_queue \
	tests/unit/t_data
TEST_TOOLS =

MAN8 = man/snf-smtpd.8 man/snf-queue.8 man/snf-userdb.8
MAN5 = man/snf-domains.5 man/snf-queue.5
MAN7 = man/snf.7

all: $(PROGS)

.SUFFIXES: .c .o
.c.o:
	$(CC) $(CFLAGS) -c -o $@ $<

$(COMMON_OBJS): $(COMMON_HDRS)
$(SMTPD_OBJS): $(COMMON_HDRS) $(SMTPD_HDRS)
$(QUEUE_OBJS): $(COMMON_HDRS) $(QUEUE_HDRS)
$(USERDB_OBJS): $(COMMON_HDRS)

libsnf.a: $(COMMON_OBJS)
	rm -f $@
	ar rcs $@ $(COMMON_OBJS)

bin/snf-smtpd: $(SMTPD_OBJS) libsnf.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SMTPD_OBJS) libsnf.a $(LIBS)

bin/snf-queue: $(QUEUE_OBJS) libsnf.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(QUEUE_OBJS) libsnf.a $(LIBS)

bin/snf-userdb: $(USERDB_OBJS) libsnf.a
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(USERDB_OBJS) libsnf.a $(LIBS)

tests/unit/t_data: tests/unit/t_data.c tests/tap.h cmd/snf-smtpd/body.o \
    libsnf.a
	$(CC) $(CFLAGS) $(LDFLAGS) -Icmd/snf-smtpd -o $@ tests/unit/t_data.c \
	    cmd/snf-smtpd/body.o libsnf.a $(LIBS)

tests/unit/t_addr tests/unit/t_param tests/unit/t_smtpline \
tests/unit/t_control tests/unit/t_envelope tests/unit/t_queue: \
    tests/tap.h libsnf.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $@.c libsnf.a $(LIBS)

tests: $(PROGS) $(UNIT_TESTS) $(TEST_TOOLS)

check: tests
	sh tests/run.sh

lint-man:
	mandoc -Tlint -W warning $(MAN5) $(MAN7) $(MAN8)

install: $(PROGS)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	for p in $(PROGS); do cp $$p $(DESTDIR)$(BINDIR)/ || exit 1; done
	cp $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	cp $(MAN7) $(DESTDIR)$(MANDIR)/man7/
	cp $(MAN8) $(DESTDIR)$(MANDIR)/man8/

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$${p#bin/}; done
	for m in $(MAN5) $(MAN7) $(MAN8); do \
	    f=$${m#man/}; rm -f $(DESTDIR)$(MANDIR)/man$${f##*.}/$$f; done

clean:
	rm -f $(COMMON_OBJS) $(SMTPD_OBJS) $(QUEUE_OBJS) $(USERDB_OBJS) \
	    libsnf.a $(PROGS) $(UNIT_TESTS) $(TEST_TOOLS)

distclean: clean
	rm -f Makefile common/config.h

.PHONY: all tests check lint-man install uninstall clean distclean
