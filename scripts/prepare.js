#!/usr/bin/env node
// npm's `prepare`: builds out/ where a checkout has none, so that the package installed from git
// (pre-commit's `language: node` runs `npm install -g git+file://<clone>`) ships its CLI. npm
// prepares a git dependency with an install that inherits the global flag, so the clone gets only
// the production dependencies and no TypeScript: the dev dependencies are then installed into the
// clone itself (scripts skipped: this install would run `prepare` again) before `npm run build`.
// A checkout that is built already is left alone; `npm pack` and `npm publish` rebuild through
// `prepack`, which runs first.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

if (!fs.existsSync(path.join(root, 'out', 'server', 'src', 'cli.js'))) {
  const npm = (...args) =>
    execFileSync(
      process.env.npm_execpath ? process.execPath : 'npm',
      [...(process.env.npm_execpath ? [process.env.npm_execpath] : []), ...args],
      { cwd: root, stdio: 'inherit', env: localEnv() },
    );
  if (!fs.existsSync(path.join(root, 'node_modules', 'typescript')))
    npm('install', '--no-save', '--ignore-scripts', '--include=dev', '--no-audit', '--no-fund', '--global=false');
  npm('run', 'build');
}

/** The environment without what would send a local install elsewhere: the global flag and prefix. */
function localEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^npm_config_(global|prefix|location)$/i.test(name)) delete env[name];
  return env;
}
