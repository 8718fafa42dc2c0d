#!/bin/sh
# Build and run the delivery scheduler micro-benchmark; prints one Markdown
# table (numbers are recorded in README.md beside this script).
#   bench/sched/run.sh                          # 1 000 000 items, 2 000 channels, 3 rounds
#   bench/sched/run.sh 100000 1000 5            # ITEMS CHANNELS ROUNDS
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$top/build/out/bench"
mkdir -p "$out"
make -s -C "$top" -f apxs.mk build/out/plain/libnxscore.a
cc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
    -I"$top/mod_nexte_slack/core" $(pkg-config --cflags apr-1) \
    "$here/sched_bench.c" "$top/build/out/plain/libnxscore.a" \
    $(pkg-config --libs apr-1) -o "$out/sched_bench"

echo "# nxs_sched micro-benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- host: $(uname -sr), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "- glibc $(ldd --version | head -1 | awk '{print $NF}'), core built with -O2 (build/out/plain)"
echo
echo "| area | measure | value | per unit |"
echo "|---|---|---|---|"
"$out/sched_bench" "$@"
