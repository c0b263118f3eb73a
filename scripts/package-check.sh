#!/usr/bin/env bash
# The `package` stage: builds the three packages as a release would and uses each from outside the
# checkout, in empty folders. npm: `npm pack`, then `npx --package ./djcache-<v>.tgz djcache check`
# on examples/shop. PyPI: `python -m build` (sdist + wheel), `twine check`, the wheel installed in
# a fresh venv and imported by Django. VSIX: `vsce package` with no warnings. (The pre-commit hook
# is not run here yet: under `pre-commit try-repo` the installed package lacked its build, out/.)
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
  "$venv/bin/python" -m build --outdir "$work/dist" runtime >/dev/null || return 1
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

check npm npm_package
check pypi pypi_package
check vsix vsix_package
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
