/** Library stubs (server/stubs, and a team's under `stub-paths`): library knowledge is Python the engine reads, not engine code. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { defaultConfig } from '../server/src/config/config';
import { analyzeFactsToFindings, analyzeWorkspace, factsForFile, packageDirsOf } from '../server/src/engine/engine';
import { hoverAt } from '../server/src/features/hover';
import { Workspace } from '../server/src/analysis/workspace';
import { loadPythonParser } from '../server/src/syntax/parser';
import type { WorkspaceFs } from '../server/src/engine/types';
import type { FileFacts } from '../server/src/facts/types';
import { memoryFs, readTree } from './tree';

const encode = (text: string) => new TextEncoder().encode(text);

const MODELS = `from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
`;

const SERVICES = `from cache_memoize import cache_memoize

from .models import Product


@cache_memoize(60 * 5, cache_alias="pages")
def product_names():
    return list(Product.objects.values_list("name", flat=True))
`;

function shop(extra: [string, string][] = []): Map<string, Uint8Array> {
  return new Map(
    [['shop/__init__.py', ''], ['shop/models.py', MODELS], ['shop/services.py', SERVICES], ...extra].map(
      ([p, text]) => [p, encode(text)],
    ),
  );
}

const memoizeEntries = async (fs: WorkspaceFs) =>
  (await analyzeWorkspace(fs, defaultConfig)).graph.entries
    .filter((e) => e.kind === 'memoize')
    .map((e) => ({ key: e.key, alias: e.alias, timeout: e.timeout }));

test('@cache_memoize is known only through its bundled stub, which gives the key, alias and timeout', async () => {
  assert.deepEqual(await memoizeEntries(memoryFs(shop())), [
    { key: '{shop.services.product_names(…)}', alias: 'pages', timeout: 300 },
  ]);
  const { stubs: _, ...withoutStubs } = memoryFs(shop());
  assert.deepEqual(await memoizeEntries(withoutStubs), []);
});

test('a project module wins over the stub of the same name', async () => {
  // A vendored cache_memoize whose decorator caches nothing.
  const vendored = 'def cache_memoize(timeout, **options):\n    return lambda func: func\n';
  assert.deepEqual(await memoizeEntries(memoryFs(shop([['cache_memoize/__init__.py', vendored]]))), []);
});

test('a markdown conversion reads what the project processors read, known only through the bundled stub', async () => {
  const files = readTree(path.join(__dirname, '..', '..', 'test', 'fixtures', 'stub_markdown'));
  const reads = async (fs: WorkspaceFs) =>
    (await analyzeWorkspace(fs, defaultConfig)).graph.entries
      .map(
        (e) =>
          `${e.key}: ${e.dependencies
            .map((d) => d.model)
            .sort()
            .join(', ')}`,
      )
      .sort();
  assert.deepEqual(await reads(memoryFs(files)), [
    'page:{pk}: notes.Attachment, notes.Page',
    'summary:{pk}: notes.Attachment, notes.Page',
  ]);
  const { stubs: _, ...withoutStubs } = memoryFs(files);
  assert.deepEqual(await reads(withoutStubs), ['page:{pk}: notes.Page', 'summary:{pk}: notes.Page']);
});

test('django-mptt tree lookups are rows of the node model, known only through the bundled stub', async () => {
  const files = readTree(path.join(__dirname, '..', '..', 'test', 'fixtures', 'stub_mptt'));
  const coverage = async (fs: WorkspaceFs) => {
    const graph = (await analyzeWorkspace(fs, defaultConfig)).graph;
    const writes = graph.models.flatMap((m) => m.writes.map((w) => `${w.how} ${w.kind}`)).sort();
    const menu = graph.entries.find((e) => e.key === 'category-menu:{self.pk}')!.dependencies[0].coverage.save.state;
    return { writes, menu };
  };
  // move_to() renumbers the tree and saves the node; the clears of the ancestors' menus after each write cover the menu.
  assert.deepEqual(await coverage(memoryFs(files)), {
    writes: ['category.delete() delete', 'category.move_to() bulk', 'category.move_to() save', 'category.save() save'],
    menu: 'yes',
  });
  const { stubs: _, ...withoutStubs } = memoryFs(files);
  assert.deepEqual(await coverage(withoutStubs), {
    writes: ['category.delete() delete', 'category.save() save'],
    menu: 'no',
  });
});

test('files under stub-paths are stubs: they resolve imports but are not project code', async () => {
  const files = readTree(path.join(__dirname, '..', '..', 'test', 'fixtures', 'stub_paths_team_stub'));
  const parser = await loadPythonParser();
  const packageDirs = packageDirsOf(files.keys());
  const facts = [...files]
    .filter(([p]) => p.endsWith('.py'))
    .map(([p, bytes]) => factsForFile(parser, p, bytes, packageDirs))
    .filter((f): f is FileFacts => f !== undefined);
  const ws = new Workspace(facts, [], ['typings']);
  assert.equal(ws.byModule.get('fastcache')?.path, 'typings/fastcache/__init__.py');
  assert.ok(ws.stubs.has(ws.byModule.get('fastcache')!));
  assert.ok(!ws.python.some((f) => f.path.startsWith('typings/')));
  const asProjectCode = new Workspace(facts);
  assert.ok(asProjectCode.python.some((f) => f.path.startsWith('typings/')));
});

test('with django-cachalot installed, an entry still needs its own invalidation, and its hover says why', async () => {
  const cached = `from django.core.cache import cache

from .models import Product


def product_names():
    names = list(Product.objects.values_list("name", flat=True))
    cache.set("product-names", names, None)
    return names
`;
  const parser = await loadPythonParser();
  const analyse = (apps: string) => {
    const files = shop([
      ['shop/cached.py', cached],
      ['site_settings/__init__.py', ''],
      ['site_settings/settings.py', `INSTALLED_APPS = [${apps}"shop"]\n`],
    ]);
    const packageDirs = packageDirsOf(files.keys());
    const facts = [...files]
      .map(([p, bytes]) => factsForFile(parser, p, bytes, packageDirs))
      .filter((f): f is FileFacts => f !== undefined);
    const { analysis, findings } = analyzeFactsToFindings(facts, defaultConfig);
    const hover = hoverAt(analysis, 'shop/cached.py', { line: 7, col: 4 }, (p) => p);
    return {
      codes: findings.filter((f) => f.path === 'shop/cached.py').map((f) => f.code),
      hover: hover?.markdown ?? '',
    };
  };
  const withCachalot = analyse('"cachalot", ');
  const without = analyse('');
  assert.deepEqual(withCachalot.codes, without.codes);
  assert.ok(withCachalot.codes.length > 0);
  assert.match(withCachalot.hover, /django-cachalot serves these queries/);
  assert.doesNotMatch(without.hover, /cachalot/);
});
