#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine, then runs it in named stages
# (lint, unit, package, runtime, e2e), says which stages failed, and prints one combined closing line.
# DJCACHE_STAGES="lint unit" runs only the stages named.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
status=0
failed_stages=()
STAGES=" ${DJCACHE_STAGES:-lint unit package runtime e2e} "

npm ci --no-audit --no-fund || exit 1

# Runs one stage, its output kept in $logs/<name>.txt for the closing line.
stage() {
  local name=$1; shift
  [[ $STAGES == *" $name "* ]] || return 0
  echo "=== stage: $name"
  "$@" 2>&1 | tee "$logs/$name.txt"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    status=1
    failed_stages+=("$name")
  fi
}

# eslint + knip count as one check: the closing line counts it as one passed or one failed.
lint() {
  if npm run lint; then echo "lint: 1 passed, 0 failed"; else echo "lint: 0 passed, 1 failed"; return 1; fi
}

# The unit suite with a temp folder and a user cache folder of its own: whatever it leaves in either
# (a temp folder not removed, a fact cache kept for a temp project) is a leak and fails the stage.
unit() {
  local own status leaked
  own=$(mktemp -d /tmp/djcache-unit.XXXXXX)
  mkdir "$own/tmp" "$own/cache"
  TMPDIR="$own/tmp" XDG_CACHE_HOME="$own/cache" npm run test:unit
  status=$?
  leaked=$(cd "$own" && find tmp cache -mindepth 1 -maxdepth 2)
  rm -rf "$own"
  if [ -n "$leaked" ]; then
    printf 'the unit suite left behind (TMPDIR tmp, XDG_CACHE_HOME cache):\n%s\nleaks: 0 passed, 1 failed\n' "$leaked"
    return 1
  fi
  echo "leaks: 1 passed, 0 failed"
  return $status
}

# Editor end-to-end suites: code-server + Chromium, and headless Neovim (scripts/e2e/).
e2e() {
  if bash scripts/e2e/setup.sh; then
    bash scripts/e2e/run.sh
  else
    echo "e2e: 0 passed, 1 failed"
    return 1
  fi
}

stage lint lint
stage unit unit
# The npm, PyPI and VSIX packages and the pre-commit hook, used from outside the checkout.
stage package bash scripts/package-check.sh
[ -x runtime/scripts/ci.sh ] && stage runtime runtime/scripts/ci.sh
stage e2e e2e

if [ ${#failed_stages[@]} -gt 0 ]; then echo "failed stages: ${failed_stages[*]}"; fi
node scripts/summarize.js "$logs"/*.txt || status=1
exit $status
