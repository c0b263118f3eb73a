#!/usr/bin/env node
/*
 * The djcache extension in a real VS Code: code-server 4.100.3 (VS Code 1.100 in the browser, with
 * the normal Node extension host), driven by playwright-core and Debian's Chromium.
 *
 * Builds the vsix (`npm run package`, or takes $DJCACHE_VSIX), installs it into a fresh
 * extensions dir, starts code-server on 127.0.0.1 on a COPY of examples/shop, and walks through what
 * a user would do: open catalog/services.py, see the DJC102 squiggle and the Problems count, hover the
 * cache key, apply the quick fix, open the Cache Map. Then the tags journey on another copy, running
 * under runserver with the djcache runtime: the walkthrough, the stats token, "Declare cache tags" on
 * the same DJC102, and the tagged entry's live hits and misses in the Cache Map. Every wait is on UI
 * state and bounded.
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
  ROOT,
  FILE,
  LINE,
  KEY,
  EXPECTED_COUNTS,
  FIX_TITLE,
  CACHE_MAP_TITLE,
  API_SCENARIOS,
  copyShop,
  until,
  freePort,
  stopProcess,
  startShop,
  fetchStats,
  getPages,
  productPages,
} = require('./common');

const RESULTS = path.join(ROOT, 'test-results', 'e2e');
const CODE_SERVER =
  process.env.DJCACHE_CODE_SERVER ||
  path.join(ROOT, '.e2e', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.DJCACHE_CHROMIUM || '/usr/bin/chromium';
/** The whole suite, set-up included, never runs longer than this. */
const SUITE_LIMIT_MS = Number(process.env.DJCACHE_E2E_LIMIT_MS || 20 * 60_000);

const LINE_TEXT = 'cache.set("categories:nav", nav, 60 * 30)';

// The tags journey: "Declare cache tags" on the same DJC102, then live numbers from the running example.
const TAGS_FIX_TITLE = /^\s*Declare cache tags\s*$/;
const TAGGED = 'tagged("catalog.Category", "catalog.Product")';
/** The get/set pair becomes one get_or_set of a nested function: the import, the function, and the line of the entry. */
const TAGGED_LINES = [
  'from djcache import tagged',
  'def compute_nav():',
  `nav = ${TAGGED}.get_or_set("categories:nav", compute_nav, 60 * 30)`,
];
/** The runtime's stats family of the tagged entry (its key has no variable part). */
const FAMILY = KEY;
const STATS_TOKEN = 'djcache-e2e-token';
const WALKTHROUGH = {
  title: 'Get started with djcache',
  steps: ['See a finding', 'Declare cache tags', 'Watch live stats'],
};
/** The walkthrough's pictures, taken by this suite: media/walkthrough/<name>.png ships in the vsix, docs/images/walkthrough-<name>.png is the README's. */
const UPDATE_IMAGES = process.env.DJCACHE_E2E_IMAGES === '1';

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
    process.stdout.write(
      `  ${String((err && err.stack) || err)
        .split('\n')
        .join('\n  ')}\n`,
    );
    await dumpFailure(name);
    if (fatal) throw new SkipRest(name);
    return false;
  }
}

class SkipRest extends Error {}

function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
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
    const text = await frame.evaluate(() => (document.body ? document.body.innerText : '')).catch(() => '');
    if (text.trim()) texts.push(`===== frame ${frame.url().slice(0, 200)}\n${text}`);
  }
  fs.writeFileSync(path.join(RESULTS, `${base}.txt`), texts.join('\n\n'));
  log(`failure dump: test-results/e2e/${base}.png and .txt`);
}

// ---------------------------------------------------------------------------------------------
// Set-up helpers

function run(cmd, args, opts = {}) {
  // No standard input (a prompt fails instead of waiting) and a bound on the time.
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    input: '',
    timeout: 600_000,
    ...opts,
  });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.status}\n${(r.stdout || '').slice(-4000)}\n${(r.stderr || '').slice(-4000)}`,
    );
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
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

function startCodeServer(dir, workspace, port) {
  const logFile = path.join(RESULTS, 'code-server.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      CODE_SERVER,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--config',
      path.join(dir, 'config.yaml'),
      '--user-data-dir',
      path.join(dir, 'ud'),
      '--extensions-dir',
      path.join(dir, 'ext'),
      workspace,
    ],
    { detached: true, stdio: ['ignore', out, out], env: { ...process.env, VSCODE_CLI: undefined } },
  );
  fs.closeSync(out);
  cleanups.push(() => stopProcess(child, 'code-server'));
  return child;
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
  await page
    .locator('.quick-input-list .monaco-list-row.focused', { hasText: rowText || text })
    .first()
    .waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

async function runCommand(title) {
  await page.keyboard.press('Control+Shift+P');
  await page.waitForSelector('.quick-input-widget input:focus', { timeout: 30_000 });
  await page.keyboard.type(title);
  // The command shows up once the extension has contributed it.
  await page
    .locator('.quick-input-list .monaco-list-row.focused', { hasText: title })
    .first()
    .waitFor({ timeout: 60_000 });
  await page.keyboard.press('Enter');
}

async function goToLine(line, col) {
  await page
    .locator(editorSel)
    .first()
    .click({ position: { x: 200, y: 10 } })
    .catch(() => {});
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input:focus', { timeout: 30_000 });
  await page.keyboard.type(col ? `${line}:${col}` : String(line));
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    ([l, c]) => {
      const t = document.querySelector('[id="status.editor.selection"]')?.textContent || '';
      return t.includes(`Ln ${l}, Col ${c || 1}`);
    },
    [line, col],
    { timeout: 30_000 },
  );
}

/** Opens the quick fixes at line:col and applies `title`; `whileOpen` runs while the menu shows it (a screenshot). */
async function applyQuickFix(line, col, title, whileOpen) {
  await goToLine(line, col);
  await page.keyboard.press('Control+.');
  const item = page.locator('.action-widget .monaco-list-row', { hasText: title }).first();
  try {
    await item.waitFor({ timeout: 60_000 });
  } catch (e) {
    const offered = await page
      .locator('.action-widget .monaco-list-row')
      .allInnerTexts()
      .catch(() => []);
    throw new Error(`${e.message}\n  offered: ${JSON.stringify(offered)}`, { cause: e });
  }
  // Chosen with the keyboard, as the menu's pointer block swallows synthetic clicks: move the
  // focus to the fix (bounded by the number of rows), then Enter.
  const focused = () =>
    page
      .locator('.action-widget .monaco-list-row.focused')
      .first()
      .innerText()
      .catch(() => '');
  const rows = await page.locator('.action-widget .monaco-list-row').count();
  for (let i = 0; !title.test(await focused()); i++) {
    if (i > rows) throw new Error(`could not move the focus to the fix; focused: ${JSON.stringify(await focused())}`);
    const before = await focused();
    await page.keyboard.press('ArrowDown');
    await until('the focus to move', async () => (await focused()) !== before, 5_000).catch(() => {});
  }
  await whileOpen();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('.action-widget .monaco-list-row'), null, {
    timeout: 30_000,
  });
}

/**
 * Waits until `landed()` sees a fix's edit on disk. With files.refactoring.autoSave it is saved at
 * once; if an editor is left dirty, save as a user would.
 */
async function waitForFixOnDisk(what, landed) {
  const state = await until(
    'the edit (on disk or in a dirty editor)',
    async () =>
      (landed() && 'disk') ||
      ((await page.evaluate(() => document.querySelectorAll('.tab.dirty').length)) > 0 && 'dirty'),
    60_000,
  );
  if (state === 'dirty') {
    log('the fix left a dirty editor: File: Save All');
    await runCommand('File: Save All');
  }
  await until(`${what} on disk`, async () => landed(), 60_000);
}

/** The squiggle classes drawn on one (rendered) line of the active editor, or null if the line is not rendered. */
async function squigglesOn(line) {
  return page.evaluate(
    ([sel, l]) => {
      const ed = document.querySelector(sel);
      if (!ed) return null;
      const rowTop = [...ed.querySelectorAll('.margin-view-overlays > div')].find(
        (d) => d.querySelector('.line-numbers')?.textContent.trim() === String(l),
      )?.style.top;
      if (!rowTop) return null;
      const row = [...ed.querySelectorAll('.view-overlays > div')].find((d) => d.style.top === rowTop);
      if (!row) return [];
      return [...row.querySelectorAll('[class*="squiggly-"]')].map((d) =>
        [...d.classList].find((c) => c.startsWith('squiggly-')),
      );
    },
    [editorSel, line],
  );
}

/** Goes to `line` and waits until no warning or error squiggle is drawn on it. */
async function untilNoSquiggle(line) {
  await goToLine(line);
  await until(
    `no squiggle on line ${line}`,
    async () => {
      const s = await squigglesOn(line);
      return s && !s.includes('squiggly-warning') && !s.includes('squiggly-error');
    },
    120_000,
  );
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
        if (kind && node.textContent.trim() && !Number.isNaN(n)) {
          counts[kinds[kind]] = n;
          kind = undefined;
        }
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
    const tab = [...document.querySelectorAll('.part.panel .composite-bar .action-item')].find((a) =>
      /problems/i.test(a.getAttribute('aria-label') || a.textContent || ''),
    );
    const badge = tab?.querySelector('.badge-content');
    return badge && badge.offsetParent !== null && badge.textContent.trim() ? Number(badge.textContent.trim()) : null;
  });
}

async function activeTabTitle() {
  return page.evaluate(
    () => document.querySelector('.editor-group-container.active .tab.active')?.textContent.trim() || '',
  );
}

/** The lines of the `code` findings the (open) Problems panel lists, once its filter is set to `code`. */
async function problemLines(code) {
  const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
  return rows
    .flatMap((row) => [...row.matchAll(new RegExp(`${code}\\)?\\s*\\[Ln (\\d+),`, 'g'))].map((m) => Number(m[1])))
    .sort((a, b) => a - b);
}

/**
 * A picture of the tags journey (of `clip`, or the window): test-results/e2e/walkthrough-<name>.png.
 * With DJCACHE_E2E_IMAGES=1 also media/walkthrough/<name>.png (the walkthrough's, in the vsix, 960 px
 * wide: Chromium scales it down) and, for the README's, docs/images/walkthrough-<name>.png.
 */
async function walkthroughShot(name, { clip, readme = false } = {}) {
  const file = path.join(RESULTS, `walkthrough-${name}.png`);
  await page.screenshot({ path: file, clip });
  if (!UPDATE_IMAGES) return;
  if (readme) fs.copyFileSync(file, path.join(ROOT, 'docs', 'images', `walkthrough-${name}.png`));
  const scaler = await browser.newPage({ viewport: { width: 960, height: 600 } });
  try {
    await scaler.setContent(
      `<body style="margin:0"><img style="width:960px;display:block" src="data:image/png;base64,${fs.readFileSync(file).toString('base64')}"></body>`,
    );
    await scaler.locator('img').screenshot({ path: path.join(ROOT, 'media', 'walkthrough', `${name}.png`) });
  } finally {
    await scaler.close();
  }
}

/** In the "Open Walkthrough" quick pick: finds, opens and checks the djcache walkthrough. */
async function showWalkthrough() {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: WALKTHROUGH.title }).first();
  await row.waitFor({ timeout: 60_000 });
  log(
    `walkthroughs: ${(await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((t) => t.split('\n')[0]).join(' | ')}`,
  );
  await page.keyboard.type(WALKTHROUGH.title);
  await page
    .locator('.quick-input-list .monaco-list-row.focused', { hasText: WALKTHROUGH.title })
    .first()
    .waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await until(
    'the walkthrough with its steps',
    () =>
      page.evaluate((w) => {
        const text = document.querySelector('.gettingStartedContainer')?.innerText || '';
        return [w.title, ...w.steps].every((t) => text.includes(t));
      }, WALKTHROUGH),
    60_000,
  );
  // The first step's markdown (a webview) shows its picture: the vsix ships media/walkthrough.
  await until(
    "the first step's picture",
    async () => {
      for (const frame of page.frames()) {
        const ok = await frame
          .evaluate(() =>
            [...document.images].some((i) => i.src.includes('finding.png') && i.complete && i.naturalWidth > 0),
          )
          .catch(() => false);
        if (ok) return true;
      }
      return false;
    },
    60_000,
  );
  await shot('walkthrough');
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

  await step(
    'code-server starts with the packaged extension installed',
    async () => {
      if (!fs.existsSync(CODE_SERVER)) throw new Error(`${CODE_SERVER} missing: run bash scripts/e2e/setup.sh`);
      const vsix = buildVsix();
      log(`vsix: ${path.relative(ROOT, vsix)} (${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB)`);
      copyShop(workspace);
      fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
      fs.writeFileSync(
        path.join(ud, 'User', 'settings.json'),
        JSON.stringify(
          {
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
          },
          null,
          2,
        ),
      );
      fs.writeFileSync(path.join(dir, 'config.yaml'), 'auth: none\n');
      const out = run(process.execPath, [
        CODE_SERVER,
        '--config',
        path.join(dir, 'config.yaml'),
        '--user-data-dir',
        ud,
        '--extensions-dir',
        path.join(dir, 'ext'),
        '--install-extension',
        vsix,
        '--force',
      ]);
      log(out.trim().split('\n').pop());
      const port = await freePort();
      const child = startCodeServer(dir, workspace, port);
      base = `http://127.0.0.1:${port}`;
      await until(
        'code-server /healthz',
        async () => {
          if (child.exitCode !== null)
            throw new Error(`code-server exited with ${child.exitCode}; see test-results/e2e/code-server.log`);
          return httpOk(`${base}/healthz`);
        },
        60_000,
      );
      const { chromium } = require('playwright-core');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      cleanups.push(() => browser.close().catch(() => {}));
      page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`, { timeout: 60_000 });
      await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 120_000 });
      await shot('workbench');
    },
    { fatal: true },
  );

  await step(
    `Quick Open shows ${FILE}`,
    async () => {
      await quickOpen(FILE, 'services.py');
      await until(`the ${FILE} tab`, async () => (await activeTabTitle()).startsWith('services.py'), 60_000);
      await page.waitForSelector(`${editorSel} .view-lines`, { timeout: 60_000 });
      await goToLine(LINE);
      const text = await page.evaluate(
        (sel) => document.querySelector(sel)?.querySelector('.view-lines')?.textContent || '',
        editorSel,
      );
      if (!text.replace(/\u00a0/g, ' ').includes(LINE_TEXT))
        throw new Error(`line ${LINE} of ${FILE} is not on screen: ${LINE_TEXT}`);
    },
    { fatal: true },
  );

  await step(`squiggle on line ${LINE} and the Problems count match EXPECTED.md`, async () => {
    const sq = await until(
      `a squiggle on line ${LINE}`,
      async () => {
        const s = await squigglesOn(LINE);
        return s && s.some((c) => c === 'squiggly-warning' || c === 'squiggly-error') ? s : null;
      },
      120_000,
    );
    log(`line ${LINE}: ${sq.join(', ')}`);
    if (!sq.includes('squiggly-warning'))
      throw new Error(`expected a warning squiggle (DJC102) on line ${LINE}, got ${sq}`);
    let last;
    await until(
      `status bar Problems ${JSON.stringify(EXPECTED_COUNTS)}`,
      async () => {
        last = await problemCounts();
        return sameCounts(last, EXPECTED_COUNTS);
      },
      120_000,
    ).catch((e) => {
      throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
    });
    baseline = last;
    log(`status bar: ${last.label}`);
    // The Problems panel lists the finding, and its badge agrees with the status bar.
    await page.keyboard.press('Control+Shift+M');
    const row = page
      .locator('.markers-panel .monaco-list-row', { hasText: 'DJC102' })
      .filter({ hasText: `Ln ${LINE}` })
      .first();
    await row.waitFor({ timeout: 60_000 });
    const total = EXPECTED_COUNTS.errors + EXPECTED_COUNTS.warnings + EXPECTED_COUNTS.infos;
    const badge = await until(`Problems badge ${total}`, async () => (await problemsBadge()) === total, 60_000).catch(
      async (e) => {
        throw new Error(`${e.message}; badge shows ${await problemsBadge()}`);
      },
    );
    if (!badge) throw new Error('no Problems badge');
    await shot('squiggle-and-problems');
  });

  await step(`hover on '${KEY}' lists the models it depends on`, async () => {
    await page.keyboard.press('Control+Shift+M'); // close the panel again: more room for the editor
    await goToLine(LINE);
    // Code lenses push lines down when they arrive; hovering before they are drawn would miss the key.
    await page
      .locator(`${editorSel} .codelens-decoration:visible`)
      .first()
      .waitFor({ timeout: 60_000 })
      .catch(() => log('no code lens drawn (hovering anyway)'));
    const want = ['Depends on', 'catalog.Product', 'catalog.Category'];
    // The djcache part of the hover (the row that is not the diagnostic's).
    const hoverText = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('.monaco-hover:not(.hidden) .hover-row')]
          .filter((r) => r.offsetParent !== null && !r.querySelector('.marker'))
          .map((r) => r.innerText)
          .join('\n'),
      );
    let text = '';
    const end = Date.now() + 90_000;
    for (let attempt = 1; ; attempt++) {
      // Measured afresh each time: the line may have moved since.
      const line = page.locator(`${editorSel} .view-line`, { hasText: LINE_TEXT }).first();
      const box = await line
        .locator('span', { hasText: `"${KEY}"` })
        .last()
        .boundingBox();
      if (!box) throw new Error(`the "${KEY}" token of line ${LINE} is not on screen`);
      await page.mouse.move(box.x + box.width / 2 - 30, box.y + box.height / 2 + 40);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      const shown = await until(
        'a hover with the dependency list',
        async () => {
          text = await hoverText();
          return want.every((w) => text.includes(w));
        },
        10_000,
      ).then(
        () => true,
        () => false,
      );
      if (shown) break;
      if (Date.now() > end)
        throw new Error(
          `no hover with ${want.join(', ')} after ${attempt} tries; hover text: ${JSON.stringify(text.slice(0, 1500))}`,
        );
    }
    log(
      `hover: ${text
        .split('\n')
        .filter((l) => l.trim())
        .slice(0, 6)
        .join(' | ')}`,
    );
    // Scroll the hover (a user's wheel) so that the dependency list, below the diagnostic, shows.
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    const rowOffset = () =>
      hover
        .evaluate((h) => {
          const row = [...h.querySelectorAll('.hover-row')].find((r) => !r.querySelector('.marker'));
          return row ? Math.round(row.getBoundingClientRect().top - h.getBoundingClientRect().top) : 0;
        })
        .catch(() => 0);
    const hb = await hover.boundingBox();
    if (hb) await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2, { steps: 4 });
    for (let i = 0, offset = await rowOffset(); hb && offset > 8 && i < 20; i++) {
      await page.mouse.wheel(0, Math.min(offset, 100));
      const before = offset;
      offset = await until(
        'the hover to scroll',
        async () => {
          const now = await rowOffset();
          return now !== before ? now + 1 : 0; // +1: 0 is a position, not "not yet"
        },
        5_000,
      ).then(
        (v) => v - 1,
        () => 0,
      );
    }
    const file = await shot('hover');
    fs.copyFileSync(file, path.join(RESULTS, 'best-hover.png'));
  });

  await step(`quick fix "Invalidate '${KEY}' when Product changes" removes the finding`, async () => {
    await page.keyboard.press('Escape');
    await applyQuickFix(LINE, 9, FIX_TITLE, () => shot('quick-fix-menu'));
    const signals = path.join(workspace, 'catalog', 'signals.py');
    await waitForFixOnDisk('the receiver in catalog/signals.py', () => {
      const now = fs.readFileSync(signals, 'utf8');
      return now !== signalsBefore && now.includes(KEY);
    });
    const now = fs.readFileSync(signals, 'utf8');
    const added = now
      .split('\n')
      .filter((l) => !signalsBefore.includes(l))
      .join('\n');
    log(`added to catalog/signals.py:\n    ${added.split('\n').join('\n    ')}`);
    if (!/receiver|connect/.test(added) || !added.includes(KEY))
      throw new Error('the added code is not a receiver deleting the key');
    // Back to services.py: the squiggle goes and the count drops by one.
    await quickOpen(FILE, 'services.py');
    await until(`the ${FILE} tab`, async () => (await activeTabTitle()).startsWith('services.py'), 30_000);
    await untilNoSquiggle(LINE);
    const want = { ...baseline, warnings: baseline.warnings - 1 };
    let last;
    await until(
      `status bar Problems ${JSON.stringify({ errors: want.errors, warnings: want.warnings, infos: want.infos })}`,
      async () => {
        last = await problemCounts();
        return sameCounts(last, want);
      },
      120_000,
    ).catch((e) => {
      throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
    });
    log(`status bar: ${last.label}`);
    await shot('after-fix');
  });

  await step('"djcache: Show Cache Map" opens the map with its entries', async () => {
    await page.keyboard.press('Escape');
    await runCommand('djcache: Show Cache Map');
    await until(
      `the "${CACHE_MAP_TITLE}" tab`,
      async () =>
        page.evaluate(
          (title) => [...document.querySelectorAll('.tab')].some((t) => t.textContent.includes(title)),
          CACHE_MAP_TITLE,
        ),
      60_000,
    );
    const frame = await until('webview entries (.entry)', cacheMapFrame, 120_000);
    const keys = await frame.evaluate(() =>
      [...document.querySelectorAll('.entry[data-key]')].map((e) => e.getAttribute('data-key')),
    );
    log(`${keys.length} entries: ${keys.slice(0, 12).join(', ')}`);
    if (!keys.length) throw new Error('entries have no data-key');
    if (!keys.some((k) => k.includes(KEY))) throw new Error(`no entry for ${KEY}`);
    const file = await shot('cache-map');
    fs.copyFileSync(file, path.join(RESULTS, 'best-cache-map.png'));
  });

  // The details page (README.md in a webview with no access to the extension's folder) shows the
  // README's pictures, inlined by scripts/vsix.js, and no relative link: nothing there could open it.
  await step("the extension's details page shows the README's pictures and no dead relative link", async () => {
    const readmeImages = [
      ...fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g),
    ]
      .map((m) => m[1])
      .filter((src) => !/^[a-z][a-z0-9+.-]*:/i.test(src));
    // A click, not Ctrl+Shift+X: the Cache Map's webview may hold the keyboard focus.
    await page.locator('.activitybar .action-item a[aria-label^="Extensions"]').first().click();
    try {
      const row = page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'djcache' }).first();
      await row.waitFor({ timeout: 60_000 });
      await row.click();
      const details = await until(
        `the details page with ${readmeImages.length} pictures loaded`,
        async () => {
          for (const frame of page.frames()) {
            const seen = await frame
              .evaluate(() => {
                if (!document.querySelector('h1')) return null;
                const images = [...document.images];
                return {
                  loaded: images.filter((i) => i.complete && i.naturalWidth > 0).map((i) => i.naturalWidth),
                  links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
                };
              })
              .catch(() => null);
            if (seen && seen.loaded.length >= readmeImages.length) return seen;
          }
          return null;
        },
        120_000,
      );
      log(
        `details page: ${details.loaded.length} pictures loaded (widths ${details.loaded.join(', ')}), links: ${details.links.join(' ')}`,
      );
      const relative = details.links.filter((href) => !/^([a-z][a-z0-9+.-]*:|#)/i.test(href));
      if (relative.length) throw new Error(`relative links the details page cannot open: ${relative.join(', ')}`);
      await shot('details-page');
    } finally {
      await runCommand('View: Close All Editors');
      await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
    }
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
      await apiPage.goto(`${base}/?folder=${encodeURIComponent(ws2)}&payload=${encodeURIComponent(payload)}`, {
        timeout: 60_000,
      });
      const read = () => (fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : []);
      await until(
        `the suite to finish (${API_SCENARIOS} scenarios)`,
        async () => read().length >= API_SCENARIOS,
        300_000,
        500,
      ).catch((e) => {
        throw new Error(`${e.message}; done so far: ${JSON.stringify(read())}`);
      });
      const results = read();
      for (const r of results)
        log(`${r.ok ? '✔' : '✖'} ${r.name} (${r.ms} ms)${r.ok ? '' : `\n      ${r.error.split('\n')[0]}`}`);
      const failed = results.filter((r) => !r.ok);
      if (failed.length) throw new Error(`${failed.length} of ${results.length} API scenarios failed`);
    } finally {
      await apiPage.screenshot({ path: path.join(RESULTS, 'api-suite.png') }).catch(() => {});
      await apiPage.close().catch(() => {});
    }
  });
  // The tags journey, on a fresh copy that runs under runserver (autoreload on, so that the fixed
  // file is what serves): see DJC102, declare tags, watch the tagged entry's live numbers.
  const journey = path.join(dir, 'journey', 'shop');
  let shop;
  await step(
    'examples/shop runs under runserver with the djcache runtime',
    async () => {
      copyShop(journey);
      shop = await startShop({
        project: journey,
        dataDir: path.dirname(journey),
        token: STATS_TOKEN,
        logFile: path.join(RESULTS, 'runserver.log'),
        reload: true,
      });
      cleanups.push(() => stopProcess(shop.server, 'runserver'));
      log(`runserver: ${shop.base} (pid ${shop.server.pid})`);
      await getPages(shop.base, productPages());
      const families = await fetchStats(shop.statsUrl, STATS_TOKEN);
      log(`stats families before the fix: ${families.map((f) => f.family).join(', ') || 'none'}`);
      if (families.some((f) => f.family === FAMILY)) throw new Error(`'${FAMILY}' is counted before it is tagged`);
      // The workspace settings a user would write; a short refresh keeps the map's waits short.
      fs.mkdirSync(path.join(journey, '.vscode'));
      fs.writeFileSync(
        path.join(journey, '.vscode', 'settings.json'),
        JSON.stringify({ 'djcache.statsUrl': shop.statsUrl, 'djcache.statsRefreshSeconds': 2 }, null, 2),
      );
      await page.goto(`${base}/?folder=${encodeURIComponent(journey)}`, { timeout: 60_000 });
      await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 120_000 });
      // The pictures show the editor, the Problems panel and the map, not the file tree.
      await runCommand('View: Toggle Primary Side Bar Visibility');
      await page.locator('.part.sidebar').waitFor({ state: 'hidden', timeout: 30_000 });
    },
    { fatal: true },
  );

  await step(`the walkthrough "${WALKTHROUGH.title}" is listed and shows its steps and pictures`, async () => {
    await runCommand('Welcome: Open Walkthrough');
    try {
      await showWalkthrough();
    } finally {
      // Its webview would keep the keyboard focus from the editor.
      await runCommand('View: Close All Editors');
    }
  });

  await step('"djcache: Set Stats Token" stores the token typed into its input box', async () => {
    await runCommand('djcache: Set Stats Token');
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'djcache: Stats Token' })
      .waitFor({ timeout: 30_000 });
    await page.waitForSelector('.quick-input-widget input[type="password"]:focus', { timeout: 30_000 });
    await page.keyboard.type(STATS_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 30_000 });
  });

  let djc102Before;
  await step(`DJC102 at ${FILE}:${LINE} in the editor and in Problems`, async () => {
    await quickOpen(FILE, 'services.py');
    await until(`the ${FILE} tab`, async () => (await activeTabTitle()).startsWith('services.py'), 60_000);
    await goToLine(LINE);
    await until(
      `a warning squiggle on line ${LINE}`,
      async () => ((await squigglesOn(LINE)) || []).includes('squiggly-warning'),
      120_000,
    );
    let last;
    await until(
      `status bar Problems ${JSON.stringify(EXPECTED_COUNTS)}`,
      async () => sameCounts((last = await problemCounts()), EXPECTED_COUNTS),
      120_000,
    ).catch((e) => {
      throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
    });
    // Each finding spans several rows (its related locations): the filter keeps the list short.
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.part.panel input[placeholder^="Filter"]').first().fill('DJC102');
    await until(
      `DJC102 at line ${LINE} in Problems`,
      async () => (djc102Before = await problemLines('DJC102')).includes(LINE),
      60_000,
    );
    log(`Problems: DJC102 at lines ${djc102Before.join(', ')}`);
    await goToLine(LINE, 9);
    await walkthroughShot('finding');
  });

  await step('quick fix "Declare cache tags" tags the entry, and its finding goes', async () => {
    const services = path.join(journey, FILE);
    const linesBefore = fs.readFileSync(services, 'utf8').split('\n').length;
    await applyQuickFix(LINE, 9, TAGS_FIX_TITLE, async () =>
      walkthroughShot('declare-tags', { clip: await page.locator('.part.editor').boundingBox(), readme: true }),
    );
    await waitForFixOnDisk(`${TAGGED} in ${FILE}`, () => fs.readFileSync(services, 'utf8').includes(TAGGED));
    const lines = fs.readFileSync(services, 'utf8').split('\n');
    const missing = TAGGED_LINES.filter((want) => !lines.some((l) => l.trim() === want));
    if (missing.length) throw new Error(`${FILE} lacks ${JSON.stringify(missing)}`);
    const setLine = lines.findIndex((l) => l.trim() === TAGGED_LINES[2]) + 1;
    log(`${FILE}:${setLine}: ${lines[setLine - 1].trim()}`);
    await untilNoSquiggle(setLine);
    const want = { ...EXPECTED_COUNTS, warnings: EXPECTED_COUNTS.warnings - 1 };
    let last;
    await until(
      `status bar Problems ${JSON.stringify(want)}`,
      async () => sameCounts((last = await problemCounts()), want),
      120_000,
    ).catch((e) => {
      throw new Error(`${e.message}; last seen ${JSON.stringify(last)}`);
    });
    // That DJC102 went (the counts say nothing else came); the other one, below every edit, moved by the lines they added.
    const shift = lines.length - linesBefore;
    const want102 = djc102Before.filter((l) => l !== LINE).map((l) => (l > LINE ? l + shift : l));
    let listed;
    await until(
      `DJC102 at lines ${want102.join(', ')} in Problems`,
      async () => (listed = await problemLines('DJC102')).join() === want102.join(),
      60_000,
    ).catch((e) => {
      throw new Error(`${e.message}; listed ${listed}`);
    });
    await shot('after-declare-tags');
  });

  await step(`traffic to the reloaded example reads the tagged '${FAMILY}'`, async () => {
    // Every page renders the header menu (catalog.context_processors.navigation → category_nav).
    // Until runserver has reloaded services.py, the entry is untagged and not counted.
    let lastError;
    const family = await until(
      `hits and misses of '${FAMILY}' in the stats view`,
      async () => {
        try {
          await getPages(shop.base, productPages());
          const found = (await fetchStats(shop.statsUrl, STATS_TOKEN)).find((f) => f.family === FAMILY);
          return found && found.hits > 0 && found.misses > 0 && found;
        } catch (e) {
          lastError = e; // a request that met the reload
          return false;
        }
      },
      90_000,
      500,
    ).catch((e) => {
      throw new Error(`${e.message}${lastError ? `; last error: ${lastError.message}` : ''}`);
    });
    log(`stats view: ${JSON.stringify(family)}`);
  });

  await step(`the Cache Map shows the live hits and misses of '${KEY}'`, async () => {
    await runCommand('View: Hide Panel');
    await runCommand('djcache: Show Cache Map');
    const frame = await until('webview entries (.entry)', cacheMapFrame, 120_000);
    let shown;
    /** Waits until the entry's Runtime cell shows what the stats view says now (the map polls every 2 s). */
    const mapShowsView = async () => {
      const { hits, misses } = (await fetchStats(shop.statsUrl, STATS_TOKEN)).find((f) => f.family === FAMILY);
      await until(
        `hits ${hits} and misses ${misses} beside '${KEY}'`,
        async () => {
          shown = await frame.evaluate(
            ([key, family]) => {
              const row = document.querySelector(`tbody.entry[data-key="${key}"] .family[data-family="${family}"]`);
              const note = document.querySelector('.live-note')?.textContent || '';
              return (
                row && {
                  hits: Number(row.querySelector('.stat-hits').textContent),
                  misses: Number(row.querySelector('.stat-misses').textContent),
                  note,
                }
              );
            },
            [KEY, FAMILY],
          );
          return (
            shown &&
            shown.hits === hits &&
            shown.misses === misses &&
            shown.note.startsWith(`Live stats: ${shop.statsUrl} · `)
          );
        },
        60_000,
      ).catch((e) => {
        throw new Error(`${e.message}; shown ${JSON.stringify(shown)}`);
      });
      log(`Cache Map: ${shown.note}; ${KEY}: ${shown.hits} hits, ${shown.misses} misses`);
    };
    await mapShowsView();
    // The filter, as a user looking for the entry would.
    await frame.locator('input.filter').fill(KEY);
    await until(
      'the map filtered to the entry',
      () =>
        frame.evaluate(
          () => [...document.querySelectorAll('tbody.entry')].filter((e) => e.offsetParent !== null).length === 1,
        ),
      30_000,
    );
    // More traffic while the map is open: the numbers move, and the reads chart gets its bars.
    const before = shown.hits;
    await getPages(shop.base, productPages());
    await mapShowsView();
    if (shown.hits <= before) throw new Error(`the hits did not grow from ${before}`);
    await until(
      'a bar in the reads chart',
      () => frame.evaluate(() => document.querySelectorAll('svg.chart rect.bar-hits').length > 0),
      30_000,
    );
    // Down to the entry: the rest of the map is empty below it.
    const entry = await frame.locator('tbody.entry:not([hidden])').boundingBox();
    await walkthroughShot('live-stats', {
      clip: { x: 0, y: 0, width: page.viewportSize().width, height: Math.ceil(entry.y + entry.height + 24) },
      readme: true,
    });
  });

  await step(
    'a workspace djcache.statsUrl on another origin gets no token: a modal names it, and "Don\'t Send" is said above the map',
    async () => {
      // The same runserver under another host name: another origin, as a cloned repository's settings could set.
      const other = shop.statsUrl.replace('127.0.0.1', 'localhost');
      const origin = `http://localhost:${new URL(other).port}`;
      fs.writeFileSync(
        path.join(journey, '.vscode', 'settings.json'),
        JSON.stringify({ 'djcache.statsUrl': other, 'djcache.statsRefreshSeconds': 2 }, null, 2),
      );
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 60_000 });
      const text = await dialog.innerText();
      if (
        !text.includes(`Send your djcache stats token to ${origin}?`) ||
        !text.includes(`given for ${new URL(shop.statsUrl).origin}`)
      )
        throw new Error(`the modal reads: ${text}`);
      await shot('send-token-modal');
      await dialog.locator('.monaco-button', { hasText: "Don't Send" }).click();
      await dialog.waitFor({ state: 'hidden', timeout: 30_000 });
      const frame = await until('webview entries (.entry)', cacheMapFrame, 60_000);
      let note;
      await until(
        'the map says the token was not sent',
        async () => {
          note = await frame.evaluate(() => document.querySelector('.live-note')?.textContent || '');
          return note.includes(`stats token not sent to ${origin}`);
        },
        60_000,
      ).catch((e) => {
        throw new Error(`${e.message}; note: ${note}`);
      });
      log(`Cache Map: ${note}`);
      await shot('token-withheld');
    },
  );
}

async function cleanup() {
  // Last registered, first run: the browser, code-server, then its logs are copied, then the temp dir goes.
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (e) {
      log(`cleanup: ${e.message}`);
    }
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
    process.stdout.write(
      `  --- ${path.relative(ROOT, file)} (last ${Math.min(40, lines.length)} of ${lines.length} lines)\n`,
    );
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

const PLANNED = 15;
const watchdog = setTimeout(async () => {
  aborted = true;
  process.stdout.write(`✖ the suite ran over its ${SUITE_LIMIT_MS / 1000} s limit\n`);
  await dumpFailure('suite-limit').catch(() => {});
  await cleanup();
  while (results.length < PLANNED) results.push({ name: 'not run', ok: false });
  finish(1);
}, SUITE_LIMIT_MS);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await cleanup();
    finish(1);
  });
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
