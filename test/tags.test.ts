/**
 * djcache tag declarations: DJC108's quick-fixes on the tags_* fixtures, with their exact edits,
 * the finding gone after re-analysis, nothing new, and every touched file parsing.
 */
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { defaultConfig } from '../server/src/config/config';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { type Finding, findingEntryId, findingModel } from '../server/src/findings';
import { applyChanges, type Fix, fixesFor, type SourceFiles } from '../server/src/fixes';
import { RACY_PAIR } from '../server/src/fixes/declareTags';
import { parsesCleanly } from '../server/src/fixes/pythonSyntax';
import { loadPythonParser } from '../server/src/syntax/parser';
import { factsOf, memoryFs, readTree } from './tree';
import { analyzeFacts } from '../server/src/analysis/workspaceAnalysis';
import { Workspace } from '../server/src/analysis/workspace';
import { analysedFacts } from '../server/src/analysis/fileSelection';
import { hoverAt } from '../server/src/features/hover';

type Tree = Map<string, string>;

const ROOT = path.join(__dirname, '..', '..');

function load(dir: string): Tree {
  return new Map([...readTree(path.join(ROOT, dir))].map(([p, b]) => [p, Buffer.from(b).toString('utf8')]));
}

const filesOf = (tree: Tree): SourceFiles => ({ read: (p) => tree.get(p) });

async function analyze(tree: Tree): Promise<Finding[]> {
  const bytes = new Map([...tree].map(([p, t]) => [p, Buffer.from(t, 'utf8') as Uint8Array]));
  return (await analyzeWorkspace(memoryFs(bytes), defaultConfig)).findings;
}

function findingAt(findings: Finding[], code: string, file: string, line: number): Finding {
  const f = findings.find((x) => x.code === code && x.path === file && x.loc[0] + 1 === line);
  assert.ok(
    f,
    `no ${code} at ${file}:${line}; found ${findings.map((x) => `${x.path}:${x.loc[0] + 1} ${x.code}`).join(', ')}`,
  );
  return f;
}

function preferredFix(f: Finding, tree: Tree): Fix {
  const fix = fixesFor(f, filesOf(tree)).find((x) => x.preferred);
  assert.ok(fix, `no fix offered for ${f.code} at ${f.path}:${f.loc[0] + 1}`);
  return fix;
}

/** Applies the fix and checks that re-analysis drops the finding (every finding of its entry, one per model read) and adds nothing. */
async function applyAndCheck(tree: Tree, findings: Finding[], f: Finding, fix: Fix): Promise<Tree> {
  const after = new Map(tree);
  for (const [p, t] of applyChanges(filesOf(tree), fix.changes)) after.set(p, t);
  for (const c of fix.changes)
    if (c.path.endsWith('.py')) assert.ok(parsesCleanly(after.get(c.path)!), `${c.path} does not parse`);
  const identity = (t: Tree, x: Finding) =>
    `${x.code} ${x.path} ${(t.get(x.path) ?? '').split('\n')[x.loc[0]].trim()} ${findingModel(x) ?? ''}`;
  const fixed = await analyze(after);
  const sameEntry = (x: Finding) =>
    x === f || (findingEntryId(f) !== undefined && findingEntryId(x) === findingEntryId(f));
  const before = new Set(findings.filter((x) => !sameEntry(x)).map((x) => identity(tree, x)));
  assert.deepEqual(fixed.map((x) => identity(after, x)).sort(), [...before].sort());
  return after;
}

before(async () => {
  await loadPythonParser();
});

describe('DJC108 tag fixes', () => {
  test('Add tag imports the model class and keeps the items sorted', async () => {
    const tree = load('test/fixtures/tags_partial');
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC108', 'catalog/services.py', 7);
    const fix = preferredFix(f, tree);
    assert.equal(fix.title, 'Add tag Category');
    const after = await applyAndCheck(tree, findings, f, fix);
    assert.equal(
      after.get('catalog/services.py')!.split('\n')[6],
      '    return tagged(Category, Product).get_or_set("products:all", lambda: list(Product.objects.select_related("category")), 300)  # expect: DJC108 warning',
    );
  });

  test('Add tag adds a label to a declaration of labels', async () => {
    const tree = load('test/fixtures/tags_decorators');
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC108', 'catalog/services.py', 11);
    const fix = preferredFix(f, tree);
    assert.equal(fix.title, 'Add tag Category');
    assert.deepEqual(fix.changes, [
      {
        kind: 'edit',
        path: 'catalog/services.py',
        edits: [{ range: [10, 26, 10, 43], newText: '"catalog.Category", "catalog.Product"' }],
      },
    ]);
    await applyAndCheck(tree, findings, f, fix);
  });

  test('Add tag on a class declaration imports the class beside the others', async () => {
    const tree = load('test/fixtures/tags_decorators');
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC108', 'catalog/views.py', 13);
    const fix = preferredFix(f, tree);
    const after = await applyAndCheck(tree, findings, f, fix);
    const lines = after.get('catalog/views.py')!.split('\n');
    assert.equal(lines[3], 'from .models import Category, Product');
    assert.equal(lines[12], '@djcache.cache_page(60, depends_on=[Category, Product])  # expect: DJC108 warning');
  });

  test('Remove tag drops the unused model', async () => {
    const tree = load('test/fixtures/tags_partial');
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC108', 'catalog/services.py', 11);
    assert.equal(f.severity, 'info');
    const fix = preferredFix(f, tree);
    assert.equal(fix.title, 'Remove tag Category');
    assert.deepEqual(fix.changes, [
      { kind: 'edit', path: 'catalog/services.py', edits: [{ range: [10, 18, 10, 35], newText: 'Product' }] },
    ]);
    await applyAndCheck(tree, findings, f, fix);
  });

  test('Add tag in a template rewrites depends_on', async () => {
    const tree = load('test/fixtures/tags_template');
    const findings = await analyze(tree);
    const file = 'catalog/templates/catalog/product_list.html';
    const f = findingAt(findings, 'DJC108', file, 5);
    const fix = preferredFix(f, tree);
    assert.equal(fix.title, 'Add tag Category');
    const after = await applyAndCheck(tree, findings, f, fix);
    assert.equal(
      after.get(file)!.split('\n')[4],
      '{% tagged_cache 500 "names" depends_on="catalog.Category catalog.Product" %}{# expect: DJC108 warning #}',
    );
  });
});

const declareFix = (f: Finding, tree: Tree) =>
  fixesFor(f, filesOf(tree)).find((x) => x.title.startsWith('Declare cache tags'));

describe('Declare cache tags (DJC101/DJC102)', () => {
  const SETTINGS = 'config/settings.py';
  const withDjcache = (tree: Tree): Tree =>
    new Map([
      ...tree,
      [SETTINGS, 'INSTALLED_APPS = ["django.contrib.admin", "djcache", "catalog"]\n'],
      ['config/__init__.py', ''],
    ]);

  test('without djcache the action is listed with no edit and says why', async () => {
    const tree = load('test/fixtures/djc101_related_model_uncovered');
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 12);
    assert.deepEqual(declareFix(f, tree), {
      title: 'Declare cache tags (install djcache first)',
      code: 'DJC101',
      preferred: false,
      safe: false,
      changes: [],
      explanation:
        'djcache is not installed in this project. After `pip install djcache` and adding "djcache" to INSTALLED_APPS, this action rewrites the entry to tagged("catalog.Category", "catalog.Product"), which the runtime invalidates on every write to those tables.',
    });
  });

  test('get → compute → set becomes one tagged(...).get_or_set, its computation a nested function', async () => {
    const tree = withDjcache(load('test/fixtures/djc101_related_model_uncovered'));
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC101', 'catalog/services.py', 12);
    const fix = declareFix(f, tree);
    assert.ok(fix);
    const after = await applyAndCheck(tree, findings, f, fix);
    assert.equal(
      after.get('catalog/services.py'),
      [
        'from django.core.cache import cache',
        '',
        'from djcache import tagged',
        '',
        'from .models import Product',
        '',
        'PRODUCT_LIST_KEY = "products:list"',
        '',
        '',
        'def product_list():',
        '    def compute_products():',
        '        return list(Product.objects.select_related("category").filter(is_active=True))',
        '    products = tagged("catalog.Category", "catalog.Product").get_or_set(PRODUCT_LIST_KEY, compute_products, 60 * 15)  # expect: DJC101 warning',
        '    return products',
        '',
      ].join('\n'),
    );
  });

  test('get_or_set goes through tagged(...), with djcache imported anywhere counting as installed', async () => {
    const tree = load('test/fixtures/djc101_related_model_uncovered');
    tree.set(
      'catalog/services.py',
      [
        'from django.core.cache import cache',
        '',
        'from .models import Product',
        '',
        '',
        'def product_list():',
        '    return cache.get_or_set("products:list", lambda: list(Product.objects.select_related("category")), None)',
        '',
      ].join('\n'),
    );
    tree.set('catalog/stats.py', 'import djcache\n');
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC101', 'catalog/services.py', 7);
    const fix = declareFix(f, tree);
    assert.ok(fix);
    assert.deepEqual(fix.changes, [
      {
        kind: 'edit',
        path: 'catalog/services.py',
        edits: [
          { range: [1, 0, 1, 0], newText: '\nfrom djcache import tagged\n' },
          { range: [6, 11, 6, 16], newText: 'tagged("catalog.Category", "catalog.Product")' },
        ],
      },
    ]);
    await applyAndCheck(tree, findings, f, fix);
  });
});

describe('Declare cache tags on cached views, template fragments and memoized functions', () => {
  const DIR = 'test/fixtures-fixes/declare_tags';
  const DEPENDS = 'depends_on=["catalog.Category", "catalog.Product"]';
  const unavailable = (explanation: string): Fix => ({
    title: 'Declare cache tags (unavailable here)',
    code: 'DJC102',
    preferred: false,
    safe: false,
    changes: [],
    explanation,
  });

  async function declared(file: string, line: number, tree = load(DIR)) {
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC102', file, line);
    return { tree, findings, f, fix: declareFix(f, tree) };
  }

  /** The lines of `def name` in a file, up to the next blank line. */
  const functionText = (text: string, name: string) => text.slice(text.indexOf(`def ${name}(`)).split('\n\n')[0];

  test('get/set pairs become get_or_set where the shape allows: `if not v`, an early return on a sentinel', async () => {
    const count = await declared('catalog/lookups.py', 21);
    assert.ok(count.fix);
    assert.equal(count.fix.title, 'Declare cache tags');
    assert.equal(
      functionText(
        (await applyAndCheck(count.tree, count.findings, count.f, count.fix)).get('catalog/lookups.py')!,
        'active_count',
      ),
      [
        'def active_count():',
        '    def compute_count():',
        '        return Product.objects.select_related("category").filter(is_active=True).count()',
        '    count = tagged("catalog.Category", "catalog.Product").get_or_set("products:active", compute_count, 60)',
        '    return count',
      ].join('\n'),
    );
    const names = await declared('catalog/lookups.py', 33);
    assert.ok(names.fix);
    assert.equal(
      functionText(
        (await applyAndCheck(names.tree, names.findings, names.f, names.fix)).get('catalog/lookups.py')!,
        'category_names',
      ),
      [
        'def category_names(category_id):',
        '    key = f"products:category:{category_id}"',
        '    def compute_names():',
        '        # Products of the category, by name.',
        '        products = Product.objects.select_related("category").filter(category_id=category_id)',
        '        return sorted(p.name for p in products)',
        '    names = tagged("catalog.Category", "catalog.Product").get_or_set(key, compute_names, 600)',
        '    return names',
      ].join('\n'),
    );
  });

  test("a model method's entry on its own row, keyed by its pk, is tagged with that row", async () => {
    const tree = load(DIR);
    const MODELS = 'catalog/models.py';
    tree.set(
      MODELS,
      [
        'from django.core.cache import cache',
        tree.get(MODELS)!,
        '',
        '    def label(self):',
        '        return cache.get_or_set(f"product:{self.pk}:label", lambda: self.name.title(), 300)',
        '',
        '    def label_by_name(self):',
        '        return cache.get_or_set(f"product:{self.name}:label", lambda: f"{self.name} ({self.is_active})", 300)',
        '',
      ].join('\n'),
    );
    const findings = await analyze(tree);
    const rewritten = async (method: string) => {
      const lines = tree.get(MODELS)!.split('\n');
      const line = lines.findIndex((l) => l.trim().startsWith(`def ${method}(`)) + 2;
      const f = findings.find((x) => x.path === MODELS && x.loc[0] + 1 === line);
      assert.ok(f, `no finding at ${MODELS}:${line}: ${findings.map((x) => `${x.path}:${x.loc[0] + 1}`).join(', ')}`);
      const fix = declareFix(f, tree);
      assert.ok(fix?.changes.length, `no Declare cache tags edit for ${method}`);
      const after = (await applyAndCheck(tree, findings, f, fix)).get(MODELS)!.split('\n');
      return after[after.findIndex((l) => l.trim().startsWith(`def ${method}(`)) + 1];
    };
    assert.equal(
      await rewritten('label'),
      '        return tagged("catalog.Product", pk=self.pk).get_or_set(f"product:{self.pk}:label", lambda: self.name.title(), 300)',
    );
    // the key names the row by another column (the value also reads is_active, which is not in the key): the whole table
    assert.equal(
      await rewritten('label_by_name'),
      '        return tagged("catalog.Product").get_or_set(f"product:{self.name}:label", lambda: f"{self.name} ({self.is_active})", 300)',
    );
  });

  test('a one-line computation that fits becomes a lambda', async () => {
    const tree = load(DIR);
    tree.set(
      'catalog/lookups.py',
      tree
        .get('catalog/lookups.py')!
        .replace('Product.objects.select_related("category").filter(is_active=True).count()', 'Product.objects.count()')
        .replaceAll('"products:active"', '"active"'),
    );
    const { findings, f, fix } = await declared('catalog/lookups.py', 21, tree);
    assert.ok(fix);
    assert.equal(
      functionText((await applyAndCheck(tree, findings, f, fix)).get('catalog/lookups.py')!, 'active_count'),
      [
        'def active_count():',
        '    count = tagged("catalog.Product").get_or_set("active", lambda: Product.objects.count(), 60)',
        '    return count',
      ].join('\n'),
    );
  });

  test('a pair that cannot become one get_or_set keeps tagged get/set and says so above the set', async () => {
    // The set after the if (it stores every time), and a computation whose `rows` the function uses after it.
    for (const [line, name, set] of [
      [13, 'product_names', '    tagged("catalog.Category", "catalog.Product").set("products:names", names, 300)'],
      [42, 'latest_names', '        tagged("catalog.Category", "catalog.Product").set("products:latest", names)'],
    ] as const) {
      const { tree, findings, f, fix } = await declared('catalog/lookups.py', line);
      assert.ok(fix);
      assert.equal(fix.title, 'Declare cache tags');
      const lines = functionText((await applyAndCheck(tree, findings, f, fix)).get('catalog/lookups.py')!, name).split(
        '\n',
      );
      const at = lines.indexOf(set);
      assert.ok(at > 0, lines.join('\n'));
      assert.equal(lines[at - 1], `${set.match(/^ */)![0]}${RACY_PAIR}`);
      assert.equal(lines.filter((l) => l.includes('tagged("catalog.Category", "catalog.Product").get(')).length, 1);
      assert.ok(
        !lines.some((l) => l.includes('cache.get(') && !l.includes('tagged(')),
        'the get goes through tagged(...) too',
      );
    }
  });

  test('a version= that tagged(...) does not take lists the action disabled, on the set or on its get', async () => {
    const tree = load(DIR);
    const lookups = tree.get('catalog/lookups.py')!;
    tree.set(
      'catalog/lookups.py',
      lookups.replace('cache.set("products:active", count, 60)', 'cache.set("products:active", count, 60, version=2)'),
    );
    assert.deepEqual(
      (await declared('catalog/lookups.py', 21, tree)).fix,
      unavailable(
        'tagged(...).set takes no version: its entries live under keys of their own, and writes to the tables they read invalidate them.',
      ),
    );
    tree.set(
      'catalog/lookups.py',
      lookups.replace('cache.get("products:active")', 'cache.get("products:active", None, 2)'),
    );
    assert.deepEqual(
      (await declared('catalog/lookups.py', 21, tree)).fix,
      unavailable(
        'tagged(...).get takes no version: its entries live under keys of their own, and writes to the tables they read invalidate them.',
      ),
    );
  });

  test('@cache_page on a function view becomes @djcache.cache_page with the same timeout', async () => {
    const { tree, findings, f, fix } = await declared('catalog/views.py', 9);
    assert.ok(fix);
    assert.deepEqual(fix.changes, [
      {
        kind: 'edit',
        path: 'catalog/views.py',
        edits: [
          { range: [5, 0, 5, 0], newText: 'import djcache\n\n' },
          { range: [8, 1, 8, 20], newText: `djcache.cache_page(60 * 15, ${DEPENDS})` },
        ],
      },
    ]);
    const after = await applyAndCheck(tree, findings, f, fix);
    // cache_page is still used by the other views, so its import stays.
    assert.deepEqual(after.get('catalog/views.py')!.split('\n').slice(2, 11), [
      'from django.views.decorators.cache import cache_page',
      'from django.views.generic import ListView',
      '',
      'import djcache',
      '',
      'from .models import Product',
      '',
      '',
      `@djcache.cache_page(60 * 15, ${DEPENDS})`,
    ]);
  });

  test('method_decorator(cache_page(...)) on a class view keeps its key_prefix', async () => {
    const { tree, findings, f, fix } = await declared('catalog/views.py', 15);
    assert.ok(fix);
    assert.deepEqual(fix.changes, [
      {
        kind: 'edit',
        path: 'catalog/views.py',
        edits: [
          { range: [5, 0, 5, 0], newText: 'import djcache\n\n' },
          { range: [14, 18, 14, 55], newText: `djcache.cache_page(60, ${DEPENDS}, key_prefix="products")` },
        ],
      },
    ]);
    await applyAndCheck(tree, findings, f, fix);
  });

  test('cache_page(...)(view) in urls.py; the cache_page import nothing uses any more goes', async () => {
    const { tree, findings, f, fix } = await declared('catalog/urls.py', 7);
    assert.ok(fix);
    const after = await applyAndCheck(tree, findings, f, fix);
    assert.equal(
      after.get('catalog/urls.py'),
      [
        'from django.urls import path',
        '',
        'import djcache',
        '',
        'from . import views',
        '',
        'urlpatterns = [',
        `    path("feed/", djcache.cache_page(300, ${DEPENDS})(views.product_feed)),`,
        '    path("sidebar/", views.sidebar),',
        '    path("menu/", views.menu),',
        ']',
        '',
      ].join('\n'),
    );
  });

  test('a cache= alias or a None timeout has no djcache.cache_page equivalent: listed disabled, with why', async () => {
    assert.deepEqual(
      (await declared('catalog/views.py', 21)).fix,
      unavailable(
        'cache_page(..., cache="pages") caches the view outside the default cache; djcache keeps its entries in the DJCACHE["CACHE"] cache and its using= names a database, so the alias has no equivalent.',
      ),
    );
    assert.deepEqual(
      (await declared('catalog/views.py', 27)).fix,
      unavailable(
        "cache_page(None) takes each page's timeout from its Cache-Control max-age or CACHE_MIDDLEWARE_SECONDS, while djcache.cache_page(None) never expires.",
      ),
    );
  });

  test('{% cache %} becomes {% tagged_cache %}, and {% load cache %} {% load djcache %} when no other {% cache %} is left', async () => {
    const file = 'catalog/templates/catalog/sidebar.html';
    const { tree, findings, f, fix } = await declared(file, 3);
    assert.ok(fix);
    const after = await applyAndCheck(tree, findings, f, fix);
    assert.equal(
      after.get(file),
      [
        '{% load djcache %}',
        '<aside>',
        '{% tagged_cache 500 sidebar request.user.pk depends_on="catalog.Category catalog.Product" %}',
        '  <ul>{% for p in products %}<li>{{ p.name }} ({{ p.category.name }})</li>{% endfor %}</ul>',
        '{% endtagged_cache %}',
        '</aside>',
        '',
      ].join('\n'),
    );
  });

  test('with another {% cache %} left, djcache is loaded beside cache; a fragment of another cache alias is listed disabled', async () => {
    const file = 'catalog/templates/catalog/menu.html';
    const { tree, findings, f, fix } = await declared(file, 4);
    assert.ok(fix);
    assert.deepEqual(fix.changes, [
      {
        kind: 'edit',
        path: file,
        edits: [
          {
            range: [3, 0, 3, 22],
            newText: '{% tagged_cache 300 "menu" depends_on="catalog.Category catalog.Product" %}',
          },
          { range: [5, 0, 5, 14], newText: '{% endtagged_cache %}' },
          { range: [1, 0, 1, 21], newText: '{% load cache i18n djcache %}' },
        ],
      },
    ]);
    await applyAndCheck(tree, findings, f, fix);
    assert.deepEqual(
      (await declared(file, 7)).fix,
      unavailable(
        '{% cache %} stores this fragment in the "fragments" cache; djcache keeps its entries in the DJCACHE["CACHE"] cache and its using= names a database, so the alias has no equivalent.',
      ),
    );
  });

  test('a project memoize whose .invalidate drops the entry of the same arguments becomes djcache.memoize; its caller keeps working', async () => {
    const { tree, findings, f, fix } = await declared('catalog/services.py', 11);
    assert.ok(fix);
    assert.deepEqual(fix.changes, [
      {
        kind: 'edit',
        path: 'catalog/services.py',
        edits: [
          { range: [2, 0, 2, 38], newText: 'import djcache\n\nfrom .caching import remember' },
          { range: [10, 1, 10, 25], newText: `djcache.memoize(60 * 60, ${DEPENDS})` },
        ],
      },
    ]);
    const after = await applyAndCheck(tree, findings, f, fix);
    assert.match(
      after.get('catalog/services.py')!,
      /\ndef refresh\(category_id\):\n    category_products\.invalidate\(category_id\)\n/,
    );
  });

  test('a project decorator whose wrapper differs from djcache.memoize is listed disabled, with why', async () => {
    assert.deepEqual(
      (await declared('catalog/services.py', 16)).fix,
      unavailable(
        'catalog.caching.remember gives the function a .cache_key attribute, which djcache.memoize does not.',
      ),
    );
    const tree = load(DIR);
    tree.set(
      'catalog/caching.py',
      tree
        .get('catalog/caching.py')!
        .replace('cache.delete(memo_key(func.__name__, args))', 'cache.delete(memo_key(func.__name__, args[:1]))'),
    );
    assert.deepEqual(
      (await declared('catalog/services.py', 11, tree)).fix,
      unavailable(
        "catalog.caching.memoize's .invalidate(...) does not drop exactly the entry the same arguments cache, as djcache.memoize's .invalidate(...) does, so its callers would change behaviour.",
      ),
    );
    tree.set(
      'catalog/services.py',
      tree.get('catalog/services.py')!.replace('@memoize(timeout=60 * 60)', '@memoize(60, "extra")'),
    );
    tree.set(
      'catalog/caching.py',
      load(DIR)
        .get('catalog/caching.py')!
        .replace('def memoize(timeout=300):', 'def memoize(timeout=300, prefix="memo"):'),
    );
    assert.deepEqual(
      (await declared('catalog/services.py', 11, tree)).fix,
      unavailable('catalog.caching.memoize(prefix=...) has no djcache.memoize equivalent.'),
    );
    tree.set('catalog/services.py', tree.get('catalog/services.py')!.replace('@memoize(60, "extra")', '@memoize()'));
    tree.set(
      'catalog/caching.py',
      load(DIR)
        .get('catalog/caching.py')!
        .replace('def memoize(timeout=300):', 'TTL = 300\n\n\ndef memoize(timeout=TTL):'),
    );
    assert.deepEqual(
      (await declared('catalog/services.py', 11, tree)).fix,
      unavailable(
        "catalog.caching.memoize's default timeout (TTL) is written in terms of its own module, which the decorated function's module may not see.",
      ),
    );
  });

  test('without djcache every shape is listed disabled with the install explanation (unless the runtime could not take it anyway)', async () => {
    const tree = load(DIR);
    tree.set('config/settings.py', 'INSTALLED_APPS = ["catalog"]\n');
    const install = (entry: string) =>
      `djcache is not installed in this project. After \`pip install djcache\` and adding "djcache" to INSTALLED_APPS, this action rewrites the entry to ${entry}, which the runtime invalidates on every write to those tables.`;
    const expected: [string, number, string][] = [
      ['catalog/views.py', 9, 'djcache.cache_page(timeout, depends_on=["catalog.Category", "catalog.Product"])'],
      ['catalog/views.py', 15, 'djcache.cache_page(timeout, depends_on=["catalog.Category", "catalog.Product"])'],
      ['catalog/urls.py', 7, 'djcache.cache_page(timeout, depends_on=["catalog.Category", "catalog.Product"])'],
      [
        'catalog/templates/catalog/sidebar.html',
        3,
        '{% tagged_cache timeout name depends_on="catalog.Category catalog.Product" %}',
      ],
      ['catalog/services.py', 11, 'djcache.memoize(timeout, depends_on=["catalog.Category", "catalog.Product"])'],
    ];
    for (const [file, line, entry] of expected) {
      assert.deepEqual(
        (await declared(file, line, tree)).fix,
        {
          title: 'Declare cache tags (install djcache first)',
          code: 'DJC102',
          preferred: false,
          safe: false,
          changes: [],
          explanation: install(entry),
        },
        `${file}:${line}`,
      );
    }
    assert.equal((await declared('catalog/views.py', 21, tree)).fix?.title, 'Declare cache tags (unavailable here)');
  });
});

describe('zero-code mode (DJCACHE["AUTO_TAG"])', () => {
  async function hoverText(dir: string, file: string, line: number, col: number): Promise<string> {
    const facts = await factsOf(readTree(path.join(ROOT, dir)));
    const a = analyzeFacts(new Workspace(analysedFacts(facts)), defaultConfig);
    const h = hoverAt(a, file, { line: line - 1, col }, (p, loc) => `${p}:${loc[0] + 1}`);
    assert.ok(h, `no hover at ${file}:${line}`);
    return h.markdown;
  }

  test('an entry on an AUTO_TAG alias is covered, and the hover says why', async () => {
    const text = await hoverText('test/fixtures/autotag_covered', 'catalog/services.py', 9, 20);
    assert.match(text, /Zero-code mode: `DJCACHE\["AUTO_TAG"\]` names alias `default` \(\[config\/settings\.py:12\]/);
    assert.match(text, /✓ save: zero-code mode \(DJCACHE\["AUTO_TAG"\] names 'default'\) deletes it/);
  });

  test('an entry on another alias is not, and its hover says nothing of zero-code mode', async () => {
    const text = await hoverText('test/fixtures/autotag_uncovered', 'catalog/services.py', 9, 20);
    assert.doesNotMatch(text, /[Zz]ero-code/);
  });
});
