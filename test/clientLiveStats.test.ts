import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildLiveStatsView, familyPattern, matchFamilies, parseRuntimeStats, type RuntimeFamilyStats, type StatsSample,
} from '../client/src/cacheMapModel';
import { fetchRuntimeStats, StatsUnavailable } from '../client/src/statsClient';

const entries = [
  { id: 'e-product', key: 'product:{pk}' },
  { id: 'e-product-reviews', key: 'product:{pk}:reviews' },
  { id: 'e-product-any', key: 'product:{pk}:{part}' },
  { id: 'e-listing', key: 'catalog:v{v}:category:{category.pk}:page:{page}' },
  { id: 'e-nav', key: 'categories:nav' },
  { id: 'e-nav-again', key: 'categories:nav' },
  { id: 'e-dynamic', key: '{key}' },
  { id: 'e-fragment', key: "{% cache %} fragment 'sidebar'" },
];

test('family matcher: holes in graph keys match the runtime\'s {} and literal digits', () => {
  const matches = matchFamilies(entries, [
    'product:{}', 'product:{}:reviews', 'product:{}:photos', 'catalog:v3:category:{}:page:{}', 'categories:nav', 'orders:{}', 'session:{}:x',
  ]);
  assert.deepEqual(matches.get('product:{}'), ['e-product']);
  assert.deepEqual(matches.get('product:{}:reviews'), ['e-product-reviews'], 'the key with more literal text wins');
  assert.deepEqual(matches.get('product:{}:photos'), ['e-product-any']);
  assert.deepEqual(matches.get('catalog:v3:category:{}:page:{}'), ['e-listing'], 'v{v} matches v3, which the runtime leaves as is');
  assert.deepEqual(matches.get('categories:nav'), ['e-nav', 'e-nav-again'], 'equally specific keys share the family');
  assert.equal(matches.has('orders:{}'), false);
  assert.equal(matches.has('session:{}:x'), false, 'an all-hole key claims nothing');
});

test('family matcher: a hole is one key segment, and regex characters in keys are literal', () => {
  assert.equal(familyPattern('product:{pk}')!.test('product:{}:reviews'), false);
  assert.equal(familyPattern('{a}:{b}'), undefined);
  assert.equal(familyPattern('price.(eur)')!.test('price.(eur)'), true);
  assert.equal(familyPattern('price.(eur)')!.test('priceX(eur)'), false);
});

function family(name: string, hits: number, misses: number, invalidations: Record<string, number> = {}, ttl: number | null = null): RuntimeFamilyStats {
  return { family: name, hits, misses, invalidations, auto_ttl_seconds: ttl };
}

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test('live stats view: rows per entry, unmatched families, labels', () => {
  const samples: StatsSample[] = [{ receivedAt: t0, families: [
    family('product:{}', 9, 2, { 'catalog.product': 1, 'catalog.category': 0 }, 206.4),
    family('orders:{}', 0, 0),
  ] }];
  const live = buildLiveStatsView(samples, entries, 'http://127.0.0.1:8000/djcache/', 300);
  assert.equal(live.connected, true);
  assert.match(live.note, /^Live stats: http:\/\/127\.0\.0\.1:8000\/djcache\/ · 2 families · updated \d\d:\d\d:\d\d$/);
  assert.deepEqual(live.byEntry['e-product'], [{
    family: 'product:{}', hits: 9, misses: 2, hitRatio: '82 %', invalidations: [{ tag: 'catalog.product', count: 1 }], autoTtl: '3 min 26 s',
  }]);
  assert.deepEqual(live.unmatched.map((row) => [row.family, row.hitRatio, row.autoTtl]), [['orders:{}', '–', '']]);
  assert.equal(live.windowLabel, 'since the runtime started');
  assert.deepEqual(live.mostInvalidated, [{ family: 'product:{}', count: 1 }]);
  assert.deepEqual(live.readsPerInterval, []);
});

test('live stats view: the window counts invalidations since its oldest sample, and bars are reads per interval', () => {
  const samples: StatsSample[] = [
    { receivedAt: t0, families: [family('product:{}', 10, 5, { 'catalog.product': 4 }), family('categories:nav', 1, 1, { 'catalog.category': 9 })] },
    { receivedAt: t0 + 10_000, families: [family('product:{}', 30, 6, { 'catalog.product': 5 }), family('categories:nav', 1, 1, { 'catalog.category': 9 })] },
    { receivedAt: t0 + 20_000, families: [
      family('product:{}', 31, 9, { 'catalog.product': 7 }), family('categories:nav', 1, 1, { 'catalog.category': 9 }), family('orders:{}', 2, 2, { 'orders.order': 1 }),
    ] },
  ];
  const live = buildLiveStatsView(samples, entries, 'http://x/', 300);
  assert.equal(live.windowLabel, 'in the last 20 s');
  assert.deepEqual(live.mostInvalidated, [{ family: 'product:{}', count: 3 }, { family: 'orders:{}', count: 1 }]);
  assert.deepEqual(live.readsPerInterval, [{ hits: 20, misses: 1, seconds: 10 }, { hits: 3, misses: 5, seconds: 10 }]);
});

test('live stats view: counters that shrink (a restarted runtime) count from zero', () => {
  const samples: StatsSample[] = [
    { receivedAt: t0, families: [family('product:{}', 100, 50, { 'catalog.product': 40 })] },
    { receivedAt: t0 + 10_000, families: [family('product:{}', 3, 1, { 'catalog.product': 1 })] },
  ];
  const live = buildLiveStatsView(samples, entries, 'http://x/', 300);
  assert.deepEqual(live.mostInvalidated, [{ family: 'product:{}', count: 1 }]);
  assert.deepEqual(live.readsPerInterval, [{ hits: 3, misses: 1, seconds: 10 }]);
});

test('parseRuntimeStats: the runtime\'s JSON, and a clear reason for anything else', () => {
  const rows = parseRuntimeStats({ version: 1, families: [{ family: 'a:{}', hits: 1, misses: 0, sets: 1, hit_rate: 1, invalidations: {}, auto_ttl_seconds: null }] });
  assert.deepEqual(rows, [{ family: 'a:{}', hits: 1, misses: 0, invalidations: {}, auto_ttl_seconds: null }]);
  assert.throws(() => parseRuntimeStats({ error: 'forbidden' }), /no "families" list/);
  assert.throws(() => parseRuntimeStats(null), /no "families" list/);
  assert.throws(() => parseRuntimeStats({ families: [{ family: 'a' }] }), /lacks family\/hits\/misses/);
});

/** A loopback server answering each request with `answer`; closed after the test. */
async function serve(answer: (request: http.IncomingMessage, response: http.ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/djcache/`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

test('fetchRuntimeStats: sends the token as a bearer header and reads the families', async () => {
  let authorization: string | undefined;
  const server = await serve((request, response) => {
    authorization = request.headers.authorization;
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify({ version: 1, families: [{ family: 'product:{}', hits: 2, misses: 1, invalidations: {}, auto_ttl_seconds: 30 }] }));
  });
  try {
    const families = await fetchRuntimeStats(server.url, 's3cret');
    assert.equal(authorization, 'Bearer s3cret');
    assert.equal(families[0].family, 'product:{}');
  } finally {
    await server.close();
  }
});

test('fetchRuntimeStats: refused connections, timeouts, HTTP errors and bad JSON become one-line reasons', async () => {
  const refused = await serve(() => undefined);
  await refused.close();
  await assert.rejects(fetchRuntimeStats(refused.url, undefined), (error: Error) =>
    error instanceof StatsUnavailable && error.message === `could not reach ${refused.url}: ECONNREFUSED`);

  const silent = await serve(() => undefined);
  try {
    await assert.rejects(fetchRuntimeStats(silent.url, undefined, 200), /could not reach .*: no answer within 0.2 s$/);
  } finally {
    await silent.close();
  }

  const forbidden = await serve((_request, response) => { response.statusCode = 403; response.end('{"error": "forbidden"}'); });
  const html = await serve((_request, response) => response.end('<html>login</html>'));
  try {
    await assert.rejects(fetchRuntimeStats(forbidden.url, undefined), /answered HTTP 403 \(.*djcache: Set Stats Token/);
    await assert.rejects(fetchRuntimeStats(html.url, undefined), /did not answer JSON$/);
  } finally {
    await forbidden.close();
    await html.close();
  }
});
