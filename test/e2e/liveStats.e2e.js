#!/usr/bin/env node
// Live stats end to end: runs examples/shop (a temp copy) with the djcache runtime under
// `manage.py runserver` on loopback, sends it bounded traffic and one Product write, and renders
// the Cache Map with the stats view's numbers through scripts/cacheMapHarness.js in headless
// Chromium. Checks that the numbers the view reports are the ones on the page, then that a stopped
// server gives the one-line "could not reach" note. Needs `npm run build` (run.sh does it).
// Artifacts: test-results/live-stats/ (screenshots, rendered pages, runserver log).
const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT: root, freePort } = require('./common');

const results = path.join(root, 'test-results', 'live-stats');
const venv = path.join(root, '.e2e', 'live-stats-venv');
const python = path.join(venv, 'bin', 'python');
const TOKEN = 'live-stats-e2e';
const PRODUCTS = 6;
const ROUNDS = 3;
const { fetchRuntimeStats } = require(path.join(root, 'out', 'client', 'src', 'statsClient.js'));

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${ok || !detail ? '' : `: ${detail}`}`);
}

/** pip only when the venv lacks the runtime, Django or DRF: a rerun costs no network. */
function ensureVenv() {
  if (!fs.existsSync(python)) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  try {
    execFileSync(python, ['-c', 'import djcache, django, rest_framework'], { stdio: 'ignore' });
  } catch {
    execFileSync(path.join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check',
      path.join(root, 'runtime'), '-r', path.join(root, 'examples/shop/requirements.txt')], { stdio: 'inherit' });
  }
}

/**
 * A copy of the example whose default cache is a file cache: the runserver process and the
 * `manage.py shell` that writes a Product then share tag versions and stats, as workers sharing
 * Redis would. The example's own settings stay on local memory.
 */
function prepareProject(work) {
  const project = path.join(work, 'shop');
  fs.cpSync(path.join(root, 'examples/shop'), project, { recursive: true, filter: (source) => !/(__pycache__|\.djcache_cache|db\.sqlite3)/.test(source) });
  fs.writeFileSync(path.join(project, 'live_stats_settings.py'), [
    'from shop.settings import *  # noqa: F401,F403',
    'from shop.settings import CACHES',
    '',
    `CACHES["default"] = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": ${JSON.stringify(path.join(work, 'cache'))}}`,
    '',
  ].join('\n'));
  return project;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForStats(url, server) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`runserver exited with ${server.exitCode}`);
    try {
      return await fetchRuntimeStats(url, TOKEN);
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the stats view did not answer within 30 s: ${error.message}`);
      await sleep(250);
    }
  }
}

/** Each product page once per round: the first read of a category misses, the rest hit. */
async function traffic(base) {
  for (let round = 0; round < ROUNDS; round++) {
    for (let pk = 1; pk <= PRODUCTS; pk++) {
      const response = await fetch(`${base}/p/${pk}/`, { signal: AbortSignal.timeout(10_000) });
      if (response.status !== 200) throw new Error(`GET /p/${pk}/ answered ${response.status}`);
      await response.arrayBuffer();
    }
  }
}

function harness(args) {
  return execFileSync(process.execPath, [path.join(root, 'scripts/cacheMapHarness.js'), path.join(root, 'examples/shop'), ...args],
    { encoding: 'utf8', env: { ...process.env, DJCACHE_STATS_TOKEN: TOKEN } });
}

function text(html) {
  return html.replace(/<[^>]+>/g, ' ').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
}

async function main() {
  fs.mkdirSync(results, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-live-stats-'));
  let server;
  try {
    ensureVenv();
    const project = prepareProject(work);
    const env = { ...process.env, DJANGO_SETTINGS_MODULE: 'live_stats_settings', SHOP_DB: path.join(work, 'db.sqlite3'), DJCACHE_STATS_TOKEN: TOKEN, PYTHONDONTWRITEBYTECODE: '1' };
    const manage = (...args) => execFileSync(python, ['manage.py', ...args], { cwd: project, env, encoding: 'utf8' });
    manage('migrate', '-v0');
    manage('shell', '-v0', '-c', [
      'from catalog.models import Category, Product',
      'tea = Category.objects.create(name="Tea", slug="tea")',
      'cups = Category.objects.create(name="Cups", slug="cups")',
      `for i in range(${PRODUCTS}): Product.objects.create(sku=f"S{i}", name=f"Item {i}", slug=f"item-{i}", category=tea if i % 2 else cups, price=5 + i)`,
    ].join('\n'));

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const url = `${base}/djcache/`;
    const log = fs.openSync(path.join(results, 'runserver.log'), 'w');
    server = spawn(python, ['manage.py', 'runserver', `127.0.0.1:${port}`, '--noreload'], { cwd: project, env, stdio: ['ignore', log, log] });
    await waitForStats(url, server);

    await traffic(base);
    const history = [{ receivedAt: Date.now(), families: await fetchRuntimeStats(url, TOKEN) }];
    // A write in another process: the file cache carries the tag bump to the server.
    manage('shell', '-v0', '-c', 'from catalog.models import Product\np = Product.objects.get(pk=1)\np.price = 99\np.save()');
    await sleep(1100);
    await traffic(base);
    const historyFile = path.join(work, 'history.json');
    fs.writeFileSync(historyFile, JSON.stringify(history));

    const screenshot = path.join(results, 'cache-map-live.png');
    const dom = path.join(results, 'cache-map-live.html');
    console.log(`  ${harness(['--stats', url, '--stats-history', historyFile, '--out', screenshot, '--dom', dom]).trim()}`);
    const stats = await fetchRuntimeStats(url, TOKEN);
    const related = stats.find((family) => family.family === 'related:{}');
    check('the runtime counts the tagged family related:{}', related && related.hits > 0 && related.misses > 0, JSON.stringify(stats));
    check('the Product write shows as an invalidation', related && related.invalidations['catalog.product'] > 0, JSON.stringify(related));
    const page = fs.readFileSync(dom, 'utf8');
    const shown = text(page);
    check('the note names the connected stats view', shown.includes(`Live stats: ${url} · `), shown.slice(0, 300));
    if (related) {
      const reads = related.hits + related.misses;
      const row = `related:{} ${related.hits} hits ${related.misses} misses ${Math.round((related.hits / reads) * 100)} %`;
      check('the map shows the view\'s hits, misses and hit ratio', shown.includes(row), `"${row}" not in the page`);
      check('the map shows invalidations by tag', shown.includes(`invalidated: catalog.product ×${related.invalidations['catalog.product']}`));
      check('the map shows the auto TTL', related.auto_ttl_seconds !== null && /related:\{\}[^]*TTL \d/.test(shown), String(related.auto_ttl_seconds));
    }
    const entry = page.match(/<tbody class="entry[^"]*" data-key="related:\{product\.category_id\}">[^]*?<\/tbody>/);
    check('the family sits in the Runtime column of its entry related:{product.category_id}', entry && text(entry[0]).includes('related:{} '));
    check('invalidated most in the window: related:{}', /Invalidated most in the last \d+ s: related:\{\} ×[1-9]/.test(shown));
    check('the reads chart has a bar per refresh', /<svg class="chart"[^]*<rect class="bar-hits"/.test(page));

    server.kill('SIGTERM');
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
    server = undefined;
    const offDom = path.join(results, 'cache-map-not-connected.html');
    harness(['--stats', url, '--out', path.join(results, 'cache-map-not-connected.png'), '--dom', offDom]);
    const offText = text(fs.readFileSync(offDom, 'utf8'));
    check('a stopped runtime gives the one-line note and the static map', offText.includes(`Live stats: could not reach ${url}: ECONNREFUSED`) &&
      offText.includes('categories:nav'), offText.slice(0, 300));
  } catch (error) {
    check('the live-stats run', false, error.stack || String(error));
  } finally {
    if (server && server.exitCode === null) server.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
