# Ingest (sourced by bench/run): wrk with keep-alive at each concurrency, the no-op handler
# then the events handler, in the same httpd; every event unique (the accept path).
# Each events run starts on an empty queue (httpd restarted) so that runs compare.
wrk_run() {  # PATH CONCURRENCY -> RESULT line
    local threads=2
    wrk -t "$threads" -c "$2" -d "${NXB_INGEST_SECONDS}s" --latency -s bench/ingest.lua \
        "http://127.0.0.1:$NXB_PORT$1" -- "$OUT/pool" "$threads" | grep '^RESULT'
}
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
seq_base=1000000
for c in $NXB_INGEST_CONCURRENCY; do
    $PY/wrk_pool.py "$SECRET_COPY" "$OUT/pool" "$NXB_INGEST_POOL" "$NXB_E2E_CHANNELS" "$seq_base"
    seq_base=$((seq_base + NXB_INGEST_POOL))
    httpd_stop; httpd_start
    lean /outage/off >/dev/null
    noop=$(wrk_run /noop "$c")
    ev=$(wrk_run /slack/events "$c")
    echo "noop c=$c: $noop" >&2
    echo "events c=$c: $ev" >&2
    read -r noop_rps ev_rps <<<"$(python3 - "$noop" "$ev" <<'PY'
import re, sys
def rate(line, ok):
    d = dict(re.findall(r"(\w+)=(\S+)", line))
    st = dict(kv.split(":") for kv in d["statuses"].split(",") if kv)
    return int(st.get(ok, 0)) / (int(d["duration_us"]) / 1e6)
print("%.0f %.0f" % (rate(sys.argv[1], "202"), rate(sys.argv[2], "202")))
PY
)"
    ratio=$(python3 -c "print('%.2f' % ($ev_rps / $noop_rps))")
    row "ingest c=$c: accepted events/s (202)" "$ev_rps" "no-op handler $noop_rps req/s; ratio **$ratio** (target ≥ 0.5)"
    row "ingest c=$c: latency p50 / p99" "$(( $(field p50_us "$ev") / 1000 )).$(( $(field p50_us "$ev") % 1000 / 100 )) / $(( $(field p99_us "$ev") / 1000 )).$(( $(field p99_us "$ev") % 1000 / 100 )) ms" \
        "no-op $(field p50_us "$noop") / $(field p99_us "$noop") µs; statuses $(field statuses "$ev"), pool wraps $(field wraps "$ev"), socket errors $(field errors "$ev")"
done
rm -f "$OUT/pool"
