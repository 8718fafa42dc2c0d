#!/usr/bin/env bash
# Scheduled work at scale on the core (bench/chores/rounds_bench.c): 10 000 accounts whose
# recap falls at the same 09:00, handed to a real durable queue; 100 000 pending alerts and
# what they cost an idle round and the status.  Prints Markdown table rows:
# | measure | value | detail |
#   bench/chores/rounds.sh         # CHORES_ACCOUNTS=10000 CHORES_PENDING=100000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$top/build/out/bench/chores-rounds"
accounts=${CHORES_ACCOUNTS:-10000}
pending=${CHORES_PENDING:-100000}
rm -rf "$out"
mkdir -p "$out"
make -s -C "$top" -f apxs.mk build/out/plain/libnxscore.a >&2
cc -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$top/mod_nexte_slack/core" \
    $(pkg-config --cflags apr-1 apr-util-1 jansson icu-uc) "$here/rounds_bench.c" \
    "$top/build/out/plain/libnxscore.a" \
    $(pkg-config --libs apr-1 apr-util-1 jansson libcurl openssl icu-uc icu-i18n) -lgdbm \
    -o "$out/rounds_bench"
"$out/rounds_bench" "$out" "$accounts" "$pending" | tee "$out/result.txt" >&2
v() { awk -v k="$1" '$1 == k {print $2}' "$out/result.txt"; }
db_mib=$(du -m "$out/chores.sqlite" | cut -f1)
echo "| recap: $accounts accounts at the same 09:00, all queued | $(v recap_all_queued_seconds) s | $(v recap_rounds) round(s); $(v recap_per_account_ms) ms per recap (claim, read, render, durable append with fdatasync, finish); SQLite, GDBM queue |"
echo "| pending alerts: idle round with $pending waiting | $(v idle_round_ms) ms | next due alert + $accounts accounts' next 09:00; $(v idle_round_after_ms) ms after the recaps |"
echo "| pending alerts: status read with $pending waiting | $(v status_read_ms) ms | nxs_store_chores_status (counts), per status request |"
echo "| pending alerts: memory | $(v max_rss_kib) KiB max RSS (bench process) | alerts live in SQL, none in the daemon's memory; database ${db_mib} MiB with $accounts accounts and $pending alerts |"
