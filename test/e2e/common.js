/*
 * What the editor suites share: the expectations of examples/shop/EXPECTED.md that
 * codeServer.e2e.js and electron/suite.js both check, the copy of the example they run on,
 * bounded polling and a free loopback port.
 */
'use strict';
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

/** A copy of examples/shop at `dest` (the suites change files), without its analysis cache. */
function copyShop(dest) {
  fs.cpSync(path.join(ROOT, 'examples/shop'), dest, { recursive: true, filter: (src) => !src.includes(`${path.sep}.djcache_cache`) });
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

module.exports = { ROOT, FILE, LINE, KEY, EXPECTED_COUNTS, FIX_TITLE, CACHE_MAP_TITLE, API_SCENARIOS, copyShop, until, freePort };
