#!/usr/bin/env node
/*
 * The djcache extension in a real VS Code: code-server 4.100.3 (VS Code 1.100 in the browser, with
 * the normal Node extension host), driven by playwright-core and Debian's Chromium.
 *
 * Builds the vsix (`npm run package`, or takes $DJCACHE_VSIX), installs it into a fresh
 * extensions dir, starts code-server on 127.0.0.1 on a COPY of examples/shop, and walks through what
 * a user would do: open catalog/services.py, see the DJC102 squiggle and the Problems count, hover the
 * cache key, apply the quick fix, open the Cache Map. Every wait is on UI state and bounded.
 *
 * Screenshots and, on failure, the page text go to test-results/e2e/; code-server's logs (with the
 * extension's output channels) to test-results/e2e/logs/. Closes with `e2e: N passed, N failed`.
 * Install the prerequisites with `bash scripts/e2e/setup.sh`; run with `bash scripts/e2e/run.sh`.
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const {
  ROOT, FILE, LINE, KEY, EXPECTED_COUNTS, FIX_TITLE, CACHE_MAP_TITLE, API_SCENARIOS, copyShop, until, freePort,
} = require('./common');

const RESULTS = path.join(ROOT, 'test-results', 'e2e');
const CODE_SERVER = process.env.DJCACHE_CODE_SERVER
  || path.join(ROOT, '.e2e', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.DJCACHE_CHROMIUM || '/usr/bin/chromium';
/** The whole suite, set-up included, never runs longer than this. */
const SUITE_LIMIT_MS = Number(process.env.DJCACHE_E2E_LIMIT_MS || 20 * 60_000);

const LINE_TEXT = 'cache.set("categories:nav", nav, 60 * 30)';

const results = [];
const cleanups = [];
let page;
let browser;
let shotCount = 0;

function log(msg) {
  process.stdout.write(`  ${msg}\n`);
}

let aborted = false;

async function step(name, fn, { fatal = false } = {}) {
  if (aborted) throw new SkipRest(name);
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    process.stdout.write(`✔ ${name} (${Date.now() - t0} ms)\n`);
    return true;
  } catch (err) {
    results.push({ name, ok: false });
    process.stdout.write(`✖ ${name} (${Date.now() - t0} ms)\n`);
    process.stdout.write(`  ${String(err && err.stack || err).split('\n').join('\n  ')}\n`);
    await dumpFailure(name);
    if (fatal) throw new SkipRest(name);
    return false;
  }
}

class SkipRest extends Error {}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

async function shot(name) {
  if (!page) return undefined;
  const file = path.join(RESULTS, `${String(++shotCount).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));
  return file;
}

async function dumpFailure(name) {
  if (!page) return;
  const base = `FAILED-${slug(name)}`;
  await page.screenshot({ path: path.join(RESULTS, `${base}.png`) }).catch(() => {});
  const texts = [];
  for (const frame of page.frames()) {
    const text = await frame.evaluate(() => document.body ? document.body.innerText : '').catch(() => '');
    if (text.trim()) texts.push(`===== frame ${frame.url().slice(0, 200)}\n${text}`);
  }
  fs.writeFileSync(path.join(RESULTS, `${base}.txt`), texts.join('\n\n'));
  log(`failure dump: test-results/e2e/${base}.png and .txt`);
}

// ---------------------------------------------------------------------------------------------
// Set-up helpers

function run(cmd, args, opts = {}) {
  // No standard input (a prompt fails instead of waiting) and a bound on the time.
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, input: '', timeout: 600_000, ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${(r.stdout || '').slice(-4000)}\n${(r.stderr || '').slice(-4000)}`);
  }
  return r.stdout;
}

function buildVsix() {
  if (process.env.DJCACHE_VSIX) return path.resolve(process.env.DJCACHE_VSIX);
  const { version, name, scripts = {} } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  if (!scripts.package) throw new Error('package.json has no "package" script yet: cannot build the vsix');
  const target = path.join(ROOT, `${name}-${version}.vsix`);
  fs.rmSync(target, { force: true });
  run('npm', ['run', '--silent', 'package']);
  if (!fs.existsSync(target)) throw new Error(`npm run package did not produce ${path.basename(target)}`);
  return target;
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(res.statusCode === 200); });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => { req.destroy(); resolve(false); });
  });
}

function startCodeServer(dir, workspace, port) {
  const logFile = path.join(RESULTS, 'code-server.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [
    CODE_SERVER,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--config', path.join(dir, 'config.yaml'),
    '--user-data-dir', path.join(dir, 'ud'),
    '--extensions-dir', path.join(dir, 'ext'),
    workspace,
  ], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, VSCODE_CLI: undefined } });
  fs.closeSync(out);
  cleanups.push(() => stopProcess(child, 'code-server'));
  return child;
}

/** SIGTERM to code-server's own pid; if it has not exited in 10 s, SIGKILL to the process group it leads (started detached by us). */
async function stopProcess(child, label) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try { process.kill(child.pid, 'SIGTERM'); } catch { return; }
  const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
  // code-server's extension host and the language server it started are in the same group.
  try { process.kill(-child.pid, done ? 'SIGTERM' : 'SIGKILL'); } catch { /* group already gone */ }
  if (!done) await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  log(`${label} (pid ${child.pid}) stopped`);
}

function copyLogs(udDir) {
  const src = path.join(udDir, 'logs');
  if (!fs.existsSync(src)) return;
  const dst = path.join(RESULTS, 'logs');
  fs.rmSync(dst, { recursive: true, force: true });
  fs.cpSync(src, dst, { recursive: true });
}

// ---------------------------------------------------------------------------------------------
// Workbench helpers (all waits bounded)

const editorSel = '.editor-group-container.active .editor-instance .monaco-editor';

async function quickOpen(text, rowText) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input:focus', { timeout: 30_000 });
  await page.keyboard.type(text);
  // Enter opens the focused row: wait until the results have settled on the wanted one.
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: rowText || text }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

async function runCommand(title) {
  await page.keyboard.press('Control+Shift+P');
  await page.waitForSelector('.quick-input-widget input:focus', { timeout: 30_000 });
  await page.keyboard.type(title);
  // The command shows up once the extension has contributed it.
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).first().waitFor({ timeout: 60_000 });
  await page.keyboard.press('Enter');
}

async function goToLine(line, col) {
  await page.locator(editorSel).first().click({ position: { x: 200, y: 10 } }).catch(() => {});
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input:focus', { timeout: 30_000 });
  await page.keyboard.type(col ? `${line}:${col}` : String(line));
  await page.keyboard.press('Enter');
  await page.waitForFunction(([l, c]) => {
    const t = document.querySelector('[id="status.editor.selection"]')?.textContent || '';
    return t.includes(`Ln ${l}, Col ${c || 1}`);
  }, [line, col], { timeout: 30_000 });
}

/** The squiggle classes drawn on one (rendered) line of the active editor, or null if the line is not rendered. */
async function squigglesOn(line) {
  return page.evaluate(([sel, l]) => {
    const ed = document.querySelector(sel);
    if (!ed) return null;
    const rowTop = [...ed.querySelectorAll('.margin-view-overlays > div')]
      .find((d) => d.querySelector('.line-numbers')?.textContent.trim() === String(l))?.style.top;
    if (!rowTop) return null;
    const row = [...ed.querySelectorAll('.view-overlays > div')].find((d) => d.style.top === rowTop);
    if (!row) return [];
    return [...row.querySelectorAll('[class*="squiggly-"]')].map((d) => [...d.classList].find((c) => c.startsWith('squiggly-')));
  }, [editorSel, line]);
}

/** Error, warning and info counts of the status bar's Problems item. */
async function problemCounts() {
  return page.evaluate(() => {
    const item = document.querySelector('[id="status.problems"]');
    if (!item) return null;
    const counts = { errors: 0, warnings: 0, infos: 0 };
    const kinds = { 'codicon-error': 'errors', 'codicon-warning': 'warnings', 'codicon-info': 'infos' };
    const label = item.querySelector('.statusbar-item-label') || item;
    let kind;
    for (const node of label.childNodes) {
      if (node.nodeType === 1) {
        kind = Object.keys(kinds).find((k) => node.classList.contains(k));
        const n = Number(node.textContent.trim());
        if (kind && node.textContent.trim() && !Number.isNaN(n)) { counts[kinds[kind]] = n; kind = undefined; }
      } else if (node.nodeType === 3 && kind && node.textContent.trim()) {
        counts[kinds[kind]] = Number(node.textContent.trim());
        kind = undefined;
      }
    }
    counts.label = item.getAttribute('aria-label');
    return counts;
  });
}

function sameCounts(a, b) {
  return a && a.errors === b.errors && a.warnings === b.warnings && a.infos === b.infos;
}

/** The number on the Problems tab of the panel (errors + warnings + infos), or null without a badge. */
async function problemsBadge() {
  return page.evaluate(() => {
    const tab = [...document.querySelectorAll('.part.panel .composite-bar .action-item')]
      .find((a) => /problems/i.test(a.getAttribute('aria-label') || a.textContent || ''));
    const badge = tab?.querySelector('.badge-content');
    return badge && badge.offsetParent !== null && badge.textContent.trim() ? Number(badge.textContent.trim()) : null;
  });
}

async function activeTabTitle() {
  return page.evaluate(() => document.querySelector('.editor-group-container.active .tab.active')?.textContent.trim() || '');
}

/** The frame (webviews nest iframes) whose document has `.entry` elements. */
async function cacheMapFrame() {
  for (const frame of page.frames()) {
    const n = await frame.evaluate(() => document.querySelectorAll('.entry').length).catch(() => 0);
    if (n > 0) return frame;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-e2e-'));
  const workspace = path.join(dir, 'shop');
  const ud = path.join(dir, 'ud');
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => copyLogs(ud));
  let baseline;
  let base;
  const signalsBefore = fs.readFileSync(path.join(ROOT, 'examples/shop/catalog/signals.py'), 'utf8');

  await step('code-server starts with the packaged extension installed', async () => {
    if (!fs.existsSync(CODE_SERVER)) throw new Error(`${CODE_SERVER} missing: run bash scripts/e2e/setup.sh`);
    const vsix = buildVsix();
    log(`vsix: ${path.relative(ROOT, vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB)`);
    copyShop(workspace);
    fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
    fs.writeFileSync(path.join(ud, 'User', 'settings.json'), JSON.stringify({
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'workbench.colorTheme': 'Default Dark Modern',
      'telemetry.telemetryLevel': 'off',
      'extensions.ignoreRecommendations': true,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'git.enabled': false,
      'files.refactoring.autoSave': true,
      'editor.hover.delay': 300,
      'editor.minimap.enabled': false,
      'chat.disableAIFeatures': true,
    }, null, 2));
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'auth: none\n');
    const out = run(process.execPath, [CODE_SERVER, '--config', path.join(dir, 'config.yaml'), '--user-data-dir', ud,
      '--extensions-dir', path.join(dir, 'ext'), '--install-extension', vsix, '--force']);
    log(out.trim().split('\n').pop());
    const port = await freePort();
    const child = startCodeServer(dir, workspace, port);
    base = `http://127.0.0.1:${port}`;
    await until('code-server /healthz', async () => {
      if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see test-results/e2e/code-server.log`);
      return httpOk(`${base}/healthz`);
    }, 60_000);
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    cleanups.push(() => browser.close().catch(() => {}));
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`, { timeout: 60_000 });
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 120_000 });
    await shot('workbench');
  }, { fatal: true });

  await step(`Quick Open shows ${FILE}`, async () => {
    await quickOpen(FILE, 'services.py');
    await until(`the ${FILE} tab`, async () => (await activeTabTitle()).startsWith('services.py'), 60_000);
    await page.waitForSelector(`${editorSel} .view-lines`, { timeout: 60_000 });
    await goToLine(LINE);
    const text = await page.evaluate((sel) => document.querySelector(sel)?.querySelector('.view-lines')?.textContent || '', editorSel);
    if (!text.replace(/\u00a0/g, ' ').includes(LINE_TEXT)) throw new Error(`line ${LINE} of ${FILE} is not on screen: ${LINE_TEXT}`);
  }, { fatal: true });

  await step(`squiggle on line ${LINE} and the Problems count match EXPECTED.md`, async () => {
    const sq = await until(`a squiggle on line ${LINE}`, async () => {
      const s = await squigglesOn(LINE);
      return s && s.some((c) => c === 'squiggly-warning' || c === 'squiggly-error') ? s : null;
    }, 120_000);
    log(`line ${LINE}: ${sq.join(', ')}`);
    if (!sq.includes('squiggly-warning')) throw new Error(`expected a warning squiggle (DJC102) on line ${LINE}, got ${sq}`);
    let last;
    await until(`status bar Problems ${JSON.stringify(EXPECTED_COUNTS)}`, async () => {
      last = await problemCounts();
      return sameCounts(last, EXPECTED_COUNTS);
    }, 120_000).catch((e) => { throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`); });
    baseline = last;
    log(`status bar: ${last.label}`);
    // The Problems panel lists the finding, and its badge agrees with the status bar.
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'DJC102' }).filter({ hasText: `Ln ${LINE}` }).first();
    await row.waitFor({ timeout: 60_000 });
    const total = EXPECTED_COUNTS.errors + EXPECTED_COUNTS.warnings + EXPECTED_COUNTS.infos;
    const badge = await until(`Problems badge ${total}`, async () => (await problemsBadge()) === total, 60_000).catch(async (e) => {
      throw new Error(`${e.message}; badge shows ${await problemsBadge()}`);
    });
    if (!badge) throw new Error('no Problems badge');
    await shot('squiggle-and-problems');
  });

  await step(`hover on '${KEY}' lists the models it depends on`, async () => {
    await page.keyboard.press('Control+Shift+M'); // close the panel again: more room for the editor
    await goToLine(LINE);
    // Code lenses push lines down when they arrive; hovering before they are drawn would miss the key.
    await page.locator(`${editorSel} .codelens-decoration:visible`).first().waitFor({ timeout: 60_000 })
      .catch(() => log('no code lens drawn (hovering anyway)'));
    const want = ['Depends on', 'catalog.Product', 'catalog.Category'];
    // The djcache part of the hover (the row that is not the diagnostic's).
    const hoverText = () => page.evaluate(() => [...document.querySelectorAll('.monaco-hover:not(.hidden) .hover-row')]
      .filter((r) => r.offsetParent !== null && !r.querySelector('.marker')).map((r) => r.innerText).join('\n'));
    let text = '';
    const end = Date.now() + 90_000;
    for (let attempt = 1; ; attempt++) {
      // Measured afresh each time: the line may have moved since.
      const line = page.locator(`${editorSel} .view-line`, { hasText: LINE_TEXT }).first();
      const box = await line.locator('span', { hasText: `"${KEY}"` }).last().boundingBox();
      if (!box) throw new Error(`the "${KEY}" token of line ${LINE} is not on screen`);
      await page.mouse.move(box.x + box.width / 2 - 30, box.y + box.height / 2 + 40);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      const shown = await until('a hover with the dependency list', async () => {
        text = await hoverText();
        return want.every((w) => text.includes(w));
      }, 10_000).then(() => true, () => false);
      if (shown) break;
      if (Date.now() > end) throw new Error(`no hover with ${want.join(', ')} after ${attempt} tries; hover text: ${JSON.stringify(text.slice(0, 1500))}`);
    }
    log(`hover: ${text.split('\n').filter((l) => l.trim()).slice(0, 6).join(' | ')}`);
    // Scroll the hover (a user's wheel) so that the dependency list, below the diagnostic, shows.
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    const rowOffset = () => hover.evaluate((h) => {
      const row = [...h.querySelectorAll('.hover-row')].find((r) => !r.querySelector('.marker'));
      return row ? Math.round(row.getBoundingClientRect().top - h.getBoundingClientRect().top) : 0;
    }).catch(() => 0);
    const hb = await hover.boundingBox();
    if (hb) await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2, { steps: 4 });
    for (let i = 0, offset = await rowOffset(); hb && offset > 8 && i < 20; i++) {
      await page.mouse.wheel(0, Math.min(offset, 100));
      const before = offset;
      offset = await until('the hover to scroll', async () => {
        const now = await rowOffset();
        return now !== before ? now + 1 : 0; // +1: 0 is a position, not "not yet"
      }, 5_000).then((v) => v - 1, () => 0);
    }
    const file = await shot('hover');
    fs.copyFileSync(file, path.join(RESULTS, 'best-hover.png'));
  });

  await step(`quick fix "Invalidate '${KEY}' when Product changes" removes the finding`, async () => {
    await page.keyboard.press('Escape');
    await goToLine(LINE, 9);
    await page.keyboard.press('Control+.');
    const item = page.locator('.action-widget .monaco-list-row', { hasText: FIX_TITLE }).first();
    try {
      await item.waitFor({ timeout: 60_000 });
    } catch (e) {
      const offered = await page.locator('.action-widget .monaco-list-row').allInnerTexts().catch(() => []);
      throw new Error(`${e.message}\n  offered: ${JSON.stringify(offered)}`);
    }
    await shot('quick-fix-menu');
    // Chosen with the keyboard, as the menu's pointer block swallows synthetic clicks: move the
    // focus to the fix (bounded by the number of rows), then Enter.
    const focused = () => page.locator('.action-widget .monaco-list-row.focused').first().innerText().catch(() => '');
    const rows = await page.locator('.action-widget .monaco-list-row').count();
    for (let i = 0; !FIX_TITLE.test(await focused()); i++) {
      if (i > rows) throw new Error(`could not move the focus to the fix; focused: ${JSON.stringify(await focused())}`);
      const before = await focused();
      await page.keyboard.press('ArrowDown');
      await until('the focus to move', async () => (await focused()) !== before, 5_000).catch(() => {});
    }
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.querySelector('.action-widget .monaco-list-row'), null, { timeout: 30_000 });
    // The fix edits catalog/signals.py. With files.refactoring.autoSave it is saved at once; if an
    // editor is left dirty, save as a user would.
    const signals = path.join(workspace, 'catalog', 'signals.py');
    const landed = () => {
      const now = fs.readFileSync(signals, 'utf8');
      return now !== signalsBefore && now.includes(KEY);
    };
    const state = await until('the edit (on disk or in a dirty editor)', async () =>
      (landed() && 'disk') || ((await page.evaluate(() => document.querySelectorAll('.tab.dirty').length)) > 0 && 'dirty'), 60_000);
    if (state === 'dirty') {
      log('the fix left a dirty editor: File: Save All');
      await runCommand('File: Save All');
    }
    await until('the receiver in catalog/signals.py on disk', async () => landed(), 60_000);
    const now = fs.readFileSync(signals, 'utf8');
    const added = now.split('\n').filter((l) => !signalsBefore.includes(l)).join('\n');
    log(`added to catalog/signals.py:\n    ${added.split('\n').join('\n    ')}`);
    if (!/receiver|connect/.test(added) || !added.includes(KEY)) throw new Error('the added code is not a receiver deleting the key');
    // Back to services.py: the squiggle goes and the count drops by one.
    await quickOpen(FILE, 'services.py');
    await until(`the ${FILE} tab`, async () => (await activeTabTitle()).startsWith('services.py'), 30_000);
    await goToLine(LINE);
    await until(`no squiggle on line ${LINE}`, async () => {
      const s = await squigglesOn(LINE);
      return s && !s.includes('squiggly-warning') && !s.includes('squiggly-error');
    }, 120_000);
    const want = { ...baseline, warnings: baseline.warnings - 1 };
    let last;
    await until(`status bar Problems ${JSON.stringify({ errors: want.errors, warnings: want.warnings, infos: want.infos })}`, async () => {
      last = await problemCounts();
      return sameCounts(last, want);
    }, 120_000).catch((e) => { throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`); });
    log(`status bar: ${last.label}`);
    await shot('after-fix');
  });

  await step('"djcache: Show Cache Map" opens the map with its entries', async () => {
    await page.keyboard.press('Escape');
    await runCommand('djcache: Show Cache Map');
    await until(`the "${CACHE_MAP_TITLE}" tab`, async () => page.evaluate((title) =>
      [...document.querySelectorAll('.tab')].some((t) => t.textContent.includes(title)), CACHE_MAP_TITLE), 60_000);
    const frame = await until('webview entries (.entry)', cacheMapFrame, 120_000);
    const keys = await frame.evaluate(() => [...document.querySelectorAll('.entry[data-key]')].map((e) => e.getAttribute('data-key')));
    log(`${keys.length} entries: ${keys.slice(0, 12).join(', ')}`);
    if (!keys.length) throw new Error('entries have no data-key');
    if (!keys.some((k) => k.includes(KEY))) throw new Error(`no entry for ${KEY}`);
    const file = await shot('cache-map');
    fs.copyFileSync(file, path.join(RESULTS, 'best-cache-map.png'));
  });

  // The desktop VS Code suite (electron/suite.js, VS Code API only) in code-server's extension host,
  // so that it is exercised here too: the installed extension as the development extension,
  // suite.js as --extensionTestsPath, on a fresh copy of the example.
  await step('the VS Code API suite (test/e2e/electron/suite.js) passes in code-server', async () => {
    const extDir = path.join(dir, 'ext');
    const installed = fs.readdirSync(extDir).find((d) => /^djcache\.djcache-/.test(d));
    if (!installed) throw new Error(`the extension is not in ${extDir}`);
    const ws2 = path.join(dir, 'api', 'shop');
    copyShop(ws2);
    const resultsFile = path.join(dir, 'api', 'electron-results.json');
    const authority = new URL(base).host;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://${authority}${path.join(extDir, installed)}`],
      ['extensionTestsPath', `vscode-remote://${authority}${path.join(__dirname, 'electron', 'suite.js')}`],
    ]);
    const apiPage = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await apiPage.goto(`${base}/?folder=${encodeURIComponent(ws2)}&payload=${encodeURIComponent(payload)}`, { timeout: 60_000 });
      const read = () => (fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : []);
      await until(`the suite to finish (${API_SCENARIOS} scenarios)`, async () => read().length >= API_SCENARIOS, 300_000, 500)
        .catch((e) => { throw new Error(`${e.message}; done so far: ${JSON.stringify(read())}`); });
      const results = read();
      for (const r of results) log(`${r.ok ? '✔' : '✖'} ${r.name} (${r.ms} ms)${r.ok ? '' : `\n      ${r.error.split('\n')[0]}`}`);
      const failed = results.filter((r) => !r.ok);
      if (failed.length) throw new Error(`${failed.length} of ${results.length} API scenarios failed`);
    } finally {
      await apiPage.screenshot({ path: path.join(RESULTS, 'api-suite.png') }).catch(() => {});
      await apiPage.close().catch(() => {});
    }
  });
}

async function cleanup() {
  // Last registered, first run: the browser, code-server, then its logs are copied, then the temp dir goes.
  while (cleanups.length) {
    const fn = cleanups.pop();
    try { await fn(); } catch (e) { log(`cleanup: ${e.message}`); }
  }
}

/** On failure, the end of the extension's output channel (copied with code-server's logs). */
function printServerLog() {
  const found = [];
  const walk = (d) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name === 'djcache.log') found.push(path.join(d, e.name));
    }
  };
  walk(path.join(RESULTS, 'logs'));
  for (const file of found) {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    if (!text) continue;
    const lines = text.split('\n');
    process.stdout.write(`  --- ${path.relative(ROOT, file)} (last ${Math.min(40, lines.length)} of ${lines.length} lines)\n`);
    for (const line of lines.slice(-40)) process.stdout.write(`  ${line.slice(0, 300)}\n`);
  }
}

function finish(code) {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (failed) printServerLog();
  process.stdout.write(`e2e: ${passed} passed, ${failed} failed\n`);
  process.exit(code || (failed || !passed ? 1 : 0));
}

const PLANNED = 7;
const watchdog = setTimeout(async () => {
  aborted = true;
  process.stdout.write(`✖ the suite ran over its ${SUITE_LIMIT_MS / 1000} s limit\n`);
  await dumpFailure('suite-limit').catch(() => {});
  await cleanup();
  while (results.length < PLANNED) results.push({ name: 'not run', ok: false });
  finish(1);
}, SUITE_LIMIT_MS);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => { await cleanup(); finish(1); });
}

main()
  .catch((e) => {
    if (!(e instanceof SkipRest)) {
      process.stdout.write(`✖ ${e.stack || e}\n`);
      results.push({ name: 'suite', ok: false });
    }
  })
  .finally(async () => {
    clearTimeout(watchdog);
    await cleanup();
    while (results.length < PLANNED) results.push({ name: 'not run', ok: false });
    finish(0);
  });
