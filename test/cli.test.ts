import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdtempSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { main, type CliEnv } from '../server/src/cli';
import { renderDot } from '../server/src/report/dot';
import { createNodeFs } from '../server/src/engine/nodeFs';
import { defaultConfig } from '../server/src/config/config';
import { loadConfig } from '../server/src/config/configLoader';
import { type AnalysisResult, analyzeWorkspace } from '../server/src/engine/engine';
import type { SkippedPath, WorkspaceFs } from '../server/src/engine/types';
import type { Finding, FindingOf, RuleMeta } from '../server/src/findings';
import type { Graph } from '../shared/graph';

/** chmod cannot make a file unreadable to root, and CI runs as root. */
const ROOT_READS_EVERYTHING =
  process.getuid?.() === 0 && 'root reads every file whatever its mode; the WorkspaceFs tests above simulate it';

const emptyGraph: Graph = { version: 1, entries: [], models: [], invalidations: [], siteCache: null };

/** Every temporary folder of these tests is made inside this one, removed when the run ends. */
const scratch = mkdtempSync(path.join(tmpdir(), 'djcache-cli-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** A temporary workspace: shop/views.py, shop/models.py, templates/a.html. */
function workspace(extra: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(scratch, 'cli-'));
  const files: Record<string, string> = {
    'shop/views.py': 'from django.core.cache import cache\n\ndef products():\n    cache.set("products:all", rows)\n',
    'shop/models.py': 'class Product(models.Model):\n    pass\n',
    'templates/a.html': '{% cache 60 side %}{% endcache %}\n',
    ...extra,
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const findings: Finding[] = [
  {
    code: 'DJC101',
    severity: 'warning',
    path: 'shop/views.py',
    loc: [3, 4, 3, 37],
    message: "'products:all' is never invalidated.",
    related: [],
    data: {
      entryId: 'shop/views.py:4:5',
      key: 'products:all',
      alias: 'default',
      version: null,
      rebuild: { kind: 'constant', key: 'products:all' },
      model: 'shop.Product',
    },
  },
  {
    code: 'DJC103',
    severity: 'error',
    path: 'shop/models.py',
    loc: [0, 0, 0, 5],
    message: 'bulk write',
    related: [],
    data: { model: 'shop.Product', writeKind: 'Product.objects.update()', writes: [], entries: [], keys: [] },
  },
];
const rules: RuleMeta[] = [
  { code: 'DJC101', name: 'stale-cache-entry', summary: 'Stale entry.', defaultSeverity: 'warning' },
];

interface Run {
  code: number;
  out: string;
  err: string;
  listed: string[];
}

/** The cache folder of these tests' runs, in place of the user's. */
const cacheHome = mkdtempSync(path.join(scratch, 'cli-cache-'));

async function cli(
  argv: string[],
  cwd: string,
  overrides: Partial<CliEnv> = {},
  result: Partial<AnalysisResult> = {},
): Promise<Run> {
  let out = '';
  let err = '';
  let listed: string[] = [];
  const code = await main(argv, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    errIsTTY: false,
    cwd,
    rules,
    cacheHome,
    analyze: async (fs: WorkspaceFs) => {
      listed = await fs.list();
      return {
        findings,
        graph: emptyGraph,
        facts: [],
        stats: { files: listed.length, lines: 0, unimportedTests: 0, failed: [], factMs: 0, analysisMs: 0 },
        skipped: [],
        ...result,
      };
    },
    ...overrides,
  });
  return { code, out, err, listed };
}

test('usage errors exit 2 with one clear line', async () => {
  const root = workspace();
  const cases: [string[], string][] = [
    [['lint'], "djcache: error: unknown command 'lint' (expected check or graph; see djcache --help)\n"],
    [['check', '--format', 'xml'], "djcache: error: --format must be one of text, json, sarif, not 'xml'\n"],
    [['graph', '--format', 'svg'], "djcache: error: --format must be one of json, dot, not 'svg'\n"],
    [['check', 'nope'], 'djcache: error: no such file or directory: nope\n'],
    [['check', 'shop', 'templates'], 'djcache: error: templates is outside the workspace root shop (the first path)\n'],
    [['check', '--config', 'missing.toml'], 'djcache: error: cannot read config missing.toml: ENOENT\n'],
    [['check', '--baseline', 'missing.json'], 'djcache: error: cannot read baseline missing.json: ENOENT\n'],
    [
      ['check', '--select', 'E501'],
      "djcache: error: unknown rule selector 'E501' in --select (expected a code like DJC101, a prefix like DJC1, or ALL)\n",
    ],
    [
      ['check', '--select', 'DJC999'],
      "djcache: error: 'DJC999' in --select matches no rule (the rules are DJC101 to DJC109)\n",
    ],
    [
      ['check', '--select', 'DJC101,DJC2'],
      "djcache: error: 'DJC2' in --select matches no rule (the rules are DJC101 to DJC109)\n",
    ],
    [
      ['check', '--ignore', 'DJC1099'],
      "djcache: error: unknown rule selector 'DJC1099' in --ignore (expected a code like DJC101, a prefix like DJC1, or ALL)\n",
    ],
    [
      ['check', '--ignore', 'DJC110'],
      "djcache: error: 'DJC110' in --ignore matches no rule (the rules are DJC101 to DJC109)\n",
    ],
    [
      ['check', '--ignore', 'DJC1'],
      'djcache: error: no rule is enabled: select [] with ignore [DJC1] turns every rule off\n',
    ],
    [
      ['check', '--cache-dir', 'c', '--no-cache'],
      'djcache: error: --cache-dir and --no-cache cannot be used together\n',
    ],
  ];
  for (const [argv, message] of cases) {
    const run = await cli(argv, root);
    assert.deepEqual([run.code, run.err, run.out], [2, message, ''], argv.join(' '));
  }
  const unknownOption = await cli(['check', '--bogus'], root);
  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.err, /^djcache: error: Unknown option '--bogus'/);
  assert.equal(unknownOption.err.split('\n').length, 2);
  const graphBaseline = await cli(['graph', '--baseline', 'x'], root);
  assert.equal(graphBaseline.code, 2);
  assert.match(graphBaseline.err, /^djcache: error: Unknown option '--baseline'/);
});

test('bad pyproject.toml exits 2 with the config message', async () => {
  const root = workspace({ 'pyproject.toml': '[tool.djcache]\nselect = "DJC1"\n' });
  const run = await cli(['check'], root);
  assert.deepEqual([run.code, run.err], [2, 'djcache: error: [tool.djcache] select must be an array of strings\n']);
  writeFileSync(path.join(root, 'pyproject.toml'), '[tool.djcache]\nignore = ["DJC999"]\n');
  const unknown = await cli(['check'], root);
  assert.deepEqual(
    [unknown.code, unknown.err, unknown.out],
    [2, "djcache: error: 'DJC999' in [tool.djcache] ignore matches no rule (the rules are DJC101 to DJC109)\n", ''],
  );
});

test('no command prints help on stderr and exits 2; --help and --version exit 0', async () => {
  const none = await cli([], tmpdir());
  assert.equal(none.code, 2);
  assert.match(
    none.err,
    /^djcache: finds Django cache entries that nothing invalidates\.\n\nUsage:\n {2}djcache check/,
  );
  const help = await cli(['--help'], tmpdir());
  assert.deepEqual([help.code, help.out], [0, none.err]);
  const version = await cli(['--version'], tmpdir());
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  assert.deepEqual([version.code, version.out], [0, `djcache ${pkg.version}\n`]);
});

test('internal errors exit 2 without a stack trace', async () => {
  const root = workspace();
  const run = await cli(['check'], root, {
    analyze: async () => {
      throw new Error('boom');
    },
  });
  assert.deepEqual([run.code, run.err, run.out], [2, 'djcache: internal error: boom\n', '']);
});

test('files skipped for an internal error are named on stderr; the findings of the rest are reported', async () => {
  const root = workspace();
  const failed = [
    { path: 'shop/deep.py', error: 'RangeError: Maximum call stack size exceeded' },
    { path: 'templates/b.html', error: 'Error: boom' },
  ];
  const run = await cli(
    ['check', '--format', 'json'],
    root,
    {},
    { stats: { files: 3, lines: 0, unimportedTests: 0, failed, factMs: 0, analysisMs: 0 } },
  );
  assert.equal(run.code, 1);
  assert.match(run.out, /"DJC101"/);
  assert.equal(
    run.err,
    'djcache: 2 files skipped, in whole or in part, for an internal error (a djcache bug; the other files were analysed): shop/deep.py (RangeError: Maximum call stack size exceeded), templates/b.html (Error: boom)\n',
  );
});

test('check prints text findings and exits 1, or 0 with --exit-zero', async () => {
  const root = workspace();
  const run = await cli(['check'], root);
  assert.equal(run.code, 1);
  assert.equal(
    run.out,
    [
      'shop/models.py:1:1: error DJC103 bulk write',
      "shop/views.py:4:5: warning DJC101 'products:all' is never invalidated.",
      '',
      '1  DJC101  stale-cache-entry',
      '1  DJC103',
      'Found 2 findings.',
      'Analysed 3 files (0 lines).',
      '',
    ].join('\n'),
  );
  assert.equal(run.err, '');
  assert.deepEqual(run.listed, ['shop/models.py', 'shop/views.py', 'templates/a.html']);
  assert.equal((await cli(['check', '--exit-zero'], root)).code, 0);
});

test('--fail-on decides which severities make the exit code 1; --exit-zero still wins', async () => {
  const root = workspace();
  const only = (severity: Finding['severity']) => ({ findings: [{ ...findings[0], severity }] });
  const exit = async (severity: Finding['severity'], ...argv: string[]) =>
    (await cli(['check', ...argv], root, {}, only(severity))).code;
  assert.deepEqual(
    [await exit('warning'), await exit('info'), await exit('hint'), await exit('error')],
    [1, 0, 0, 1],
    'default: warning',
  );
  assert.deepEqual([await exit('warning', '--fail-on', 'error'), await exit('error', '--fail-on', 'error')], [0, 1]);
  assert.deepEqual([await exit('info', '--fail-on', 'info'), await exit('hint', '--fail-on', 'info')], [1, 1]);
  assert.equal(await exit('error', '--fail-on', 'error', '--exit-zero'), 0);
  const bad = await cli(['check', '--fail-on', 'hint'], root);
  assert.deepEqual(
    [bad.code, bad.err],
    [2, "djcache: error: --fail-on must be one of error, warning, info, not 'hint'\n"],
  );
});

test('--statistics prints only the counts and --quiet only the findings', async () => {
  const root = workspace();
  const stats = await cli(['check', '--statistics'], root);
  assert.equal(stats.out, '1  DJC101  stale-cache-entry\n1  DJC103\nFound 2 findings.\nAnalysed 3 files (0 lines).\n');
  const quiet = await cli(['check', '--quiet'], root);
  assert.deepEqual(
    [quiet.code, quiet.out],
    [
      1,
      "shop/models.py:1:1: error DJC103 bulk write\nshop/views.py:4:5: warning DJC101 'products:all' is never invalidated.\n",
    ],
  );
  assert.equal((await cli(['check', '--quiet'], root, {}, { findings: [] })).out, '');
});

/** A copy of examples/shop in a temporary folder. */
function shopCopy(): string {
  const root = mkdtempSync(path.join(scratch, 'cli-shop-'));
  cpSync(path.join(__dirname, '..', '..', 'examples', 'shop'), root, { recursive: true });
  return root;
}

test('--diff shows the safe fixes without writing; --fix writes them, says what it changed, and reports what is left', async () => {
  const root = shopCopy();
  const real = { analyze: analyzeWorkspace };
  const before = await cli(['check', '--format', 'json', '--no-cache'], root, real);
  const untouched = snapshot(root);

  const diff = await cli(['check', '--diff', '--no-cache'], root, real);
  assert.equal(diff.code, 1);
  assert.deepEqual(snapshot(root), untouched, '--diff writes nothing');
  const diffed = [...diff.out.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(diffed, [
    'catalog/management/commands/flush_storefront.py',
    'catalog/pricing.py',
    'catalog/signals.py',
  ]);
  assert.match(
    diff.out,
    /^\+ {8}cache\.delete_many\(\["categories:nav", make_template_fragment_key\("sidebar"\)\]\)$/m,
  );
  assert.doesNotMatch(diff.out, /noqa/, 'suppressions are not safe fixes');
  assert.equal(diff.err, 'djcache: 3 files would be changed\n');

  const fixed = await cli(['check', '--fix', '--no-cache'], root, real);
  assert.equal(fixed.err, diffed.map((p) => `djcache: fixed ${p}\n`).join(''));
  const written = snapshot(root);
  assert.deepEqual(
    Object.keys(written)
      .filter((file) => written[file] !== untouched[file])
      .sort(),
    diffed,
  );
  const left =
    (JSON.parse(before.out).summary.total as number) - Number(/Found (\d+) findings?/.exec(fixed.out)?.[1] ?? 0);
  assert.ok(left > 0, `the fixes leave fewer findings: ${fixed.out}`);

  const again = await cli(['check', '--diff', '--no-cache'], root, real);
  assert.deepEqual([again.code, again.out], [0, ''], 'nothing left to fix');
});

test('a file path makes its folder the root and limits findings to it', async () => {
  const root = workspace();
  const inShop = findings.map((f) => ({ ...f, path: f.path.replace('shop/', '') }));
  const run = await cli(['check', 'shop/views.py', '--format', 'json'], root, {}, { findings: inShop });
  assert.equal(run.code, 1);
  assert.deepEqual(run.listed, ['models.py', 'views.py']);
  assert.deepEqual(
    JSON.parse(run.out).findings.map((f: Finding) => f.path),
    ['views.py'],
  );
  const viaRoot = await cli(['check', '.', 'shop/views.py', '--format', 'json'], root);
  // '.' is the whole workspace, so nothing is filtered.
  assert.deepEqual(
    JSON.parse(viaRoot.out).findings.map((f: Finding) => f.path),
    ['shop/models.py', 'shop/views.py'],
  );
  const otherFile = await cli(
    ['check', 'shop/models.py'],
    root,
    {},
    { findings: inShop.filter((f) => f.path === 'views.py') },
  );
  assert.deepEqual([otherFile.code, otherFile.out], [0, 'All checks passed!\nAnalysed 2 files (0 lines).\n']);
});

test('given changed files from several folders (pre-commit), the whole project is analysed and findings concerning them reported', async () => {
  const root = workspace({ 'manage.py': '', 'orders/models.py': 'class Order(models.Model):\n    pass\n' });
  const at = (file: string, line: number): Pick<Finding, 'path' | 'loc'> => ({ path: file, loc: [line, 0, line, 1] });
  const inViews = { ...findings[0] };
  const writeInOrders: Finding = {
    ...findings[1],
    ...at('shop/models.py', 0),
    related: [{ ...at('orders/models.py', 1), message: 'Order written here' }],
  };
  const stale = findings[0] as FindingOf<'DJC101'>;
  const entryInTemplate: Finding = {
    ...stale,
    ...at('shop/models.py', 1),
    data: { ...stale.data, entryId: 'templates/a.html:1:1' },
  };
  const unrelated: Finding = { ...findings[1], ...at('shop/models.py', 1) };
  const result = { findings: [inViews, writeInOrders, entryInTemplate, unrelated] };
  const lines = (run: Run) => run.out.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l));

  const changed = await cli(['check', 'shop/views.py', 'orders/models.py', 'templates/a.html'], root, {}, result);
  assert.equal(changed.code, 1, changed.err);
  assert.deepEqual(changed.listed, [
    'manage.py',
    'orders/models.py',
    'shop/models.py',
    'shop/views.py',
    'templates/a.html',
  ]);
  assert.deepEqual(lines(changed), [
    'shop/models.py:1:1: error DJC103 bulk write',
    "shop/models.py:2:1: warning DJC101 'products:all' is never invalidated.",
    "shop/views.py:4:5: warning DJC101 'products:all' is never invalidated.",
  ]);

  // From a subfolder, with paths relative to it: the root is still the folder holding manage.py.
  const fromShop = await cli(['check', 'views.py', '../orders/models.py'], path.join(root, 'shop'), {}, result);
  assert.deepEqual(fromShop.listed, changed.listed);
  assert.deepEqual(lines(fromShop), [
    'shop/models.py:1:1: error DJC103 bulk write',
    "shop/views.py:4:5: warning DJC101 'products:all' is never invalidated.",
  ]);

  const untouched = await cli(['check', 'orders/models.py', 'manage.py'], root, {}, { findings: [inViews, unrelated] });
  assert.deepEqual([untouched.code, lines(untouched)], [0, []], 'no finding concerns these files');
});

test('--select and --ignore filter by rule, comma-separated or repeated', async () => {
  const root = workspace();
  const codes = async (...argv: string[]) =>
    JSON.parse((await cli(['check', '--format', 'json', ...argv], root)).out).findings.map((f: Finding) => f.code);
  assert.deepEqual(await codes('--select', 'DJC101'), ['DJC101']);
  assert.deepEqual(await codes('--ignore', 'DJC103'), ['DJC101']);
  assert.deepEqual(await codes('--select', 'DJC101,DJC103', '--ignore', 'DJC101'), ['DJC103']);
  assert.deepEqual(await codes('--select', 'DJC101', '--select', 'DJC103'), ['DJC103', 'DJC101']);
});

test('write-baseline then baseline hides the recorded findings', async () => {
  const root = workspace();
  const written = await cli(['check', '--write-baseline', 'baseline.json'], root);
  assert.deepEqual([written.code, written.out, written.err], [0, '', 'djcache: wrote 2 findings to baseline.json\n']);
  const baseline = JSON.parse(readFileSync(path.join(root, 'baseline.json'), 'utf8'));
  assert.deepEqual(
    baseline.findings.map((e: { code: string; path: string }) => [e.code, e.path]),
    [
      ['DJC101', 'shop/views.py'],
      ['DJC103', 'shop/models.py'],
    ],
  );
  const checked = await cli(['check', '--baseline', 'baseline.json'], root);
  assert.deepEqual([checked.code, checked.out], [0, 'All checks passed!\nAnalysed 3 files (0 lines).\n']);

  writeFileSync(path.join(root, 'broken.json'), '[]');
  const broken = await cli(['check', '--baseline', 'broken.json'], root);
  assert.deepEqual(
    [broken.code, broken.err],
    [
      2,
      'djcache: error: baseline must be { "version": 1, "findings": [{ "fingerprint": ... }] } as written by --write-baseline\n',
    ],
  );
});

test('sarif output names the workspace root for %SRCROOT% and links each rule to its docs', async () => {
  const root = workspace();
  const run = await cli(['check', '--format', 'sarif'], root);
  const log = JSON.parse(run.out);
  assert.equal(run.code, 1);
  assert.equal(log.version, '2.1.0');
  assert.equal(log.runs[0].originalUriBaseIds['%SRCROOT%'].uri, `file://${root}/`);
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  assert.equal(
    log.runs[0].tool.driver.rules[0].helpUri,
    `https://github.com/djcache/djcache/blob/v${pkg.version}/docs/rules/DJC101.md`,
    "the docs of the version that ran, in the package's repository",
  );
  assert.deepEqual(
    log.runs[0].results.map((r: { ruleId: string }) => r.ruleId),
    ['DJC103', 'DJC101'],
  );
});

test('progress goes to stderr only on a terminal', async () => {
  const root = workspace();
  const analyze: CliEnv['analyze'] = async (_fs, _config, progress) => {
    progress?.(3, 3, 'facts');
    return {
      findings: [],
      graph: emptyGraph,
      facts: [],
      stats: { files: 0, lines: 0, unimportedTests: 0, failed: [], factMs: 0, analysisMs: 0 },
      skipped: [],
    };
  };
  assert.equal((await cli(['check'], root, { analyze, errIsTTY: true })).err, '\r\x1b[K');
  assert.equal((await cli(['check'], root, { analyze, errIsTTY: false })).err, '');
});

const graph: Graph = {
  version: 1,
  entries: [
    {
      id: 'e1',
      kind: 'cache',
      key: 'product:{pk}',
      alias: 'default',
      timeout: 300,
      path: 'shop/views.py',
      loc: [9, 4, 9, 30],
      function: 'detail',
      dependencies: [
        {
          model: 'shop.Product',
          via: [],
          path: 'shop/views.py',
          loc: [8, 0, 8, 1],
          coverage: {
            save: { state: 'yes' },
            delete: { state: 'no' },
            m2m: { state: 'none' },
            bulk: { state: 'unknown' },
          },
        },
        {
          model: 'shop.Category',
          via: [],
          path: 'shop/views.py',
          loc: [8, 0, 8, 1],
          coverage: {
            save: { state: 'yes' },
            delete: { state: 'yes' },
            m2m: { state: 'none' },
            bulk: { state: 'unknown' },
          },
        },
        {
          model: 'shop."Tag"',
          via: [],
          path: 'shop/views.py',
          loc: [8, 0, 8, 1],
          coverage: {
            save: { state: 'yes' },
            delete: { state: 'none' },
            m2m: { state: 'none' },
            bulk: { state: 'none' },
          },
        },
      ],
    },
  ],
  models: [
    {
      id: 'shop.Product',
      path: 'shop/models.py',
      loc: [0, 0, 0, 1],
      table: 'shop_product',
      adminRegistered: true,
      writes: [],
      entries: ['e1'],
    },
  ],
  invalidations: [],
  siteCache: null,
};

test('graph --format dot colours entry → model edges by coverage', async () => {
  assert.equal(
    renderDot(graph),
    [
      'digraph djcache {',
      '  rankdir=LR;',
      '  node [fontname="Helvetica"];',
      '  edge [fontname="Helvetica", fontsize=10];',
      '  "model:shop.Product" [shape=ellipse, label="shop.Product"];',
      '  "entry:e1" [shape=box, label="product:{pk}\\nshop/views.py:10"];',
      '  "entry:e1" -> "model:shop.Product" [color="#cf222e", label="delete, bulk?"];',
      '  "entry:e1" -> "model:shop.Category" [color="#d29922", label="bulk?"];',
      '  "entry:e1" -> "model:shop.\\"Tag\\"" [color="#2da44e"];',
      '}',
      '',
    ].join('\n'),
  );
  const root = workspace();
  const dot = await cli(['graph', '--format', 'dot'], root, {}, { graph });
  assert.deepEqual([dot.code, dot.out], [0, renderDot(graph)]);
  const json = await cli(['graph'], root, {}, { graph });
  assert.deepEqual([json.code, JSON.parse(json.out)], [0, graph]);
});

test('the file system lists only wanted files, skipping junk, venvs, loops, big and excluded files', async () => {
  const root = workspace({
    'pyproject.toml': '[tool.djcache]\nexclude = ["legacy"]\n',
    'setup.cfg': '',
    'README.md': '',
    'emails/welcome.txt': '',
    'node_modules/pkg/x.py': '',
    '.git/hooks/x.py': '',
    'env/pyvenv.cfg': '',
    'env/lib/site.py': '',
    'shop/migrations/0001_initial.py': '',
    'shop/legacy/old.py': '',
    'shop/big.py': 'x'.repeat(2 * 1024 * 1024 + 1),
  });
  symlinkSync(root, path.join(root, 'shop', 'loop'));
  symlinkSync(path.join(root, 'shop', 'views.py'), path.join(root, 'linked.py'));
  const config = loadConfig({ pyproject: readFileSync(path.join(root, 'pyproject.toml'), 'utf8') }, {});
  const fs = createNodeFs(root, config);
  assert.deepEqual(await fs.list(), [
    'emails/welcome.txt',
    'linked.py',
    'pyproject.toml',
    'setup.cfg',
    'shop/models.py',
    'shop/views.py',
    'templates/a.html',
  ]);
  assert.equal(Buffer.from(await fs.read('shop/models.py')).toString(), 'class Product(models.Model):\n    pass\n');
  assert.deepEqual(await createNodeFs(path.join(root, 'shop'), defaultConfig).list(), [
    'legacy/old.py',
    'models.py',
    'views.py',
  ]);
});

test('a symlinked package folder inside the root is listed once, under its real path, even when the link sorts first', async () => {
  const root = workspace({ 'src/wiki/__init__.py': '', 'src/wiki/models.py': '', 'outside/lib/util.py': '' });
  mkdirSync(path.join(root, 'demo'));
  symlinkSync(path.join('..', 'src', 'wiki'), path.join(root, 'demo', 'wiki'));
  // A link out of the root is the only way in to its files: they are listed under the link.
  const external = workspace({ 'lib/util.py': '' });
  symlinkSync(path.join(external, 'lib'), path.join(root, 'demo', 'lib'));
  assert.deepEqual(await createNodeFs(root, defaultConfig).list(), [
    'demo/lib/util.py',
    'outside/lib/util.py',
    'shop/models.py',
    'shop/views.py',
    'src/wiki/__init__.py',
    'src/wiki/models.py',
    'templates/a.html',
  ]);
});

/** A copy of a fixture project with one DJC101 finding, in a fresh temp folder. */
function fixtureProject(): string {
  const root = mkdtempSync(path.join(scratch, 'cli-project-'));
  cpSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'djc101_delete_uncovered'), root, { recursive: true });
  return root;
}

/** Every path below dir (links not followed), with file contents, to compare before and after a run. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    out[rel] = entry.isSymbolicLink()
      ? `-> ${readlinkSync(full)}`
      : entry.isFile()
        ? readFileSync(full, 'utf8')
        : '<dir>';
  }
  return out;
}

/** `djcache check` with the real engine, its cache home a fresh temp folder. */
async function checkProject(root: string, ...argv: string[]): Promise<Run & { home: string }> {
  const home = mkdtempSync(path.join(cacheHome, 'home-'));
  return { ...(await cli(['check', ...argv], root, { analyze: analyzeWorkspace, cacheHome: home })), home };
}

const FINDING = /^catalog\/services\.py:10:\d+: warning DJC101 /;

test('checking a repository writes nothing inside it: the cache is under the user cache folder, keyed by the root', async () => {
  const root = fixtureProject();
  const before = snapshot(root);
  const first = await checkProject(root);
  assert.equal(first.code, 1);
  assert.match(first.out, FINDING);
  assert.equal(first.err, '');
  assert.deepEqual(snapshot(root), before, 'nothing written in the workspace');
  const [cacheDir] = readdirSync(path.join(first.home, 'djcache'));
  assert.match(cacheDir, /^[0-9a-f]{32}$/);
  assert.deepEqual(readdirSync(path.join(first.home, 'djcache', cacheDir)).sort(), [
    '.gitignore',
    'CACHEDIR.TAG',
    'facts.json',
    'result.json',
  ]);
  const warm = await cli(['check'], root, { analyze: analyzeWorkspace, cacheHome: first.home });
  assert.deepEqual([warm.code, warm.out, warm.err], [1, first.out, ''], 'the second run reads the cache it wrote');
});

test('a cache folder, .gitignore or facts file committed as a symlink, or a folder djcache did not make, is never written through', async () => {
  const victims = mkdtempSync(path.join(scratch, 'victim-'));
  writeFileSync(path.join(victims, 'file'), 'precious\n');
  mkdirSync(path.join(victims, 'folder'));
  const untouched = () => assert.deepEqual(snapshot(victims), { file: 'precious\n', folder: '<dir>' });

  // The repository commits .djcache_cache as a link to a folder of the user's.
  const linkedFolder = fixtureProject();
  symlinkSync(path.join(victims, 'folder'), path.join(linkedFolder, '.djcache_cache'));
  for (const argv of [[], ['--cache-dir', '.djcache_cache']]) {
    const run = await checkProject(linkedFolder, ...argv);
    assert.equal(run.code, 1, argv.join(' '));
    assert.match(run.out, FINDING);
    untouched();
  }
  const viaOption = await checkProject(linkedFolder, '--cache-dir', '.djcache_cache');
  assert.equal(
    viaOption.err,
    `djcache: note: the cache was not used: ${path.join(linkedFolder, '.djcache_cache')} is a symbolic link\n`,
  );

  // It commits .djcache_cache/.gitignore as a link to a file of the user's.
  const linkedFile = fixtureProject();
  mkdirSync(path.join(linkedFile, '.djcache_cache'));
  symlinkSync(path.join(victims, 'file'), path.join(linkedFile, '.djcache_cache', '.gitignore'));
  for (const argv of [[], ['--cache-dir', '.djcache_cache']]) {
    const run = await checkProject(linkedFile, ...argv);
    assert.match(run.out, FINDING, argv.join(' '));
    untouched();
  }
  const notOurs = await checkProject(linkedFile, '--cache-dir', '.djcache_cache');
  assert.equal(
    notOurs.err,
    `djcache: note: the cache was not used: ${path.join(linkedFile, '.djcache_cache')} was not made by djcache (no CACHEDIR.TAG)\n`,
  );

  // A folder of the user's named as the cache: nothing is added to it.
  const project = fixtureProject();
  const foreign = await checkProject(project, '--cache-dir', path.join(victims, 'folder'));
  assert.match(foreign.out, FINDING);
  assert.match(
    foreign.err,
    /^djcache: note: the cache was not used: .*folder was not made by djcache \(no CACHEDIR\.TAG\)\n$/,
  );
  untouched();

  // A cache djcache made, whose facts.json is then replaced by a link.
  const own = path.join(mkdtempSync(path.join(scratch, 'own-')), 'cache');
  assert.equal((await checkProject(project, '--cache-dir', own)).err, '');
  rmSync(path.join(own, 'facts.json'));
  symlinkSync(path.join(victims, 'file'), path.join(own, 'facts.json'));
  const linkedFacts = await checkProject(project, '--cache-dir', own, '--select', 'DJC101');
  assert.match(linkedFacts.out, FINDING);
  assert.equal(
    linkedFacts.err,
    `djcache: note: the cache was not used: ${path.join(own, 'facts.json')} is a symbolic link\n`,
  );
  assert.ok(lstatSync(path.join(own, 'facts.json')).isSymbolicLink(), 'the link is left as it is');
  untouched();
});

test('a symlink loop, a cycle of links and a file over the size cap are listed as skipped, not fatal', async () => {
  const root = workspace({ 'shop/big.py': 'x = 1\n'.repeat(400_000) });
  symlinkSync(root, path.join(root, 'shop', 'loop'));
  symlinkSync('selfloop', path.join(root, 'selfloop'));
  const skipped: SkippedPath[] = [
    { path: 'selfloop', reason: 'loop' },
    { path: 'shop/big.py', reason: 'too-big' },
    { path: 'shop/loop', reason: 'loop' },
  ];
  const text = await checkProject(root);
  assert.deepEqual([text.code, text.err], [0, '']);
  assert.equal(
    text.out,
    [
      'No findings in the files read, but 3 paths were skipped:',
      '  selfloop: symlink loop',
      '  shop/big.py: over the 2 MiB size cap',
      '  shop/loop: symlink loop',
      'Analysed 3 files (7 lines); skipped 3 paths (symlink loop, over the 2 MiB size cap).',
      '',
    ].join('\n'),
  );

  const json = await checkProject(root, '--format', 'json');
  assert.deepEqual(JSON.parse(json.out).stats, { files: 3, skipped });
  assert.equal(
    json.err,
    'djcache: warning: 3 paths were skipped (2 symlink loop, 1 over the 2 MiB size cap); see stats.skipped\n',
  );

  const sarif = await checkProject(root, '--format', 'sarif');
  const [invocation] = JSON.parse(sarif.out).runs[0].invocations;
  assert.equal(invocation.executionSuccessful, true);
  assert.deepEqual(
    invocation.toolExecutionNotifications.map((n: { message: { text: string } }) => n.message.text),
    [
      'selfloop was skipped: symlink loop',
      'shop/big.py was skipped: over the 2 MiB size cap',
      'shop/loop was skipped: symlink loop',
    ],
  );
  assert.match(
    sarif.err,
    /^djcache: warning: 3 paths were skipped .*; see invocations\[0\]\.toolExecutionNotifications\n$/,
  );

  const graphRun = await cli(['graph'], root, { analyze: analyzeWorkspace });
  assert.equal(graphRun.code, 0);
  assert.equal(
    graphRun.err,
    'djcache: warning: 3 paths were skipped (2 symlink loop, 1 over the 2 MiB size cap); see `djcache check`\n',
  );
});

test('a file that cannot be read is listed as skipped, beside the findings of the others', async () => {
  const root = fixtureProject();
  const unreadable: CliEnv['analyze'] = (fs, ...rest) =>
    analyzeWorkspace(
      {
        list: fs.list,
        read: (p) =>
          p === 'catalog/signals.py'
            ? Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))
            : fs.read(p),
      },
      ...rest,
    );
  const run = await cli(['check', '--no-cache'], root, { analyze: unreadable });
  assert.equal(run.code, 1);
  const lines = run.out.split('\n');
  // Without signals.py its post_save receiver is unknown, so the entry is taken to rely on its timeout.
  assert.match(lines[0], /^catalog\/services\.py:10:\d+: warning DJC106 /);
  assert.deepEqual(lines.slice(-5), [
    'Found 1 finding.',
    '1 path was skipped:',
    '  catalog/signals.py: unreadable',
    'Analysed 4 files (51 lines); skipped 1 path (unreadable).',
    '',
  ]);
});

test('an unreadable root is an error unless another path asked about can be read', async () => {
  const root = workspace();
  const skipping = (skipped: SkippedPath[]) => ({ findings: [], skipped });
  const rootRun = await cli(['check'], root, {}, skipping([{ path: '.', reason: 'unreadable' }]));
  assert.deepEqual([rootRun.code, rootRun.err, rootRun.out], [2, 'djcache: error: cannot check . (unreadable)\n', '']);
  const both = await cli(
    ['check', '.', 'shop', 'templates'],
    root,
    {},
    skipping([
      { path: 'shop', reason: 'unreadable' },
      { path: 'templates', reason: 'loop' },
    ]),
  );
  assert.equal(both.code, 0, 'the root itself was listed');
  const targets = await cli(
    ['check', 'shop/views.py', 'shop/models.py'],
    root,
    {},
    skipping([
      { path: 'views.py', reason: 'unreadable' },
      { path: 'models.py', reason: 'too-big' },
    ]),
  );
  assert.deepEqual(
    [targets.code, targets.err],
    [
      2,
      'djcache: error: cannot check shop/views.py (unreadable); cannot check shop/models.py (over the 2 MiB size cap)\n',
    ],
  );
  const one = await cli(
    ['check', 'shop/views.py', 'shop/models.py'],
    root,
    {},
    skipping([{ path: 'views.py', reason: 'unreadable' }]),
  );
  assert.deepEqual(
    [one.code, one.out],
    [
      0,
      'No findings in the files read, but 1 path was skipped:\n  views.py: unreadable\nAnalysed 2 files (0 lines); skipped 1 path (unreadable).\n',
    ],
  );
});

test('the file system tells which folders it could not read', { skip: ROOT_READS_EVERYTHING }, async () => {
  const root = workspace();
  chmodSync(path.join(root, 'shop'), 0o000);
  try {
    const skipped: SkippedPath[] = [];
    assert.deepEqual(await createNodeFs(root, defaultConfig).list((s) => skipped.push(s)), ['templates/a.html']);
    assert.deepEqual(skipped, [{ path: 'shop', reason: 'unreadable' }]);
    const run = await checkProject(path.join(root, 'shop'));
    assert.deepEqual([run.code, run.err], [2, 'djcache: error: cannot check . (unreadable)\n']);
  } finally {
    chmodSync(path.join(root, 'shop'), 0o755);
  }
});
