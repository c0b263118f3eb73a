#!/usr/bin/env node
// Packages the extension (after scripts/bundle.js) as djcache-<version>.vsix at the repository
// root. vsce refuses a package.json with "files" (what the npm package ships) beside
// .vscodeignore (what the .vsix ships), so it runs in a staging folder holding what the .vsix
// needs and a package.json without "files".
//
// The README is the extension's details page in VS Code. vsce would rewrite its relative links and
// images to the repository's URL on GitHub, which is not published, so they would all break: the
// links stay relative (--no-rewrite-relative-links) and the files they point to ship in the .vsix,
// where the details page resolves them against the installed extension's folder.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');

/** The files README.md's relative links and images point to (anchors dropped), each once. */
function readmeTargets() {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const targets = new Set();
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    targets.add(target.replace(/#.*$/, ''));
  }
  return [...targets];
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-vsix-'));
try {
  for (const entry of ['dist', 'media', 'syntaxes', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore'])
    fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  for (const target of readmeTargets()) {
    const source = path.join(root, target);
    if (!fs.existsSync(source)) throw new Error(`README.md links to ${target}, which does not exist`);
    fs.mkdirSync(path.dirname(path.join(stage, target)), { recursive: true });
    fs.copyFileSync(source, path.join(stage, target));
  }
  delete manifest.files;
  delete manifest.scripts;
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const out = path.join(root, `${manifest.name}-${manifest.version}.vsix`);
  const vsce = require.resolve('@vscode/vsce/vsce');
  execFileSync(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', out, ...process.argv.slice(2)],
    { cwd: stage, stdio: 'inherit' },
  );
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
