#!/usr/bin/env bash
# Builds the fuzzers with clang's libFuzzer, AddressSanitizer and UBSan
# straight from the core sources they exercise, runs each for a bounded time
# and reports one TAP line each:
#   fuzz_sign         signatures, launch links, sealed tokens, session cookies
#   fuzz_interaction  Slack interaction bodies (form + JSON payload)  libFuzzer's runtime comes
# with Debian's libclang-rt-14-dev (pulled in by clang-14).
# Usage: t/fuzz/build.sh [SECONDS]   (each; default 20)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

secs=${1:-20}
out=build/out/fuzz
core=mod_nexte_slack/core

echo "1..2"
case $secs in
'' | *[!0-9]*)
    echo "not ok 1 - '$secs' is not a number of seconds"
    exit 1
    ;;
esac

# fuzz N NAME "SOURCES" "PKGS": builds t/fuzz/NAME.c with SOURCES (core
# files) against PKGS, runs it on build/out/fuzz/corpus_NAME, prints TAP N.
fuzz() {
    local n=$1 name=$2 sources=$3 pkgs=$4 log=$out/$2.log corpus=$out/corpus_$2 rc runs
    local src
    local -a files=()
    for src in $sources; do files+=("$core/$src"); done
    # shellcheck disable=SC2046,SC2086 # pkg-config output is a list of flags
    if ! ${CLANG:-clang} -std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
        -I"$core" $(pkg-config --cflags $pkgs) "t/fuzz/$name.c" "${files[@]}" \
        $(pkg-config --libs $pkgs) -o "$out/$name" >"$log" 2>&1; then
        echo "not ok $n - $name did not build"
        sed 's/^/# /' "$log"
        return 1
    fi
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$out/$name" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/$name-" \
        "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ $rc -eq 0 ] && [ -n "$runs" ]; then
        echo "ok $n - $name ran $runs execs without a crash"
        return 0
    fi
    echo "not ok $n - $name failed (exit $rc after ${runs:-?} execs; log in $log)"
    tail -n 40 "$log" | sed 's/^/# /'
    return 1
}

# A few shapes to start from, so the first seconds are not spent finding
# the line layout and the prefixes.
mkdir -p "$out/corpus_fuzz_sign" "$out/corpus_fuzz_interaction"
seed() { printf '%b' "$3" >"$out/corpus_$1/seed-$2"; }
seed fuzz_sign nexte '1700000000\nv1=036a265cb12fd96efa3f193cf096e99587758aea01bdd6cf5437095c90fa8556\nacc_42\n1700000600\n{"id":"evt_1"}'
seed fuzz_sign slack '1700000000\nv0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503\n\n\ntoken=x&team_id=T1'
seed fuzz_sign launch '\n514274a75d0e1d8090b0c982a1a03f55f42f7aaf0ab9ed8fcd53ef846bc0f225\nacc_42\n1700000600\n'
seed fuzz_sign token 'v1.AAECAwQFBgcICQoLP22ueejU8CigdaK9nIgaDuez4fbFU2X2mpa_ypCqeiL_Sik'
seed fuzz_sign session 'YWNjXzQyfDE3MDAwMDM2MDB8LAQVRkFvro0RDcL3To4RGg.defdeb595d9153c188756c80d4c56c703eb3d431cde72aa0ea2e30fe8d05ef4e'
seed fuzz_interaction click 'payload=%7B%22type%22%3A%22block_actions%22%2C%22team%22%3A%7B%22id%22%3A%22T1%22%7D%2C%22user%22%3A%7B%22id%22%3A%22U1%22%2C%22username%22%3A%22a+b%22%7D%2C%22channel%22%3A%7B%22id%22%3A%22C1%22%7D%2C%22container%22%3A%7B%22message_ts%22%3A%221.2%22%7D%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22nxs_handled%22%2C%22value%22%3A%22d_x%22%7D%5D%7D'
seed fuzz_interaction two 'token=x&payload=%7B%22type%22%3A%22x%22%7D&payload=%7B%7D'

status=0
fuzz 1 fuzz_sign "security/nxs_crypto.c security/nxs_sign.c security/nxs_session.c" "apr-1 openssl" || status=1
fuzz 2 fuzz_interaction "slack/nxs_interaction_payload.c nxs_json.c" "apr-1 jansson libcurl" || status=1
exit $status
