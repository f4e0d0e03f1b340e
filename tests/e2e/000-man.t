#!/bin/sh
# Every man page is clean under mandoc -Tlint, and every program built
# has a page.
. "$(dirname "$0")/lib.sh"

if ! command -v mandoc >/dev/null 2>&1; then
	skip "mandoc -Tlint" "mandoc is not installed"
	done_testing
	exit
fi
for m in "$SNF_TOP"/man/*.[1-9]; do
	[ -f "$m" ] || continue
	out=$(mandoc -Tlint -W warning "$m" 2>&1)
	[ -z "$out" ]
	ok $? "mandoc -Tlint $(basename "$m")"
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
done
for p in "$SNF_TOP"/bin/snf-*; do
	[ -x "$p" ] || continue
	n=$(basename "$p")
	[ -f "$SNF_TOP/man/$n.8" ]
	ok $? "$n has a man page"
done
done_testing
