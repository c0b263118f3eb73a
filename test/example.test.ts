/**
 * The bundled example project: the engine must report exactly the findings listed in
 * examples/shop/EXPECTED.md (file, line, rule, severity), and the CLI must exit 1 on them.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { main } from '../server/src/cli';
import { createNodeFs } from '../server/src/engine/nodeFs';
import { defaultConfig } from '../server/src/config/config';
import { analyzeWorkspace } from '../server/src/engine/engine';
import type { FindingOf } from '../server/src/findings';
import { buildSarif } from '../server/src/report/sarif';
import { ruleMetas } from '../server/src/rules';

const root = path.join(__dirname, '..', '..', 'examples', 'shop');
const expectedDoc = readFileSync(path.join(root, 'EXPECTED.md'), 'utf8');

/** Rows of the "## Findings" table: | file | line | rule | text on the line | why | */
function expectedFindings(): { path: string; line: number; code: string; text: string }[] {
  const section = expectedDoc.split('## Findings')[1].split('\n## ')[0];
  return section
    .split('\n')
    .filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| file'))
    .map((l) => l.split('|').map((c) => c.trim()))
    .map(([, file, line, code, text]) => ({ path: file, line: Number(line), code, text: text.replace(/^`|`$/g, '') }));
}

const severities: Record<string, string> = {
  DJC102: 'warning',
  DJC103: 'warning',
  DJC104: 'warning',
  DJC105: 'info',
  DJC106: 'warning',
  DJC107: 'hint',
};

test('example: exactly the findings EXPECTED.md lists', async () => {
  const result = await analyzeWorkspace(createNodeFs(root, defaultConfig), defaultConfig);
  const actual = result.findings.map((f) => `${f.path}:${f.loc[0] + 1} ${f.code}`).sort();
  const expected = expectedFindings()
    .map((e) => `${e.path}:${e.line} ${e.code}`)
    .sort();
  assert.deepEqual(
    actual,
    expected,
    result.findings.map((f) => `${f.path}:${f.loc[0] + 1} ${f.code} ${f.message}`).join('\n'),
  );
  for (const f of result.findings) {
    // categories:all is cached with timeout=None: a stale entry that never expires is an error.
    const expectedSeverity = f.path === 'catalog/services.py' && f.loc[0] === 53 ? 'error' : severities[f.code];
    assert.equal(f.severity, expectedSeverity, `${f.path}:${f.loc[0] + 1} ${f.code} severity`);
  }
});

test('example: the cited lines still hold the quoted text', () => {
  for (const e of expectedFindings()) {
    const line = readFileSync(path.join(root, e.path), 'utf8').split('\n')[e.line - 1];
    assert.ok(line.includes(e.text), `${e.path}:${e.line} should contain ${e.text}, has ${line.trim()}`);
  }
});

test('example: each finding names the key, the model, the read and a write site', async () => {
  const result = await analyzeWorkspace(createNodeFs(root, defaultConfig), defaultConfig);
  const byCode = (code: string) => result.findings.find((f) => f.code === code)!;
  const shared = result.findings.find(
    (f): f is FindingOf<'DJC102'> => f.code === 'DJC102' && f.path === 'catalog/services.py' && f.loc[0] === 43,
  )!;
  assert.match(
    shared.message,
    /^'categories:nav' reads catalog\.Product through Category\.objects → annotate\("products"\)/,
  );
  assert.match(shared.message, /catalog\/admin\.py:\d+ \(the admin\) saves Product/);
  assert.match(shared.message, /'product:\{pk\}'/);
  assert.deepEqual(
    shared.related.map((r) => r.message.split(' ')[0]),
    ['reads', 'Product', 'invalidates', "'product:{pk}'", "'catalog:v{v}:category:{category.pk}:page:{page}'"],
  );
  assert.equal(shared.data.model, 'catalog.Product');
  assert.equal(shared.data.key, 'categories:nav');
  assert.deepEqual(shared.data.app, {
    label: 'catalog',
    dir: 'catalog',
    signals: 'catalog/signals.py',
    apps: 'catalog/apps.py',
    models: 'catalog/models.py',
  });
  assert.match(
    byCode('DJC103').message,
    /^Product\.objects\.bulk_update\(\) changes catalog\.Product without sending signals; 'product:\{pk\}', 'catalog:v\{v\}/,
  );
  assert.equal(
    byCode('DJC104').message,
    "cache.delete('categorys:all') matches no key this code sets; did you mean 'categories:all' (set at catalog/services.py:54)?",
  );
});

test('example: the graph maps entries to models and coverage', async () => {
  const { graph } = await analyzeWorkspace(createNodeFs(root, defaultConfig), defaultConfig);
  const entry = graph.entries.find((e) => e.key === 'product:{pk}')!;
  assert.equal(entry.alias, 'default');
  assert.equal(entry.timeout, 900);
  assert.deepEqual(
    entry.dependencies.map((d) => [d.model, d.coverage.save.state, d.coverage.delete.state, d.coverage.bulk.state]),
    [['catalog.Product', 'yes', 'yes', 'no']],
  );
  const page = graph.entries.find((e) => e.kind === 'page')!;
  assert.equal(page.alias, 'api');
  assert.deepEqual(
    page.dependencies.map((d) => d.model),
    ['reviews.Review'],
  );
  const product = graph.models.find((m) => m.id === 'catalog.Product')!;
  assert.equal(product.adminRegistered, true);
  assert.ok(product.writes.some((w) => w.kind === 'bulk' && w.path === 'catalog/pricing.py' && !w.signals));
  assert.ok(!graph.entries.some((e) => e.key.startsWith('md:')), 'content-hash entries are not entries of model data');
});

test('example: djcache check exits 1 and prints one line per finding', async () => {
  let out = '';
  // Its cache in a folder of its own, not the user's cache folder.
  const cacheHome = mkdtempSync(path.join(tmpdir(), 'djcache-example-cache-'));
  const code = await main(['check', root], {
    out: (s: string) => {
      out += s;
    },
    err: () => undefined,
    cacheHome,
  });
  rmSync(cacheHome, { recursive: true, force: true });
  assert.equal(code, 1);
  const lines = out.split('\n').filter((l) => /^[a-z].*:\d+:\d+: (error|warning|info|hint) DJC\d{3} /.test(l));
  assert.equal(lines.length, expectedFindings().length);
  assert.ok(out.includes('Found 7 findings.'));
});

test('example: SARIF output carries every finding with its rule', async () => {
  const result = await analyzeWorkspace(createNodeFs(root, defaultConfig), defaultConfig);
  const sarif = buildSarif(result.findings, ruleMetas, () => undefined, { toolVersion: '0.1.0' });
  const run = sarif.runs[0];
  assert.equal(run.results?.length, result.findings.length);
  assert.deepEqual([...new Set(run.results!.map((r) => r.ruleId))].sort(), [
    'DJC102',
    'DJC103',
    'DJC104',
    'DJC105',
    'DJC106',
    'DJC107',
  ]);
});
