#!/usr/bin/env bash
# Builds the signature fuzzer (t/fuzz/fuzz_sign.c) with clang's libFuzzer,
# AddressSanitizer and UBSan straight from the core sources it exercises, runs
# it for a bounded time and reports one TAP line.  libFuzzer's runtime comes
# with Debian's libclang-rt-14-dev (pulled in by clang-14).
# Usage: t/fuzz/build.sh [SECONDS]   (default 20)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

secs=${1:-20}
out=build/out/fuzz
corpus=$out/corpus_sign
log=$out/fuzz_sign.log
core=mod_nexte_slack/core

echo "1..1"
case $secs in
'' | *[!0-9]*)
    echo "not ok 1 - fuzz_sign: '$secs' is not a number of seconds"
    exit 1
    ;;
esac
mkdir -p "$corpus"

# shellcheck disable=SC2046 # pkg-config output is a list of flags
if ! ${CLANG:-clang} -std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
    -I"$core" $(pkg-config --cflags apr-1 openssl) \
    t/fuzz/fuzz_sign.c "$core/nxs_crypto.c" "$core/nxs_sign.c" "$core/nxs_session.c" \
    $(pkg-config --libs apr-1 openssl) -o "$out/fuzz_sign" >"$log" 2>&1; then
    echo "not ok 1 - fuzz_sign did not build"
    sed 's/^/# /' "$log"
    exit 1
fi

# A few shapes to start from, so the first seconds are not spent finding
# the line layout and the "v1=" prefix.
seed() { printf '%b' "$2" >"$corpus/seed-$1"; }
seed nexte '1700000000\nv1=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556\nacc_42\n1700000600\n{"id":"evt_1"}'
seed slack '1700000000\nv0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503\n\n\ntoken=x&team_id=T1'
seed launch '\n514274a75d0e1d8090b0c982a1a03f55f42f7aaf0ab9ed8fcd53ef846bc0f225\nacc_42\n1700000600\n'
seed token 'v1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_Sik'
seed session 'YWNjXzQyfDE3MDAwMDM2MDB8LAQVRkFvro0RDcL3To4RGg.defdeb595d9153c188756c80d4c56c703eb3d431cde72aa0ea2e30fe8d05ef4e'

ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$out/fuzz_sign" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/" "$corpus" >"$log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
if [ $rc -eq 0 ] && [ -n "$runs" ]; then
    echo "ok 1 - fuzz_sign ran $runs execs without a crash"
    exit 0
fi
echo "not ok 1 - fuzz_sign failed (exit $rc after ${runs:-?} execs; log in $log)"
tail -n 40 "$log" | sed 's/^/# /'
exit 1
