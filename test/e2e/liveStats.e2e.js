#!/usr/bin/env node
// Live stats end to end: runs examples/shop (a temp copy) with the djcache runtime under
// `manage.py runserver` on loopback, sends it bounded traffic and one Product write, and renders
// the Cache Map with the stats view's numbers through scripts/cacheMapHarness.js in headless
// Chromium. Checks that the numbers the view reports are the ones on the page, then that a stopped
// server gives the one-line "could not reach" note. Needs `npm run build` (run.sh does it).
// Artifacts: test-results/live-stats/ (screenshots, rendered pages, runserver log).
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const {
  ROOT: root,
  checkList,
  fileCacheShop,
  startShop,
  stopProcess,
  fetchStats,
  getPages,
  productPages,
} = require('./common');

const results = path.join(root, 'test-results', 'live-stats');
const TOKEN = 'live-stats-e2e';
const ROUNDS = 3;
const { check, close } = checkList();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each product page once per round: the first read of a category misses, the rest hit. */
async function traffic(base) {
  for (let round = 0; round < ROUNDS; round++) await getPages(base, productPages());
}

function harness(args) {
  return execFileSync(
    process.execPath,
    [path.join(root, 'scripts/cacheMapHarness.js'), path.join(root, 'examples/shop'), ...args],
    { encoding: 'utf8', env: { ...process.env, DJCACHE_STATS_TOKEN: TOKEN } },
  );
}

function text(html) {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

async function main() {
  fs.mkdirSync(results, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-live-stats-'));
  let shop;
  try {
    shop = await startShop({
      project: fileCacheShop(work, 'live_stats_settings'),
      dataDir: work,
      token: TOKEN,
      logFile: path.join(results, 'runserver.log'),
      env: { DJANGO_SETTINGS_MODULE: 'live_stats_settings' },
    });
    const { base, statsUrl: url, manage } = shop;

    await traffic(base);
    const history = [{ receivedAt: Date.now(), families: await fetchStats(url, TOKEN) }];
    // A write in another process: the file cache carries the tag bump to the server.
    manage(
      'shell',
      '-v0',
      '-c',
      'from catalog.models import Product\np = Product.objects.get(pk=1)\np.price = 99\np.save()',
    );
    await sleep(1100);
    await traffic(base);
    const historyFile = path.join(work, 'history.json');
    fs.writeFileSync(historyFile, JSON.stringify(history));

    const screenshot = path.join(results, 'cache-map-live.png');
    const dom = path.join(results, 'cache-map-live.html');
    console.log(
      `  ${harness(['--stats', url, '--stats-history', historyFile, '--out', screenshot, '--dom', dom]).trim()}`,
    );
    const stats = await fetchStats(url, TOKEN);
    const related = stats.find((family) => family.family === 'related:{}');
    check(
      'the runtime counts the tagged family related:{}',
      related && related.hits > 0 && related.misses > 0,
      JSON.stringify(stats),
    );
    check(
      'the Product write shows as an invalidation',
      related && related.invalidations['catalog.product'] > 0,
      JSON.stringify(related),
    );
    const page = fs.readFileSync(dom, 'utf8');
    const shown = text(page);
    check('the note names the connected stats view', shown.includes(`Live stats: ${url} · `), shown.slice(0, 300));
    if (related) {
      const reads = related.hits + related.misses;
      const row = `related:{} ${related.hits} hits ${related.misses} misses ${Math.round((related.hits / reads) * 100)} %`;
      check("the map shows the view's hits, misses and hit ratio", shown.includes(row), `"${row}" not in the page`);
      check(
        'the map shows invalidations by tag',
        shown.includes(`invalidated: catalog.product ×${related.invalidations['catalog.product']}`),
      );
      check(
        'the map shows the auto TTL',
        related.auto_ttl_seconds !== null && /related:\{\}[^]*TTL \d/.test(shown),
        String(related.auto_ttl_seconds),
      );
    }
    const entry = page.match(/<tbody class="entry[^"]*" data-key="related:\{product\.category_id\}">[^]*?<\/tbody>/);
    check(
      'the family sits in the Runtime column of its entry related:{product.category_id}',
      entry && text(entry[0]).includes('related:{} '),
    );
    check(
      'invalidated most in the window: related:{}',
      /Invalidated most in the last \d+ s: related:\{\} ×[1-9]/.test(shown),
    );
    check('the reads chart has a bar per refresh', /<svg class="chart"[^]*<rect class="bar-hits"/.test(page));

    await stopProcess(shop.server, 'runserver');
    const offDom = path.join(results, 'cache-map-not-connected.html');
    harness(['--stats', url, '--out', path.join(results, 'cache-map-not-connected.png'), '--dom', offDom]);
    const offText = text(fs.readFileSync(offDom, 'utf8'));
    check(
      'a stopped runtime gives the one-line note and the static map',
      offText.includes(`Live stats: could not reach ${url}: ECONNREFUSED`) && offText.includes('categories:nav'),
      offText.slice(0, 300),
    );
  } catch (error) {
    check('the live-stats run', false, error.stack || String(error));
  } finally {
    if (shop) await stopProcess(shop.server, 'runserver');
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.exit(close());
}

main();
