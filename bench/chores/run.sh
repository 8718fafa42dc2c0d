#!/bin/sh
# Build and run the scheduled-work ingest benchmark; prints one Markdown
# table (numbers are recorded in README.md beside this script).
#   bench/chores/run.sh                 # 4 000 events, one by one and 64 per commit
#   bench/chores/run.sh 10000 1 16 64   # EVENTS BATCH...
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$top/build/out/bench"
mkdir -p "$out"
make -s -C "$top" -f apxs.mk build/out/plain/libnxscore.a
pkgs="apr-1 apr-util-1 jansson libcurl openssl icu-uc icu-i18n"
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
    -I"$top/mod_nexte_slack/core" $(pkg-config --cflags $pkgs) \
    "$here/chores_bench.c" "$top/build/out/plain/libnxscore.a" \
    $(pkg-config --libs $pkgs) -o "$out/chores_bench"

[ $# -gt 0 ] || set -- 4000 1 64
echo "# scheduled work on the ingest path (SQLite), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- host: $(uname -sr), $(nproc) CPUs, filesystem of build/out: $(findmnt -T "$out" -no FSTYPE)"
echo
echo "| type | batch | events | rate |"
echo "|---|---|---|---|"
"$out/chores_bench" "$out" "$@"
rm -f "$out/chores_bench.sqlite" "$out/chores_bench.sqlite-wal" "$out/chores_bench.sqlite-shm"
