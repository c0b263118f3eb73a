import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { Finding, ReportedFinding, RuleMeta } from '../server/src/findings';
import {
  createBaseline,
  filterBaseline,
  fingerprint,
  parseBaseline,
  BaselineError,
  type LineText,
} from '../server/src/report/baseline';
import { buildJsonReport } from '../server/src/report/json';
import { buildSarif, entryFingerprint, FINGERPRINT } from '../server/src/report/sarif';
import { formatText } from '../server/src/report/text';
import { unifiedDiff } from '../server/src/report/diff';

const rules: RuleMeta[] = [
  {
    code: 'DJC101',
    name: 'stale-cache-entry',
    summary: 'A cache entry is not invalidated when a model it reads changes.',
    defaultSeverity: 'warning',
  },
  {
    code: 'DJC103',
    name: 'signal-less-write',
    summary: 'A bulk write bypasses the signals that invalidate caches.',
    defaultSeverity: 'error',
  },
];

const stale: ReportedFinding = {
  code: 'DJC101',
  severity: 'warning',
  path: 'shop/views.py',
  loc: [13, 4, 13, 33],
  message: "'products:all' (shop/views.py:14) reads shop.Category, but nothing deletes it when Category changes.",
  related: [{ path: 'shop/services.py', loc: [39, 8, 39, 23], message: 'Category saved here' }],
  data: { key: 'products:all', model: 'shop.Category', uncovered: ['save', 'delete'] },
};
const bulk: ReportedFinding = {
  code: 'DJC103',
  severity: 'error',
  path: 'shop/admin views.py',
  loc: [2, 0, 2, 10],
  message: 'Product.objects.update() sends no signals.',
  related: [],
  data: {},
};
const unknownRule: ReportedFinding = {
  code: 'DJC999',
  severity: 'hint',
  path: 'a.py',
  loc: [0, 0, 0, 1],
  message: 'x',
  related: [],
  data: {},
};

const files: Record<string, string[]> = {
  'shop/views.py': Array.from({ length: 20 }, (_, i) =>
    i === 13 ? '    cache.set("products:all", rows)' : `line ${i}`,
  ),
  'shop/admin views.py': ['', '', 'Product.objects.update(price=1)'],
};
const lineText: LineText = (path, line) => files[path]?.[line];

test('text: ruff-style lines, 1-based positions, per-rule counts', () => {
  const second = { ...stale, loc: [2, 0, 2, 1] as Finding['loc'] };
  assert.equal(
    formatText([stale, bulk, second], rules),
    [
      'shop/admin views.py:3:1: error DJC103 Product.objects.update() sends no signals.',
      "shop/views.py:3:1: warning DJC101 'products:all' (shop/views.py:14) reads shop.Category, but nothing deletes it when Category changes.",
      "shop/views.py:14:5: warning DJC101 'products:all' (shop/views.py:14) reads shop.Category, but nothing deletes it when Category changes.",
      '',
      '2  DJC101  stale-cache-entry',
      '1  DJC103  signal-less-write',
      'Found 3 findings.',
      '',
    ].join('\n'),
  );
  assert.equal(formatText([unknownRule], rules), 'a.py:1:1: hint DJC999 x\n\n1  DJC999\nFound 1 finding.\n');
  assert.equal(formatText([], rules), 'All checks passed!\n');
});

test('text: --statistics keeps the counts, --quiet keeps the findings, the summary names what was read and skipped', () => {
  const summary = {
    files: 12,
    lines: 840,
    unimportedTests: 2,
    skipped: [{ path: 'big.py', reason: 'too-big' as const }],
  };
  assert.equal(
    formatText([stale, bulk], rules, { statistics: true, summary }),
    [
      '1  DJC101  stale-cache-entry',
      '1  DJC103  signal-less-write',
      'Found 2 findings.',
      '1 path was skipped:',
      '  big.py: over the 2 MiB size cap',
      'Analysed 12 files (840 lines); skipped 1 path (over the 2 MiB size cap), 2 test files nothing imports.',
      '',
    ].join('\n'),
  );
  assert.equal(
    formatText([bulk], rules, { quiet: true, summary }),
    'shop/admin views.py:3:1: error DJC103 Product.objects.update() sends no signals.\n',
  );
  assert.equal(formatText([], rules, { quiet: true, summary }), '');
  assert.equal(
    formatText([], rules, { summary: { files: 1, lines: 1, unimportedTests: 0, skipped: [] } }),
    'All checks passed!\nAnalysed 1 file (1 line).\n',
  );
});

test('diff: unified hunks with 3 lines of context; a created file is diffed against /dev/null', () => {
  const before = Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
  const after = before.replace('line 2\n', 'line 2\nimport x\n').replace('line 11\n', '');
  assert.equal(
    unifiedDiff('a.py', before, after),
    [
      '--- a/a.py',
      '+++ b/a.py',
      '@@ -1,5 +1,6 @@',
      ' line 1',
      ' line 2',
      '+import x',
      ' line 3',
      ' line 4',
      ' line 5',
      '@@ -8,5 +9,4 @@',
      ' line 8',
      ' line 9',
      ' line 10',
      '-line 11',
      ' line 12',
      '',
    ].join('\n'),
  );
  assert.equal(unifiedDiff('new.py', undefined, 'a\n'), '--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,1 @@\n+a\n');
  assert.equal(unifiedDiff('same.py', 'a\n', 'a\n'), '');
});

test('json: versioned shape with 1-based locations and a summary', () => {
  const report = buildJsonReport([stale, bulk], rules, lineText);
  assert.deepEqual(report, {
    version: 1,
    findings: [
      {
        code: 'DJC103',
        name: 'signal-less-write',
        severity: 'error',
        message: bulk.message,
        path: 'shop/admin views.py',
        start: { line: 3, column: 1 },
        end: { line: 3, column: 11 },
        related: [],
        data: {},
        fingerprint: fingerprint(bulk, lineText),
      },
      {
        code: 'DJC101',
        name: 'stale-cache-entry',
        severity: 'warning',
        message: stale.message,
        path: 'shop/views.py',
        start: { line: 14, column: 5 },
        end: { line: 14, column: 34 },
        related: [
          {
            path: 'shop/services.py',
            start: { line: 40, column: 9 },
            end: { line: 40, column: 24 },
            message: 'Category saved here',
          },
        ],
        data: stale.data,
        fingerprint: fingerprint(stale, lineText),
      },
    ],
    summary: { total: 2, byCode: { DJC101: 1, DJC103: 1 }, bySeverity: { error: 1, warning: 1, info: 0, hint: 0 } },
  });
});

test('sarif: validates against the SARIF 2.1.0 schema and maps fields', () => {
  const log = buildSarif([stale, bulk, unknownRule], rules, lineText, {
    toolVersion: '0.1.0',
    helpBaseUri: 'https://example.org/djcache/',
    srcRootUri: 'file:///work/shop/',
  });
  // The published rtm.5 schema has a pattern that only compiles without the `u` flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'));
  assert.equal(validate(JSON.parse(JSON.stringify(log))), true, JSON.stringify(validate.errors));

  const run = log.runs[0];
  assert.equal(run.columnKind, 'utf16CodeUnits');
  assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///work/shop/' } });
  assert.deepEqual(run.tool.driver.rules, [
    {
      id: 'DJC101',
      name: 'stale-cache-entry',
      shortDescription: { text: rules[0].summary },
      helpUri: 'https://example.org/djcache/docs/rules/DJC101.md',
      help: {
        text: `${rules[0].summary} See https://example.org/djcache/docs/rules/DJC101.md.`,
        markdown: `${rules[0].summary} See [DJC101](https://example.org/djcache/docs/rules/DJC101.md).`,
      },
      defaultConfiguration: { level: 'warning' },
    },
    {
      id: 'DJC103',
      name: 'signal-less-write',
      shortDescription: { text: rules[1].summary },
      helpUri: 'https://example.org/djcache/docs/rules/DJC103.md',
      help: {
        text: `${rules[1].summary} See https://example.org/djcache/docs/rules/DJC103.md.`,
        markdown: `${rules[1].summary} See [DJC103](https://example.org/djcache/docs/rules/DJC103.md).`,
      },
      defaultConfiguration: { level: 'error' },
    },
    { id: 'DJC999' },
  ]);
  assert.deepEqual(run.results, [
    {
      ruleId: 'DJC999',
      ruleIndex: 2,
      level: 'note',
      message: { text: 'x' },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'a.py', uriBaseId: '%SRCROOT%' },
            region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 },
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT]: entryFingerprint(unknownRule, lineText) },
    },
    {
      ruleId: 'DJC103',
      ruleIndex: 1,
      level: 'error',
      message: { text: bulk.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'shop/admin%20views.py', uriBaseId: '%SRCROOT%' },
            region: { startLine: 3, startColumn: 1, endLine: 3, endColumn: 11 },
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT]: entryFingerprint(bulk, lineText) },
    },
    {
      ruleId: 'DJC101',
      ruleIndex: 0,
      level: 'warning',
      message: { text: stale.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'shop/views.py', uriBaseId: '%SRCROOT%' },
            region: { startLine: 14, startColumn: 5, endLine: 14, endColumn: 34 },
          },
        },
      ],
      relatedLocations: [
        {
          id: 0,
          message: { text: 'Category saved here' },
          physicalLocation: {
            artifactLocation: { uri: 'shop/services.py', uriBaseId: '%SRCROOT%' },
            region: { startLine: 40, startColumn: 9, endLine: 40, endColumn: 24 },
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT]: entryFingerprint(stale, lineText) },
    },
  ]);
});

test('sarif without a help base omits helpUri and still validates', () => {
  const log = buildSarif([], rules, lineText, { toolVersion: '0.1.0' });
  const ajv = new Ajv({ strict: false, unicodeRegExp: false });
  addFormats(ajv);
  assert.equal(ajv.validate(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), log), true);
  assert.equal(log.runs[0].tool.driver.rules?.[0].helpUri, undefined);
  assert.equal(log.runs[0].originalUriBaseIds, undefined);
  assert.deepEqual(log.runs[0].results, []);
  // Why helpUri needs a base: the schema rejects a relative one.
  const relative = structuredClone(log);
  relative.runs[0].tool.driver.rules![0].helpUri = 'docs/rules/DJC101.md';
  assert.equal(ajv.validate(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), relative), false);
});

test('fingerprints survive line shifts and message line numbers, not a changed line', () => {
  const before = fingerprint(stale, lineText);
  const shiftedFiles: LineText = (path, line) =>
    path === 'shop/views.py' && line === 20 ? '    cache.set("products:all", rows)  ' : undefined;
  const shifted = { ...stale, loc: [20, 4, 20, 33] as Finding['loc'], message: stale.message.replace(':14', ':21') };
  assert.equal(fingerprint(shifted, shiftedFiles), before);
  assert.match(before, /^[0-9a-f]{32}$/);
  const edited: LineText = () => '    cache.set("products:v2", rows)';
  assert.notEqual(fingerprint(stale, edited), before);
  assert.notEqual(fingerprint({ ...stale, code: 'DJC102' }, lineText), before);
});

test('sarif fingerprints survive line moves and message changes, not a changed entry, key or model', () => {
  const entry = { ...stale, data: { key: 'products:all', model: 'shop.Category' } };
  const before = entryFingerprint(entry, lineText);
  assert.match(before, /^[0-9a-f]{32}$/);
  const moved: LineText = (path, line) =>
    path === 'shop/views.py' && line === 30 ? '        cache.set("products:all",   rows)' : undefined;
  const elsewhere = {
    ...entry,
    loc: [30, 8, 30, 39] as Finding['loc'],
    message: 'a new write site in shop/other.py:7 changes the message',
  };
  assert.equal(entryFingerprint(elsewhere, moved), before, 'moved, re-indented, and a new message');
  const edited: LineText = () => '    cache.set("products:v2", rows)';
  assert.notEqual(entryFingerprint(entry, edited), before);
  assert.notEqual(entryFingerprint({ ...entry, data: { ...entry.data, key: 'products:v2' } }, lineText), before);
  assert.notEqual(entryFingerprint({ ...entry, data: { ...entry.data, model: 'shop.Product' } }, lineText), before);
  assert.notEqual(
    entryFingerprint({ ...entry, path: 'shop/other.py' }, (_p, l) => lineText('shop/views.py', l)),
    before,
  );
});

test('baseline hides recorded findings, one per entry', () => {
  const baseline = parseBaseline(JSON.stringify(createBaseline([stale, bulk], lineText)));
  assert.deepEqual(
    baseline.findings.map((e) => [e.code, e.path]),
    [
      ['DJC101', 'shop/views.py'],
      ['DJC103', 'shop/admin views.py'],
    ],
  );
  const fresh: ReportedFinding = { ...bulk, message: 'Product.objects.bulk_create() sends no signals.' };
  assert.deepEqual(filterBaseline([stale, bulk, fresh, bulk], baseline, lineText), [fresh, bulk]);
});

test('bad baselines raise BaselineError', () => {
  assert.throws(() => parseBaseline('{'), BaselineError);
  assert.throws(() => parseBaseline('{"version": 2, "findings": []}'), {
    name: 'BaselineError',
    message: 'baseline must be { "version": 1, "findings": [{ "fingerprint": ... }] } as written by --write-baseline',
  });
});

test('sarif: skipped paths are tool execution notifications, and the log still validates', () => {
  const log = buildSarif([], rules, lineText, {
    toolVersion: '0.1.0',
    srcRootUri: 'file:///work/shop/',
    skipped: [
      { path: '.', reason: 'unreadable' },
      { path: 'shop/big data.py', reason: 'too-big' },
      { path: 'vendor/loop', reason: 'loop' },
    ],
  });
  const ajv = new Ajv({ strict: false, unicodeRegExp: false });
  addFormats(ajv);
  assert.equal(
    ajv.validate(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), JSON.parse(JSON.stringify(log))),
    true,
    JSON.stringify(ajv.errors),
  );
  assert.deepEqual(log.runs[0].invocations, [
    {
      executionSuccessful: true,
      toolExecutionNotifications: [
        { level: 'warning', message: { text: '. was skipped: unreadable' }, properties: { reason: 'unreadable' } },
        {
          level: 'warning',
          message: { text: 'shop/big data.py was skipped: over the 2 MiB size cap' },
          properties: { reason: 'too-big' },
          locations: [
            { physicalLocation: { artifactLocation: { uri: 'shop/big%20data.py', uriBaseId: '%SRCROOT%' } } },
          ],
        },
        {
          level: 'warning',
          message: { text: 'vendor/loop was skipped: symlink loop' },
          properties: { reason: 'loop' },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'vendor/loop', uriBaseId: '%SRCROOT%' } } }],
        },
      ],
    },
  ]);
  assert.equal(
    buildSarif([], rules, lineText, { toolVersion: '0.1.0', skipped: [] }).runs[0].invocations,
    undefined,
    'no invocation without skipped paths',
  );
});
