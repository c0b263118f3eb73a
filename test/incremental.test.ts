/**
 * Incremental analysis against full analysis. Sequences of edits go through a ProjectIndex, as
 * the language server applies them; after each edit the index's snapshot must be deep-equal to a
 * full analysis of the same files, extracted afresh:
 * - file by file (the analysis whose reuse incremental.ts argues is exact), and
 * - with analyzeFactsToFindings, which the CLI runs (one interpreter for the whole workspace).
 * Scripted edits cover the kinds of change an editor makes; a seeded random walk mutates lines of
 * real files.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync } from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { IncrementalAnalysis, trackFacts } from '../server/src/analysis/incremental';
import { ModelRegistry } from '../server/src/analysis/models';
import { Workspace } from '../server/src/analysis/workspace';
import { defaultConfig } from '../server/src/config/config';
import {
  analyzeFactsToFindings,
  factsForFile,
  findingsOf,
  isRelevantPath,
  packageDirsOf,
} from '../server/src/engine/engine';
import type { FileFacts } from '../server/src/facts/types';
import { ProjectIndex } from '../server/src/engine/projectIndex';
import { loadPythonParser } from '../server/src/syntax/parser';
import { readTree } from './tree';
import { random } from './fuzz/mutate';

const ROOT = path.join(__dirname, '..', '..');
const SHOP = path.join(ROOT, 'examples', 'shop');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');

/** A tree of files and the index that follows it edit by edit. */
class EditedTree {
  readonly files: Map<string, Uint8Array>;
  readonly index: ProjectIndex;

  constructor(
    private readonly parser: Parser,
    readonly name: string,
    files: Map<string, Uint8Array>,
  ) {
    this.files = new Map([...files].filter(([p]) => !p.startsWith('.djcache_cache/')));
    this.index = new ProjectIndex(parser, defaultConfig);
  }

  async load(): Promise<void> {
    const files = this.files;
    await this.index.loadAll({ list: async () => [...files.keys()], read: async (p) => files.get(p)! });
  }

  text(p: string): string {
    const bytes = this.files.get(p);
    assert.ok(bytes, `${this.name}: no file ${p}`);
    return Buffer.from(bytes).toString('utf8');
  }

  write(p: string, text: string): void {
    this.files.set(p, Buffer.from(text, 'utf8'));
    this.follow(this.index.setFile(p, this.files.get(p)!));
  }

  /** Replaces `old` (which must occur) by `replacement` in a file. */
  replace(p: string, old: string, replacement: string): void {
    const text = this.text(p);
    assert.ok(text.includes(old), `${this.name}: ${p} has no ${JSON.stringify(old)}`);
    this.write(p, text.replace(old, replacement));
  }

  remove(p: string): void {
    this.files.delete(p);
    this.follow(this.index.deleteFile(p));
  }

  /** Hands in again the files whose module names moved, as the language server's folder does. */
  private follow(moved: string[]): void {
    for (const m of moved) {
      const bytes = this.files.get(m);
      this.follow(bytes ? this.index.setFile(m, bytes) : this.index.deleteFile(m));
    }
  }

  /** The index's snapshot equals a full analysis of the files as they are now. */
  check(step: string): { analysed: string[]; pythonFiles: number } {
    const snap = this.index.analyze();
    const paths = [...this.files.keys()].filter(isRelevantPath).sort();
    const packageDirs = packageDirsOf(paths);
    const facts = paths
      .map((p) => factsForFile(this.parser, p, this.files.get(p)!, packageDirs))
      .filter((f): f is FileFacts => !!f);
    const perFile = findingsOf(
      new IncrementalAnalysis().analyze(facts.map(trackFacts), new Set(), defaultConfig).analysis,
      defaultConfig,
    );
    const whole = analyzeFactsToFindings(facts, defaultConfig);
    const at = `${this.name}, after ${step}`;
    assert.deepEqual(
      plain(snap.findings),
      plain(perFile.findings),
      `${at}: findings differ from a file-by-file analysis`,
    );
    assert.deepEqual(plain(snap.graph), plain(perFile.graph), `${at}: graph differs from a file-by-file analysis`);
    assert.deepEqual(plain(snap.findings), plain(whole.findings), `${at}: findings differ from analyzeFactsToFindings`);
    assert.deepEqual(plain(snap.graph), plain(whole.graph), `${at}: graph differs from analyzeFactsToFindings`);
    return { analysed: snap.stats.analysed, pythonFiles: facts.filter((f) => f.kind === 'python').length };
  }
}

function plain(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x));
}

async function treeOf(dir: string, name = path.basename(dir)): Promise<EditedTree> {
  const tree = new EditedTree(await loadPythonParser(), name, readTree(dir));
  await tree.load();
  tree.check('loading');
  return tree;
}

test('incremental: scripted edits to the example project', async () => {
  const t = await treeOf(SHOP);

  const before = t.index.analyze();
  t.write('catalog/services.py', `${t.text('catalog/services.py')}\n# a comment changes no fact\n`);
  assert.equal(t.index.isStale(before), false, 'an edit that leaves the facts as they were keeps the snapshot');
  t.check('a comment appended');

  const finding = before.findings.find((f) => f.path.endsWith('.py'));
  assert.ok(finding, 'the example has findings in Python files');
  const lines = t.text(finding.path).split('\n');
  lines[finding.loc[0]] += `  # noqa: ${finding.code}`;
  t.write(finding.path, lines.join('\n'));
  t.check(`a noqa comment on ${finding.path}:${finding.loc[0] + 1}`);

  t.replace('catalog/services.py', 'def ', 'def _unused_helper():\n    return 1\n\n\ndef ');
  const bodyEdit = t.check('a new function at the top of services.py');
  assert.ok(
    bodyEdit.analysed.length < bodyEdit.pythonFiles,
    'an edit to one module reuses the analysis of files that do not read it',
  );

  t.replace(
    'catalog/views.py',
    'from .models import Category, Product\n',
    'from .models import Category, Product\nfrom orders.models import Order\n',
  );
  t.check('a new import in views.py');

  t.write(
    'orders/signals.py',
    `${t.text('orders/signals.py')}

@receiver(post_save, sender="catalog.Product")
def forget_dashboard(sender, instance, **kwargs):
    cache.delete("orders:dashboard")
`,
  );
  t.check('a receiver added to orders/signals.py');

  t.write(
    'catalog/services.py',
    `from django.db import models\n${t.text('catalog/services.py')}

class Promo(models.Model):
    code = models.CharField(max_length=20)


def promos():
    rows = list(Promo.objects.all())
    cache.set("catalog:promos", rows, 300)
    return rows
`,
  );
  t.check('a model defined in a module that had none');
  t.write(
    'catalog/coupons.py',
    [
      'from django.core.cache import cache',
      'from django.db import models',
      '',
      '',
      'class Coupon(object):',
      '    code = models.CharField(max_length=20)',
      '',
      '',
      'def coupons():',
      '    rows = list(Coupon.objects.all())',
      '    cache.set("catalog:coupons", rows, 300)',
      '    return rows',
      '',
    ].join('\n'),
  );
  t.check('a module with a plain class');
  t.replace('catalog/coupons.py', 'class Coupon(object):', 'class Coupon(models.Model):');
  t.check('the plain class made a model, nothing else changed');
  t.write('catalog/bases.py', 'from django.db.models import Model as Base\n');
  t.write(
    'catalog/stickers.py',
    'from django.core.cache import cache\n\nfrom .bases import Base\n\n\nclass Sticker(Base):\n    pass\n\n\ndef stickers():\n    cache.set("catalog:stickers", list(Sticker.objects.all()), 300)\n',
  );
  t.check('a model whose base is imported through another module');
  t.replace('catalog/bases.py', 'Model as Base', 'Field as Base');
  t.check('that import changed: the class is no model');
  t.replace('catalog/bases.py', 'Field as Base', 'Model as Base');
  t.check('that import changed back');
  t.write('catalog/bases.py', `${t.text('catalog/bases.py')}Base = object\n`);
  t.check('the imported base rebound by an assignment');
  t.write('catalog/bases.py', 'from django.db.models import Model as Base\n\n\ndef helper():\n    pass\n');
  t.check('a function next to the imported base');
  t.replace('catalog/bases.py', 'def helper', 'def Base');
  t.check('the function renamed so that it rebinds the base');

  t.replace(
    'catalog/models.py',
    'class Tag(models.Model):\n',
    'class Tag(models.Model):\n    supplier = models.ForeignKey("orders.Order", on_delete=models.CASCADE, null=True)\n',
  );
  t.check('a foreign key added to a model');

  t.write(
    'catalog/feeds.py',
    [
      'from django.core.cache import cache',
      '',
      'from .models import Product',
      '',
      '',
      'def latest_products():',
      '    rows = cache.get("feeds:latest")',
      '    if rows is None:',
      '        rows = list(Product.objects.order_by("-id")[:10])',
      '        cache.set("feeds:latest", rows, 600)',
      '    return rows',
      '',
    ].join('\n'),
  );
  t.check('a new module');

  t.remove('reviews/signals.py');
  t.check('a deleted module');

  // Relations followed through the registry alone: the module reads no catalog file.
  t.write(
    'orders/feed.py',
    [
      'from django.core.cache import cache',
      '',
      'from .models import OrderItem',
      '',
      '',
      'def item_categories():',
      '    rows = cache.get("orders:item-categories")',
      '    if rows is None:',
      '        rows = [item.product.category for item in OrderItem.objects.all()]',
      '        cache.set("orders:item-categories", rows, 300)',
      '    return rows',
      '',
    ].join('\n'),
  );
  t.check('a module that reaches Category through relations only');
  t.replace(
    'catalog/models.py',
    '    def active(self):\n',
    '    def with_tags(self):\n        return self.prefetch_related("tags")\n\n    def active(self):\n',
  );
  t.write(
    'catalog/tagged.py',
    'from django.core.cache import cache\n\nfrom .models import Product\n\n\ndef tagged():\n    cache.set("catalog:tagged", list(Product.objects.with_tags()), 300)\n',
  );
  t.check('a queryset method that reads tags, and a module caching its rows');
  const models = t.text('catalog/models.py');
  t.write('catalog/models.py', models.replace(/\n(\s+)def (\w+)\(self\):\n/, '\n$1def $2(self):\n$1    _edited = 1\n'));
  const modelBodyEdit = t.check('a method body edit in models.py, the classes below it moved');
  assert.ok(
    modelBodyEdit.analysed.length < modelBodyEdit.pythonFiles && t.index.analyze().stats.registryReused,
    'the registry is kept, models moved',
  );
  // A new function is a name the registry never looked up; one that rebinds `models` is not.
  t.write(
    'catalog/models.py',
    `${t.text('catalog/models.py')}\n\ndef price_label(product):\n    return f"{product.price} EUR"\n`,
  );
  t.check('a function added to models.py');
  assert.ok(t.index.analyze().stats.registryReused, 'a new function name keeps the registry');
  t.write('catalog/models.py', `${t.text('catalog/models.py')}\n\ndef models():\n    return None\n`);
  t.check('a function rebinding the name models.py resolves its bases through');
  assert.ok(!t.index.analyze().stats.registryReused, 'a name the registry looked up rebuilds it');
  t.write('catalog/models.py', t.text('catalog/models.py').replace('\n\ndef models():\n    return None\n', ''));
  t.check('that function removed again');
  t.replace('catalog/models.py', 'category = models.ForeignKey(Category,', 'category = models.ForeignKey(Tag,');
  t.check('Product.category retargeted');

  // Two modules resolve the same name through a third: each must note that it read it.
  const keyUser = (method: string) =>
    `from django.core.cache import cache\n\nfrom .keys import entry_key\n\n\ndef run(rows):\n    cache.${method}(entry_key(1)${method === 'set' ? ', rows, 60' : ''})\n`;
  t.write('catalog/keys.py', 'from .caching import product_cache_key as entry_key\n');
  t.write('catalog/aa_keys_user.py', keyUser('set'));
  t.write('catalog/zz_keys_user.py', keyUser('delete'));
  t.check('two modules importing a re-exported key builder');
  t.replace('catalog/keys.py', 'product_cache_key as entry_key', 'bump_catalog_version as entry_key');
  t.check('the re-export pointed at another function of the same module');
  t.replace('catalog/keys.py', 'bump_catalog_version as entry_key', 'product_cache_key as entry_key');
  t.write('catalog/keys.py', `${t.text('catalog/keys.py')}PREFIX = "listing"\n`);
  t.write(
    'catalog/prefixed.py',
    'from django.core.cache import cache\n\nfrom . import keys\nfrom .models import Tag\n\n\ndef remember():\n    cache.set(keys.PREFIX, list(Tag.objects.all()), 60)\n',
  );
  t.check('a module keyed by a constant of another');
  t.replace('catalog/keys.py', 'PREFIX = "listing"', 'PREFIX = "listing:v2"');
  t.check('that constant changed');
  t.write('catalog/keys.py', 'def entry_key(pk):\n    return f"other:{pk}"\n');
  t.check('the re-export replaced by a function of its own');
  // A module that reads only a name another module binds, not what it binds it to.
  t.write(
    'catalog/key_names.py',
    'from django.core.cache import cache\n\nfrom . import keys\nfrom .models import Tag\n\n\ndef remember():\n    cache.set(keys.entry_key.__name__, list(Tag.objects.all()), 60)\n',
  );
  t.check('a module keyed by a function name of another');
  t.replace('catalog/keys.py', 'return f"other:{pk}"', 'return f"again:{pk}"');
  t.check('that function body edited');
  assert.ok(
    !t.index.analyze().stats.analysed.includes('catalog/key_names.py'),
    'a module that read only names of the edited one is reused',
  );
  t.replace('catalog/keys.py', 'def entry_key', 'def entry_key_v2');
  t.check('that function renamed');

  // A name found through another module's star import.
  t.write('catalog/stars.py', 'from .caching import *  # noqa: F403\n');
  t.write(
    'catalog/star_user.py',
    'from django.core.cache import cache\n\nfrom .models import Tag\nfrom .stars import product_cache_key\n\n\ndef remember():\n    cache.set(product_cache_key(1), list(Tag.objects.all()), 60)\n',
  );
  t.check('a key builder imported through a star import');
  t.replace('catalog/stars.py', 'from .caching import *', 'from .keys import *');
  t.check('that star import pointed at another module');
  t.write('catalog/stars.py', `${t.text('catalog/stars.py')}UNUSED = 1\n`);
  t.check('a name added to the module star-imported through');
  assert.ok(
    !t.index.analyze().stats.analysed.includes('catalog/star_user.py'),
    'a name added that no module looked up re-analyses none of them',
  );

  // Two modules' views inherit through two files: each must note that it read both.
  t.write('catalog/view_root.py', 'from django.views.generic import ListView\n\n\nclass Root(ListView):\n    pass\n');
  t.write('catalog/view_base.py', 'from .view_root import Root\n\n\nclass Base(Root):\n    pass\n');
  const subView =
    'from .models import Product\nfrom .view_base import Base\n\n\nclass Sub(Base):\n    model = Product\n';
  t.write('catalog/aa_views.py', subView);
  t.write('catalog/zz_views.py', subView);
  t.check('views inheriting through two files');
  t.write('catalog/view_root.py', t.text('catalog/view_root.py').replaceAll('ListView', 'CreateView'));
  t.check('the root view made an editing view');
  // A class attribute read through a subclass in another module.
  t.write(
    'catalog/view_root.py',
    'from django.views.generic import CreateView\n\nfrom .models import Product, Tag\n\n\nclass Root(CreateView):\n    model = Product\n',
  );
  t.write('catalog/zz_views.py', 'from .view_base import Base\n\n\nclass Sub(Base):\n    pass\n');
  t.check('a subclass inheriting the model of a view in another module');
  t.replace('catalog/view_root.py', 'model = Product', 'model = Tag');
  t.check('that model changed in the class body only');

  const listing = 'catalog/templates/catalog/product_list.html';
  t.write(
    listing,
    `${t.text(listing)}\n{% load cache %}{% cache 600 listing_footer %}{% for p in products %}{{ p.category.name }}{% endfor %}{% endcache %}\n`,
  );
  t.check('a template edit');

  t.write('helpers/text.py', 'def shout(s):\n    return s.upper()\n');
  t.check('a module outside any package');
  t.write('helpers/__init__.py', '');
  t.check('__init__.py created: helpers/text.py becomes helpers.text');
  t.remove('orders/__init__.py');
  t.check('__init__.py deleted: orders/ is no longer a package');
  t.write('helpers/manage.py', 'import sys\n');
  t.check('manage.py created: the helpers package is a source root, helpers/text.py becomes text');
  t.remove('helpers/manage.py');
  t.check('manage.py deleted: helpers/text.py is helpers.text again');

  t.replace('shop/settings.py', 'CACHES', 'ATOMIC_REQUESTS = True\nCACHES');
  t.check('a settings edit');

  t.replace('catalog/services.py', 'def _unused_helper():\n    return 1\n\n\n', '');
  t.check('the first edit undone');
});

test('incremental: scripted edits to fixture trees', async () => {
  const names = [
    'ok_custom_signal',
    'ok_transitive_helper',
    'reads_project_wrapper',
    'ok_template_fragment_key',
    'views_template_cache_page',
    'views_urls_cache_page',
    'djc101_related_model_uncovered',
    'ok_save_delete_override',
  ];
  for (const name of names) {
    const t = await treeOf(path.join(FIXTURES, name));
    const py = [...t.files.keys()].filter((p) => p.endsWith('.py') && !p.endsWith('__init__.py')).sort();
    for (const p of py) {
      const text = t.text(p);
      const def = /\n(\s*)def \w+\(.*\):\n(\s+)/.exec(text);
      if (!def) continue;
      // A statement at the start of the first function body: lines below it move.
      t.write(p, text.replace(def[0], `${def[0]}_edited = 1\n${def[2]}`));
      t.check(`a body edit in ${p}`);
    }
    const app = py[0].split('/')[0];
    t.write(
      `${app}/late.py`,
      `from django.core.cache import cache\n\n\ndef refresh():\n    cache.delete("products:active")\n`,
    );
    t.check('a new module that deletes a key');
    for (const template of [...t.files.keys()].filter((p) => p.endsWith('.html'))) {
      // Reading one relation less, or one more.
      const text = t.text(template);
      t.write(
        template,
        text.includes('.category.')
          ? text.replace(/\.category\./g, '.')
          : text.replace(/\{\{\s*(\w+)/, '{{ $1.category.name }} {{ $1'),
      );
      t.check(`an edit to ${template}`);
    }
    t.remove(`${app}/late.py`);
    t.check('the new module deleted');
    for (const p of py) t.write(p, t.text(p).replace(/_edited = 1\n\s*/, ''));
    t.check('the body edits undone');
  }
});

test('incremental: a Python 2 statement in one file changes how every file imports', async () => {
  const t = await treeOf(path.join(FIXTURES, 'ok_python3_absolute_import'));
  const views = 'shop/views.py';
  const python3 = t.text(views);
  t.write(views, python3.replace('print("listed %d products" % len(titles))', 'print "listed"'));
  t.check('a print statement: the package imports its own modules first');
  t.write(views, python3);
  t.check('the print statement undone');
});

test('incremental: seeded random line mutations of real files', async () => {
  const trees = [
    SHOP,
    ...[
      'ok_custom_signal',
      'reads_project_wrapper',
      'ok_m2m_changed',
      'ok_template_fragment_key',
      'writes_forms_and_serializers',
    ].map((n) => path.join(FIXTURES, n)),
  ];
  const seed = Number(process.env.DJCACHE_SEED ?? 20261123);
  const rand = random(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  for (const dir of trees) {
    const t = await treeOf(dir);
    const original = new Map(t.files);
    const editable = [...t.files.keys()].filter((p) => p.endsWith('.py') || p.endsWith('.html')).sort();
    for (let step = 0; step < 25; step++) {
      const p = pick(editable);
      if (!t.files.has(p)) {
        t.write(p, Buffer.from(original.get(p)!).toString('utf8'));
        t.check(`step ${step} (seed ${seed}): ${p} restored`);
        continue;
      }
      const lines = t.text(p).split('\n');
      const i = Math.floor(rand() * lines.length);
      const other = pick(editable.filter((q) => t.files.has(q)));
      const donor = t.text(other).split('\n');
      const mutations: [string, () => void][] = [
        ['deletes a line', () => lines.splice(i, 1)],
        ['duplicates a line', () => lines.splice(i, 0, lines[i])],
        ['swaps two lines', () => lines.splice(i, 2, ...lines.slice(i, i + 2).reverse())],
        [`copies a line of ${other}`, () => lines.splice(i, 0, pick(donor))],
        [
          'restores the file',
          () => lines.splice(0, lines.length, ...Buffer.from(original.get(p)!).toString('utf8').split('\n')),
        ],
      ];
      const [what, mutate] = pick(mutations);
      if (rand() < 0.05 && !p.endsWith('__init__.py')) {
        t.remove(p);
        t.check(`step ${step} (seed ${seed}): ${p} deleted`);
        continue;
      }
      mutate();
      t.write(p, lines.join('\n'));
      t.check(`step ${step} (seed ${seed}): ${p} ${what} at line ${i + 1}`);
    }
  }
});

/** Python facts of the example and of every fixture, for the registry guards. */
async function allTrees(): Promise<{ name: string; files: Map<string, Uint8Array>; facts: FileFacts[] }[]> {
  const parser = await loadPythonParser();
  const dirs = [
    SHOP,
    ...readdirSync(FIXTURES)
      .sort()
      .map((n) => path.join(FIXTURES, n)),
  ];
  return dirs.map((dir) => {
    const files = new Map([...readTree(dir)].filter(([p]) => isRelevantPath(p)));
    const packageDirs = packageDirsOf(files.keys());
    const facts = [...files]
      .map(([p, b]) => factsForFile(parser, p, b, packageDirs))
      .filter((f): f is FileFacts => !!f);
    return { name: path.basename(dir), files, facts };
  });
}

/** The registry's models as JSON, files by path, locations included. */
function registryJson(models: ModelRegistry): string {
  return JSON.stringify([...models.byId.values()], (key, value) =>
    key === 'file' && value ? value.path : value instanceof Map ? [...value] : value,
  );
}

// incremental.ts reuses the registry across an edit to a file that defines no model when the
// edit leaves the file's imports, module statements, classes and function signatures as they
// were. These two guards keep that sound as the registry changes.
test('incremental: the registry never reads a function body', async () => {
  for (const { name, facts } of await allTrees()) {
    const guarded = facts.map((f) =>
      f.kind !== 'python'
        ? f
        : {
            ...f,
            functions: f.functions.map((fn) =>
              Object.defineProperty({ ...fn }, 'body', {
                get: () => assert.fail(`${name}: the registry read the body of ${f.path}:${fn.qual}`),
              }),
            ),
          },
    );
    assert.doesNotThrow(() => new ModelRegistry(new Workspace(guarded)), name);
  }
});

test("incremental: the registry keeps no location but its models' class names", async () => {
  const parser = await loadPythonParser();
  const withoutLocations = (models: ModelRegistry) => registryJson(models).replace(/"loc":\[[\d,]*\]/g, '');
  for (const { name, files, facts } of await allTrees()) {
    const models = new ModelRegistry(new Workspace(facts));
    const packageDirs = packageDirsOf(files.keys());
    const moved = [...files]
      .map(([p, b]) =>
        factsForFile(parser, p, p.endsWith('.py') ? Buffer.concat([Buffer.from('\n\n'), b]) : b, packageDirs),
      )
      .filter((f): f is FileFacts => !!f);
    const movedModels = new ModelRegistry(new Workspace(moved));
    assert.equal(withoutLocations(movedModels), withoutLocations(models), name);
    for (const m of movedModels.byId.values()) {
      if (m.file && m.cls !== undefined) assert.deepEqual(m.loc, m.file.classes[m.cls].nameLoc, `${name}: ${m.id}`);
    }
  }
});

test('incremental: every fixture analysed file by file equals analyzeFactsToFindings', async () => {
  const parser = await loadPythonParser();
  for (const name of readdirSync(FIXTURES).sort()) {
    const files = readTree(path.join(FIXTURES, name));
    const t = new EditedTree(parser, name, files);
    await t.load();
    t.check('loading');
  }
});
