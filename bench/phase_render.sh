# Render cost (sourced by bench/run): bench/render/run.sh, outside httpd.
bench/render/run.sh | tee -a "$RESULTS" >&2
