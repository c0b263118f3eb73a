#!/usr/bin/env bash
# Makes a release from one version number: sets it in package.json (the npm package and the VS
# Code extension), runtime/pyproject.toml and djcache.__version__ (the PyPI package) and the
# README's pre-commit and workflow snippets; dates the CHANGELOG's heading; builds
# release/djcache-<v>.tgz, release/djcache-<v>.vsix and the runtime's sdist and wheel; commits and
# tags v<v>. Publishing stays a person's step: npm publish, twine upload, vsce/ovsx publish.
# Usage: scripts/release.sh 0.2.0
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/release.sh <version, e.g. 0.2.0>}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "release: '$version' is not MAJOR.MINOR.PATCH" >&2; exit 2; }
[ -z "$(git status --porcelain)" ] || { echo "release: the work tree has uncommitted changes" >&2; exit 2; }
grep -q "^## $version " CHANGELOG.md || { echo "release: CHANGELOG.md has no '## $version' section" >&2; exit 2; }

npm version "$version" --no-git-tag-version --allow-same-version >/dev/null
sed -i -E "s/^version = \"[^\"]+\"/version = \"$version\"/" runtime/pyproject.toml
sed -i -E "s/^__version__ = \"[^\"]+\"/__version__ = \"$version\"/" runtime/djcache/__init__.py
sed -i -E "s/(rev: |djcache\/djcache@)v[0-9]+\.[0-9]+\.[0-9]+/\1v$version/" README.md
sed -i -E "s/^## $version \(not yet released\)/## $version ($(date -u +%Y-%m-%d))/" CHANGELOG.md

rm -rf release && mkdir release
npm pack --pack-destination release
npm run package && mv "djcache-$version.vsix" release/
# build and twine from PyPI in a venv of their own: the machine's Python need not have them.
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools" && "$tools/bin/pip" install -q --disable-pip-version-check build twine
"$tools/bin/python" -m build --outdir release runtime
"$tools/bin/twine" check --strict release/*.tar.gz release/*.whl

git add package.json package-lock.json runtime/pyproject.toml runtime/djcache/__init__.py README.md CHANGELOG.md
git commit -m "Release $version"
git tag -a "v$version" -m "djcache $version"
echo "release: built release/ and tagged v$version; publish with npm publish, twine upload, vsce publish and npx ovsx publish"
