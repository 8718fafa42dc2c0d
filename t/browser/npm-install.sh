#!/bin/sh
# Installs the browser tests' npm packages, exactly as package-lock.json pins
# them, into t/browser/node_modules when they are missing.  No browser is
# downloaded: playwright-core carries none, and the tests drive Debian's
# /usr/bin/chromium (build/packages.txt).
set -eu
cd "$(dirname "$0")"
[ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] && exit 0
npm ci --no-audit --no-fund >&2
