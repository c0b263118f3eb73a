#!/usr/bin/env node
// Bundles the extension for the .vsix: dist/client.js (the VS Code side), dist/server.js (the
// language server) and dist/parseWorker.js (its parsing thread) with the tree-sitter wasm files
// beside them, the rule docs as dist/rules/*.md so that the links the server sends resolve
// inside the installed extension, and the library stubs as dist/stubs.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
};

async function main() {
  fs.rmSync(dist, { recursive: true, force: true });
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: ['client/src/extension.ts'],
      outfile: 'dist/client.js',
      external: ['vscode'],
    }),
    // The language server, and the thread it parses on besides its own (facts/parallel.ts finds it beside itself).
    esbuild.build({
      ...common,
      entryPoints: { server: 'server/src/server.ts', parseWorker: 'server/src/facts/parseWorker.ts' },
      outdir: 'dist',
      // The package's ESM build finds its wasm through import.meta.url, which a CJS bundle lacks;
      // the .cjs build looks beside __dirname, that is dist/, where the runtime wasm is copied.
      alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' },
      // Only the fallback for running from out/; the bundle finds the grammar copied beside it.
      external: ['tree-sitter-python/tree-sitter-python.wasm'],
    }),
  ]);
  for (const wasm of ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-python/tree-sitter-python.wasm']) {
    fs.copyFileSync(path.join(root, 'node_modules', wasm), path.join(dist, path.basename(wasm)));
  }
  // The library stubs the engine reads as Python (engine/nodeFs.ts finds them in dist/stubs).
  fs.cpSync(path.join(root, 'server', 'stubs'), path.join(dist, 'stubs'), {
    recursive: true,
    filter: (src) => fs.statSync(src).isDirectory() || src.endsWith('.py'),
  });
  const rulesDir = path.join(root, 'docs', 'rules');
  fs.mkdirSync(path.join(dist, 'rules'));
  for (const doc of fs.readdirSync(rulesDir).filter((name) => /^DJC\d+\.md$/.test(name))) {
    fs.copyFileSync(path.join(rulesDir, doc), path.join(dist, 'rules', doc));
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
