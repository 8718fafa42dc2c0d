#!/bin/sh
# Builds and runs the durable queue benchmark; prints one Markdown table
# (numbers are recorded in README.md beside this script).
#   bench/queue/run.sh                    # appends 1/8/32 threads, 100k recovery, 1M memory
#   SECONDS_EACH=5 RECORDS=100000 MEMORY_RECORDS=1000000 bench/queue/run.sh
#   WORKDIR=/some/fs bench/queue/run.sh   # where the queue files go (default: mktemp in /tmp)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$top/build/out/bench"
secs=${SECONDS_EACH:-5}
records=${RECORDS:-100000}
memrecords=${MEMORY_RECORDS:-1000000}
mkdir -p "$out"
make -s -C "$top" -f apxs.mk build/out/plain/libnxscore.a >&2
cc -std=c11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
    -I"$top/mod_nexte_slack/core" $(pkg-config --cflags apr-1 apr-util-1) \
    "$here/queue_bench.c" "$top/build/out/plain/libnxscore.a" \
    $(pkg-config --libs apr-1 apr-util-1 openssl) -o "$out/queue_bench"

base=${WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/nxs-qbench.XXXXXX")}
mkdir -p "$base"
trap 'rm -rf "$base"' EXIT
run() {
    d=$(mktemp -d "$base/run.XXXXXX")
    "$out/queue_bench" "$d" "$@"
    rm -rf "$d"
}

echo "# nxs_queue benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- host: $(uname -sr), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "- files on $(df -T "$base" | awk 'NR==2 {print $2 " (" $1 ")"}'); core built with -O2 (build/out/plain)"
echo
echo "| area | measure | value | detail |"
echo "|---|---|---|---|"
for t in 1 8 32; do
    run appends "$t" "$secs"
done
run recovery "$records" GDBM
run recovery "$records" DB
run memory "$memrecords" GDBM
run memory "$memrecords" DB
