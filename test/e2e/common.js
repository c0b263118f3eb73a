/*
 * What the editor suites share: the expectations of examples/shop/EXPECTED.md that
 * codeServer.e2e.js and electron/suite.js both check, the copy of the example they run on,
 * bounded polling, a free loopback port, stopping a process we started, named checks with the
 * closing `e2e:` line, and the example run for real under `manage.py runserver` with the djcache
 * runtime (codeServer.e2e.js, liveStats.e2e.js and dashboard.e2e.js).
 */
'use strict';
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');

// What examples/shop/EXPECTED.md says the editor must show.
const FILE = 'catalog/services.py';
const LINE = 44; // 1-based, as an editor shows it. DJC102: cache.set("categories:nav", nav, 60 * 30)
const KEY = 'categories:nav';
/** Workspace-wide: DJC102 at services.py:54 is the one error; DJC102:44, DJC103, DJC104, DJC106 are warnings; DJC105 is info; DJC107 is a hint (not counted by VS Code). */
const EXPECTED_COUNTS = { errors: 1, warnings: 4, infos: 1 };
const FIX_TITLE = /Invalidate 'categories:nav' when (catalog\.)?Product changes/;
/** The Cache Map panel's title (CACHE_MAP_TITLE in client/src/cacheMapPanel.ts). */
const CACHE_MAP_TITLE = 'djcache: Cache Map';
/** The scenarios electron/suite.js runs, for its runners to count. */
const API_SCENARIOS = 4;

/** A copy of examples/shop at `dest` (the suites change files), without its analysis cache, bytecode or database. */
function copyShop(dest) {
  fs.cpSync(path.join(ROOT, 'examples/shop'), dest, {
    recursive: true,
    filter: (src) => !/(__pycache__|\.djcache_cache|db\.sqlite3)/.test(src),
  });
}

/**
 * Named checks, each printed as `ok` or `FAIL`; `close()` prints the suite's closing
 * `e2e: N passed, N failed` line and returns the exit status.
 */
function checkList() {
  let passed = 0;
  let failed = 0;
  return {
    check(name, ok, detail = '') {
      if (ok) passed++;
      else failed++;
      console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `: ${detail}`}`);
    },
    close() {
      console.log(`e2e: ${passed} passed, ${failed} failed`);
      return failed ? 1 : 0;
    },
  };
}

/** Polls `probe` (async, truthy = done) until it holds or `ms` pass; the poll interval is not a wait on the result. */
async function until(what, probe, ms = 60_000, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const last = await probe();
    if (last) return last;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * SIGTERM to the child's own pid; if it has not exited in 10 s, SIGKILL. Then the process group it
 * leads (it must have been spawned detached): code-server's extension host and language server,
 * runserver's autoreloaded child.
 */
async function stopProcess(child, label) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
  try {
    process.kill(-child.pid, done ? 'SIGTERM' : 'SIGKILL');
  } catch {
    /* group already gone */
  }
  if (!done) await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  console.log(`  ${label} (pid ${child.pid}) stopped`);
}

// ---------------------------------------------------------------------------------------------
// examples/shop under runserver, with the runtime from ./runtime

const VENV = path.join(ROOT, '.e2e', 'live-stats-venv');
const PYTHON = path.join(VENV, 'bin', 'python');
/** Products the seeded example has; page /p/1/ … /p/SHOP_PRODUCTS/ answer 200. */
const SHOP_PRODUCTS = 6;

/** pip only when the venv lacks the runtime, Django or DRF: a rerun costs no network. */
function ensureRuntimeVenv() {
  if (!fs.existsSync(PYTHON)) execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  try {
    execFileSync(PYTHON, ['-c', 'import djcache, django, rest_framework'], { stdio: 'ignore' });
  } catch {
    execFileSync(
      path.join(VENV, 'bin', 'pip'),
      [
        'install',
        '-q',
        '--disable-pip-version-check',
        path.join(ROOT, 'runtime'),
        '-r',
        path.join(ROOT, 'examples/shop/requirements.txt'),
      ],
      { stdio: 'inherit' },
    );
  }
}

/** The runtime's stats view, as the extension reads it (needs `npm run build`). */
function fetchStats(url, token) {
  const { fetchRuntimeStats } = require(path.join(ROOT, 'out', 'client', 'src', 'statsClient.js'));
  return fetchRuntimeStats(url, token);
}

/**
 * A copy of the example in `work`/shop whose default cache is a file cache in `work`/cache: the
 * runserver process and a `manage.py shell` that writes a Product then share tag versions and
 * stats, as workers sharing Redis would. It has room for 100 000 keys: at Django's default of
 * 300 the file cache deletes a third of its files at random, which Redis does not (djcache.W002).
 * The copy's settings module `settingsModule` is the example's settings with that cache and
 * `extraSettings` (lines); the example's own settings stay on local memory. Returns the copy's
 * folder.
 */
function fileCacheShop(work, settingsModule, extraSettings = []) {
  const project = path.join(work, 'shop');
  copyShop(project);
  fs.writeFileSync(
    path.join(project, `${settingsModule}.py`),
    [
      'from shop.settings import *  # noqa: F401,F403',
      'from shop.settings import CACHES',
      '',
      `CACHES["default"] = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": ${JSON.stringify(path.join(work, 'cache'))}, "OPTIONS": {"MAX_ENTRIES": 100000}}`,
      ...extraSettings,
      '',
    ].join('\n'),
  );
  return project;
}

/**
 * Migrates and seeds the example copy in `project` (its database in `dataDir`), then runs it
 * under `manage.py runserver` on a free loopback port, detached (stop it with stopProcess), and
 * waits for its stats view to answer `token`. `reload`: runserver's autoreloader picks up edits.
 * `env` is added to the environment (e.g. DJANGO_SETTINGS_MODULE).
 */
async function startShop({ project, dataDir, token, logFile, reload = false, env: extra = {} }) {
  ensureRuntimeVenv();
  const env = {
    ...process.env,
    SHOP_DB: path.join(dataDir, 'db.sqlite3'),
    DJCACHE_STATS_TOKEN: token,
    PYTHONDONTWRITEBYTECODE: '1',
    ...extra,
  };
  const manage = (...args) => execFileSync(PYTHON, ['manage.py', ...args], { cwd: project, env, encoding: 'utf8' });
  manage('migrate', '-v0');
  manage(
    'shell',
    '-v0',
    '-c',
    [
      'from catalog.models import Category, Product',
      'tea = Category.objects.create(name="Tea", slug="tea")',
      'cups = Category.objects.create(name="Cups", slug="cups")',
      `for i in range(${SHOP_PRODUCTS}): Product.objects.create(sku=f"S{i}", name=f"Item {i}", slug=f"item-{i}", category=tea if i % 2 else cups, price=5 + i)`,
    ].join('\n'),
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const statsUrl = `${base}/djcache/`;
  const log = fs.openSync(logFile, 'w');
  const server = spawn(PYTHON, ['manage.py', 'runserver', `127.0.0.1:${port}`, ...(reload ? [] : ['--noreload'])], {
    cwd: project,
    env,
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  try {
    await until(
      'the stats view to answer',
      async () => {
        if (server.exitCode !== null) throw new Error(`runserver exited with ${server.exitCode}; see ${logFile}`);
        return fetchStats(statsUrl, token).then(
          () => true,
          () => false,
        );
      },
      60_000,
    );
  } catch (error) {
    await stopProcess(server, 'runserver');
    throw error;
  }
  return { server, base, statsUrl, manage };
}

/** GETs each page of the running example; anything but a 200 throws. */
async function getPages(base, pages) {
  for (const page of pages) {
    const response = await fetch(`${base}${page}`, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${page} answered ${response.status}`);
  }
}

/** The example's product pages, /p/1/ … */
const productPages = () => Array.from({ length: SHOP_PRODUCTS }, (_, i) => `/p/${i + 1}/`);

module.exports = {
  ROOT,
  FILE,
  LINE,
  KEY,
  EXPECTED_COUNTS,
  FIX_TITLE,
  CACHE_MAP_TITLE,
  API_SCENARIOS,
  copyShop,
  checkList,
  fileCacheShop,
  until,
  freePort,
  stopProcess,
  startShop,
  fetchStats,
  getPages,
  productPages,
};
