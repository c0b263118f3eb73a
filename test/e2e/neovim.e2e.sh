#!/usr/bin/env bash
# A second real LSP client: headless Neovim (Debian's 0.7) starts `node bin/djcache-lsp.js --stdio`
# on a copy of examples/shop, opens catalog/services.py and prints the diagnostics it receives.
# Passes when the DJC102 of examples/shop/EXPECTED.md (line 44) is among them.
# Needs a built out/ (npm run build) and nvim (bash scripts/e2e/setup.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
results=$root/test-results/e2e-neovim
rm -rf "$results" && mkdir -p "$results"
tmp=$(mktemp -d /tmp/djcache-nvim-XXXXXX)
pass=0 fail=0
check() { # name, condition command...
  local name=$1; shift
  if "$@"; then echo "✔ $name"; pass=$((pass + 1)); else echo "✖ $name"; fail=$((fail + 1)); fi
}

if ! command -v nvim >/dev/null; then
  echo "✖ neovim: nvim is not installed (bash scripts/e2e/setup.sh)"
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi
[ -f out/server/src/server.js ] || npm run build --silent

cp -r examples/shop "$tmp/shop" && rm -rf "$tmp/shop/.djcache_cache"
start=$(date +%s%N)
# Its own session and process group, so that whatever it started goes with it.
DJCACHE_WS=$tmp/shop DJCACHE_LSP=$root/bin/djcache-lsp.js DJCACHE_FILE=catalog/services.py \
DJCACHE_OUT=$results/diagnostics.txt \
  setsid timeout -k 5 150 nvim --headless -u NONE -i NONE --noplugin -n \
    -c "luafile $root/test/e2e/neovim/init.lua" >"$results/nvim.log" 2>&1 &
nvim_pid=$!
wait $nvim_pid
rc=$?
kill -KILL -- "-$nvim_pid" 2>/dev/null || true # the group it leads: a server left behind goes too
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "  neovim ran ${ms} ms (exit $rc); diagnostics it received:"
sed 's/^/    /' "$results/diagnostics.txt" 2>/dev/null | cut -c1-220
[ -s "$results/nvim.log" ] && { echo "  nvim output:"; sed 's/^/    /' "$results/nvim.log" | head -20; }

diag=$results/diagnostics.txt
check "neovim: the server published diagnostics for catalog/services.py" grep -q '^DIAG ' "$diag"
check "neovim: DJC102 at catalog/services.py:44 ('categories:nav')" grep -Eq "^DIAG 44:[0-9]+ warning DJC102 .*categories:nav" "$diag"
check "neovim: the DJC102 error at catalog/services.py:54 ('categories:all', never expires)" grep -Eq "^DIAG 54:[0-9]+ error DJC102 .*categories:all" "$diag"
check "neovim: the server shut down cleanly" grep -q '^done$' "$diag"
rm -rf "$tmp"
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
