import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import {
  buildLiveStatsView,
  familyPattern,
  matchFamilies,
  parseRuntimeStats,
  type RuntimeFamilyStats,
  type StatsSample,
} from '../client/src/cacheMapModel';
import { fetchRuntimeStats, StatsUnavailable } from '../client/src/statsClient';
import {
  originOf,
  parseStoredStatsToken,
  sendQuestionText,
  serializeStatsToken,
  StatsTokenGate,
  urlSourceOf,
  type SendQuestion,
  type UrlSource,
} from '../client/src/statsToken';

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

test("family matcher: holes in graph keys match the runtime's {} and literal digits", () => {
  const matches = matchFamilies(entries, [
    'product:{}',
    'product:{}:reviews',
    'product:{}:photos',
    'catalog:v3:category:{}:page:{}',
    'categories:nav',
    'orders:{}',
    'session:{}:x',
  ]);
  assert.deepEqual(matches.get('product:{}'), ['e-product']);
  assert.deepEqual(matches.get('product:{}:reviews'), ['e-product-reviews'], 'the key with more literal text wins');
  assert.deepEqual(matches.get('product:{}:photos'), ['e-product-any']);
  assert.deepEqual(
    matches.get('catalog:v3:category:{}:page:{}'),
    ['e-listing'],
    'v{v} matches v3, which the runtime leaves as is',
  );
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

function family(
  name: string,
  hits: number,
  misses: number,
  invalidations: Record<string, number> = {},
  ttl: number | null = null,
): RuntimeFamilyStats {
  return { family: name, hits, misses, invalidations, auto_ttl_seconds: ttl };
}

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test('live stats view: rows per entry, unmatched families, labels', () => {
  const samples: StatsSample[] = [
    {
      receivedAt: t0,
      families: [
        family('product:{}', 9, 2, { 'catalog.product': 1, 'catalog.category': 0 }, 206.4),
        family('orders:{}', 0, 0),
      ],
    },
  ];
  const live = buildLiveStatsView(samples, entries, 'http://127.0.0.1:8000/djcache/', 300);
  assert.equal(live.connected, true);
  assert.match(live.note, /^Live stats: http:\/\/127\.0\.0\.1:8000\/djcache\/ · 2 families · updated \d\d:\d\d:\d\d$/);
  assert.deepEqual(live.byEntry['e-product'], [
    {
      family: 'product:{}',
      hits: 9,
      misses: 2,
      hitRatio: '82 %',
      invalidations: [{ tag: 'catalog.product', count: 1 }],
      autoTtl: '3 min 26 s',
    },
  ]);
  assert.deepEqual(
    live.unmatched.map((row) => [row.family, row.hitRatio, row.autoTtl]),
    [['orders:{}', '–', '']],
  );
  assert.equal(live.windowLabel, 'since the runtime started');
  assert.deepEqual(live.mostInvalidated, [{ family: 'product:{}', count: 1 }]);
  assert.deepEqual(live.readsPerInterval, []);
});

test('live stats view: the window counts invalidations since its oldest sample, and bars are reads per interval', () => {
  const samples: StatsSample[] = [
    {
      receivedAt: t0,
      families: [
        family('product:{}', 10, 5, { 'catalog.product': 4 }),
        family('categories:nav', 1, 1, { 'catalog.category': 9 }),
      ],
    },
    {
      receivedAt: t0 + 10_000,
      families: [
        family('product:{}', 30, 6, { 'catalog.product': 5 }),
        family('categories:nav', 1, 1, { 'catalog.category': 9 }),
      ],
    },
    {
      receivedAt: t0 + 20_000,
      families: [
        family('product:{}', 31, 9, { 'catalog.product': 7 }),
        family('categories:nav', 1, 1, { 'catalog.category': 9 }),
        family('orders:{}', 2, 2, { 'orders.order': 1 }),
      ],
    },
  ];
  const live = buildLiveStatsView(samples, entries, 'http://x/', 300);
  assert.equal(live.windowLabel, 'in the last 20 s');
  assert.deepEqual(live.mostInvalidated, [
    { family: 'product:{}', count: 3 },
    { family: 'orders:{}', count: 1 },
  ]);
  assert.deepEqual(live.readsPerInterval, [
    { hits: 20, misses: 1, seconds: 10 },
    { hits: 3, misses: 5, seconds: 10 },
  ]);
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

test("parseRuntimeStats: the runtime's JSON, and a clear reason for anything else", () => {
  const rows = parseRuntimeStats({
    version: 1,
    families: [{ family: 'a:{}', hits: 1, misses: 0, sets: 1, hit_rate: 1, invalidations: {}, auto_ttl_seconds: null }],
  });
  assert.deepEqual(rows, [{ family: 'a:{}', hits: 1, misses: 0, invalidations: {}, auto_ttl_seconds: null }]);
  assert.throws(() => parseRuntimeStats({ error: 'forbidden' }), /no "families" list/);
  assert.throws(() => parseRuntimeStats(null), /no "families" list/);
  assert.throws(() => parseRuntimeStats({ families: [{ family: 'a' }] }), /lacks family\/hits\/misses/);
});

/** A loopback server answering each request with `answer`; closed after the test. */
async function serve(
  answer: (request: http.IncomingMessage, response: http.ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/djcache/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('fetchRuntimeStats: sends the token as a bearer header and reads the families', async () => {
  let authorization: string | undefined;
  const server = await serve((request, response) => {
    authorization = request.headers.authorization;
    response.setHeader('Content-Type', 'application/json');
    response.end(
      JSON.stringify({
        version: 1,
        families: [{ family: 'product:{}', hits: 2, misses: 1, invalidations: {}, auto_ttl_seconds: 30 }],
      }),
    );
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
  await assert.rejects(
    fetchRuntimeStats(refused.url, undefined),
    (error: Error) =>
      error instanceof StatsUnavailable && error.message === `could not reach ${refused.url}: ECONNREFUSED`,
  );

  const silent = await serve(() => undefined);
  try {
    await assert.rejects(fetchRuntimeStats(silent.url, undefined, 200), /could not reach .*: no answer within 0.2 s$/);
  } finally {
    await silent.close();
  }

  const forbidden = await serve((_request, response) => {
    response.statusCode = 403;
    response.end('{"error": "forbidden"}');
  });
  const html = await serve((_request, response) => response.end('<html>login</html>'));
  try {
    await assert.rejects(fetchRuntimeStats(forbidden.url, undefined), /answered HTTP 403 \(.*djcache: Set Stats Token/);
    await assert.rejects(fetchRuntimeStats(html.url, undefined), /did not answer JSON$/);
  } finally {
    await forbidden.close();
    await html.close();
  }
});

const STATS_JSON = JSON.stringify({
  version: 1,
  families: [{ family: 'product:{}', hits: 1, misses: 0, invalidations: {}, auto_ttl_seconds: null }],
});

/** A stats view that records the Authorization header of every request it gets. */
async function recordingStatsView(): Promise<{
  url: string;
  origin: string;
  authorizations: (string | undefined)[];
  close: () => Promise<void>;
}> {
  const authorizations: (string | undefined)[] = [];
  const server = await serve((request, response) => {
    authorizations.push(request.headers.authorization);
    response.setHeader('Content-Type', 'application/json');
    response.end(STATS_JSON);
  });
  return { ...server, origin: originOf(server.url)!, authorizations };
}

/** SecretStorage and the modal as the extension passes them in; `answers` are the user's, in order. */
function tokenPorts(stored: string | undefined, answers: boolean[]) {
  const ports = {
    raw: stored,
    questions: [] as SendQuestion[],
    read: async () => ports.raw,
    write: async (raw: string) => {
      ports.raw = raw;
    },
    ask: async (question: SendQuestion) => {
      ports.questions.push(question);
      return answers.shift() ?? false;
    },
  };
  return ports;
}

/** What the Cache Map does on each poll: the gate decides on the token, then the view is read. */
async function poll(gate: StatsTokenGate, url: string, source: UrlSource): Promise<string | undefined> {
  const access = await gate.accessFor(url, source);
  await fetchRuntimeStats(url, access.token);
  return access.withheld;
}

test('stats token: a workspace URL on another origin gets no token until the user agrees, and is asked about once', async () => {
  const bound = await recordingStatsView();
  const elsewhere = await recordingStatsView();
  try {
    const ports = tokenPorts(serializeStatsToken({ token: 's3cret', origin: bound.origin }), [false]);
    const gate = new StatsTokenGate(ports);
    const withheld = await poll(gate, elsewhere.url, 'workspace');
    await poll(gate, elsewhere.url, 'workspace');
    assert.deepEqual(elsewhere.authorizations, [undefined, undefined], 'read without the token, twice');
    assert.deepEqual(
      ports.questions,
      [{ origin: elsewhere.origin, boundOrigin: bound.origin, source: 'workspace' }],
      'one modal, not one per poll',
    );
    assert.equal(
      withheld,
      `stats token not sent to ${elsewhere.origin}: it was given for ${bound.origin} (run "djcache: Set Stats Token" to give one for this URL)`,
    );
    assert.deepEqual(
      parseStoredStatsToken(ports.raw),
      { token: 's3cret', origin: bound.origin },
      'still bound where it was',
    );

    await poll(gate, bound.url, 'user');
    assert.deepEqual(bound.authorizations, ['Bearer s3cret'], 'the origin it was given for gets it unasked');
    assert.equal(ports.questions.length, 1);
  } finally {
    await bound.close();
    await elsewhere.close();
  }
});

test('stats token: after the user agrees, the new origin gets it and the token is bound there', async () => {
  const bound = await recordingStatsView();
  const elsewhere = await recordingStatsView();
  try {
    const ports = tokenPorts(serializeStatsToken({ token: 's3cret', origin: bound.origin }), [true]);
    const gate = new StatsTokenGate(ports);
    assert.equal(await poll(gate, elsewhere.url, 'workspace'), undefined);
    assert.deepEqual(elsewhere.authorizations, ['Bearer s3cret']);
    assert.deepEqual(parseStoredStatsToken(ports.raw), { token: 's3cret', origin: elsewhere.origin });
    // Bound to the new origin now: the old one would be asked about.
    await poll(gate, bound.url, 'user');
    assert.deepEqual(bound.authorizations, [undefined]);
    assert.deepEqual(
      ports.questions.map((q) => q.origin),
      [elsewhere.origin, bound.origin],
    );
  } finally {
    await bound.close();
    await elsewhere.close();
  }
});

test('stats token: one stored before binding (a plain string) is sent nowhere unasked', async () => {
  const view = await recordingStatsView();
  try {
    const ports = tokenPorts('legacy-token', [false, true]);
    const gate = new StatsTokenGate(ports);
    const withheld = await poll(gate, view.url, 'user');
    assert.deepEqual(view.authorizations, [undefined]);
    assert.deepEqual(ports.questions, [{ origin: view.origin, boundOrigin: undefined, source: 'user' }]);
    assert.match(withheld!, /it is not bound to a URL yet/);
    // "Set Stats Token" forgets the answers: the next poll asks again, and a yes binds the token.
    gate.forgetAnswers();
    await poll(gate, view.url, 'user');
    assert.deepEqual(view.authorizations, [undefined, 'Bearer legacy-token']);
    assert.deepEqual(parseStoredStatsToken(ports.raw), { token: 'legacy-token', origin: view.origin });
  } finally {
    await view.close();
  }
});

test('stats token: no token stored asks nothing; a non-http URL never gets one', async () => {
  const view = await recordingStatsView();
  try {
    const empty = tokenPorts(undefined, []);
    assert.equal(await poll(new StatsTokenGate(empty), view.url, 'workspace'), undefined);
    assert.deepEqual(view.authorizations, [undefined]);
    const ports = tokenPorts(serializeStatsToken({ token: 's3cret', origin: view.origin }), [true]);
    assert.deepEqual(await new StatsTokenGate(ports).accessFor('file:///etc/passwd', 'workspace'), {
      token: undefined,
      withheld: 'the stats token is only sent to http(s) URLs',
    });
    assert.deepEqual([...empty.questions, ...ports.questions], []);
  } finally {
    await view.close();
  }
});

test('origins: scheme, host and port, the port always written', () => {
  assert.equal(originOf('http://127.0.0.1:8000/djcache/'), 'http://127.0.0.1:8000');
  assert.equal(originOf('http://localhost/djcache/'), 'http://localhost:80');
  assert.equal(originOf('https://stats.example.com/x?y#z'), 'https://stats.example.com:443');
  assert.equal(originOf('http://[::1]:9000/'), 'http://[::1]:9000');
  assert.notEqual(originOf('http://127.0.0.1:8001/'), originOf('http://127.0.0.1:8000/'));
  assert.notEqual(originOf('https://127.0.0.1:8000/'), originOf('http://127.0.0.1:8000/'));
  assert.equal(
    originOf('http://user:pw@evil.example:8000@127.0.0.1:8000/'),
    'http://127.0.0.1:8000',
    'the host the request really goes to',
  );
  assert.equal(originOf('ftp://x/'), undefined);
  assert.equal(originOf('not a url'), undefined);
});

test('the modal spells out the new origin and where the URL is set', () => {
  const text = sendQuestionText({
    origin: 'http://evil.example:80',
    boundOrigin: 'http://127.0.0.1:8000',
    source: 'workspace',
  });
  assert.equal(text.message, 'Send your djcache stats token to http://evil.example:80?');
  assert.equal(text.send, 'Send to http://evil.example:80');
  assert.match(
    text.detail,
    /given for http:\/\/127\.0\.0\.1:8000\. djcache\.statsUrl, set in this workspace's settings \(\.vscode\/settings\.json\), now points to http:\/\/evil\.example:80/,
  );
});

test('urlSourceOf: inspect() tells a workspace value from a user value; one VS Code ignores does not count', () => {
  const url = 'http://127.0.0.1:8000/djcache/';
  assert.equal(urlSourceOf({ globalValue: 'http://127.0.0.1:9000/', workspaceValue: url }, url), 'workspace');
  assert.equal(urlSourceOf({ globalValue: url }, url), 'user');
  assert.equal(
    urlSourceOf({ globalValue: url, workspaceValue: 'http://evil.example/' }, url),
    'user',
    'Restricted Mode: get() gave the user value',
  );
  assert.equal(urlSourceOf({ workspaceFolderValue: url }, url), 'workspace folder');
  assert.equal(urlSourceOf(undefined, ''), 'default');
});

test('package.json: djcache.statsUrl is a restricted setting, and not per folder', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const untrusted = manifest.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, 'limited', 'restrictedConfigurations only apply with "limited"');
  assert.deepEqual(untrusted.restrictedConfigurations, ['djcache.statsUrl']);
  assert.equal(manifest.contributes.configuration.properties['djcache.statsUrl'].scope, 'machine-overridable');
});
