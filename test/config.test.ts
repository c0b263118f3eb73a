import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { defaultConfig } from '../server/src/config/config';
import {
  ConfigError,
  isExcluded,
  loadConfig,
  ruleEnabled,
  severityCodeProblem,
} from '../server/src/config/configLoader';

const pyproject = `
[project]
name = "shop"

[tool.djcache]
select = ["DJC1"]
ignore = ["DJC103"]
exclude = ["legacy", "shop/generated/*.py"]
cache-aliases = ["shop.cache.redis_cache"]
memoize_decorators = ["shop.utils.memoize"]
invalidation-helpers = ["shop.utils.bust"]
stub-paths = ["typings"]
short_timeout = 60

[tool.djcache.severity]
DJC101 = "error"
DJC104 = "hint"
`;

test('reads [tool.djcache] in kebab-case and snake_case', () => {
  assert.deepEqual(loadConfig({ pyproject }, {}), {
    select: ['DJC1'],
    ignore: ['DJC103'],
    severity: { DJC101: 'error', DJC104: 'hint' },
    exclude: [...defaultConfig.exclude, 'legacy', 'shop/generated/*.py'],
    cacheAliases: ['shop.cache.redis_cache'],
    memoizeDecorators: ['shop.utils.memoize'],
    invalidationHelpers: ['shop.utils.bust'],
    stubPaths: ['typings'],
    shortTimeout: 60,
  });
});

test('no file or no [tool.djcache] gives the defaults', () => {
  assert.deepEqual(loadConfig({}, {}), defaultConfig);
  assert.deepEqual(loadConfig({ pyproject: '[tool.ruff]\nline-length = 100\n' }, {}), defaultConfig);
});

test('CLI values replace file values; undefined CLI values do not', () => {
  const config = loadConfig({ pyproject }, { select: ['DJC101', 'DJC10'], ignore: undefined, exclude: ['tmp'] });
  assert.deepEqual(config.select, ['DJC101', 'DJC10']);
  assert.deepEqual(config.ignore, ['DJC103']);
  assert.deepEqual(config.exclude, [...defaultConfig.exclude, 'tmp']);
});

test('bad configuration throws ConfigError with a clear message', () => {
  const bad: [string, string][] = [
    ['[tool.djcache]\nselect = "DJC1"\n', '[tool.djcache] select must be an array of strings'],
    [
      '[tool.djcache]\nselect = ["E501"]\n',
      "unknown rule selector 'E501' in [tool.djcache] select (expected a code like DJC101, a prefix like DJC1, or ALL)",
    ],
    [
      '[tool.djcache]\nselect = ["DJC999"]\n',
      "'DJC999' in [tool.djcache] select matches no rule (the rules are DJC101 to DJC109)",
    ],
    [
      '[tool.djcache]\nignore = ["DJC2"]\n',
      "'DJC2' in [tool.djcache] ignore matches no rule (the rules are DJC101 to DJC109)",
    ],
    ['[tool.djcache]\nignore = ["ALL"]\n', 'no rule is enabled: select [] with ignore [ALL] turns every rule off'],
    [
      '[tool.djcache.severity]\nDJC999 = "error"\n',
      "[tool.djcache] severity: 'DJC999' matches no rule (the rules are DJC101 to DJC109)",
    ],
    [
      '[tool.djcache]\nselct = ["DJC1"]\n',
      "unknown key 'selct' in [tool.djcache] (known: select, ignore, exclude, cache-aliases, memoize-decorators, invalidation-helpers, stub-paths, severity, short-timeout)",
    ],
    [
      '[tool.djcache]\nshort-timeout = "5m"\n',
      '[tool.djcache] short-timeout must be a whole number of seconds (0 or more)',
    ],
    [
      '[tool.djcache]\nshort-timeout = -1\n',
      '[tool.djcache] short-timeout must be a whole number of seconds (0 or more)',
    ],
    [
      '[tool.djcache]\ncache-aliases = ["a"]\ncache_aliases = ["b"]\n',
      '[tool.djcache] cache_aliases is given twice (kebab-case and snake_case)',
    ],
    [
      '[tool.djcache.severity]\nDJC101 = "fatal"\n',
      '[tool.djcache] severity.DJC101 must be one of "error", "warning", "info", "hint"',
    ],
    ['[tool.djcache.severity]\nDJC1 = "error"\n', "[tool.djcache] severity: 'DJC1' is not a rule code like DJC101"],
    [
      '[tool.djcache]\nseverity = "error"\n',
      '[tool.djcache] severity must be a table of rule code = "error" | "warning" | "info" | "hint"',
    ],
    ['[tool]\ndjcache = 3\n', '[tool.djcache] must be a table'],
    [
      '[tool.djcache]\nselect = ["DJC1"\n',
      'pyproject.toml:3:1: invalid TOML: Invalid TOML document: expected comma or end of structure',
    ],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => loadConfig({ pyproject: text }, {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, message);
        return true;
      },
    );
  }
  assert.throws(() => loadConfig({}, { ignore: ['X1'] }), {
    name: 'ConfigError',
    message: "unknown rule selector 'X1' in --ignore (expected a code like DJC101, a prefix like DJC1, or ALL)",
  });
  assert.throws(() => loadConfig({}, { select: ['DJC999'] }, { source: 'editor' }), {
    name: 'ConfigError',
    message: "'DJC999' in djcache.rules.select matches no rule (the rules are DJC101 to DJC109)",
  });
});

test('with onRuleProblem, selectors and severities that name no rule are told and left out; the rest applies', () => {
  const told: string[] = [];
  const config = loadConfig(
    {
      pyproject:
        '[tool.djcache]\nignore = ["DJC103", "DJC3"]\n\n[tool.djcache.severity]\nDJC101 = "error"\nDJC199 = "hint"\n',
    },
    { select: ['DJC999', 'DJC1'] },
    { source: 'editor', onRuleProblem: (message) => told.push(message) },
  );
  assert.deepEqual([config.select, config.ignore, config.severity], [['DJC1'], ['DJC103'], { DJC101: 'error' }]);
  assert.deepEqual(told, [
    "'DJC3' in [tool.djcache] ignore matches no rule (the rules are DJC101 to DJC109)",
    "[tool.djcache] severity: 'DJC199' matches no rule (the rules are DJC101 to DJC109)",
    "'DJC999' in djcache.rules.select matches no rule (the rules are DJC101 to DJC109)",
  ]);
  assert.equal(severityCodeProblem('DJC105', 'djcache.severity'), undefined);
  assert.equal(
    severityCodeProblem('DJC100', 'djcache.severity'),
    "djcache.severity: 'DJC100' matches no rule (the rules are DJC101 to DJC109)",
  );
});

test('ruleEnabled follows ruff: most specific selector wins, ignore wins ties', () => {
  const config = (select: string[], ignore: string[]) => ({ ...defaultConfig, select, ignore });
  assert.equal(ruleEnabled(config([], []), 'DJC101'), true);
  assert.equal(ruleEnabled(config(['DJC1'], []), 'DJC201'), false);
  assert.equal(ruleEnabled(config(['DJC1'], ['DJC103']), 'DJC103'), false);
  assert.equal(ruleEnabled(config(['DJC1'], ['DJC103']), 'DJC104'), true);
  assert.equal(ruleEnabled(config(['DJC103'], ['DJC1']), 'DJC103'), true);
  assert.equal(ruleEnabled(config(['DJC103'], ['DJC1']), 'DJC104'), false);
  assert.equal(ruleEnabled(config(['DJC101'], ['DJC101']), 'DJC101'), false);
  assert.equal(ruleEnabled(config([], ['DJC']), 'DJC101'), false);
  assert.equal(ruleEnabled(config(['ALL'], ['DJC2']), 'DJC101'), true);
});

test('isExcluded matches paths, their folders, and bare names at any depth', () => {
  const config = loadConfig({ pyproject }, {});
  const excluded = [
    'legacy/views.py',
    'shop/legacy/models.py',
    'shop/generated/x.py',
    'node_modules/a/b.py',
    'shop/migrations/0001_initial.py',
    '.venv/lib/site.py',
    'a/.git/config',
  ];
  const kept = [
    'shop/views.py',
    'shop/generated/deep/x.py',
    'shop/legacy_views.py',
    'templates/legacy.html.bak/x.html',
  ];
  assert.deepEqual(
    excluded.filter((p) => !isExcluded(config, p)),
    [],
  );
  assert.deepEqual(
    kept.filter((p) => isExcluded(config, p)),
    [],
  );
});
