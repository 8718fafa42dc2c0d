# Not a measure: NXB_PHASES=hold keeps httpd and lean_slack running (accounts connected)
# until $OUT/hold is removed, to profile by hand (perf, callgrind, strace).
touch "$OUT/hold"
echo "holding: httpd on :$NXB_PORT, lean_slack on :$NXB_SLACK_PORT; rm $OUT/hold to stop" >&2
while [ -f "$OUT/hold" ]; do sleep 1; done
