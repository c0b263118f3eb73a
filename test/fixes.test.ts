/**
 * Quick-fix builders on small Django trees (test/fixtures-fixes/) and on examples/shop: each fix's
 * exact text, the finding gone after re-analysis with nothing new, and every touched file parsing.
 */
import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, statSync } from 'fs';
import * as path from 'path';
import { defaultConfig } from '../server/src/config/config';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { type Finding, findingModel } from '../server/src/findings';
import {
  applyChanges,
  type Change,
  type Fix,
  fixAll,
  fixesFor,
  receiverUnavailable,
  type SourceFiles,
} from '../server/src/fixes';
import { dropImport, importFrom, moduleNames, planImports } from '../server/src/fixes/imports';
import { cacheRef } from '../server/src/fixes/invalidation';
import { parsesCleanly, withSyntax } from '../server/src/fixes/pythonSyntax';
import { DEFAULT_STYLE } from '../server/src/fixes/pythonStyle';
import { applyEdits } from '../server/src/fixes/text';
import { loadPythonParser } from '../server/src/syntax/parser';
import { memoryFs, readTree } from './tree';

const ROOT = path.join(__dirname, '..', '..');

type Tree = Map<string, string>;

function load(dir: string): Tree {
  return new Map([...readTree(path.join(ROOT, dir))].map(([p, b]) => [p, Buffer.from(b).toString('utf8')]));
}

function filesOf(tree: Tree): SourceFiles {
  return { read: (p) => tree.get(p) };
}

async function analyze(tree: Tree): Promise<Finding[]> {
  const bytes = new Map([...tree].map(([p, t]) => [p, Buffer.from(t, 'utf8') as Uint8Array]));
  return (await analyzeWorkspace(memoryFs(bytes), defaultConfig)).findings;
}

function findingAt(findings: Finding[], code: string, file: string, line: number, model?: string): Finding {
  const f = findings.find(
    (x) => x.code === code && x.path === file && x.loc[0] + 1 === line && (!model || findingModel(x) === model),
  );
  assert.ok(
    f,
    `no ${code} at ${file}:${line}; found ${findings.map((x) => `${x.path}:${x.loc[0] + 1} ${x.code}`).join(', ')}`,
  );
  return f;
}

function mainFix(f: Finding, tree: Tree): Fix {
  const fix = fixesFor(f, filesOf(tree)).find((x) => x.preferred);
  assert.ok(fix, `no fix offered for ${f.code} at ${f.path}:${f.loc[0] + 1}`);
  assert.equal(fix.safe, true);
  return fix;
}

function applied(tree: Tree, changes: Change[]): Tree {
  const out = new Map(tree);
  for (const [p, t] of applyChanges(filesOf(tree), changes)) out.set(p, t);
  return out;
}

/** A finding as the line it starts on reads, so findings compare across edits that move lines. */
function identity(tree: Tree, f: Finding): string {
  return `${f.code} ${f.path} ${(tree.get(f.path) ?? '').split('\n')[f.loc[0]].trim()} ${findingModel(f) ?? ''}`;
}

/** Applies the changes, then: every touched Python file parses, the fixed findings are gone and nothing else changed. */
async function assertFixes(tree: Tree, changes: Change[], fixed: Finding[]): Promise<Tree> {
  const findings = await analyze(tree);
  const after = applied(tree, changes);
  for (const c of changes) {
    if (c.path.endsWith('.py'))
      assert.ok(parsesCleanly(after.get(c.path)!), `${c.path} does not parse:\n${after.get(c.path)}`);
  }
  const gone = new Set(fixed.map((f) => identity(tree, f)));
  const expected = findings
    .filter((f) => !gone.has(identity(tree, f)))
    .map((f) => identity(tree, f))
    .sort();
  const actual = (await analyze(after)).map((f) => identity(after, f)).sort();
  assert.deepEqual(actual, expected);
  return after;
}

/** The text of `file` once the changes are applied. */
function textOf(tree: Tree, changes: Change[], file: string): string {
  return applied(tree, changes).get(file)!;
}

/** Exact text, placed where it must be: `ends` at the end of the file, else anywhere. */
function assertHas(text: string, expected: string, ends = false): void {
  assert.ok(
    ends ? text.endsWith(expected) : text.includes(expected),
    `expected ${ends ? 'to end with' : 'to contain'}:\n${expected}\n--- in:\n${text}`,
  );
}

before(async () => {
  await loadPythonParser();
});

describe('receiver fix (DJC101/DJC102)', () => {
  test('goes into an existing signals.py whose module ready() already imports; imports merge into existing lines', async () => {
    const tree = load('test/fixtures-fixes/signals_and_ready');
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 20);
    const fix = mainFix(f, tree);
    assert.equal(fix.title, "Invalidate 'product:{pk}' when Product changes");
    assert.deepEqual(
      fix.changes.map((c) => `${c.kind} ${c.path}`),
      ['edit catalog/signals.py'],
    );
    assert.equal(
      textOf(tree, fix.changes, 'catalog/signals.py'),
      `from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Category, Product


@receiver(post_save, sender=Category)
def forget_menu(sender, **kwargs):
    cache.delete("categories:menu")


@receiver([post_save, post_delete], sender=Product)
def invalidate_product_pk_on_product_change(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.delete(f"product:{instance.pk}"))
`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('applying it twice adds nothing', async () => {
    const tree = load('test/fixtures-fixes/signals_and_ready');
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 20);
    const once = applied(tree, mainFix(f, tree).changes);
    assert.deepEqual(
      fixesFor(f, filesOf(once)).map((x) => x.title),
      ['Declare cache tags (install djcache first)', 'Suppress DJC101 on this line'],
    );
    assert.deepEqual(fixAll([f], filesOf(once)), []);
    assert.deepEqual(
      applyChanges(filesOf(tree), fixAll([f, f], filesOf(tree))),
      applyChanges(filesOf(tree), mainFix(f, tree).changes),
    );
  });

  test('creates a missing signals.py and adds ready() to an AppConfig without one', async () => {
    const tree = load('test/fixtures-fixes/related_no_signals');
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 11, 'catalog.Product');
    const fix = mainFix(f, tree);
    assert.deepEqual(
      fix.changes.map((c) => `${c.kind} ${c.path}`),
      ['create catalog/signals.py', 'edit catalog/apps.py'],
    );
    assert.equal(
      textOf(tree, fix.changes, 'catalog/signals.py'),
      `from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Product


@receiver([post_save, post_delete], sender=Product)
def invalidate_product_pk_on_product_change(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.delete(f"product:{instance.pk}"))
`,
    );
    assert.equal(
      textOf(tree, fix.changes, 'catalog/apps.py'),
      `from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self):
        from . import signals  # noqa: F401
`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('rebuilds keys of related rows through the reverse foreign key, before a delete detaches them', async () => {
    const tree = load('test/fixtures-fixes/related_no_signals');
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 11, 'catalog.Category');
    const fix = mainFix(f, tree);
    assert.equal(fix.title, "Invalidate 'product:{pk}' when Category changes");
    assertHas(
      textOf(tree, fix.changes, 'catalog/signals.py'),
      `


@receiver([post_save, pre_delete], sender=Category)
def invalidate_product_pk_on_category_change(sender, instance, **kwargs):
    keys = [f"product:{pk}" for pk in instance.products.values_list("pk", flat=True)]
    transaction.on_commit(lambda: cache.delete_many(keys))
`,
      true,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('fixAll composes both receivers into one new signals.py with each import once', async () => {
    const tree = load('test/fixtures-fixes/related_no_signals');
    const findings = await analyze(tree);
    const changes = fixAll(findings, filesOf(tree));
    assert.deepEqual(
      changes.map((c) => `${c.kind} ${c.path}`),
      ['create catalog/signals.py', 'edit catalog/apps.py'],
    );
    assert.equal(
      textOf(tree, changes, 'catalog/signals.py'),
      `from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from .models import Category, Product


@receiver([post_save, post_delete], sender=Product)
def invalidate_product_pk_on_product_change(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.delete(f"product:{instance.pk}"))


@receiver([post_save, pre_delete], sender=Category)
def invalidate_product_pk_on_category_change(sender, instance, **kwargs):
    keys = [f"product:{pk}" for pk in instance.products.values_list("pk", flat=True)]
    transaction.on_commit(lambda: cache.delete_many(keys))
`,
    );
    assert.equal(textOf(tree, changes, 'catalog/apps.py').match(/from \. import signals/g)?.length, 1);
    await assertFixes(tree, changes, findings);
  });

  test('without an AppConfig the receiver goes at the end of models.py, in its tabs and single quotes', async () => {
    const tree = load('test/fixtures-fixes/models_tabs_quotes');
    const f = findingAt(await analyze(tree), 'DJC101', 'blog/services.py', 10);
    const fix = mainFix(f, tree);
    assert.deepEqual(
      fix.changes.map((c) => `${c.kind} ${c.path}`),
      ['edit blog/models.py'],
    );
    assert.equal(
      textOf(tree, fix.changes, 'blog/models.py'),
      `"""Blog models."""
from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver


class Tag(models.Model):
\tname = models.CharField(max_length=50)

\tclass Meta:
\t\tordering = ['name']

\tdef __str__(self):
\t\treturn self.name


@receiver([post_save, post_delete], sender=Tag)
def invalidate_tags_all_on_tag_change(sender, instance, **kwargs):
\ttransaction.on_commit(lambda: cache.delete('tags:all'))
`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('an m2m relation gets m2m_changed on its through model, with the changed rows from pk_set or, before a clear, the instance', async () => {
    const tree = load('test/fixtures-fixes/m2m_changed');
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 12, 'catalog.Product_tags');
    const fix = mainFix(f, tree);
    assert.equal(fix.title, "Invalidate 'product:{pk}:tags' when Product.tags changes");
    assert.equal(
      textOf(tree, fix.changes, 'catalog/signals.py'),
      `from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import Product, Tag


@receiver([post_save, post_delete], sender=Product)
def product_changed(sender, instance, **kwargs):
    cache.delete(f"product:{instance.pk}:tags")


@receiver([post_save, post_delete], sender=Tag)
def tag_changed(sender, instance, **kwargs):
    cache.delete_many([f"product:{pk}:tags" for pk in instance.products.values_list("pk", flat=True)])


@receiver(m2m_changed, sender=Product.tags.through)
def invalidate_product_pk_tags_on_product_tags_change(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:
        pks = instance.products.values_list("pk", flat=True) if pk_set is None else pk_set
    else:
        pks = [instance.pk]
    keys = [f"product:{pk}:tags" for pk in pks]
    transaction.on_commit(lambda: cache.delete_many(keys))
`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('a non-default alias is caches["alias"], and the entry\'s version= is kept', async () => {
    const tree = load('test/fixtures-fixes/alias_version');
    const f = findingAt(await analyze(tree), 'DJC101', 'sales/reports.py', 11);
    const fix = mainFix(f, tree);
    assert.equal(
      textOf(tree, fix.changes, 'sales/signals.py'),
      `from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Order


@receiver([post_save, post_delete], sender=Order)
def invalidate_sales_total_on_order_change(sender, instance, **kwargs):
    transaction.on_commit(lambda: caches["reports"].delete("sales:total", version=2))
`,
    );
    assert.equal(
      textOf(tree, fix.changes, 'sales/apps.py'),
      `from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "sales"

    def ready(self):
        """Connect the receivers."""
        from . import signals  # noqa: F401
`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('a key under a version namespace bumps the version after commit', async () => {
    const tree = load('test/fixtures-fixes/version_key');
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 14);
    const fix = mainFix(f, tree);
    assertHas(
      textOf(tree, fix.changes, 'catalog/signals.py'),
      `


@receiver([post_save, post_delete], sender=Product)
def invalidate_catalog_v_v_products_page_on_product_change(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.add("catalog:version", 1, timeout=None))
    transaction.on_commit(lambda: cache.incr("catalog:version"))
`,
      true,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('a receiver file that uses a needed name for something else gets no fix; with the files, the reason says so', async () => {
    const tree = load('test/fixtures-fixes/signals_and_ready');
    tree.set('catalog/signals.py', `${tree.get('catalog/signals.py')}\n\ntransaction = None\n`);
    const f = findingAt(await analyze(tree), 'DJC101', 'catalog/services.py', 20);
    assert.equal(receiverUnavailable(f), undefined);
    assert.equal(
      receiverUnavailable(f, filesOf(tree)),
      'catalog/signals.py uses the name transaction for something else',
    );
    assert.deepEqual(
      fixesFor(f, filesOf(tree)).map((x) => x.title),
      ['Declare cache tags (install djcache first)', 'Suppress DJC101 on this line'],
    );
  });

  test('a key that cannot be rebuilt gets no fix, and says why', async () => {
    const tree = load('test/fixtures-fixes/unrebuildable');
    const findings = await analyze(tree);
    const page = findingAt(findings, 'DJC101', 'catalog/services.py', 11);
    const padded = findingAt(findings, 'DJC101', 'catalog/services.py', 20);
    assert.equal(receiverUnavailable(page), "the key's hole {page} does not come from a Product field");
    assert.equal(
      receiverUnavailable(padded, filesOf(tree)),
      "the key's hole {pk} is formatted as {pk:08d}, which the fix cannot repeat",
    );
    for (const f of [page, padded])
      assert.deepEqual(
        fixesFor(f, filesOf(tree)).map((x) => x.title),
        ['Declare cache tags (install djcache first)', 'Suppress DJC101 on this line'],
      );
    assert.deepEqual(fixAll(findings, filesOf(tree)), []);
  });
});

describe("cacheops' invalidated_update() (DJC103)", () => {
  test("an update() that leaves only cacheops' entries stale goes through invalidated_update()", async () => {
    const tree = load('test/fixtures/cacheops_auto');
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC103', 'inventory/services.py', 6);
    const fix = mainFix(f, tree);
    assert.equal(fix.title, "Use cacheops' invalidated_update()");
    assertHas(
      textOf(tree, fix.changes, 'inventory/services.py'),
      '    Item.objects.filter(warehouse_id=warehouse_id).invalidated_update(archived=True)  # expect: DJC103\n',
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('not offered for bulk_update(), which has no invalidated form', async () => {
    const tree = load('test/fixtures/cacheops_auto');
    const f = findingAt(await analyze(tree), 'DJC103', 'inventory/services.py', 22);
    assert.deepEqual(
      fixesFor(f, filesOf(tree)).map((x) => x.title),
      ['Suppress DJC103 on this line'],
    );
  });
});

describe('after-write invalidation (DJC103)', () => {
  test('inserted after bulk_update at its indentation: constant keys deleted, keys rebuilt from the written objects', async () => {
    const tree = load('test/fixtures-fixes/bulk_write');
    const findings = await analyze(tree);
    const f = findingAt(findings, 'DJC103', 'catalog/pricing.py', 10);
    const fix = mainFix(f, tree);
    assert.equal(fix.title, "Invalidate 'products:active', 'product:{pk}' after this write");
    assert.equal(
      textOf(tree, fix.changes, 'catalog/pricing.py').split('\n').slice(0, 16).join('\n'),
      `from django.core.cache import cache
from django.db import transaction

from .models import Product


def apply_prices(prices):
    changed = list(Product.objects.filter(pk__in=prices))
    for item in changed:
        item.price = prices[item.pk]
    Product.objects.bulk_update(changed, ["price"])
    transaction.on_commit(lambda: cache.delete("products:active"))
    transaction.on_commit(lambda: cache.delete_many([f"product:{product.pk}" for product in changed]))
    return len(changed)

`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('not offered when a stale key cannot be rebuilt from the write', async () => {
    const tree = load('test/fixtures-fixes/bulk_write');
    const f = findingAt(await analyze(tree), 'DJC103', 'catalog/pricing.py', 15);
    assert.deepEqual(
      fixesFor(f, filesOf(tree)).map((x) => x.title),
      ['Suppress DJC103 on this line'],
    );
  });

  test('fixAll in one file: the deletes below the write are merged at their moved position', async () => {
    const tree = load('test/fixtures-fixes/bulk_write');
    const findings = (await analyze(tree)).filter((f) => f.path === 'catalog/pricing.py');
    const changes = fixAll(findings, filesOf(tree));
    assert.equal(changes.length, 1);
    assertHas(
      textOf(tree, changes, 'catalog/pricing.py'),
      `
def forget(pk):
    cache.delete_many(["products:active", f"product:{pk}"])
`,
      true,
    );
    await assertFixes(
      tree,
      changes,
      findings.filter((f) => f.loc[0] !== 14),
    );
  });
});

describe('delete_many merge (DJC107)', () => {
  test('keys keep their source text; comments between the deletes move above the call', async () => {
    const tree = load('test/fixtures-fixes/sequential_deletes');
    const f = findingAt(await analyze(tree), 'DJC107', 'catalog/signals.py', 11);
    const fix = mainFix(f, tree);
    assert.equal(fix.title, 'Merge the 2 deletes into one cache.delete_many()');
    assertHas(
      textOf(tree, fix.changes, 'catalog/signals.py'),
      `
def forget_category(sender, instance, **kwargs):
    # The page of this very category.
    cache.delete_many([MENU_KEY, f"category:{instance.slug}"])
`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('a shared version= is kept; a long line is split one key per line', async () => {
    const tree = load('test/fixtures-fixes/sequential_deletes');
    const f = findingAt(await analyze(tree), 'DJC107', 'catalog/signals.py', 18);
    const fix = mainFix(f, tree);
    assertHas(
      textOf(tree, fix.changes, 'catalog/signals.py'),
      `
def forget_category_lists(sender, **kwargs):
    cache.delete_many(
        [
            "categories:all",
            "categories:featured-on-the-front-page-banner",
        ],
        version=2,
    )  # noqa: E501
`,
      true,
    );
    await assertFixes(tree, fix.changes, [f]);
  });
});

describe('suppression', () => {
  test('adds # noqa: CODE, or appends to an existing noqa list; never a safe fix', async () => {
    const tree = load('test/fixtures-fixes/unrebuildable');
    const findings = await analyze(tree);
    const [plain, listed] = [
      findingAt(findings, 'DJC101', 'catalog/services.py', 11),
      findingAt(findings, 'DJC101', 'catalog/services.py', 20),
    ];
    const noqa = (f: Finding) => fixesFor(f, filesOf(tree)).find((x) => x.title === 'Suppress DJC101 on this line')!;
    assert.equal(noqa(plain).safe, false);
    assert.equal(
      textOf(tree, noqa(plain).changes, plain.path).split('\n')[10],
      '        cache.set(key, rows, None)  # noqa: DJC101',
    );
    assert.equal(
      textOf(tree, noqa(listed).changes, listed.path).split('\n')[19],
      '        cache.set(key, product, None)  # noqa: E501, DJC101',
    );
    await assertFixes(tree, [...noqa(plain).changes, ...noqa(listed).changes], [plain, listed]);
  });
});

describe('examples/shop', () => {
  test('the sound fixes are offered, the others say why not', async () => {
    const tree = load('examples/shop');
    const files = filesOf(tree);
    const findings = await analyze(tree);
    const offered = findings.map(
      (f) =>
        `${f.path}:${f.loc[0] + 1} ${f.code}: ${fixesFor(f, files)
          .map((x) => x.title)
          .join(' | ')}`,
    );
    assert.deepEqual(offered, [
      'catalog/management/commands/flush_storefront.py:12 DJC107: Merge the 2 deletes into one cache.delete_many() | Suppress DJC107 on this line',
      "catalog/pricing.py:21 DJC103: Invalidate 'product:{pk}', 'catalog:v{v}:category:{category.pk}:page:{page}' after this write | Suppress DJC103 on this line",
      "catalog/services.py:44 DJC102: Invalidate 'categories:nav' when Product changes | Declare cache tags | Suppress DJC102 on this line",
      "catalog/services.py:54 DJC102: Invalidate 'categories:all' when Category changes | Declare cache tags | Suppress DJC102 on this line",
      'catalog/signals.py:24 DJC104: Suppress DJC104 on this line',
      'orders/reports.py:17 DJC106: Suppress DJC106 on this line',
      'orders/services.py:84 DJC105: Suppress DJC105 on this line',
    ]);
    const nav = findingAt(findings, 'DJC102', 'catalog/services.py', 44);
    assertHas(
      textOf(tree, mainFix(nav, tree).changes, 'catalog/signals.py'),
      `
    bump_catalog_version()


@receiver([post_save, post_delete], sender=Product)
def invalidate_categories_nav_on_product_change(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.delete("categories:nav"))
`,
      true,
    );
    await assertFixes(tree, mainFix(nav, tree).changes, [nav]);
  });

  test("the price import invalidates through the project's key builder and bumps the listing version", async () => {
    const tree = load('examples/shop');
    const f = findingAt(await analyze(tree), 'DJC103', 'catalog/pricing.py', 21);
    const fix = mainFix(f, tree);
    const text = textOf(tree, fix.changes, 'catalog/pricing.py');
    assertHas(
      text,
      `"""Nightly price import from the ERP export."""
import csv
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction

from .caching import product_cache_key
from .models import Product
`,
    );
    assertHas(
      text,
      `
    Product.objects.bulk_update(changed, ["price"], batch_size=500)
    transaction.on_commit(lambda: cache.delete_many([product_cache_key(product.pk) for product in changed]))
    transaction.on_commit(lambda: cache.add("catalog:version", 1, timeout=None))
    transaction.on_commit(lambda: cache.incr("catalog:version"))
    return len(changed)
`,
    );
    await assertFixes(tree, fix.changes, [f]);
  });

  test('the entries no receiver fix can rebuild say why', async () => {
    const tree = load('examples/shop');
    const findings = await analyze(tree);
    const bestsellers = findingAt(findings, 'DJC106', 'orders/reports.py', 17);
    assert.equal(
      'rebuild' in bestsellers.data && bestsellers.data.rebuild.kind === 'none' && bestsellers.data.rebuild.reason,
      "the key's hole {limit} does not come from an OrderItem field",
    );
    for (const f of findings.filter((x) => x.code === 'DJC102'))
      assert.equal(receiverUnavailable(f, filesOf(tree)), undefined);
  });
});

describe('imports', () => {
  const names = (text: string) => withSyntax(text, (root) => moduleNames(root, text))!;

  test('a name joins a parenthesized import one per line, in order; a present one is not added again', () => {
    const text =
      'from django.db.models.signals import (\n    post_save,\n    pre_delete,\n)\nfrom django.dispatch import receiver\n\nX = 1\n';
    const edits = planImports(
      text,
      names(text),
      [
        { module: 'django.db.models.signals', name: 'post_delete' },
        { module: 'django.dispatch', name: 'receiver' },
      ],
      DEFAULT_STYLE,
    );
    assert.ok(Array.isArray(edits));
    assert.equal(
      applyEdits(text, edits),
      'from django.db.models.signals import (\n    post_delete,\n    post_save,\n    pre_delete,\n)\nfrom django.dispatch import receiver\n\nX = 1\n',
    );
  });

  test('imports are relative within one top-level package, from a signals package too, else absolute', () => {
    assert.deepEqual(importFrom('catalog/signals.py', 'catalog.models', 'catalog/models.py', 'Product'), [
      { module: '.models', name: 'Product', sameAs: ['catalog.models'] },
    ]);
    assert.deepEqual(
      importFrom('src/catalog/signals/__init__.py', 'catalog.models', 'src/catalog/models.py', 'Product'),
      [{ module: '..models', name: 'Product', sameAs: ['catalog.models'] }],
    );
    assert.deepEqual(importFrom('orders/signals.py', 'catalog.caching', 'catalog/caching.py', 'product_cache_key'), [
      { module: 'catalog.caching', name: 'product_cache_key' },
    ]);
    assert.deepEqual(importFrom('catalog/models.py', 'catalog.models', 'catalog/models.py', 'Product'), []);
  });

  test('a name bound to something else is a conflict; the default cache is then caches["default"]', () => {
    const text = 'from functools import cache\n';
    assert.deepEqual(planImports(text, names(text), [{ module: 'django.core.cache', name: 'cache' }], DEFAULT_STYLE), {
      conflict: 'cache',
    });
    assert.deepEqual(cacheRef('default', names(text), DEFAULT_STYLE), {
      expr: 'caches["default"]',
      need: { module: 'django.core.cache', name: 'caches' },
    });
  });
});

describe('imports: `import module` and dropping an unused name', () => {
  const names = (text: string) => withSyntax(text, (root) => moduleNames(root, text))!;

  test('`import m` goes after the absolute imports, once; a name bound to something else is a conflict', () => {
    const text = 'from django.db import models\n\nfrom .models import Product\n';
    const edits = planImports(text, names(text), [{ module: 'djcache' }], DEFAULT_STYLE);
    assert.ok(Array.isArray(edits));
    const after = applyEdits(text, edits);
    assert.equal(after, 'from django.db import models\n\nimport djcache\n\nfrom .models import Product\n');
    assert.deepEqual(planImports(after, names(after), [{ module: 'djcache' }], DEFAULT_STYLE), []);
    assert.deepEqual(
      planImports('djcache = None\n', names('djcache = None\n'), [{ module: 'djcache' }], DEFAULT_STYLE),
      { conflict: 'djcache' },
    );
  });

  test('a dropped name leaves its statement; a statement alone between blank lines takes one along; one sharing its line stays', () => {
    const drop = (text: string, name: string) => {
      const edit = dropImport(text, names(text), name, DEFAULT_STYLE);
      return edit && applyEdits(text, [edit]);
    };
    assert.equal(drop('from a import b, c\nx = c\n', 'b'), 'from a import c\nx = c\n');
    assert.equal(drop('import os\n\nfrom a import b\n\nx = 1\n', 'b'), 'import os\n\nx = 1\n');
    assert.equal(drop('import os\nfrom a import b\n\nx = 1\n', 'b'), 'import os\n\nx = 1\n');
    assert.equal(drop('from a import b; x = 1\n', 'b'), undefined);
    assert.equal(drop('from a import (  # why\n    b,\n)\n', 'b'), undefined);
  });
});

describe('every engine fixture tree', () => {
  test('each offered fix leaves the files it edits parsing and removes its finding', async () => {
    const root = path.join(ROOT, 'test', 'fixtures');
    let offered = 0;
    for (const name of readdirSync(root)
      .filter((n) => statSync(path.join(root, n)).isDirectory())
      .sort()) {
      const tree = load(`test/fixtures/${name}`);
      const findings = await analyze(tree);
      for (const f of findings) {
        for (const fix of fixesFor(f, filesOf(tree))) {
          const after = applied(tree, fix.changes);
          for (const c of fix.changes) {
            const old = tree.get(c.path);
            if (c.path.endsWith('.py') && (old === undefined || parsesCleanly(old)))
              assert.ok(parsesCleanly(after.get(c.path)!), `${name}: ${fix.title} breaks ${c.path}`);
          }
          if (!fix.preferred) continue;
          offered++;
          // Other entries of the model may turn into DJC102 once one is covered (even where DJC101 was
          // suppressed), so only the fixed finding is checked here; the tests above check the rest exactly.
          const again = await analyze(after);
          assert.ok(
            !again.some((g) => identity(after, g) === identity(tree, f)),
            `${name}: ${fix.title} does not remove its finding`,
          );
        }
      }
    }
    assert.ok(offered >= 20, `only ${offered} fixes offered`);
  });
});

test('the style and node lookups of fixes walk a 20,000-deep tree without recursion', async () => {
  const { loadPythonParser, parsePython } = await import('../server/src/syntax/parser');
  const { pythonStyle } = await import('../server/src/fixes/pythonStyle');
  const { nodeAt } = await import('../server/src/fixes/pythonSyntax');
  const text = `def f():\n\tvalue = ${'('.repeat(20_000)}'x'${')'.repeat(20_000)}\n\treturn value\n`;
  const tree = parsePython(await loadPythonParser(), text);
  assert.ok(tree);
  try {
    assert.deepEqual(pythonStyle(tree.rootNode, text), { indent: '\t', quote: "'", eol: '\n' });
    assert.equal(nodeAt(tree.rootNode, 'string', [1, 20_009, 1, 20_012])?.text, "'x'");
  } finally {
    tree.delete();
  }
});
