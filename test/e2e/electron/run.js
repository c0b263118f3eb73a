#!/usr/bin/env node
/*
 * The editor scenarios (suite.js) in desktop VS Code through @vscode/test-electron.
 *
 * It runs wherever a VS Code build is available: $VSCODE_EXECUTABLE, a build that
 * @vscode/test-electron already downloaded into .vscode-test/, or, with DJCACHE_E2E_DOWNLOAD=1, one
 * it downloads now (version $VSCODE_VERSION, default 1.100.3). On Linux without a display, run it
 * under `xvfb-run -a`. Without a build it skips and says so: these machines cannot download VS Code,
 * and CI here runs the code-server suite (test/e2e/codeServer.e2e.js) instead.
 * Closes with `e2e: N passed, N failed` (`, 1 skipped` when it skips).
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, API_SCENARIOS, copyShop } = require('../common');

const SUITE = path.join(__dirname, 'suite.js');

function skip(why) {
  process.stdout.write(`- desktop VS Code suite skipped: ${why}. CI here runs the code-server suite instead.\n`);
  process.stdout.write('e2e: 0 passed, 0 failed, 1 skipped\n');
  process.exit(0);
}

/** A build @vscode/test-electron left in .vscode-test/ (it writes `is-complete` when unzipped). */
function downloadedBuild() {
  const cache = path.join(ROOT, '.vscode-test');
  if (!fs.existsSync(cache)) return undefined;
  for (const dir of fs
    .readdirSync(cache)
    .filter((d) => d.startsWith('vscode-'))
    .sort()
    .reverse()) {
    const full = path.join(cache, dir);
    if (!fs.existsSync(path.join(full, 'is-complete'))) continue;
    const exe = [
      path.join(full, 'code'),
      path.join(full, 'Code.exe'),
      path.join(full, 'Visual Studio Code.app', 'Contents', 'MacOS', 'Electron'),
    ].find((p) => fs.existsSync(p));
    if (exe) return exe;
  }
  return undefined;
}

async function main() {
  let testElectron;
  try {
    testElectron = require('@vscode/test-electron');
  } catch {
    skip('@vscode/test-electron is not installed (npm ci)');
  }
  const exe = process.env.VSCODE_EXECUTABLE || downloadedBuild();
  const download = process.env.DJCACHE_E2E_DOWNLOAD === '1';
  if (!exe && !download)
    skip('no VS Code build here (set VSCODE_EXECUTABLE, or DJCACHE_E2E_DOWNLOAD=1 where one can be downloaded)');
  if (exe && !fs.existsSync(exe)) skip(`VSCODE_EXECUTABLE=${exe} does not exist`);

  // The extension under development is the repository itself; its bundle must exist.
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  if (manifest.main && !fs.existsSync(path.join(ROOT, manifest.main))) {
    const r = spawnSync('node', ['scripts/bundle.js'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('scripts/bundle.js failed');
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-electron-'));
  const workspace = path.join(dir, 'shop');
  copyShop(workspace);
  const resultsFile = path.join(dir, 'electron-results.json');
  fs.mkdirSync(path.join(dir, 'ud', 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'ud', 'User', 'settings.json'),
    JSON.stringify({
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'extensions.ignoreRecommendations': true,
      'update.mode': 'none',
      'git.enabled': false,
    }),
  );
  let code;
  try {
    code = await testElectron.runTests({
      ...(exe ? { vscodeExecutablePath: exe } : { version: process.env.VSCODE_VERSION || '1.100.3' }),
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: SUITE,
      extensionTestsEnv: { DJCACHE_E2E_RESULTS: resultsFile },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${path.join(dir, 'ud')}`,
        `--extensions-dir=${path.join(dir, 'ext')}`,
      ],
    });
  } catch (e) {
    process.stdout.write(`  VS Code run failed: ${(e && e.message) || e}\n`);
    code = 1;
  }
  const results = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : [];
  for (const r of results) {
    process.stdout.write(`${r.ok ? '✔' : '✖'} electron: ${r.name} (${r.ms} ms)\n`);
    if (!r.ok) process.stdout.write(`  ${r.error.split('\n').join('\n  ')}\n`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const passed = results.filter((r) => r.ok).length;
  const failed = Math.max(API_SCENARIOS - passed, results.length - passed);
  process.stdout.write(`e2e: ${passed} passed, ${failed} failed\n`);
  process.exit(failed || code ? 1 : 0);
}

main().catch((e) => {
  process.stdout.write(`✖ electron: ${(e && e.stack) || e}\ne2e: 0 passed, ${API_SCENARIOS} failed\n`);
  process.exit(1);
});
