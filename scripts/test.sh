#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs every suite
# and prints one combined closing line.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
status=0

npm ci --no-audit --no-fund || exit 1

npm test 2>&1 | tee "$logs/node.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

if [ -x runtime/scripts/ci.sh ]; then
  runtime/scripts/ci.sh 2>&1 | tee "$logs/runtime.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi

# Editor end-to-end suites: code-server + Chromium, and headless Neovim (scripts/e2e/).
bash scripts/e2e/setup.sh 2>&1 | tee "$logs/e2e-setup.txt"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
  bash scripts/e2e/run.sh 2>&1 | tee "$logs/e2e.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
  echo "e2e: 0 passed, 1 failed" | tee "$logs/e2e.txt"; status=1
fi

node scripts/summarize.js "$logs"/*.txt || status=1
exit $status
