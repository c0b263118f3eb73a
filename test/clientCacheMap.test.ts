import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildCacheMapView } from '../client/src/cacheMapModel';
import type { Cover, GraphDependency, GraphEntry, GraphModel } from '../shared/graph';
import type { GraphFolder } from '../shared/protocol';

const none: Cover = { state: 'none' };

function dependency(model: string, coverage: Partial<GraphDependency['coverage']>, line = 4): GraphDependency {
  return {
    model,
    via: [`${model.split('.')[1]}.objects`, 'select_related("category")'],
    path: 'shop/services.py',
    loc: [line, 12, line, 30],
    coverage: { save: none, delete: none, m2m: none, bulk: none, ...coverage },
  };
}

function entry(
  id: string,
  key: string,
  line: number,
  dependencies: GraphDependency[],
  extra: Partial<GraphEntry> = {},
): GraphEntry {
  return {
    id,
    kind: 'cache',
    key,
    alias: 'default',
    timeout: 900,
    path: 'shop/services.py',
    loc: [line, 8, line, 40],
    function: null,
    dependencies,
    ...extra,
  };
}

function model(id: string, writes: GraphModel['writes'] = []): GraphModel {
  return {
    id,
    path: 'shop/models.py',
    loc: [1, 0, 1, 10],
    table: id.replace('.', '_').toLowerCase(),
    adminRegistered: false,
    writes,
    entries: [],
  };
}

function folder(
  name: string,
  entries: GraphEntry[],
  models: GraphModel[],
  findings: GraphFolder['findings'] = [],
): GraphFolder {
  return {
    uri: `file:///work/${name}`,
    name,
    graph: { version: 1, entries, models, invalidations: [], siteCache: null },
    findings,
  };
}

const covered: Cover = {
  state: 'yes',
  by: [{ path: 'shop/signals.py', loc: [9, 4, 9, 30], how: 'post_save receiver at shop/signals.py:10' }],
};
const productWrites: GraphModel['writes'] = [
  { path: 'shop/admin.py', loc: [29, 0, 29, 20], kind: 'save', how: 'the admin', signals: true },
  { path: 'shop/views.py', loc: [11, 4, 11, 20], kind: 'save', how: 'Product.save()', signals: true },
  { path: 'shop/tasks.py', loc: [2, 4, 2, 20], kind: 'save', how: 'Product.objects.create()', signals: true },
  { path: 'shop/api.py', loc: [40, 4, 40, 20], kind: 'save', how: 'serializer.save()', signals: true },
  { path: 'shop/pricing.py', loc: [20, 4, 20, 40], kind: 'bulk', how: 'Product.objects.bulk_update()', signals: false },
];

const shop = folder(
  'shop',
  [
    entry('shop/services.py:100:9', 'catalog:page:{page}', 99, [
      dependency('shop.Product', { save: covered, delete: { state: 'no' } }),
    ]),
    entry('shop/services.py:20:9', 'product:{pk}', 19, [
      dependency('shop.Product', { save: covered, bulk: { state: 'no' } }),
      dependency('shop.Product', { save: covered }, 6),
    ]),
    entry(
      'shop/services.py:9:9',
      'shipping:methods',
      8,
      [dependency('shop.ShippingMethod', { save: { state: 'unknown' } })],
      { timeout: null },
    ),
    entry('shop/caching.py:3:5', 'catalog:version', 2, [], {
      path: 'shop/caching.py',
      timeout: 'default',
      kind: 'fragment',
    }),
  ],
  [model('shop.Product', productWrites), model('shop.ShippingMethod')],
  [
    {
      code: 'DJC101',
      path: 'shop/services.py',
      line: 100,
      message: "'catalog:page:{page}' is not invalidated when Product is deleted",
      entryId: 'shop/services.py:100:9',
      model: 'shop.Product',
    },
    { code: 'DJC107', path: 'shop/flush.py', line: 3, message: 'two deletes in a row' },
  ],
);

test('rows are sorted by file and line, numbers compared as numbers', () => {
  const view = buildCacheMapView({ folders: [shop] });
  assert.deepEqual(
    view.entries.map((row) => row.location),
    ['shop/caching.py:3', 'shop/services.py:9', 'shop/services.py:20', 'shop/services.py:100'],
  );
});

test('an entry is uncovered when some change of some model reaches no invalidation', () => {
  const view = buildCacheMapView({ folders: [shop] });
  const uncovered = Object.fromEntries(view.entries.map((row) => [row.key, row.uncovered]));
  assert.deepEqual(uncovered, {
    'catalog:version': false,
    'shipping:methods': false,
    'product:{pk}': true,
    'catalog:page:{page}': true,
  });
  assert.equal(view.uncoveredCount, 2);
});

test('coverage cells: symbol per state and a tooltip that says why', () => {
  const view = buildCacheMapView({ folders: [shop] });
  const [product] = view.entries.find((row) => row.key === 'product:{pk}')!.dependencies;
  assert.deepEqual(
    product.coverage.map((cell) => cell.symbol),
    ['✓', '–', '–', '✗'],
  );
  assert.equal(product.coverage[0].title, 'save: covered by post_save receiver at shop/signals.py:10');
  assert.equal(product.coverage[1].title, 'delete: nothing to cover: the code never deletes shop.Product');
  assert.equal(
    product.coverage[3].title,
    'bulk: not covered: shop.Product is written without signals at shop/pricing.py:21 (Product.objects.bulk_update()) and nothing invalidates this entry',
  );
  const [shipping] = view.entries.find((row) => row.key === 'shipping:methods')!.dependencies;
  assert.equal(shipping.coverage[0].title, 'save: unknown: could not be proven either way');
});

test('a not-covered tooltip lists three write sites and counts the rest', () => {
  const page = folder(
    'shop',
    [entry('e', 'k', 1, [dependency('shop.Product', { save: { state: 'no' } })])],
    [model('shop.Product', productWrites)],
  );
  const [cell] = buildCacheMapView({ folders: [page] }).entries[0].dependencies[0].coverage;
  assert.equal(
    cell.title,
    'save: not covered: shop.Product is saved at shop/admin.py:30 (the admin), shop/views.py:12 (Product.save()), ' +
      'shop/tasks.py:3 (Product.objects.create()), 1 more and nothing invalidates this entry',
  );
});

test('shared tables count each entry once, however many times it reads the model', () => {
  const view = buildCacheMapView({ folders: [shop] });
  assert.deepEqual(view.sharedTables, [
    { model: 'shop.Product', label: 'shop.Product', entries: 2, uncoveredEntries: 2 },
  ]);
  const readers = view.entries.flatMap((row) => row.dependencies.map((dep) => `${dep.model}:${dep.readers}`));
  assert.deepEqual([...new Set(readers)].sort(), ['shop.Product:2', 'shop.ShippingMethod:1']);
  assert.equal(view.modelCount, 2);
});

test('timeouts read as durations, never, the alias default or unknown', () => {
  const timeouts = [null, 'default', 'unknown', 45, 90, 900, 3600, 86400] as const;
  const entries = timeouts.map((timeout, index) => entry(`e${index}`, `k${index}`, index, [], { timeout }));
  const labels = buildCacheMapView({ folders: [folder('shop', entries, [])] }).entries.map((row) => row.timeoutLabel);
  assert.deepEqual(labels, ['never', 'default', '?', '45 s', '90 s', '15 min', '1 h', '1 d']);
});

test('findings attach to their entry; findings without an entry are not shown on rows', () => {
  const view = buildCacheMapView({ folders: [shop] });
  const findings = view.entries.flatMap((row) => row.findings.map((finding) => `${row.key} ${finding.code}`));
  assert.deepEqual(findings, ['catalog:page:{page} DJC101']);
});

test('entries point at their folder and 0-based position; reads point at the read', () => {
  const row = buildCacheMapView({ folders: [shop] }).entries.find((r) => r.key === 'product:{pk}')!;
  assert.deepEqual(row.target, { folderUri: 'file:///work/shop', path: 'shop/services.py', line: 19, character: 8 });
  assert.deepEqual(row.dependencies[1].read, {
    folderUri: 'file:///work/shop',
    path: 'shop/services.py',
    line: 6,
    character: 12,
  });
  assert.equal(row.dependencies[0].via, 'Product.objects → select_related("category")');
  assert.equal(row.kindLabel, 'cache');
});

test('the filter text holds key, location, alias and models in lower case', () => {
  const row = buildCacheMapView({ folders: [shop] }).entries.find((r) => r.key === 'product:{pk}')!;
  assert.deepEqual(row.searchText.split('\n'), [
    'product:{pk}',
    'shop/services.py:20',
    'default',
    'shop.product',
    'shop.product',
  ]);
});

test('multi-root workspaces name the folder in locations and shared tables', () => {
  const blog = folder(
    'blog',
    [
      entry('a', 'posts:all', 1, [dependency('blog.Post', { save: covered })]),
      entry('b', 'posts:top', 2, [dependency('blog.Post', { save: covered })]),
    ],
    [model('blog.Post')],
  );
  const view = buildCacheMapView({ folders: [shop, blog] });
  assert.deepEqual(
    view.entries.slice(0, 2).map((row) => row.location),
    ['blog/shop/services.py:2', 'blog/shop/services.py:3'],
  );
  assert.deepEqual(
    view.sharedTables.map((table) => table.label),
    ['blog: blog.Post', 'shop: shop.Product'],
  );
});

test('the per-site cache is one note per folder: alias, timeout, what clears it, and where it is turned on', () => {
  const site = (clearedBy: { path: string; loc: [number, number, number, number] }[]): GraphFolder => {
    const f = folder('shop', [], []);
    return {
      ...f,
      graph: {
        ...f.graph,
        siteCache: { alias: 'pages', timeout: 300, path: 'shop/settings.py', loc: [3, 0, 3, 0], clearedBy },
      },
    };
  };
  const cleared = buildCacheMapView({ folders: [site([{ path: 'shop/flush.py', loc: [6, 8, 6, 31] }])] }).siteCaches;
  assert.deepEqual(cleared, [
    {
      text: "per-site cache on 'pages': every GET response for 300 s; emptied only by clear() (1 call)",
      title:
        "UpdateCacheMiddleware and FetchFromCacheMiddleware cache whole responses, whatever models the views read, until CACHE_MIDDLEWARE_SECONDS pass. clear() of 'pages' at shop/flush.py:7. Click to open shop/settings.py:4.",
      target: { folderUri: 'file:///work/shop', path: 'shop/settings.py', line: 3, character: 0 },
    },
  ]);
  assert.equal(
    buildCacheMapView({ folders: [site([])] }).siteCaches[0].text,
    "per-site cache on 'pages': every GET response for 300 s; nothing clears it",
  );
  assert.deepEqual(buildCacheMapView({ folders: [shop] }).siteCaches, []);
});
