#!/usr/bin/env bash
# Render cost per message: ns/message (wall clock, -O2 core) and instructions
# per message under callgrind (Ir of N2 messages minus Ir of N1, over N2-N1).
# Prints Markdown table rows: | measure | value | detail |
#   bench/render/run.sh              # RENDER_N=200000 RENDER_CG_N1=200 RENDER_CG_N2=2200
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$top/build/out/bench"
n=${RENDER_N:-200000}
n1=${RENDER_CG_N1:-200}
n2=${RENDER_CG_N2:-2200}
mkdir -p "$out"
make -s -C "$top" -f apxs.mk build/out/plain/libnxscore.a >&2
cc -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$top/mod_nexte_slack/core" \
    $(pkg-config --cflags apr-1 apr-util-1 jansson icu-uc) "$here/render_bench.c" \
    "$top/build/out/plain/libnxscore.a" \
    $(pkg-config --libs apr-1 apr-util-1 jansson libcurl openssl icu-uc icu-i18n) -o "$out/render_bench"

# The five event types the end-to-end benchmark posts, one per category.
fx="$top/t/fixtures/events"
events=("$fx/invoice.paid.json" "$fx/quote.sent.json" "$fx/lead.received.json"
        "$fx/appointment.booked.json" "$fx/integration.error.json")
"$out/render_bench" 2000 "${events[@]}" >/dev/null    # warm the page cache and ICU data
read -r _ msgs _ ns _ bytes < <("$out/render_bench" "$n" "${events[@]}")
echo "| render: wall time per message (render + compact JSON) | $ns ns | $msgs messages, 5 types, en/fr alternating, ${bytes} B/message |"

ir() {
    local f="$out/callgrind.render.$1"
    valgrind --tool=callgrind --callgrind-out-file="$f" "$out/render_bench" "$1" "${events[@]}" >/dev/null 2>&1
    awk '/^summary:/ {print $2}' "$f"
}
ir1=$(ir "$n1")
ir2=$(ir "$n2")
echo "| render: instructions per message (callgrind Ir) | $(( (ir2 - ir1) / (n2 - n1) )) | (Ir($n2) - Ir($n1)) / $((n2 - n1)); $out/callgrind.render.$n2 for callgrind_annotate |"
