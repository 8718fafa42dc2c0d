# Shared by bench/run: start and stop httpd and the lean Slack, talk to them.
# Sourced; expects TOP, OUT (scratch dir), NXB_* exported by bench/run.

# Every process of the bench httpd (parent, children, delivery daemon): each has
# the bench config file on its command line.
httpd_pids() {
    local d
    for d in /proc/[0-9]*; do
        { tr "\0" " " < "$d/cmdline"; } 2>/dev/null | grep -q -- "-f $OUT/httpd.conf" && echo "${d#/proc/}"
    done
    return 0
}

# Sum of VmRSS (KiB) over PIDS.
rss_kib() {
    local pid sum=0 v
    for pid in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# Starts httpd with an empty queue (settings in SQLite are kept) and waits until the
# status page answers.
httpd_start() {
    rm -rf "$NXB_DIR/queue"
    mkdir -p "$NXB_DIR/queue"
    [ "$(id -u)" -eq 0 ] && chown -R www-data: "$NXB_DIR"
    apache2 -f "$OUT/httpd.conf" "${HTTPD_DEFINES[@]}" -k start
    local i
    for i in $(seq 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$NXB_PORT/slack/status" && return 0
        sleep 0.1
    done
    echo "bench: httpd did not come up; see $NXB_DIR/error.log" >&2
    return 1
}

httpd_stop() {
    local pid
    [ -f "$NXB_DIR/httpd.pid" ] || return 0
    pid=$(cat "$NXB_DIR/httpd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 150); do
        [ -n "$(httpd_pids)" ] || break
        sleep 0.1
    done
    # Whatever is left of this httpd (only processes running our config file).
    for pid in $(httpd_pids); do kill -9 "$pid" 2>/dev/null || true; done
    rm -f "$NXB_DIR/httpd.pid"
}

# lean_slack control: lean GET-PATH
lean() { curl -sf "http://127.0.0.1:$NXB_CONTROL_PORT$1"; }
lean_stat() { lean /stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# Waits until lean_slack recorded N receipts or TIMEOUT seconds passed; prints the count.
wait_receipts() {
    local n=$1 timeout=$2 got=0 end=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$end" ]; do
        got=$(lean_stat receipts)
        [ "$got" -ge "$n" ] && break
        sleep 0.5
    done
    echo "$got"
}

# The daemon's queue depth from the status page (waiting messages), or ? when absent.
queue_depth() {
    curl -s "http://127.0.0.1:$NXB_PORT/slack/status" | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d.get("counters", {}) or {}
print(c.get("queue_depth", c.get("waiting", "?")))'
}
