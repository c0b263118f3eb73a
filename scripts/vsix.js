#!/usr/bin/env node
// Packages the extension (after scripts/bundle.js) as djcache-<version>.vsix at the repository
// root. vsce refuses a package.json with "files" (what the npm package ships) beside
// .vscodeignore (what the .vsix ships), so it runs in a staging folder holding what the .vsix
// needs and a package.json without "files".
//
// The README is the extension's details page in VS Code. vsce would rewrite its relative links and
// images (and the CHANGELOG's, its Changelog tab) to the repository's URL on GitHub, which is not
// published, so they would all break. Nor can they stay relative: VS Code shows the page in a
// webview with no access to the extension's folder (a shipped file is never loaded) and opens only
// http(s) links from it. So the packaged copies carry their pictures inline as data: URIs, and a
// relative link becomes its plain text; --no-rewrite-relative-links keeps vsce from pointing
// anything that is left at the unpublished repository.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const IMAGE_TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif' };

const isRelative = (target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith('#');

/** A markdown file as the details page can show it: relative images inlined, relative links unlinked. */
function forDetailsPage(file) {
  const markdown = fs.readFileSync(path.join(root, file), 'utf8');
  return markdown.replace(/(!?)\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, bang, text, target) => {
    if (!isRelative(target)) return whole;
    if (!bang) return text;
    const type = IMAGE_TYPES[path.extname(target).toLowerCase()];
    if (!type) throw new Error(`${file} shows ${target}, which the details page cannot inline`);
    const data = fs.readFileSync(path.join(root, target)).toString('base64');
    return `![${text}](data:${type};base64,${data})`;
  });
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-vsix-'));
try {
  for (const entry of ['dist', 'media', 'syntaxes', 'LICENSE', '.vscodeignore'])
    fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
  for (const file of ['README.md', 'CHANGELOG.md']) fs.writeFileSync(path.join(stage, file), forDetailsPage(file));
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
