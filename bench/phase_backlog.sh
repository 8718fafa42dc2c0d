# Backlog (sourced by bench/run): lean_slack in outage (listener closed), NXB_BACKLOG_MESSAGES
# events over NXB_BACKLOG_CHANNELS channels sent as fast as the module takes them, then the
# outage ends and the queue drains at 1 message/s per channel.  Drain time is measured from
# the end of the outage; the heads of the channels are then waiting out their retry backoff
# (NexteSlackRetryBackoff $NXB_BACKOFF), so the first delivery after the outage is shown too.
httpd_stop; httpd_start
lean /reset >/dev/null
lean /outage/on >/dev/null
t_start=$SECONDS
$PY/send.py "$NXB_PORT" "$SECRET_COPY" --channels "$NXB_BACKLOG_CHANNELS" --count "$NXB_BACKLOG_MESSAGES" \
    --conns 32 --procs 2 --seq-base 40000000 | $PY/sum_sends.py > "$OUT/backlog.send"
enqueue_s=$((SECONDS - t_start))
echo "backlog enqueue: $(cat "$OUT/backlog.send")" >&2
t0=$(python3 -c 'import time; print(time.monotonic_ns())')
lean /outage/off >/dev/null
per_chan=$(( (NXB_BACKLOG_MESSAGES + NXB_BACKLOG_CHANNELS - 1) / NXB_BACKLOG_CHANNELS ))
got=$(wait_receipts "$NXB_BACKLOG_MESSAGES" $((per_chan + 900)))
sleep 2
lean "/dump?path=$OUT/backlog.receipts" >/dev/null
viol=$(lean_stat violations)
res=$($PY/backlog.py "$OUT/backlog.receipts" "$t0" "$NXB_BACKLOG_MESSAGES" "$NXB_BACKLOG_CHANNELS")
echo "backlog: $res violations=$viol" >&2
bget() { python3 -c "import json,sys; v=json.loads(sys.argv[1])['$1']; print(('%.1f' % v) if isinstance(v, float) else v)" "$res"; }
send_rate=$(python3 -c "import json; print(json.load(open('$OUT/backlog.send'))['per_s'])")
row "backlog: $NXB_BACKLOG_MESSAGES messages over $NXB_BACKLOG_CHANNELS channels, drain after the outage" \
    "$(bget drain_s) s" \
    "rate-limit bound $(bget bound_s) s (busiest channel $(bget busiest) messages, 1/s after a burst of 2); channels started $(bget chan_start_p50_s) s (median) to $(bget chan_start_max_s) s (latest) after the outage, as their heads' retry backoff ended; longest first-to-last span of one channel $(bget chan_span_max_s) s; enqueued during the outage in ${enqueue_s} s ($send_rate/s)"
row "backlog: delivered / duplicates / rate violations" \
    "$(bget distinct) / $(bget duplicates) / $viol" \
    "of $NXB_BACKLOG_MESSAGES; most messages one channel got within 1 s: $(bget max_in_1s) (Slack tolerates a burst of 3 at 1/s; target 0 violations)"
