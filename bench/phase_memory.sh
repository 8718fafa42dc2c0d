# Memory (sourced by bench/run): RSS (VmRSS) of every httpd process (parent, children,
# delivery daemon) idle on a fresh start, then with NXB_MEMORY_MESSAGES messages waiting
# over NXB_MEMORY_CHANNELS channels (lean_slack in outage, so none leaves the queue).
rss_detail() {  # per-process "pid:KiB" with the daemon marked
    local pid
    for pid in $(httpd_pids); do
        if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$NXB_DIR/queue"; then
            echo -n "daemon:$(rss_kib "$pid") "
        else
            echo -n "$pid:$(rss_kib "$pid") "
        fi
    done
}
daemon_rss() {
    local pid
    for pid in $(httpd_pids); do
        if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$NXB_DIR/queue"; then rss_kib "$pid"; fi
    done
}
httpd_stop; httpd_start
lean /reset >/dev/null
lean /outage/on >/dev/null
sleep 3
idle=$(rss_kib $(httpd_pids))
idle_daemon=$(daemon_rss)
echo "memory idle: $(rss_detail)" >&2
# In two steps: the first tenth also warms the children (threads, malloc arenas, ICU
# caches), so the growth between the two steps is what the waiting messages cost.
first=$((NXB_MEMORY_MESSAGES / 10))
t_start=$SECONDS
$PY/send.py "$NXB_PORT" "$SECRET_COPY" --channels "$NXB_MEMORY_CHANNELS" --count "$first" \
    --conns 32 --procs 2 --seq-base 60000000 | $PY/sum_sends.py > "$OUT/memory.send1"
sleep 3
warm=$(rss_kib $(httpd_pids))
warm_daemon=$(daemon_rss)
echo "memory after $first: $(rss_detail) send=$(cat "$OUT/memory.send1")" >&2
$PY/send.py "$NXB_PORT" "$SECRET_COPY" --channels "$NXB_MEMORY_CHANNELS" --count "$((NXB_MEMORY_MESSAGES - first))" \
    --conns 32 --procs 2 --seq-base $((60000000 + first)) | $PY/sum_sends.py > "$OUT/memory.send"
enqueue_s=$((SECONDS - t_start))
sleep 5
loaded=$(rss_kib $(httpd_pids))
loaded_daemon=$(daemon_rss)
depth=$(queue_depth)
echo "memory loaded: $(rss_detail) queue_depth=$depth send=$(cat "$OUT/memory.send")" >&2
qbytes=$(du -sk "$NXB_DIR/queue" | cut -f1)
row "memory: RSS growth of all httpd processes, $NXB_MEMORY_MESSAGES messages waiting" \
    "$(( (loaded - idle) / 1024 )) MiB" \
    "fresh idle $(( idle / 1024 )) MiB → $(( loaded / 1024 )) MiB (target growth < 64 MiB); queue depth $depth over $NXB_MEMORY_CHANNELS channels, queue files $(( qbytes / 1024 )) MiB on disk; enqueued in ${enqueue_s} s"
row "memory: of which the waiting messages (growth from $first to $NXB_MEMORY_MESSAGES waiting)" \
    "$(( (loaded - warm) / 1024 )) MiB" \
    "$(( (loaded - warm) * 1024 / (NXB_MEMORY_MESSAGES - first) )) bytes/message; delivery daemon $(( idle_daemon / 1024 )) → $(( warm_daemon / 1024 )) → $(( loaded_daemon / 1024 )) MiB; the rest of the growth is the children's request memory (threads, malloc arenas), reached after the first $first"
lean /outage/off >/dev/null
httpd_stop
rm -rf "$NXB_DIR/queue"
