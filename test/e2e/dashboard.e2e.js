#!/usr/bin/env node
// The runtime's dashboard end to end: runs examples/shop (a temp copy) with the djcache runtime
// under `manage.py runserver` on loopback, sends it bounded traffic and one Product write from
// another process (a file cache carries tags and stats between them, as Redis would between
// workers), then drives Debian's /usr/bin/chromium headless through playwright-core: logs in to the
// admin as a staff user, follows the admin index's djcache "Dashboard" row, and checks the plots
// against the stats view's JSON. An anonymous visitor is refused.
// Artifacts: test-results/dashboard/ (screenshots, runserver log); with DJCACHE_SCREENSHOTS=1 the
// screenshots runtime/README.md shows are written to docs/images/ too.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { ROOT: root, checkList, fileCacheShop, startShop, stopProcess, getPages, productPages } = require('./common');

const results = path.join(root, 'test-results', 'dashboard');
const TOKEN = 'dashboard-e2e';
const { check, close } = checkList();

async function main() {
  fs.mkdirSync(results, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'djcache-dashboard-'));
  let shop;
  let browser;
  try {
    shop = await startShop({
      project: fileCacheShop(work, 'dashboard_settings', [
        'DJCACHE = {**globals().get("DJCACHE", {}), "STATS_FLUSH_INTERVAL": 0}',
      ]),
      dataDir: work,
      token: TOKEN,
      logFile: path.join(results, 'runserver.log'),
      env: { DJANGO_SETTINGS_MODULE: 'dashboard_settings' },
    });
    const { base, manage } = shop;
    for (let round = 0; round < 3; round++) await getPages(base, productPages());
    manage(
      'shell',
      '-v0',
      '-c',
      [
        'from catalog.models import Product',
        'from django.contrib.auth.models import User',
        'p = Product.objects.get(pk=1)',
        'p.price = 99',
        'p.save()',
        'User.objects.create_superuser("staff", "staff@example.com", "staff-pass")',
      ].join('\n'),
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (let round = 0; round < 2; round++) await getPages(base, productPages());

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });

    const anonymous = await page.goto(`${base}/djcache/dashboard/`);
    check('an anonymous visitor is refused', anonymous.status() === 403, String(anonymous.status()));

    await page.goto(`${base}/admin/login/?next=/admin/`);
    await page.fill('#id_username', 'staff');
    await page.fill('#id_password', 'staff-pass');
    await Promise.all([page.waitForURL(`${base}/admin/`), page.click('input[type=submit]')]);
    const row = page.locator('a[href="/admin/djcache/dashboard/"]').first();
    check('the admin index has a djcache Dashboard row', (await row.count()) === 1);
    await page.screenshot({ path: path.join(results, 'admin-index.png') });
    await Promise.all([page.waitForURL(`${base}/admin/djcache/dashboard/`), row.click()]);

    const charts = await page.locator('svg.djc-chart:not(.djc-series)').count();
    check('the dashboard draws seven bar plots', charts === 7, String(charts));
    const series = await page.locator('svg.djc-series').count();
    check('the dashboard plots the busiest families over time', series >= 1, String(series));
    const stats = await (
      await page.request.get(`${base}/djcache/stats.json`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json();
    const busiest = [...stats.families].sort((a, b) => b.hits + b.misses - (a.hits + a.misses))[0];
    check('the stats view reports traffic', !!busiest && busiest.hits > 0, JSON.stringify(stats.families));
    if (busiest) {
      const ratio = `${busiest.family}: ${Math.round(busiest.hit_rate * 1000) / 10}%`;
      const titles = await page.locator('svg.djc-chart rect title').allTextContents();
      check(`the hit-ratio plot shows ${ratio}`, titles.includes(ratio), titles.slice(0, 8).join(' | '));
    }
    // the Product write named its row: the model tag and the per-row count both grow
    const bumpTitles = await page.locator('svg[aria-label="Invalidations per table"] rect title').allTextContents();
    const productBumps = ['default:catalog.product', 'default:catalog.product#row'].map(
      (tag) => `${tag}: ${stats.tag_bumps[tag]}`,
    );
    check(
      'the invalidations plot shows the Product writes, per table and per row',
      productBumps.every((title) => bumpTitles.includes(title)),
      `${productBumps.join(', ')} vs ${bumpTitles.join(' | ')}`,
    );
    const shot = path.join(results, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    if (process.env.DJCACHE_SCREENSHOTS === '1')
      fs.copyFileSync(shot, path.join(root, 'docs', 'images', 'runtime-dashboard.png'));
  } catch (error) {
    check('the dashboard run', false, error.stack || String(error));
  } finally {
    if (browser) await browser.close();
    if (shop) await stopProcess(shop.server, 'runserver');
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.exitCode = close();
}

main();
