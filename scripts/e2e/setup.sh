#!/usr/bin/env bash
# Installs what the editor end-to-end tests need on a Debian machine (run as root):
#   Debian: chromium (driven by playwright-core), ripgrep (code-server's search), libkrb5-dev
#   (code-server's kerberos module), neovim (the second LSP client), python3-venv (examples/shop runs
#   with the runtime in .e2e/live-stats-venv for the live-stats suite and the code-server tags journey);
#   code-server 4.100.3 on the machine's Node, built per shared/notes/code-server.md Recipe B,
#   into $DJCACHE_E2E_DIR/code-server (default .e2e/code-server, gitignored).
# Idempotent: what is already there is not installed again; a warm run takes about a second.
# Never runs `playwright install` (no browser downloads here): Debian's /usr/bin/chromium is used.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
start=$(date +%s)
CS_VERSION=4.100.3
e2e_dir=${DJCACHE_E2E_DIR:-$root/.e2e}
cs_dir=$e2e_dir/code-server
marker=$cs_dir/.installed-$CS_VERSION

step() { echo "e2e setup: $* ($(( $(date +%s) - start ))s)"; }

# --- Debian packages: only what is missing, one apt-get update at most -------------------
missing=()
for pkg in chromium ripgrep libkrb5-dev neovim python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for bin in /usr/bin/chromium /usr/bin/rg /usr/bin/nvim; do
  [ -x "$bin" ] || { echo "e2e setup: $bin missing after install" >&2; exit 1; }
done

# --- code-server (Recipe B) ------------------------------------------------------------------
if [ ! -f "$marker" ]; then
  step "installing code-server $CS_VERSION into $cs_dir"
  rm -rf "$cs_dir"
  mkdir -p "$cs_dir"
  # A package.json of its own, so that npm installs here and not into the repository.
  echo '{ "name": "djcache-e2e-code-server", "private": true }' > "$cs_dir/package.json"
  # npm_config_yes: node-pty's post-install runs `npx node-gyp`, which would otherwise stop to ask.
  export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false npm_config_yes=true
  # node-gyp builds against the installed Node's headers instead of downloading them.
  if [ -f /usr/include/node/node_version.h ]; then export npm_config_nodedir=/usr; fi
  (cd "$cs_dir" && npm install --no-save --ignore-scripts --loglevel=error "code-server@$CS_VERSION")
  vs=$cs_dir/node_modules/code-server/lib/vscode
  step "code-server: vscode dependencies"
  (cd "$vs" && npm install --omit=dev --ignore-scripts --loglevel=error)
  # @vscode/ripgrep's install step downloads a binary; Debian's rg replaces it.
  mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
  cp /usr/bin/rg "$vs/node_modules/@vscode/ripgrep/bin/rg"
  step "code-server: native modules"
  (cd "$vs" && npm rebuild --loglevel=error @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty)
  ln -sfn node_modules "$vs/node_modules.asar"
  step "code-server: its own dependencies"
  (cd "$cs_dir/node_modules/code-server" && npm install --omit=dev --ignore-scripts --loglevel=error && npm rebuild --loglevel=error argon2)
  node "$cs_dir/node_modules/code-server/out/node/entry.js" --version >/dev/null
  touch "$marker"
fi

# --- playwright-core is a devDependency of the repository (npm ci installs it) ---------------
[ -d node_modules/playwright-core ] || { echo "e2e setup: run npm ci first (playwright-core missing)" >&2; exit 1; }

step "ready: $(node "$cs_dir/node_modules/code-server/out/node/entry.js" --version | head -1 | cut -d' ' -f1), $(/usr/bin/chromium --version 2>/dev/null), $(nvim --version | head -1)"
