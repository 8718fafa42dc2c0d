#!/usr/bin/env bash
# Builds the fuzzers with clang's libFuzzer, AddressSanitizer and UBSan
# against the core (compiled here with the same instrumentation), runs each
# for a bounded time
# and reports one TAP line each:
#   fuzz_sign           signatures, launch links, sealed tokens, session cookies
#   fuzz_interaction    Slack interaction bodies (form + JSON payload)
#   fuzz_envelope       event bodies: JSON, envelope checks, rendering (en, fr)
#   fuzz_ipc_frame      frames between httpd children and the delivery daemon
#   fuzz_settings_json  settings API documents: filters, active hours, account
#                       fields, channel ids, mentions
#   fuzz_queue_log      the durable queue's recovery from a damaged log segment
# Each starts from its committed corpus t/fuzz/corpus/NAME/ (read, never
# written: what a run finds goes to build/out/fuzz/corpus_NAME, and
# `t/fuzz/build.sh --merge` folds it back, minimised, for a commit).  libFuzzer's runtime comes
# with Debian's libclang-rt-14-dev (pulled in by clang-14).
# Time: the first three run SECONDS each, the later three SECONDS/3 each
# (at least 1).  libFuzzer stops in the second after its limit and each
# target takes about 1.5 s to link, so CI's 10 gives the later three about
# 3 x (4 + 1.5) s: the stage's budget is at most 20 s over what the first
# three alone take.  Hunting for bugs, give more (90 runs the later three
# 30 s each).
# Usage: t/fuzz/build.sh [SECONDS]   (SECONDS for each of the first three; default 20)
#        t/fuzz/build.sh --merge     (after a run: new inputs into t/fuzz/corpus/)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

secs=${1:-20}
mode=run
if [ "$secs" = --merge ]; then
    mode=merge
    secs=1
fi
out=build/out/fuzz
core=mod_nexte_slack/core

# NAME:SHARE: each runs SECONDS/SHARE.
targets=(fuzz_sign:1 fuzz_interaction:1 fuzz_envelope:1 fuzz_ipc_frame:3 fuzz_settings_json:3 fuzz_queue_log:3)

echo "1..${#targets[@]}"
case $secs in
'' | *[!0-9]*)
    echo "not ok 1 - '$secs' is not a number of seconds"
    exit 1
    ;;
esac

pkgs="apr-1 apr-util-1 jansson libcurl openssl icu-uc icu-i18n"
cflags=(-std=c11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter
    -fno-sanitize-recover=all -fno-omit-frame-pointer -I"$core")

# The whole core, instrumented for coverage and sanitizers, as one archive:
# each fuzzer links what it uses from it, so a target never needs a list of
# core files that goes stale when the core grows.
build_core() {
    rm -rf "$out/core" && mkdir -p "$out/core"
    # shellcheck disable=SC2046 # pkg-config output is a list of flags
    find "$core" -name '*.c' -print0 | sort -z |
        xargs -0 -P "$(nproc)" -I{} sh -c '"$0" "$@" -c "{}" -o "'"$out"'/core/$(basename "{}" .c).o"' \
            "${CLANG:-clang}" "${cflags[@]}" -fsanitize=fuzzer-no-link,address,undefined \
            $(pkg-config --cflags $pkgs) &&
        ar rcs "$out/libnxscore-fuzz.a" "$out"/core/*.o
}

# fuzz N NAME SECS: builds t/fuzz/NAME.c against the core archive, runs it
# for SECS on build/out/fuzz/corpus_NAME and the committed corpus, prints
# TAP N.
fuzz() {
    local n=$1 name=$2 secs=$3 log=$out/$2.log corpus=$out/corpus_$2 rc runs
    # shellcheck disable=SC2046,SC2086 # pkg-config output is a list of flags
    if ! ${CLANG:-clang} "${cflags[@]}" -fsanitize=fuzzer,address,undefined \
        $(pkg-config --cflags $pkgs) "t/fuzz/$name.c" "$out/libnxscore-fuzz.a" \
        $(pkg-config --libs $pkgs) -o "$out/$name" >"$log" 2>&1; then
        echo "not ok $n - $name did not build"
        sed 's/^/# /' "$log"
        return 1
    fi
    if [ "$mode" = merge ]; then
        # Keeps the committed corpus and adds what covers new edges, minimised.
        if "$out/$name" -merge=1 "t/fuzz/corpus/$name" "$corpus" >"$log" 2>&1; then
            echo "ok $n - $name corpus merged: $(find "t/fuzz/corpus/$name" -type f | wc -l) inputs"
            return 0
        fi
        echo "not ok $n - $name merge failed (log in $log)"
        return 1
    fi
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$out/$name" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/$name-" \
        "$corpus" "t/fuzz/corpus/$name" >"$log" 2>&1
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

mkdir -p "$out"
for t in "${targets[@]}"; do mkdir -p "$out/corpus_${t%:*}"; done

status=0
if ! build_core >"$out/core.log" 2>&1; then
    for n in $(seq "${#targets[@]}"); do echo "not ok $n - the core did not build for fuzzing"; done
    sed 's/^/# /' "$out/core.log"
    exit 1
fi
n=0
for t in "${targets[@]}"; do
    n=$((n + 1))
    share=${t#*:}
    t_secs=$((secs / share))
    fuzz $n "${t%:*}" $((t_secs > 0 ? t_secs : 1)) || status=1
done
exit $status
