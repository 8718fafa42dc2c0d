#!/usr/bin/env bash
# kill -9 test of the durable queue: builds t/crash/queue_kill9.c against the
# core and runs it (TAP; see the top of queue_kill9.c for what is checked).
#   t/crash/queue_kill9.sh [KILLS] [SEED]      # default 50 kills, seed from the clock
#   prove -f -e bash t/crash/queue_kill9.sh :: 50
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$top/build/out/crash"
mkdir -p "$out"
make -s -C "$top" -f apxs.mk build/out/plain/libnxscore.a >&2
cc -std=c11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
    -I"$top/mod_nexte_slack/core" $(pkg-config --cflags apr-1 apr-util-1) \
    "$here/queue_kill9.c" "$top/build/out/plain/libnxscore.a" \
    $(pkg-config --libs apr-1 apr-util-1 openssl) -o "$out/queue_kill9"
work=$(mktemp -d "${TMPDIR:-/tmp}/nxs-kill9.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$out/queue_kill9" "$work" "${1:-50}" ${2:+"$2"}
