#!/usr/bin/env bash
# The `package` stage: builds the three packages as a release would and uses each from outside the
# checkout, in empty folders. npm: `npm pack`, then `npx --package ./djcache-<v>.tgz djcache check`
# on examples/shop. PyPI: `python -m build` (sdist + wheel), `twine check`, the wheel installed in
# a fresh venv and imported by Django. VSIX: `vsce package` with no warnings. pre-commit: the hook
# installed from a clean clone of this repository by `pre-commit try-repo` (pre-commit from PyPI),
# run on a copy of examples/shop in its own git repository.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
PY=${PYTHON:-python3}
work=$(mktemp -d /tmp/djcache-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() { # name, command...
  local name=$1; shift
  if "$@"; then echo "package: $name ok"; passed=$((passed + 1)); else echo "package: $name FAILED"; failed=$((failed + 1)); fi
}

npm_package() {
  local version tgz
  version=$(node -p "require('./package.json').version")
  tgz="$work/djcache-$version.tgz"
  npm pack --silent --pack-destination "$work" >/dev/null || return 1
  mkdir -p "$work/npm-user" && cp -r examples/shop "$work/npm-user/shop"
  # Exit 1 means findings, as examples/shop has: only 0 or 2 would be wrong here.
  (cd "$work/npm-user" && npx --yes --package "$tgz" djcache check shop --no-cache > out.txt)
  [ $? -eq 1 ] && grep -q '^Found [0-9]* findings\.$' "$work/npm-user/out.txt"
}

pypi_package() {
  local venv="$work/py-build"
  "$PY" -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check build twine || return 1
  "$venv/bin/python" -m build --outdir "$work/dist" runtime > "$work/build.txt" 2>&1 || { cat "$work/build.txt"; return 1; }
  # setuptools' deprecation warnings about the metadata become errors in later releases.
  if grep -q 'WARNING\|Warning' "$work/build.txt"; then grep -A8 'WARNING\|Warning' "$work/build.txt"; return 1; fi
  ls "$work"/dist/djcache-*.tar.gz "$work"/dist/djcache-*-py3-none-any.whl >/dev/null || return 1
  "$venv/bin/twine" check --strict "$work"/dist/* || return 1
  local user="$work/py-user"
  "$PY" -m venv "$user" && "$user/bin/pip" install -q --disable-pip-version-check "$work"/dist/djcache-*.whl || return 1
  (cd "$work" && "$user/bin/python" -c "
import django
from django.conf import settings
settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', 'djcache'],
                   DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}})
django.setup()
from django.core.management import call_command
call_command('check')
import djcache
print('djcache runtime', djcache.__name__, 'imports and passes manage.py check')
")
}

vsix_package() {
  local log="$work/vsce.txt"
  npm run --silent package > "$log" 2>&1 || { cat "$log"; return 1; }
  rm -f djcache-*.vsix
  if grep -qi 'warning' "$log"; then cat "$log"; return 1; fi
}

# pre-commit installs the hook with `npm install -g git+file://<clone>`: the clone has no out/, so
# this also checks that `prepare` (scripts/prepare.js) builds it there.
pre_commit_hook() {
  local venv="$work/pre-commit" user="$work/hook-user"
  "$PY" -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check pre-commit || return 1
  mkdir -p "$user" && cp -r examples/shop/. "$user/" && rm -rf "$user/.djcache_cache"
  (cd "$user" && git init -q && git add -A) || return 1
  local try="env PRE_COMMIT_HOME=$work/pre-commit-home $venv/bin/pre-commit try-repo $REPO djcache --files"
  # Files from two folders: the whole project is analysed (pricing.py's write and signals.py's
  # delete concern entries of catalog/services.py), findings that concern neither file are left out.
  (cd "$user" && $try catalog/services.py orders/views.py > findings.txt 2>&1)
  local status=$?
  cat "$user/findings.txt"
  [ $status -eq 1 ] || { echo "expected exit 1 (findings), got $status"; return 1; }
  for finding in 'catalog/services.py:44:9: warning DJC102' 'catalog/services.py:54:12: error DJC102' \
    'catalog/pricing.py:21:5: warning DJC103' 'catalog/signals.py:24:13: warning DJC104' 'Found 4 findings.'; do
    grep -qF "$finding" "$user/findings.txt" || { echo "missing: $finding"; return 1; }
  done
  for other in 'orders/reports.py' 'orders/services.py' 'flush_storefront.py'; do
    ! grep -qF "$other:" "$user/findings.txt" || { echo "reported outside the files: $other"; return 1; }
  done
  # Files that no finding concerns pass.
  (cd "$user" && $try reviews/services.py templates/base.html > clean.txt 2>&1)
  status=$?
  cat "$user/clean.txt"
  [ $status -eq 0 ] && grep -q '^djcache\.*Passed$' "$user/clean.txt"
}

check npm npm_package
check pypi pypi_package
check vsix vsix_package
check pre-commit pre_commit_hook
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
