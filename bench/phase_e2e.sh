# End to end (sourced by bench/run): paced events over NXB_E2E_CHANNELS channels (each gets
# one event every CHANNELS/RATE seconds, under its 1/s), 202 -> lean_slack receipt.
# Each rate runs twice: spread alone, then spread plus one hot channel at NXB_HOT_RATE/s
# (above its limit: its queue grows; the spread channels must not slow down).
# Every run starts on a fresh daemon and waits 3 s, so no bucket is still empty from start.
hot_channel=$(python3 -c "import sys; sys.path.insert(0, '$TOP/bench/py'); import nexte; print(nexte.channel(*nexte.channel_route($NXB_E2E_CHANNELS)))")
fmt_ms() { python3 -c "import sys; v=[float(x) if x!='None' else None for x in sys.argv[1:]]; print(' / '.join('-' if x is None else ('%.1f' % x) for x in v))" "$@"; }
e2e_seq=20000000
for rate in $NXB_E2E_RATES; do
    for hot in 0 "$NXB_HOT_RATE"; do
        httpd_stop; httpd_start
        lean /reset >/dev/null
        sleep 3
        count=$((rate * NXB_E2E_SECONDS))
        rm -f "$OUT"/e2e.log*
        $PY/send.py "$NXB_PORT" "$SECRET_COPY" --channels "$NXB_E2E_CHANNELS" --count "$count" \
            --rate "$rate" --hot-rate "$hot" --conns 16 --seq-base "$e2e_seq" --log "$OUT/e2e.log" \
            > "$OUT/e2e.send"
        # Spread messages are all due by now; wait for stragglers (at most 20 s).
        wait_receipts "$count" 20 >/dev/null
        sleep 1
        lean "/dump?path=$OUT/e2e.receipts" >/dev/null
        viol=$(lean_stat violations)
        res=$($PY/latency.py "$OUT/e2e.receipts" "$hot_channel" "$OUT"/e2e.log*)
        echo "e2e rate=$rate hot=$hot: $res send=$(cat "$OUT/e2e.send")" >&2
        get() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d['$1']['$2'])" "$res"; }
        label="e2e $rate/s over $NXB_E2E_CHANNELS channels"
        if [ "$hot" = 0 ]; then
            row "$label: 202→receipt p50 / p99 / max" \
                "$(fmt_ms "$(get spread p50)" "$(get spread p99)" "$(get spread max)") ms" \
                "$(get spread accepted) accepted of $(get spread sent), $(get spread missing) not delivered within 20 s; send→receipt p99 $(fmt_ms "$(get spread send_p99)") ms; rate violations $viol (target p99 < 50 ms)"
        else
            row "$label + 1 hot channel at $hot/s: others' 202→receipt p50 / p99 / max" \
                "$(fmt_ms "$(get spread p50)" "$(get spread p99)" "$(get spread max)") ms" \
                "hot channel: $(get hot sent) sent, $(get hot delivered) delivered by the time the others were all in (its queue grew by $(( $(get hot accepted) - $(get hot delivered) ))); its 202→receipt p50 / max $(fmt_ms "$(get hot p50)" "$(get hot max)") ms; others: $(get spread missing) not delivered; rate violations $viol"
        fi
        e2e_seq=$((e2e_seq + 1000000))
    done
done
rm -f "$OUT"/e2e.log* "$OUT/e2e.receipts"
