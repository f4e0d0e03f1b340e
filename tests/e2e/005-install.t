#!/bin/sh
# make install honours DESTDIR and puts every program and page in place;
# make uninstall takes them away again.
. "$(dirname "$0")/lib.sh"

S=$T/stage
cd "$SNF_TOP" || exit 1
bindir=$(sed -n 's/^BINDIR = //p' Makefile)
mandir=$(sed -n 's/^MANDIR = //p' Makefile)
[ -e "$bindir/snf-smtpd" ] && before=yes || before=no
make -s install DESTDIR="$S" >"$T/install.out" 2>&1
ok $? "make install DESTDIR=... exits 0"
for p in bin/snf-*; do
	[ -x "$S$bindir/$(basename "$p")" ]
	ok $? "installed $bindir/$(basename "$p")"
done
for m in man/*.[1-9]; do
	f=$(basename "$m")
	[ -f "$S$mandir/man${f##*.}/$f" ]
	ok $? "installed $mandir/man${f##*.}/$f"
done
if [ "$before" = no ]; then
	[ ! -e "$bindir/snf-smtpd" ]
	ok $? "nothing written outside DESTDIR ($bindir/snf-smtpd absent)"
else
	skip "nothing written outside DESTDIR" "snf is installed in $bindir"
fi
make -s uninstall DESTDIR="$S" >>"$T/install.out" 2>&1
ok $? "make uninstall exits 0"
[ -z "$(find "$S" -type f)" ]
ok $? "make uninstall removes every file it installed"
done_testing
