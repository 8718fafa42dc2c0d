#!/bin/sh
# Build and run the storage/IPC primitive benchmarks; prints one Markdown table.
#   bench/primitives/run.sh                 # everything (about 5-6 minutes)
#   KILLS=100 PRIM_SECONDS=3 bench/primitives/run.sh
#   WORKDIR=/some/dir bench/primitives/run.sh   # where the test files go
#   ONLY="fsync uds" bench/primitives/run.sh     # subset: fsync uds visible dbm socache crash
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/out"
mkdir -p "$out"
cc -std=c11 -O2 -Wall -Wextra -Werror -pthread \
    $(pkg-config --cflags apr-1 apr-util-1) \
    "$here/primitives.c" -o "$out/primitives" \
    $(pkg-config --libs apr-1 apr-util-1)
# diagnostic helper for GDBM files kept by PRIM_KEEP=1 (needs libgdbm-dev)
cc -std=c11 -O2 -Wall -Wextra -Werror "$here/gdbm_inspect.c" -o "$out/gdbm_inspect" -lgdbm \
    2>/dev/null || echo "note: gdbm_inspect not built (libgdbm-dev missing?)" >&2

KILLS=${KILLS:-60}
ONLY=${ONLY:-"fsync uds visible dbm socache crash"}
export PRIM_SECONDS=${PRIM_SECONDS:-2}
if [ -n "${WORKDIR:-}" ]; then
    work=$WORKDIR
    mkdir -p "$work"
    cleanup=
else
    work=$(mktemp -d /tmp/nexte-prim.XXXXXX)
    cleanup=$work
fi
trap 'if [ -n "$cleanup" ]; then rm -rf "$cleanup"; fi' EXIT
trap 'exit 1' INT TERM HUP PIPE

P="$out/primitives"
wants() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }

echo "# mod_nexte_slack primitives, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "- host: $(uname -sr), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "- work dir: $work on $(df -T "$work" | awk 'NR==2 {print $2 " (" $1 ")"}')"
echo "- libgdbm $(dpkg-query -W -f '${Version}' libgdbm6 2>/dev/null || echo '?'), libdb $(dpkg-query -W -f '${Version}' libdb5.3 2>/dev/null || echo '?'), libaprutil1 $(dpkg-query -W -f '${Version}' libaprutil1 2>/dev/null || echo '?')"
echo "- PRIM_SECONDS=$PRIM_SECONDS per timed measure, KILLS=$KILLS per crash configuration"
echo
echo "| test | type | measure | result |"
echo "|---|---|---|---|"

wants fsync && "$P" fsync "$work"
wants uds && "$P" uds "$work"
for t in GDBM SDBM DB; do
    wants visible && "$P" visible "$t" "$work"
done
for t in GDBM SDBM DB; do
    wants dbm && "$P" dbm "$t" "$work"
done
for t in GDBM SDBM DB; do
    wants socache && "$P" socache "$t" "$work"
done
if wants crash; then
    "$P" crash LOG "$work" "$KILLS"
    for cfg in "GDBM insert fsync" "GDBM mixed fsync" "GDBM insert reopen" "GDBM mixed reopen" \
               "SDBM insert fsync" "SDBM mixed fsync" \
               "DB insert reopen" "DB mixed reopen" "DB mixed fsync"; do
        # shellcheck disable=SC2086
        "$P" crash $cfg "$work" "$KILLS"
    done
fi
