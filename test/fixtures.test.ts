/**
 * Fixture-driven tests: every directory under test/fixtures/ is a small Django tree whose files
 * say, on the line a finding must start on, which findings they expect:
 *
 *     cache.set("products:all", rows, 300)  # expect: DJC106
 *     cache.set("products:all", rows, None)  # expect: DJC101 error
 *     {% cache 600 sidebar %}{# expect: DJC101 #}
 *
 * Several codes are separated by commas; a code may be followed by a severity, which is then
 * asserted too. The test compares the exact set of (path, line, code): nothing missing, nothing
 * extra. DJCACHE_FIXTURES=<dir> runs another folder of fixtures, for work in progress.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, statSync } from 'fs';
import * as path from 'path';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { memoryFs, readTree } from './tree';
import { defaultConfig } from '../server/src/config/config';
import { loadConfig } from '../server/src/config/configLoader';
import type { Finding } from '../server/src/findings';

/** DJCACHE_FIXTURES=<dir> runs fixtures from another folder instead (a path from the repository root). */
export const FIXTURES = path.join(__dirname, '..', '..', process.env.DJCACHE_FIXTURES ?? path.join('test', 'fixtures'));

export interface Expectation {
  path: string;
  line: number;
  code: string;
  severity?: string;
}

const PY_EXPECT = /#\s*expect:\s*([A-Za-z0-9 ,]+)/;
const TEMPLATE_EXPECT = /\{#\s*expect:\s*([A-Za-z0-9 ,]+?)\s*#\}/g;

function parseCodes(list: string, file: string, line: number): Omit<Expectation, 'path' | 'line'>[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const [code, severity, ...rest] = item.split(/\s+/);
      if (!/^DJC\d{3}$/.test(code) || rest.length || (severity && !/^(error|warning|info|hint)$/.test(severity))) {
        throw new Error(`${file}:${line}: bad expectation '${item}'`);
      }
      return severity ? { code, severity } : { code };
    });
}

/** The `# expect:` / `{# expect: #}` comments of a tree; lines are 1-based. */
export function expectationsOf(files: Map<string, Uint8Array>): Expectation[] {
  const out: Expectation[] = [];
  for (const [file, bytes] of files) {
    const isPy = file.endsWith('.py');
    const isTemplate = /\.(html|txt|xml|jinja2?|j2|jade)$/.test(file);
    if (!isPy && !isTemplate) continue;
    const lines = Buffer.from(bytes).toString('latin1').split('\n');
    lines.forEach((text, i) => {
      const lists: string[] = [];
      if (isPy) {
        const m = PY_EXPECT.exec(text);
        if (m) lists.push(m[1]);
      } else {
        for (const m of text.matchAll(TEMPLATE_EXPECT)) lists.push(m[1]);
      }
      for (const list of lists)
        for (const e of parseCodes(list, file, i + 1)) out.push({ path: file, line: i + 1, ...e });
    });
  }
  return out;
}

const keyOf = (x: { path: string; line: number; code: string }) => `${x.path}:${x.line} ${x.code}`;

/** Empty when the findings are exactly the expectations; else a report of both lists. */
export function compare(expected: Expectation[], findings: Finding[]): string {
  const actual = findings.map((f) => ({
    path: f.path,
    line: f.loc[0] + 1,
    code: f.code,
    severity: f.severity,
    message: f.message,
  }));
  const actualKeys = new Set(actual.map(keyOf));
  const expectedKeys = new Set(expected.map(keyOf));
  const missing = expected.filter((e) => !actualKeys.has(keyOf(e)));
  const extra = actual.filter((a) => !expectedKeys.has(keyOf(a)));
  const wrongSeverity = expected.filter(
    (e) => e.severity && actual.some((a) => keyOf(a) === keyOf(e) && a.severity !== e.severity),
  );
  if (!missing.length && !extra.length && !wrongSeverity.length) return '';
  const lines: string[] = [];
  if (missing.length)
    lines.push('missing:', ...missing.map((e) => `  ${keyOf(e)}${e.severity ? ` ${e.severity}` : ''}`));
  if (extra.length) lines.push('extra:', ...extra.map((a) => `  ${keyOf(a)} ${a.severity}`));
  if (wrongSeverity.length) {
    lines.push(
      'wrong severity:',
      ...wrongSeverity.map(
        (e) =>
          `  ${keyOf(e)}: expected ${e.severity}, got ${actual
            .filter((a) => keyOf(a) === keyOf(e))
            .map((a) => a.severity)
            .join('/')}`,
      ),
    );
  }
  lines.push(
    'expected:',
    ...[...expected]
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
      .map((e) => `  ${keyOf(e)}${e.severity ? ` ${e.severity}` : ''}`),
  );
  lines.push('actual:', ...actual.map((a) => `  ${keyOf(a)} ${a.severity}: ${a.message}`));
  return lines.join('\n');
}

export async function checkFixture(dir: string): Promise<string> {
  const files = readTree(dir);
  const expected = expectationsOf(files);
  const pyproject = files.get('pyproject.toml');
  const config = pyproject ? loadConfig({ pyproject: new TextDecoder().decode(pyproject) }, {}) : defaultConfig;
  const { findings } = await analyzeWorkspace(memoryFs(files), config);
  return compare(expected, findings);
}

const names = readdirSync(FIXTURES)
  .filter((n) => statSync(path.join(FIXTURES, n)).isDirectory())
  .sort();

for (const name of names) {
  test(name, async () => {
    const report = await checkFixture(path.join(FIXTURES, name));
    if (report) assert.fail(`fixture ${name} does not match its expectations:\n${report}`);
  });
}

test('a finding quotes a write that may change any column before one of other columns only', async () => {
  const { findings } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'djc106_quotes_whole_row_write'))),
    defaultConfig,
  );
  assert.equal(findings.length, 1);
  assert.match(
    findings[0].message,
    /site\/defaults\.py:5 \(SiteSettings\.objects\.update_or_create\(\)\) saves SiteSettings/,
  );
  assert.deepEqual(
    findings[0].related.map((r) => r.path),
    ['site/traffic.py', 'site/defaults.py'],
  );
});

test('a finding quotes a production write before a management command, and says when only commands write', async () => {
  const quoted = async (fixture: string) => {
    const { findings } = await analyzeWorkspace(memoryFs(readTree(path.join(FIXTURES, fixture))), defaultConfig);
    assert.equal(findings.length, 1);
    return findings[0].message;
  };
  const production = await quoted('djc101_production_write_quoted_first');
  assert.match(production, /catalog\/views\.py:9 \(brand\.save\(\)\) saves Brand \(and 1 more write site\), but/);
  assert.doesNotMatch(production, /written only by/);
  assert.match(
    await quoted('djc101_only_command_writes'),
    /catalog\/management\/commands\/import_brands\.py:12 \(Brand\.objects\.create\(\)\) saves Brand, written only by management command `import_brands`, but nothing invalidates/,
  );
});

test('DJC106 quotes the production write of one model before a command write of another', async () => {
  const { findings } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'djc106_production_write_quoted_across_models'))),
    defaultConfig,
  );
  assert.equal(findings.length, 1);
  assert.match(findings[0].message, /Album.*\(and Photo\).*media\/views\.py:7 \(album\.save\(\)\) saves Album, and/);
  assert.equal(findings[0].severity, 'warning');
});

test('the per-site cache is in the graph with its alias, timeout and the clear() calls that empty it, and gives no finding', async () => {
  const { graph, findings } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'ok_per_site_cache'))),
    defaultConfig,
  );
  assert.deepEqual(findings, []);
  assert.deepEqual(graph.siteCache, {
    alias: 'pages',
    timeout: 300,
    path: 'shop/settings.py',
    loc: [3, 0, 3, 0],
    clearedBy: [{ path: 'catalog/management/commands/flush_pages.py', loc: [6, 8, 6, 31] }],
  });
  const { graph: without } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'ok_receiver_decorator'))),
    defaultConfig,
  );
  assert.equal(without.siteCache, null);
});

test("the per-site cache's pages are graph entries of the views a URLconf routes, with no finding", async () => {
  const { graph, findings } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'ok_site_cache_pages'))),
    defaultConfig,
  );
  assert.deepEqual(findings, []);
  // Installed by the production settings' concatenation around the base module's MIDDLEWARE.
  assert.equal(graph.siteCache?.path, 'mysite/settings/prod.py');
  assert.equal(graph.siteCache?.timeout, 900);
  // Not the never_cache, cache_control(private=True) or method_decorator(never_cache) views, nor one reading nothing.
  assert.deepEqual(
    graph.entries.map((e) => [e.key, e.timeout, e.dependencies.map((d) => d.model)]),
    [
      ["the per-site cache's page of views.EntryList (route '')", 900, ['blog.Entry']],
      ["the per-site cache's page of views.entry_detail (route '<slug:slug>/')", 900, ['blog.Entry']],
    ],
  );
});

test('tag and group relations are changed through their through tables, not as foreign keys of the tag or group', async () => {
  const { findings } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'djc101_tags_groups_managers'))),
    defaultConfig,
  );
  const messages = findings.map((f) => f.message);
  assert.ok(messages.some((m) => /\(article\.tags\.add\(\)\) changes the relation TaggedItem/.test(m)));
  assert.ok(messages.some((m) => /\(user\.groups\.add\(\)\) changes the relation User_groups/.test(m)));
  assert.ok(!messages.some((m) => /writes Group/.test(m)));
});

test('a timedelta keyword named like an Object.prototype member gives an unknown timeout, not NaN seconds', async () => {
  const { graph } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'guard_python_names_like_js'))),
    defaultConfig,
  );
  assert.equal(graph.entries.find((e) => e.key === 'garage:count')?.timeout, 'unknown');
});

test("a fragment reads the page view's object through the view's rows, also when get_object() may return super()'s or a middleware row", async () => {
  const { findings } = await analyzeWorkspace(
    memoryFs(readTree(path.join(FIXTURES, 'djc101_fragment_keyed_page_object'))),
    defaultConfig,
  );
  const fragment = findings.find((f) => f.code === 'DJC101');
  assert.match(fragment?.message ?? '', /fragment 'member_card' reads club\.Member through MemberPage\.model;/);
});
