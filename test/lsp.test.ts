/**
 * The language server in process, over a stream pair, on copies of examples/shop and fixture
 * trees: diagnostics, live edits, hover, code actions (applied and re-analysed), code lens,
 * navigation, configuration, watched files, multi-root, isolation and cancellation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as path from 'path';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import { URI } from 'vscode-uri';
import type { CodeAction, Diagnostic, MarkupContent } from 'vscode-languageserver-protocol';
import { COMMANDS, GRAPH_REQUEST, type GraphResult } from '../shared/protocol';
import { loadPythonParser } from '../server/src/syntax/parser';
import { extractFacts } from '../server/src/facts/extract';
import { CACHE_HOME, TestClient } from './lsp/client';
import { ManualClock } from './lsp/clock';
import { deepBlocks } from './fuzz/mutate';

const repo = path.join(__dirname, '..', '..');
const shop = path.join(repo, 'examples', 'shop');
const fixture = (name: string) => path.join(repo, 'test', 'fixtures', name);
const lspFixture = (name: string) => path.join(repo, 'test', 'fixtures-lsp', name);

/** The findings of examples/shop/EXPECTED.md, as `file:line:code`. */
const EXPECTED = [
  'catalog/management/commands/flush_storefront.py:12:DJC107',
  'catalog/pricing.py:21:DJC103',
  'catalog/services.py:44:DJC102',
  'catalog/services.py:54:DJC102',
  'catalog/signals.py:24:DJC104',
  'orders/reports.py:17:DJC106',
  'orders/services.py:84:DJC105',
];

function markdown(h: { contents: unknown } | null): string {
  assert.ok(h, 'a hover');
  return (h.contents as MarkupContent).value;
}

async function assertParses(client: TestClient, rel: string): Promise<void> {
  const parser = await loadPythonParser();
  const facts = extractFacts(parser, rel, Buffer.from(client.read(rel)));
  assert.ok(facts && facts.kind === 'python' && !facts.hasErrors, `${rel} parses after the fix`);
}

describe('language server on examples/shop', () => {
  let client: TestClient;
  before(async () => {
    client = await TestClient.start([shop]);
  });
  after(() => client.dispose());

  test('publishes every finding of the example for closed files, with rule links, related locations and data', () => {
    assert.deepEqual(client.allCodes(), EXPECTED);
    const [d] = client.diagnostics.get(client.uri('catalog/services.py'))!.filter((x) => x.range.start.line === 43);
    assert.equal(d.source, 'djcache');
    assert.equal(d.code, 'DJC102');
    assert.equal(d.severity, 2);
    assert.match(d.message as string, /categories:nav/);
    const href = d.codeDescription?.href;
    assert.ok(href && existsSync(URI.parse(href).fsPath) && href.endsWith('/docs/rules/DJC102.md'), `doc link ${href}`);
    assert.ok(d.relatedInformation?.length, 'related locations');
    for (const r of d.relatedInformation!) assert.ok(existsSync(URI.parse(r.location.uri).fsPath), r.location.uri);
    const data = d.data as { model: string; key: string; code: string };
    assert.equal(data.model, 'catalog.Product');
    assert.equal(data.key, 'categories:nav');
    assert.equal(data.code, 'DJC102');
  });

  test('reports indexing progress and a ready status with the finding count', () => {
    const reports = client.progress.map((p) => JSON.stringify(p));
    assert.ok(
      reports.some((r) => r.includes('"kind":"begin"')),
      'progress begins',
    );
    assert.ok(
      reports.some((r) => /Indexing Django project \d+\/\d+ files/.test(r)),
      'progress counts files',
    );
    assert.ok(
      reports.some((r) => r.includes('"kind":"end"')),
      'progress ends',
    );
    assert.equal(client.statuses.at(-1)?.state, 'ready');
    assert.equal(client.statuses.at(-1)?.findings, EXPECTED.length);
  });

  test('hover on a cache key lists the models, how each is read, coverage per change, and sharing entries', async () => {
    const text = markdown(await client.hover('catalog/services.py', 43, 20));
    assert.match(text, /cache entry `'categories:nav'`/);
    assert.match(text, /alias `default` · timeout 1800 s/);
    assert.match(text, /\*\*catalog\.Category\*\*/);
    assert.match(text, /\*\*catalog\.Product\*\*/);
    assert.match(
      text,
      /✓ save: post_save receiver at catalog\/signals\.py:17 deletes it \(\[catalog\/signals\.py:23\]\(file:\/\/.*\/catalog\/signals\.py#L23,13\)\)/,
    );
    assert.match(text, /✗ save: not invalidated; the admin saves it \(\[catalog\/admin\.py:30\]/);
    assert.match(text, /✗ signal-less write: not invalidated; Product\.objects\.bulk_update\(\) writes it/);
    assert.match(text, /Shares these tables with:/);
  });

  test('hover on a model class, a signal-less write, an invalidation and a receiver', async () => {
    const model = markdown(await client.hover('catalog/models.py', 46, 8));
    assert.match(model, /model \*\*catalog\.Product\*\* · table `catalog_product`/);
    assert.match(model, /cached entries depend on it/);
    assert.match(model, /`'categories:nav'`.*✗ save/);

    const write = markdown(await client.hover('catalog/pricing.py', 20, 20));
    assert.match(write, /writes \*\*catalog\.Product\*\* · \*\*sends no signals\*\*/);
    assert.match(write, /Leaves stale:\n- `'product:\{pk\}'`/);

    const invalidation = markdown(await client.hover('catalog/signals.py', 12, 8));
    assert.match(invalidation, /invalidation: delete `product:\{pk\}` on `default`/);
    assert.match(invalidation, /Runs on: `post_save\(catalog\.Product\)`, `post_delete\(catalog\.Product\)`/);
    assert.match(invalidation, /Invalidates:\n- `'product:\{pk\}'`/);

    const receiver = markdown(await client.hover('catalog/signals.py', 18, 6));
    assert.match(
      receiver,
      /receiver `invalidate_category_menus` for `post_save\(catalog\.Category\)`, `post_delete\(catalog\.Category\)`/,
    );
    assert.match(receiver, /Invalidates:/);
    assert.match(receiver, /`'categories:nav'`/);

    assert.equal(await client.hover('catalog/services.py', 0, 0), null, 'nothing to say on an import');
  });

  test('code lenses on model classes and cache entries', async () => {
    const models = await client.codeLens('catalog/models.py');
    const product = models.find((l) => l.range.start.line === 46);
    assert.match(product?.command?.title ?? '', /^\d+ cached entries depend on Product · \d+ not invalidated$/);
    assert.equal(product?.command?.command, 'djcache.showLocations');
    const entries = await client.codeLens('catalog/services.py');
    const nav = entries.find((l) => l.range.start.line === 43);
    assert.equal(nav?.command?.title, 'reads Category, Product · invalidated on Category only');
    const product18 = entries.find((l) => l.range.start.line === 17);
    assert.equal(product18?.command?.title, 'reads Product · invalidated on Product (not on signal-less writes)');
  });

  test('go to definition from a get lands on the set; references list every site of the key', async () => {
    const defs = await client.definition('catalog/services.py', 36, 20);
    assert.deepEqual(
      defs.map((d) => `${path.basename(URI.parse(d.uri).fsPath)}:${d.range.start.line + 1}`),
      ['services.py:44'],
    );
    const refs = await client.references('catalog/services.py', 43, 20);
    const sites = refs.map(
      (d) => `${path.relative(client.roots[0], URI.parse(d.uri).fsPath)}:${d.range.start.line + 1}`,
    );
    assert.ok(sites.includes('catalog/services.py:37') && sites.includes('catalog/services.py:44'), sites.join(', '));
    assert.ok(sites.includes('catalog/management/commands/flush_storefront.py:12'), sites.join(', '));
  });

  test('the graph request gives the Cache Map every entry and finding', async () => {
    const result = await client.request<GraphResult>(GRAPH_REQUEST, {});
    assert.equal(result.folders.length, 1);
    assert.ok(result.folders[0].graph.entries.some((e) => e.key === 'categories:nav'));
    assert.equal(result.folders[0].findings.length, EXPECTED.length);
  });
});

describe('language server: live edits', () => {
  let client: TestClient;
  before(async () => {
    client = await TestClient.start([shop]);
  });
  after(() => client.dispose());

  test('adding a receiver in signals.py (unsaved) clears the finding in services.py, and undoing brings it back', async () => {
    await client.open('catalog/signals.py');
    const original = client.read('catalog/signals.py');
    const withReceiver = `${original}

@receiver(post_save, sender=Product)
@receiver(post_delete, sender=Product)
def forget_nav(sender, instance, **kwargs):
    cache.delete("categories:nav")
`;
    await client.settled(() => client.change('catalog/signals.py', withReceiver));
    assert.deepEqual(client.codes('catalog/services.py'), ['DJC102@54']);
    await client.settled(() => client.change('catalog/signals.py', original));
    assert.deepEqual(client.codes('catalog/services.py'), ['DJC102@44', 'DJC102@54']);
    await client.close('catalog/signals.py');
  });

  test('half-typed code and binary junk in an open file never break the server', async () => {
    await client.open('catalog/services.py');
    const text = client.read('catalog/services.py');
    await client.settled(() =>
      client.change(
        'catalog/services.py',
        text.replace('cache.set("categories:nav", nav, 60 * 30)', 'cache.set("categories:nav", nav, 60 *'),
      ),
    );
    assert.equal(client.statuses.at(-1)?.state, 'ready');
    await client.settled(() =>
      client.change('catalog/services.py', '\u0000\u0001\ufffd def (((( class:\n'.repeat(200)),
    );
    assert.deepEqual(client.codes('catalog/services.py'), []);
    assert.equal(await client.hover('catalog/services.py', 5, 3), null);
    await client.settled(() => client.change('catalog/services.py', text));
    assert.deepEqual(client.codes('catalog/services.py'), ['DJC102@44', 'DJC102@54']);
    await client.close('catalog/services.py');
  });

  test('an unsaved buffer 511 blocks deep leaves the findings of the files analysed after it as they were', async () => {
    await client.open('catalog/urls.py');
    const urls = client.read('catalog/urls.py');
    await client.settled(() => client.change('catalog/urls.py', deepBlocks(511)));
    await client.open('catalog/services.py');
    await client.settled(() => client.change('catalog/services.py', `${client.read('catalog/services.py')}\n`));
    assert.deepEqual(client.codes('catalog/services.py'), ['DJC102@44', 'DJC102@54']);
    assert.deepEqual(client.allCodes(), EXPECTED);
    await client.settled(() => client.change('catalog/urls.py', urls));
    await client.close('catalog/urls.py');
    await client.close('catalog/services.py');
  });

  test('watched-file events: a new file on disk adds a finding, deleting it removes the finding', async () => {
    const newFile = 'catalog/feeds.py';
    await client.settled(() =>
      client.writeFile(
        newFile,
        'from django.core.cache import cache\n\nfrom .models import Tag\n\n\ndef tag_names():\n    names = cache.get("tags:names")\n    if names is None:\n        names = list(Tag.objects.values_list("name", flat=True))\n        cache.set("tags:names", names, None)\n    return names\n',
      ),
    );
    assert.deepEqual(client.codes(newFile), ['DJC101@10']);
    await client.settled(() => client.deleteFile(newFile));
    assert.deepEqual(client.codes(newFile), []);
  });

  test('configuration: ignoring a rule and changing a severity re-publishes', async () => {
    await client.configure({ rules: { ignore: ['DJC107'] }, severity: { DJC105: 'error' } });
    assert.ok(!client.allCodes().some((c) => c.endsWith('DJC107')));
    const d = client.diagnostics.get(client.uri('orders/services.py'))!.find((x) => x.code === 'DJC105')!;
    assert.equal(d.severity, 1);
    await client.configure({ enable: false });
    assert.deepEqual(client.allCodes(), []);
    await client.configure({});
    assert.deepEqual(client.allCodes(), EXPECTED);
  });

  test('a cancelled request is answered as cancelled and the server goes on', async () => {
    await client.watched([{ uri: client.uri('catalog/services.py'), type: 2 }]);
    const answer = await client.cancelledHover('catalog/services.py', 43, 20);
    assert.equal((answer as { code?: number }).code, -32800);
    assert.ok(markdown(await client.hover('catalog/services.py', 43, 20)).includes('categories:nav'));
  });
});

describe('language server: edits on the default debounce, on a clock the test steps', () => {
  const clock = new ManualClock();
  let analyses = 0;
  /** While set, each analysis waits for it before publishing. */
  let hold: Promise<void> | undefined;
  /** Told when an analysis has reached its publish. */
  let reached: (() => void) | undefined;
  let client: TestClient;
  let original: string;
  const inServices = () => client.codes('catalog/services.py');
  const withReceiver = () => `${original}

@receiver(post_save, sender=Product)
@receiver(post_delete, sender=Product)
def forget_nav(sender, instance, **kwargs):
    cache.delete("categories:nav")
`;
  const typing = (i: number) => `${original}\n\ndef typed_${i}():\n    return ${i}\n`;

  before(async () => {
    client = await TestClient.start(
      [shop],
      {},
      {
        initializationOptions: {},
        clock,
        onAnalysis: () => {
          analyses++;
          reached?.();
          return hold;
        },
      },
    );
    original = client.read('catalog/signals.py');
    clock.advance(1_000);
    await client.open('catalog/signals.py');
  });
  after(() => client.dispose());

  test('a lone edit is analysed at once: fresh diagnostics with the clock standing still', async () => {
    clock.advance(1_000);
    const before = analyses;
    await client.settled(() => client.change('catalog/signals.py', withReceiver()));
    assert.deepEqual(inServices(), ['DJC102@54']);
    assert.equal(analyses - before, 1);
    assert.equal(clock.pending, 0, 'no timer was needed');
    clock.advance(1_000);
    await client.settled(() => client.change('catalog/signals.py', original));
    assert.deepEqual(inServices(), ['DJC102@44', 'DJC102@54']);
  });

  test('a burst of edits is analysed twice, the first at once and the last once the burst is over', async () => {
    clock.advance(1_000);
    const before = analyses;
    const readyBefore = client.statuses.length;
    for (let i = 0; i < 10; i++) await client.change('catalog/signals.py', typing(i));
    await client.change('catalog/signals.py', withReceiver());
    await client.handled();
    assert.equal(analyses - before, 1, 'only the first edit of the burst was analysed');
    assert.deepEqual(inServices(), ['DJC102@44', 'DJC102@54'], 'the last edit waits for the burst to end');
    assert.equal(clock.pending, 1);
    clock.advance(199);
    await client.handled();
    assert.equal(analyses - before, 1, 'the window counts from the last edit');
    clock.advance(1);
    await client.until(() => inServices().length === 1, 'the analysis of the last edit');
    assert.deepEqual(inServices(), ['DJC102@54']);
    await client.handled();
    assert.equal(analyses - before, 2, 'eleven edits, two analyses');
    assert.equal(client.statuses.slice(readyBefore).filter((s) => s.state === 'ready').length, 2);
    clock.advance(1_000);
    await client.settled(() => client.change('catalog/signals.py', original));
  });

  test('edits during an analysis are taken by exactly one more analysis, of the newest text', async () => {
    clock.advance(1_000);
    const before = analyses;
    const readyBefore = client.statuses.length;
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    const first = new Promise<void>((resolve) => (reached = resolve));
    await client.change('catalog/signals.py', typing(0));
    await first;
    hold = undefined;
    reached = undefined;
    // Each of these comes alone, long after the one before it: none waits for quiet.
    for (const text of [typing(1), typing(2), withReceiver()]) {
      clock.advance(1_000);
      await client.change('catalog/signals.py', text);
      await client.handled();
    }
    assert.equal(analyses - before, 1, 'nothing stacked on the running analysis');
    release();
    await client.until(() => inServices().length === 1, 'the analysis of the newest text');
    await client.handled();
    assert.equal(analyses - before, 2);
    assert.deepEqual(inServices(), ['DJC102@54']);
    // The held analysis read typing(0), which was no longer the text: it published nothing.
    assert.equal(client.statuses.slice(readyBefore).filter((s) => s.state === 'ready').length, 1);
    assert.equal(clock.pending, 0);
    clock.advance(1_000);
    await client.settled(() => client.change('catalog/signals.py', original));
  });

  test('keystrokes seen right after a slow analysis are a burst, however long the analysis took', async () => {
    clock.advance(1_000);
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    const first = new Promise<void>((resolve) => (reached = resolve));
    await client.settled(async () => {
      await client.change('catalog/signals.py', typing(0));
      await first;
      hold = undefined;
      reached = undefined;
      // The analysis takes a second; an editor's keystrokes typed meanwhile reach the server after it.
      clock.advance(1_000);
      release();
    });
    const before = analyses;
    for (const text of [typing(1), typing(2), withReceiver()]) {
      await client.change('catalog/signals.py', text);
      await client.handled();
      clock.advance(80);
    }
    assert.equal(analyses - before, 0, 'the keystrokes wait for the burst to end');
    clock.advance(120);
    await client.until(() => inServices().length === 1, 'the analysis of the last keystroke');
    await client.handled();
    assert.equal(analyses - before, 1);
  });
});

describe('language server: quick-fixes applied and re-analysed', () => {
  let client: TestClient;
  before(async () => {
    client = await TestClient.start([shop]);
  });
  after(() => client.dispose());

  async function actionsAt(rel: string, line: number): Promise<CodeAction[]> {
    return client.codeActions(rel, { start: { line, character: 0 }, end: { line, character: 200 } });
  }

  test('"Invalidate \'categories:nav\' when Product changes" inserts a receiver; the finding goes and nothing new appears', async () => {
    const actions = await actionsAt('catalog/services.py', 43);
    const fix = actions.find((a) => /^Invalidate 'categories:nav' when (catalog\.)?Product changes$/.test(a.title));
    assert.ok(fix?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(fix.kind, 'quickfix');
    assert.equal((fix.diagnostics?.[0] as Diagnostic).code, 'DJC102');
    assert.ok(
      actions.some((a) => a.title === 'Show documentation for DJC102' && a.command?.command === 'djcache.openRuleDoc'),
    );
    assert.ok(actions.some((a) => a.title === 'Suppress DJC102 on this line'));
    await client.settled(() => client.applyAndNotify(fix.edit!));
    // The receiver's import (`from django.db import transaction`) moves signals.py's typo down a line.
    assert.deepEqual(
      client.allCodes(),
      EXPECTED.filter((c) => c !== 'catalog/services.py:44:DJC102').map((c) =>
        c === 'catalog/signals.py:24:DJC104' ? 'catalog/signals.py:25:DJC104' : c,
      ),
    );
    assert.match(
      client.read('catalog/signals.py'),
      /\n@receiver\(\[post_save, post_delete\], sender=Product\)\ndef invalidate_categories_nav_on_product_change\(sender, instance, \*\*kwargs\):\n    transaction\.on_commit\(lambda: cache\.delete\("categories:nav"\)\)\n$/,
    );
    assert.match(
      client.read('catalog/apps.py'),
      /    def ready\(self\):\n        from \. import signals  # noqa: F401/,
    );
    await assertParses(client, 'catalog/signals.py');
    const again = (await actionsAt('catalog/services.py', 43)).find((a) => a.title === fix.title);
    assert.equal(again, undefined, 'no second receiver is offered once the finding is gone');
  });

  test('noqa suppresses exactly one finding', async () => {
    const actions = await actionsAt('orders/reports.py', 16);
    const noqa = actions.find((a) => a.title === 'Suppress DJC106 on this line');
    assert.ok(noqa?.edit);
    await client.settled(() => client.applyAndNotify(noqa.edit!));
    assert.match(client.read('orders/reports.py').split('\n')[16], /# noqa: DJC106$/);
    assert.deepEqual(client.codes('orders/reports.py'), []);
  });

  test('source.fixAll.djcache merges the sequential deletes and leaves the file parsing', async () => {
    const actions = await client.codeActions(
      'catalog/management/commands/flush_storefront.py',
      { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      ['source.fixAll'],
    );
    assert.equal(actions.length, 1);
    assert.equal(actions[0].kind, 'source.fixAll.djcache');
    await client.settled(() => client.applyAndNotify(actions[0].edit!));
    assert.match(
      client.read('catalog/management/commands/flush_storefront.py'),
      /cache\.delete_many\(\["categories:nav", make_template_fragment_key\("sidebar"\)\]\)/,
    );
    assert.deepEqual(client.codes('catalog/management/commands/flush_storefront.py'), []);
    await assertParses(client, 'catalog/management/commands/flush_storefront.py');
  });

  test('the fix-all command applies the safe fixes of a document through workspace/applyEdit', async () => {
    await client.settled(() =>
      client
        .executeCommand(COMMANDS.fixAll, [client.uri('catalog/pricing.py')])
        .then(() => client.watched([{ uri: client.uri('catalog/pricing.py'), type: 2 }])),
    );
    assert.deepEqual(client.codes('catalog/pricing.py'), []);
    await assertParses(client, 'catalog/pricing.py');
  });
});

describe('language server: "Declare cache tags" on a template and in urls.py', () => {
  test('the edits reach the .html and the .py file; their findings go and nothing new appears', async () => {
    const client = await TestClient.start([path.join(repo, 'test', 'fixtures-fixes', 'declare_tags')]);
    try {
      const before = client.allCodes();
      for (const [rel, line] of [
        ['catalog/templates/catalog/sidebar.html', 2],
        ['catalog/urls.py', 6],
      ] as const) {
        const actions = await client.codeActions(rel, { start: { line, character: 0 }, end: { line, character: 200 } });
        const fix = actions.find((a) => a.title === 'Declare cache tags');
        assert.ok(fix?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
        await client.settled(() => client.applyAndNotify(fix.edit!));
      }
      assert.match(
        client.read('catalog/templates/catalog/sidebar.html'),
        /^\{% load djcache %\}\n<aside>\n\{% tagged_cache 500 sidebar request\.user\.pk depends_on="catalog\.Category catalog\.Product" %\}\n/,
      );
      assert.match(
        client.read('catalog/urls.py'),
        /\n    path\("feed\/", djcache\.cache_page\(300, depends_on=\["catalog\.Category", "catalog\.Product"\]\)\(views\.product_feed\)\),\n/,
      );
      await assertParses(client, 'catalog/urls.py');
      assert.deepEqual(
        client.allCodes(),
        before.filter(
          (c) => !c.startsWith('catalog/templates/catalog/sidebar.html:') && !c.startsWith('catalog/urls.py:'),
        ),
      );
    } finally {
      client.dispose();
    }
  });
});

describe('language server: multi-root and isolation', () => {
  test('each folder gets its own index and findings, paths relative to it', async () => {
    const client = await TestClient.start([shop, fixture('djc101_delete_uncovered')]);
    try {
      await client.until(() => client.allCodes(1).length > 0, 'the second folder');
      assert.deepEqual(client.allCodes(0), EXPECTED);
      assert.ok(
        client.allCodes(1).every((c) => /^[\w/]+\.py:\d+:DJC1\d\d$/.test(c)),
        client.allCodes(1).join(', '),
      );
      const result = await client.request<GraphResult>(GRAPH_REQUEST, {});
      assert.equal(result.folders.length, 2);
    } finally {
      client.dispose();
    }
  });

  test('requests for files outside every folder, or at absurd positions, return empty results', async () => {
    const client = await TestClient.start([fixture('djc101_delete_uncovered')]);
    try {
      const outside = await client.request('textDocument/hover', {
        textDocument: { uri: 'file:///nowhere/x.py' },
        position: { line: 0, character: 0 },
      });
      assert.equal(outside, null);
      const absurd = await client.request('textDocument/codeLens', {
        textDocument: { uri: client.uri('../../etc/passwd') },
      });
      assert.deepEqual(absurd, []);
      assert.equal(await client.hover('catalog/models.py', 1e6, 1e6), null);
      await client.executeCommand(COMMANDS.revalidate);
      assert.equal(client.statuses.at(-1)?.state, 'ready');
    } finally {
      client.dispose();
    }
  });
});

describe('language server: a key that cannot be rebuilt', () => {
  test('no invalidation fix is offered, and the hover says why', async () => {
    const client = await TestClient.start([lspFixture('unrebuildable_key')]);
    try {
      assert.deepEqual(client.allCodes(), ['shop/services.py:11:DJC101']);
      const actions = await client.codeActions('shop/services.py', {
        start: { line: 10, character: 0 },
        end: { line: 10, character: 40 },
      });
      assert.deepEqual(
        actions.map((a) => a.title),
        ['Declare cache tags (install djcache first)', 'Suppress DJC101 on this line', 'Show documentation for DJC101'],
      );
      // djcache is not installed here: the action edits nothing and says how to install it.
      assert.equal(actions[0].edit, undefined);
      assert.match(actions[0].disabled?.reason ?? '', /pip install djcache.*INSTALLED_APPS/);
      const text = markdown(await client.hover('shop/services.py', 10, 12));
      assert.match(text, /  - no quick-fix: .*\{limit\}/);
    } finally {
      client.dispose();
    }
  });
});

describe('language server: a hostile or broken workspace', () => {
  test('opening a folder whose .djcache_cache/.gitignore is a committed symlink writes nothing inside it or through the link', async () => {
    const victim = path.join(mkdtempSync(path.join(tmpdir(), 'djcache-victim-')), 'precious');
    writeFileSync(victim, 'precious\n');
    const source = mkdtempSync(path.join(tmpdir(), 'djcache-hostile-'));
    cpSync(fixture('djc101_delete_uncovered'), source, { recursive: true });
    mkdirSync(path.join(source, '.djcache_cache'));
    symlinkSync(victim, path.join(source, '.djcache_cache', '.gitignore'));
    const caches = () =>
      existsSync(path.join(CACHE_HOME, 'djcache')) ? readdirSync(path.join(CACHE_HOME, 'djcache')).length : 0;
    const cachesBefore = caches();
    const client = await TestClient.start([source]);
    try {
      assert.deepEqual(client.allCodes(), ['catalog/services.py:10:DJC101']);
      assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
      assert.deepEqual(readdirSync(client.file('.djcache_cache')), ['.gitignore'], 'nothing written in the workspace');
      assert.equal(caches(), cachesBefore + 1, 'the cache went to the cache folder');
    } finally {
      client.dispose();
      rmSync(source, { recursive: true, force: true });
      rmSync(path.dirname(victim), { recursive: true, force: true });
    }
  });

  test('skipped paths are logged and counted in the status; rule codes that name no rule are warned about once and left out', async () => {
    const client = await TestClient.start([fixture('djc101_delete_uncovered')]);
    try {
      symlinkSync('selfloop', client.file('selfloop'));
      symlinkSync(client.roots[0], client.file('catalog/loop'));
      writeFileSync(client.file('catalog/generated.py'), 'x = 1\n'.repeat(400_000));
      await client.configure({ rules: { select: ['DJC999', 'DJC1'] } });
      assert.deepEqual(client.allCodes(), ['catalog/services.py:10:DJC101'], 'the known selector applies');
      const name = path.basename(client.roots[0]);
      for (const line of [
        `${name}: skipped catalog/generated.py: over the 2 MiB size cap`,
        `${name}: skipped catalog/loop: symlink loop`,
        `${name}: skipped selfloop: symlink loop`,
      ]) {
        assert.ok(client.logs.includes(line), `logged: ${line}`);
      }
      const ready = client.statuses.at(-1)!;
      assert.deepEqual(
        [ready.state, ready.findings, ready.skipped, ready.message],
        ['ready', 1, 3, '1 finding; 3 paths skipped (see the output)'],
      );
      const warning =
        "djcache: 'DJC999' in djcache.rules.select matches no rule (the rules are DJC101 to DJC109); left out";
      await client.configure({ rules: { select: ['DJC999', 'DJC1'] } });
      assert.deepEqual(
        client.shown.filter((m) => m.includes('DJC999')),
        [warning],
        'shown once, not on every reload',
      );
    } finally {
      client.dispose();
    }
  });
});
