#!/bin/sh
# Type-checks every message nxs-render produces (each catalog type, the
# starting-soon alert, the daily recap and the morning summary, of one night
# and of 500 held events, in English and French) against Slack's published
# @slack/types with tsc --strict.  Prints TAP.  Needs build/out/nxs-render
# (make -f apxs.mk tools), npm and python3 (t/render/long_night.py).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
render="$top/build/out/nxs-render"

[ -x "$render" ] || { echo "Bail out! $render is missing: make -f apxs.mk tools"; exit 1; }
if [ ! -d "$here/node_modules/@slack/types" ] || [ ! -d "$here/node_modules/typescript" ]; then
    (cd "$here" && npm ci --no-audit --no-fund >&2) || { echo "Bail out! npm ci failed"; exit 1; }
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM

python3 "$top/t/render/long_night.py" "$out/long_night.input" \
    || { echo "Bail out! t/render/long_night.py failed"; exit 1; }

# Settings that exercise both buttons, a mention and the app-path fallback.
set -- --tz Europe/Paris --app-url https://app.nexte.io --delivery-id dlv_0123456789 --mention here
for lang in en fr; do
    for f in "$top"/t/fixtures/events/*.json "$top"/t/render/inputs/appointment.starting_soon.json; do
        type=$(basename "$f" .json)
        case "$type" in
        account.updated | appointment.rescheduled) continue ;; # never posted
        esac
        "$render" --locale "$lang" "$@" "$f" >"$out/$type.$lang.json" \
            || { echo "Bail out! nxs-render failed on $type ($lang)"; exit 1; }
    done
    "$render" --locale "$lang" "$@" --recap "$top/t/render/inputs/recap.json" >"$out/recap.daily.$lang.json"
    "$render" --locale "$lang" "$@" --summary "$top/t/render/inputs/summary.json" \
        >"$out/summary.active_hours.$lang.json"
    "$render" --locale "$lang" "$@" --summary "$out/long_night.input" \
        >"$out/summary.long_night.$lang.json"
done

node "$here/typecheck.mjs" "$out"/*.json
