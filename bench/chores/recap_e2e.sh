#!/usr/bin/env bash
# Issue #12's benchmark, end to end: RECAP_ACCOUNTS (10 000) accounts whose daily recap falls
# at the same 09:00 Europe/Paris; the time until the last recap reaches the lean Slack
# (target: all within 60 s, no rate-limit violation).  BENCHMARKS.md "Scheduled work: 10 000
# recaps at the same 09:00, end to end".
#
#   bash bench/chores/recap_e2e.sh                   # 10 000 accounts, about 6-8 minutes
#   RECAP_ACCOUNTS=500 bash bench/chores/recap_e2e.sh   # a quick check of the harness
#
# What it does:
#  1. builds the module and bench/lean_slack; a fresh world in build/out/bench/recap-e2e/
#     (SQLite database, GDBM queue, keys); starts lean_slack, then httpd (event MPM, the
#     server of bench/httpd.conf: bench/chores/recap_httpd.conf) under libfaketime as
#     t/lib/NxsFaketime.pm does (LD_PRELOAD, FAKETIME_TIMESTAMP_FILE holding an offset "+N"
#     that only grows), its clock at 00:05 Paris of tomorrow's date, day D;
#  2. sets up every account through the module's real APIs (bench/py/recap_setup.py):
#     account.updated (Europe/Paris), the OAuth install against the lean Slack
#     (oauth.v2.access), the recap channel mapped (its own channel per account), and one
#     invoice.paid occurring on D, so that each recap carries numbers (a day without a counted
#     event posts no recap);
#  3. moves the faked clock to D+1 08:59:50 Paris and lets it run: the chores thread's round
#     at 09:00 claims, renders and queues every recap, the workers post them;
#  4. measures from the real instant the faked clock crossed 09:00:00 until lean_slack has
#     recorded the last recap: received, p50/p99/max delay, rate-limit violations (lean_slack
#     answers 429 to a post above 1/s per channel with a burst of 3), duplicates (receipts per
#     channel above one), the delivery daemon's RSS and CPU time before/after, and from the
#     error log (faked clock, microseconds) when the round ended and where the time went.
#  Prints a Markdown table (also in build/out/bench/recap-e2e/result.md).
#
# The clock: FAKETIME_CACHE_DURATION=1 instead of the tests' FAKETIME_NO_CACHE=1.  Without a
# cache libfaketime reads the offset file at every clock call (9 us a call on the dev machine
# against 0.1 us), which would charge the module for the harness; with a 1 s cache every process
# sees the move within a second, and the move comes 10 s before 09:00
# (RECAP_FAKETIME_NO_CACHE=1 runs as the tests do).
# Knobs: RECAP_ACCOUNTS=10000 RECAP_PROCS=2 RECAP_THREADS=8 (set-up clients)
#   RECAP_WAIT=150 (seconds after 09:00 before giving up) RECAP_LEAD=10 (seconds before 09:00)
#   RECAP_LOGLEVEL="warn nexte_slack:debug" ("warn nexte_slack:trace1" logs every recap queued
#   and posted: slower, but says where each one's time went) RECAP_PORT=18180
#   RECAP_SLACK_PORT=18191 RECAP_CONTROL_PORT=18192
#   RECAP_PERF=1 (perf record of the daemon during the burst; the chores thread's profile goes
#   to build/out/bench/recap-e2e/perf.chores*.txt) or RECAP_SYSCALLS=1 (perf trace -s of the
#   daemon: each thread's time in each system call, in build/out/bench/recap-e2e/syscalls.txt)
#   Otherwise, with perf installed, the burst is only counted (perf stat: each daemon thread's
#   fdatasync and pselect6 calls, i.e. its syncs and apr_dbd's 100 ms busy sleeps).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
N=${RECAP_ACCOUNTS:-10000}
PROCS=${RECAP_PROCS:-2}
THREADS=${RECAP_THREADS:-8}
WAIT=${RECAP_WAIT:-150}
LEAD=${RECAP_LEAD:-10}
export RCP_TOP=$top RCP_PORT=${RECAP_PORT:-18180} RCP_SLACK_PORT=${RECAP_SLACK_PORT:-18191}
export RCP_LOGLEVEL=${RECAP_LOGLEVEL:-warn nexte_slack:debug}
CONTROL_PORT=${RECAP_CONTROL_PORT:-18192}
OUT=$top/build/out/bench/recap-e2e
export RCP_DIR=$OUT/run
export NXS_BENCH_RUN=$(date +%s)
PY="python3 $top/bench/py"
LIBFAKETIME=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -e "$LIBFAKETIME" ] || { echo "recap_e2e: libfaketime is not installed (apt-get install faketime)" >&2; exit 1; }
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
T_START=$SECONDS

make -s -f apxs.mk module >&2
mkdir -p "$OUT"
cc -std=c11 -O2 -Wall -Wextra -Werror -o "$OUT/lean_slack" bench/lean_slack/lean_slack.c

rm -rf "$RCP_DIR" && mkdir -p "$RCP_DIR/queue"
rm -f "$OUT"/syscalls.txt "$OUT"/perf.* "$OUT"/perfstat.txt "$OUT"/threads*.json "$OUT"/samples.jsonl "$OUT"/receipts.txt
cp "$here/recap_httpd.conf" "$OUT/httpd.conf"
head -c 32 /dev/urandom > "$RCP_DIR/token.key"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RCP_DIR/event_secret"
chmod 0600 "$RCP_DIR/token.key" "$RCP_DIR/event_secret"
cp "$RCP_DIR/event_secret" "$OUT/event_secret"   # readable by this script after chown
eval "$($PY/recap_e2e.py plan)"                    # DAY OFFSET0 OCCURRED_AT TARGET
FT=$RCP_DIR/faketime
printf '%+d\n' "$OFFSET0" > "$FT"
chmod 0644 "$FT"
DEFINES=()
if [ "$(id -u)" -eq 0 ]; then
    chmod o+rx "$top" "$top/build" "$top/build/out" "$top/build/out/bench" "$OUT"
    chown -R www-data: "$RCP_DIR"
    DEFINES=(-D NXB_AS_ROOT)
fi

# Every process of this httpd (parent, children, delivery daemon): our config on the cmdline.
httpd_pids() {
    local d
    for d in /proc/[0-9]*; do
        { tr "\0" " " < "$d/cmdline"; } 2>/dev/null | grep -q -- "-f $OUT/httpd.conf" && echo "${d#/proc/}"
    done
    return 0
}
daemon_pid() {  # the one that holds the queue files open
    local pid
    for pid in $(httpd_pids); do
        if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$RCP_DIR/queue/"; then echo "$pid"; return 0; fi
    done
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
busy_s() {  # CPU seconds the whole machine spent busy (all CPUs; /proc/stat, not idle or iowait)
    awk -v hz="$(getconf CLK_TCK)" '/^cpu / {printf "%.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / hz}' /proc/stat
}
cpu_s() {   # user+system CPU seconds of PID (all threads), or of thread TID of PID
    local f=/proc/$1/stat
    [ -n "${2:-}" ] && f=/proc/$1/task/$2/stat
    awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz}' "$f"
}
perf_pid=
lean() { curl -sf "http://127.0.0.1:$CONTROL_PORT$1"; }
lean_stat() { lean /stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
status() { curl -sf --max-time 10 "http://127.0.0.1:$RCP_PORT/slack/status"; }
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'json': json}, {'d': d}))" "$1"; }

lean_pid=
cleanup() {
    local pid
    if [ -f "$RCP_DIR/httpd.pid" ]; then
        kill "$(cat "$RCP_DIR/httpd.pid")" 2>/dev/null || true
        for _ in $(seq 150); do [ -n "$(httpd_pids)" ] || break; sleep 0.1; done
        for pid in $(httpd_pids); do kill -9 "$pid" 2>/dev/null || true; done
    fi
    [ -n "$perf_pid" ] && kill -INT "$perf_pid" 2>/dev/null || true
    [ -n "$lean_pid" ] && kill "$lean_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$OUT/lean_slack" "$RCP_SLACK_PORT" "$CONTROL_PORT" > "$OUT/lean_slack.out" 2>&1 &
lean_pid=$!
for _ in $(seq 50); do lean /stats >/dev/null 2>&1 && break; sleep 0.1; done

FTENV=(LD_PRELOAD="$LIBFAKETIME" FAKETIME_TIMESTAMP_FILE="$FT")
if [ -n "${RECAP_FAKETIME_NO_CACHE:-}" ]; then
    FTENV+=(FAKETIME_NO_CACHE=1)
else
    FTENV+=(FAKETIME_CACHE_DURATION=1)
fi
env TZ=UTC "${FTENV[@]}" apache2 -f "$OUT/httpd.conf" "${DEFINES[@]}" -k start
up=
for _ in $(seq 200); do
    if status 2>/dev/null | grep -q '"delivery_daemon_up": *true'; then up=1; break; fi
    sleep 0.1
done
[ -n "$up" ] || { echo "recap_e2e: httpd did not come up; see $RCP_DIR/error.log" >&2; exit 1; }
echo "recap_e2e: day D $DAY, faked clock at D 00:05 Paris (offset $OFFSET0 s); 09:00 of D+1 is $TARGET" >&2

# 2. Accounts.
setup=$($PY/recap_setup.py "$RCP_PORT" "$OUT/event_secret" "$FT" 0 "$N" "$PROCS" "$THREADS" "$OCCURRED_AT")
echo "recap_e2e: set-up $setup" >&2
set_ok=$(echo "$setup" | json_get 'd["accounts"]')
set_s=$(echo "$setup" | json_get 'd["seconds"]')
set_retried=$(echo "$setup" | json_get 'd["retried_503"]')
set_steps=$(echo "$setup" | json_get '", ".join("%s %s" % kv for kv in d["step_ms"].items())')
[ "$set_ok" -eq "$N" ] || { echo "recap_e2e: only $set_ok of $N accounts set up" >&2; exit 1; }
next_at=$(status | json_get 'd["scheduled"]["recaps"]["next_at"]')
echo "recap_e2e: status: next recap at $next_at (D 09:00: day D-1's, which nobody will see: the move skips D)" >&2

# 3. Quiet before the move: the daemon idle, nothing queued.
sleep 3
dpid=$(daemon_pid)
[ -n "$dpid" ] || { echo "recap_e2e: no delivery daemon process" >&2; exit 1; }
# The disk's sync time now (4 KiB writes with O_DSYNC, as the earlier benchmarks quote it):
# the round makes three syncs per recap (queue append, SQLite claim, SQLite finish).
dsync_ms=$(dd if=/dev/zero of="$OUT/dsync.probe" bs=4k count=500 oflag=dsync 2>&1 |
    awk '/copied/ {for (i = 1; i <= NF; i++) if ($i ~ /^s,?$/) print $(i - 1)}' | tr , . |
    awk '{printf "%.2f", $1 * 1000 / 500}')
rm -f "$OUT/dsync.probe"
rss0=$(rss_kib "$dpid"); cpu0=$(cpu_s "$dpid"); lean_cpu0=$(cpu_s "$lean_pid")
$PY/recap_e2e.py threads "$dpid" > "$OUT/threads0.json"
busy0=$(busy_s); t_busy0=$(date +%s.%N)
lean /reset >/dev/null
load_before=$(cut -d" " -f1-3 /proc/loadavg)
if [ -n "${RECAP_PERF:-}" ]; then   # a diagnostic run: where the daemon's threads spend their CPU
    perf record -q -F 299 --call-graph dwarf,16384 -p "$dpid" -o "$OUT/perf.data" > "$OUT/perf.out" 2>&1 &
    perf_pid=$!
    sleep 1
elif [ -n "${RECAP_SYSCALLS:-}" ] || ! command -v perf > /dev/null; then
    :
else   # counting only (no tracing): each thread's syncs and apr_dbd's busy sleeps
    perf stat --per-thread -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync,syscalls:sys_enter_pselect6 \
        -p "$dpid" -o "$OUT/perfstat.txt" > /dev/null 2>&1 &
    perf_pid=$!
    sleep 1
fi
if [ -n "${RECAP_SYSCALLS:-}" ] && [ -z "${RECAP_PERF:-}" ]; then   # a diagnostic run: each thread's time in system calls
    perf trace -s -p "$dpid" -o "$OUT/syscalls.txt" > /dev/null 2>&1 &
    perf_pid=$!
    sleep 1
fi
read -r OFFSET1 MONO_CROSS < <($PY/recap_e2e.py jump "$FT" "$TARGET" "$LEAD")
echo "recap_e2e: faked clock moved to D+1 09:00 - ${LEAD}s (offset $OFFSET1 s)" >&2

# 4. Until the last recap is in (or RECAP_WAIT seconds after 09:00): lean_slack's counts and
# the daemon's RSS and CPU every 0.5 s, from one process (no status request: it reads SQL).
watch=$($PY/recap_e2e.py watch "$CONTROL_PORT" "$dpid" "$N" "$MONO_CROSS" "$WAIT" "$OUT/samples.jsonl")
rss_max=$(echo "$watch" | json_get 'd["rss_max_kib"]')
rss1=$(rss_kib "$dpid"); cpu1=$(cpu_s "$dpid"); lean_cpu1=$(cpu_s "$lean_pid")
busy1=$(busy_s); t_busy1=$(date +%s.%N)
$PY/recap_e2e.py threads "$dpid" > "$OUT/threads1.json"
if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" || true; perf_pid=
fi
if [ -n "${RECAP_PERF:-}" ]; then
    tid=$(grep -h 'NXS00060' "$RCP_DIR/error.log" | grep -o 'tid [0-9]*' | tail -1 | cut -d' ' -f2)
    perf report -i "$OUT/perf.data" --tid="$tid" --no-children --sort dso,sym --stdio 2>/dev/null |
        grep -v '^$' | grep -E '^ +[0-9.]+%' | head -40 > "$OUT/perf.chores.txt" || true
    perf report -i "$OUT/perf.data" --tid="$tid" --children --sort sym --stdio -g none 2>/dev/null |
        grep -E '^ +[0-9.]+%' | head -150 > "$OUT/perf.chores.children.txt" || true
    echo "recap_e2e: perf of the chores thread (tid $tid): $OUT/perf.chores.txt, $OUT/perf.chores.children.txt" >&2
fi
load_after=$(cut -d" " -f1-3 /proc/loadavg)
sleep 3   # stragglers and would-be duplicates
lean "/dump?path=$OUT/receipts.txt" >/dev/null
posts=$(lean_stat posts); viol=$(lean_stat violations)
st_end=$(status)
sent=$(echo "$st_end" | json_get 'd["scheduled"]["recaps"]["sent"]')
skipped=$(echo "$st_end" | json_get 'd["scheduled"]["recaps"]["skipped"]')
counters=$(echo "$st_end" | json_get 'json.dumps(d.get("counters"))' 2>/dev/null || echo '{}')
res=$($PY/recap_e2e.py report "$OUT/receipts.txt" "$MONO_CROSS" "$N" "$OUT/samples.jsonl" "$RCP_DIR/error.log" "$TARGET" \
    "$OUT/threads0.json" "$OUT/threads1.json")
echo "recap_e2e: $res" >&2
echo "recap_e2e: daemon counters $counters" >&2
delivered=$(echo "$counters" | json_get 'd.get("delivered")')
retried=$(echo "$counters" | json_get 'd.get("retried")')
dropped=$(echo "$counters" | json_get '(d.get("dropped"), d.get("dead_lettered"))')
slack_errors=$(echo "$counters" | json_get 'json.dumps(d.get("slack_errors"))')
# The daemon's own accepted (queued) -> delivered latency histogram, cumulative per bound.
latency=$(echo "$counters" | json_get '", ".join("<= %g s: %d" % (b, c) for b, c in zip(d["delivery_latency_seconds"]["le"], d["delivery_latency_seconds"]["counts"]) if b != "+Inf" and b in (0.01, 0.05, 0.25, 1.0, 5.0)) if d.get("delivery_latency_seconds") else "?"')
g() { echo "$res" | json_get "$1"; }

last_wall=$(python3 -c "import sys,time; print(time.strftime('%H:%M:%S', time.gmtime(time.time() - time.monotonic() + float(sys.argv[1]) + float(sys.argv[2]))))" "$MONO_CROSS" "$(g 'd["max_s"]')")
round_end=$(g 'd["log"]["rounds"][-1]["end_after_s"] if d.get("log", {}).get("rounds") else "?"')
round_n=$(g '"%d recaps queued in %d round(s)" % (sum(r["queued"] or 0 for r in d["log"]["rounds"]), len(d["log"]["rounds"])) if d.get("log", {}).get("rounds") else "?"')
{
    echo "| measure | value | detail |"
    echo "|---|---|---|"
    echo "| recaps received by the lean Slack | $(g 'd["received"]') of $N | $(g 'd["channels"]') channels; $(g 'd.get("within_60s")') within 60 s of 09:00; status: recaps sent $sent, skipped $skipped |"
    echo "| delay after 09:00: first / p50 / p99 / max | $(g 'd["first_s"]') / $(g 'd["p50_s"]') / $(g 'd["p99_s"]') / $(g 'd["max_s"]') s | the last at $last_wall UTC (real clock); target: all within 60 s |"
    echo "| the chores round at 09:00 | ended $round_end s after 09:00 | $round_n (NXS00060, faked clock); the chores thread: on CPU $(g 'd.get("threads", {}).get("chores_cpu_s")') s, waiting for a CPU $(g 'd.get("threads", {}).get("chores_runq_s")') s, blocked (syncs, locks) $(g 'd.get("threads", {}).get("chores_blocked_s")') s; disk: a 4 KiB O_DSYNC write ${dsync_ms} ms |"
    if [ -s "$OUT/perfstat.txt" ]; then
        tid=$(grep -h 'NXS00060' "$RCP_DIR/error.log" | grep -o 'tid [0-9]*' | tail -1 | cut -d' ' -f2)
        echo "| the chores thread's syncs and busy sleeps (perf stat, counting) | $(awk -v t="-$tid" '$1 ~ t"$" && $3 ~ /fdatasync/ {f=$2} $1 ~ t"$" && $3 ~ /_fsync/ {s=$2} $1 ~ t"$" && $3 ~ /pselect6/ {p=$2} END {printf "%d fdatasync + %d fsync; %d busy sleeps", f, s, p}' "$OUT/perfstat.txt") | syncs: each recap's queue append and its two SQLite commits (claim, finish); busy sleeps: apr_dbd's 100 ms sleep when SQLite answers SQLITE_BUSY (pselect6); the other threads: $(awk -v t="-$tid" '$1 !~ t"$" && $3 ~ /fdatasync|_fsync/ {f+=$2} $1 !~ t"$" && $3 ~ /pselect6/ {p+=$2} END {printf "%d syncs, %d busy sleeps", f, p}' "$OUT/perfstat.txt") |"
    fi
    if [ -s "$OUT/syscalls.txt" ]; then
        tid=$(grep -h 'NXS00060' "$RCP_DIR/error.log" | grep -o 'tid [0-9]*' | tail -1 | cut -d' ' -f2)
        echo "| the chores thread's blocking system calls (perf trace -s, whole burst) | $($PY/recap_e2e.py syscalls "$OUT/syscalls.txt" "$tid" | json_get '"; ".join("%s %d calls, %.2f s" % (k, v[0], v[1] / 1000) for k, v in d.items())') | fdatasync: the queue's append and SQLite's WAL commits; pselect6: apr_dbd's 100 ms sleeps on SQLITE_BUSY; futex: apr_dbd's process-wide mutex, the queue's commit, the 1 s looks before 09:00 |"
    fi
    echo "| delivery rate | $(g 'd.get("receipts_per_s")') recaps/s | from the first receipt to the last; received after 10 / 20 / 30 … s: $(g 'd.get("receipts_by_10s")'); daemon: delivered $delivered, retried $retried, dropped/dead-lettered $dropped, Slack errors $slack_errors |"
    echo "| queued → posted (the daemon's histogram) | $latency | from each recap's append to the queue until lean_slack answered, cumulative; the rest of a recap's delay is its turn in the round |"
    echo "| rate-limit violations (429) / duplicates | $viol / $(g 'd["duplicates"]') | lean_slack: $posts posts, 1/s per channel with a burst of 3; duplicates: receipts per channel above one |"
    echo "| delivery daemon RSS | $((rss0 / 1024)) → $((rss1 / 1024)) MiB | at most $((rss_max / 1024)) MiB during the burst |"
    echo "| delivery daemon CPU time | $cpu0 → $cpu1 s | $(python3 -c "print('%.2f' % (float('$cpu1') - float('$cpu0')))") s for the burst (all its threads); its other threads (dispatcher, workers, recorder, connections): $(g 'd.get("threads", {}).get("other_threads_cpu_s")') s, busiest $(g 'd.get("threads", {}).get("busiest_other_cpu_s")'); lean_slack $(python3 -c "print('%.2f' % (float('$lean_cpu1') - float('$lean_cpu0')))") s |"
    echo "| set-up | $N accounts in $set_s s | account.updated, OAuth install, recap channel, invoice.paid each; $PROCS×$THREADS clients; mean ms per step: $set_steps; 503s retried: $set_retried |"
} > "$OUT/result.md"
echo
echo "# $N recaps at the same 09:00, end to end ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "- host: $(uname -sr), $(nproc) CPUs; load before: $LOAD0; at the move: $load_before; after the last: $load_after; run took $((SECONDS - T_START)) s"
echo "- the machine during the burst (from the move to the last recap): $(python3 -c "import sys; b0, b1, t0, t1, d0, d1, l0, l1 = map(float, sys.argv[1:]); w = t1 - t0; print('%.0f %% of its %d CPUs busy; of that the daemon %.1f s, lean_slack %.1f s, everything else (httpd children, the harness, other users) %.1f s in %.1f s' % (100 * (b1 - b0) / w / $(nproc), $(nproc), d1 - d0, l1 - l0, (b1 - b0) - (d1 - d0) - (l1 - l0), w))" "$busy0" "$busy1" "$t_busy0" "$t_busy1" "$cpu0" "$cpu1" "$lean_cpu0" "$lean_cpu1")"
echo "- log level: $RCP_LOGLEVEL; libfaketime: ${RECAP_FAKETIME_NO_CACHE:+no cache}${RECAP_FAKETIME_NO_CACHE:-1 s cache}"
echo
cat "$OUT/result.md"
