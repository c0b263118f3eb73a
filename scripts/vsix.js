#!/usr/bin/env node
// Packages the extension (after scripts/bundle.js) as djcache-<version>.vsix at the repository
// root. vsce refuses a package.json with "files" (what the npm package ships) beside
// .vscodeignore (what the .vsix ships), so it runs in a staging folder holding what the .vsix
// needs and a package.json without "files".
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-vsix-'));
try {
  for (const entry of ['dist', 'media', 'syntaxes', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore'])
    fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  delete manifest.files;
  delete manifest.scripts;
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  const out = path.join(root, `${manifest.name}-${manifest.version}.vsix`);
  const vsce = require.resolve('@vscode/vsce/vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', out, ...process.argv.slice(2)], {
    cwd: stage,
    stdio: 'inherit',
  });
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
