#!/usr/bin/env bash
# Runs the editor end-to-end suites (after `bash scripts/e2e/setup.sh`):
#   test/e2e/codeServer.e2e.js  the packaged extension in code-server, driven through Chromium
#   test/e2e/neovim.e2e.sh      headless Neovim as a second LSP client of djcache-lsp
#   test/e2e/liveStats.e2e.js   examples/shop under runserver with the runtime, its stats in the Cache Map
#   test/e2e/dashboard.e2e.js   the runtime's dashboard in Chromium, reached from the admin index
#   test/e2e/electron/run.js    the same scenarios in desktop VS Code (@vscode/test-electron); it
#                               skips, and says so, where no VS Code build is available (CI here)
# Each prints its own `e2e: N passed, N failed` line; the exit status is non-zero if either fails.
# Artifacts: test-results/e2e/ (screenshots, page text on failure, code-server and extension logs)
# and test-results/e2e-neovim/.
set -uo pipefail
cd "$(dirname "$0")/../.."
status=0
timed() { # label, command...
  local label=$1; shift
  local t0=$(date +%s)
  "$@" || status=1
  echo "  ($label: $(( $(date +%s) - t0 )) s)"
}
# The suites run the compiled server (out/); a type error fails `npm test`, not these.
if ! npm run build --silent >/dev/null 2>&1; then
  echo "  (npm run build reported errors; running on what it emitted)"
  [ -f out/server/src/server.js ] || { echo "e2e: 0 passed, 1 failed"; exit 1; }
fi
timed "code-server suite" node test/e2e/codeServer.e2e.js
timed "neovim suite" bash test/e2e/neovim.e2e.sh
timed "live stats suite" node test/e2e/liveStats.e2e.js
timed "runtime dashboard suite" node test/e2e/dashboard.e2e.js
timed "desktop VS Code suite" node test/e2e/electron/run.js
exit $status
