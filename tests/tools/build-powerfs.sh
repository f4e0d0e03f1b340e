#!/bin/sh
# build-powerfs.sh - build the power-loss layer (powerfs/, on libfuse3)
# into DIR (tests/tools/bin by default). Prints the program's path;
# status 1 when libfuse3 or a compiler is missing (the tests then skip).
# Rebuilds only when a source is newer than the program.
cd "$(dirname "$0")" || exit 1
out=${1:-$(pwd)/bin}
mkdir -p "$out" || exit 1
prog=$out/powerfs
if [ -x "$prog" ] && [ -z "$(find powerfs -newer "$prog" -name '*.[ch]')" ]; then
	echo "$prog"
	exit 0
fi
flags=$(pkg-config --cflags --libs fuse3 2>/dev/null) || exit 1
# shellcheck disable=SC2086
${CC:-cc} -std=gnu99 -O2 -g -Wall -Wextra -o "$prog.tmp" powerfs/*.c \
    $flags -lpthread >"$out/powerfs.build.log" 2>&1 || {
	cat "$out/powerfs.build.log" >&2
	exit 1
}
mv "$prog.tmp" "$prog" && echo "$prog"
