/**
 * Per-file isolation: facts the analysis cannot handle, or facts that could not be built, cost
 * their own file only. The example project's findings and graph stay as they are without the
 * file, on the CLI's path (analyzeFactsToFindings) and the language server's (IncrementalAnalysis),
 * and the run names the file it left out.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { IncrementalAnalysis, trackFacts } from '../server/src/analysis/incremental';
import { defaultConfig } from '../server/src/config/config';
import { analyzeFactsToFindings, factsForFile, findingsOf, packageDirsOf } from '../server/src/engine/engine';
import { pythonFacts } from '../server/src/facts/extract';
import type { FileFacts, PythonFacts } from '../server/src/facts/types';
import type { Expr, Stmt } from '../server/src/syntax/ir';
import { loadPythonParser } from '../server/src/syntax/parser';
import { readTree } from './tree';

const SHOP = path.join(__dirname, '..', '..', 'examples', 'shop');

async function shopFacts(): Promise<FileFacts[]> {
  const parser = await loadPythonParser();
  const files = readTree(SHOP);
  const packageDirs = packageDirsOf(files.keys());
  return [...files]
    .flatMap(([p, bytes]) => factsForFile(parser, p, bytes, packageDirs) ?? [])
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * A module whose body nests `levels` ifs, a cache call at the bottom: deeper than the IR builder
 * ever makes (it stops at 256), as facts from elsewhere could be. Walking it overflows the stack.
 */
function deepFacts(levels: number): PythonFacts {
  const call: Stmt = {
    t: 'expr',
    line: 0,
    value: {
      t: 'call',
      fn: { t: 'attr', obj: { t: 'name', id: 'cache', loc: [0, 0, 0, 5] }, name: 'get', loc: [0, 0, 0, 9] },
      args: [{ t: 'str', v: 'k', loc: [0, 10, 0, 13] }],
      kw: [],
      loc: [0, 0, 0, 14],
    },
  };
  let body: Stmt[] = [call];
  for (let i = 0; i < levels; i++)
    body = [{ t: 'if', test: { t: 'name', id: 'x', loc: [0, 0, 0, 1] }, body, orelse: [], line: 0 }];
  return {
    kind: 'python',
    path: 'catalog/deep.py',
    module: 'catalog.deep',
    isPackage: false,
    hash: 'h',
    lines: 1,
    hasErrors: false,
    imports: [{ local: 'cache', module: 'django.core.cache', name: 'cache', line: 0 }],
    body,
    functions: [],
    classes: [],
    suppressions: [],
  };
}

/** A function returning a list nested `levels` deep: the interpreter's walk of it overflows, the file's other facts are fine. */
function deepReturnFacts(levels: number): PythonFacts {
  let value: Expr = { t: 'num', v: 1, loc: [1, 0, 1, 1] };
  for (let i = 0; i < levels; i++) value = { t: 'seq', items: [value], loc: [1, 0, 1, 1] };
  return {
    kind: 'python',
    path: 'catalog/deep_return.py',
    module: 'catalog.deep_return',
    isPackage: false,
    hash: 'h',
    lines: 2,
    hasErrors: false,
    imports: [],
    body: [{ t: 'def', fn: 0, line: 0 }],
    classes: [],
    suppressions: [],
    functions: [
      {
        name: 'f',
        qual: 'f',
        cls: null,
        parent: null,
        params: [],
        decorators: [],
        async: false,
        body: [{ t: 'return', value, line: 1 }],
        loc: [0, 0, 1, 1],
        nameLoc: [0, 4, 0, 5],
      },
    ],
  };
}

const outcome = (r: { findings: unknown; graph: unknown }) => JSON.stringify([r.findings, r.graph]);

test('a file the analysis fails on is left out and named; the others keep their findings and graph (CLI path)', async () => {
  const facts = await shopFacts();
  const clean = analyzeFactsToFindings(facts, defaultConfig);
  assert.ok(clean.findings.length > 0);
  assert.deepEqual(clean.failed, []);
  const hostile = analyzeFactsToFindings([...facts, deepFacts(100_000)], defaultConfig);
  assert.deepEqual(
    hostile.failed.map((f) => f.path),
    ['catalog/deep.py'],
  );
  assert.match(hostile.failed[0].error, /RangeError/);
  assert.equal(outcome(hostile), outcome(clean));
});

test('a file the analysis fails on is left out and named; the others keep their findings and graph (language server path)', async () => {
  const facts = await shopFacts();
  const incremental = new IncrementalAnalysis();
  const clean = incremental.analyze(facts.map(trackFacts), new Set(), defaultConfig);
  const hostile = new IncrementalAnalysis().analyze(
    [...facts, deepFacts(100_000)].map(trackFacts),
    new Set(),
    defaultConfig,
  );
  assert.deepEqual(
    hostile.stats.failed.map((f) => f.path),
    ['catalog/deep.py'],
  );
  assert.equal(
    outcome(findingsOf(hostile.analysis, defaultConfig)),
    outcome(findingsOf(clean.analysis, defaultConfig)),
  );
  // An edit of another file afterwards is analysed as usual, the failing file still left out.
  const edited = incremental.analyze(
    [...facts, deepFacts(100_000)].map(trackFacts),
    new Set(['catalog/deep.py']),
    defaultConfig,
  );
  assert.deepEqual(
    edited.stats.failed.map((f) => f.path),
    ['catalog/deep.py'],
  );
  assert.equal(outcome(findingsOf(edited.analysis, defaultConfig)), outcome(findingsOf(clean.analysis, defaultConfig)));
});

test('a file whose facts could not be built is named, and its empty facts change nothing else', async () => {
  const facts = await shopFacts();
  const broken = pythonFacts('catalog/broken.py', 'x = 1\n', 'catalog.broken', false, 'h', () => {
    throw new RangeError('Maximum call stack size exceeded');
  });
  assert.equal(broken.internalError, 'RangeError: Maximum call stack size exceeded');
  assert.deepEqual(broken.body, []);
  const result = analyzeFactsToFindings([...facts, broken], defaultConfig);
  assert.deepEqual(result.failed, [
    { path: 'catalog/broken.py', error: 'RangeError: Maximum call stack size exceeded' },
  ]);
  assert.equal(outcome(result), outcome(analyzeFactsToFindings(facts, defaultConfig)));
});

test('a function whose walk throws leaves its file analysed in part, and named (language server path)', async () => {
  const facts = await shopFacts();
  const clean = new IncrementalAnalysis().analyze(facts.map(trackFacts), new Set(), defaultConfig);
  const hostile = new IncrementalAnalysis().analyze(
    [...facts, deepReturnFacts(100_000)].map(trackFacts),
    new Set(),
    defaultConfig,
  );
  assert.deepEqual(
    hostile.stats.failed.map((f) => f.path),
    ['catalog/deep_return.py'],
  );
  assert.match(hostile.stats.failed[0].error, /RangeError/);
  // Kept, not dropped: the walk failed, the rest of the file's analysis stands.
  assert.deepEqual(
    hostile.analysis.failedWalks.map((f) => f.path),
    ['catalog/deep_return.py'],
  );
  assert.ok(hostile.analysis.ws.byPath.has('catalog/deep_return.py'));
  assert.equal(
    outcome(findingsOf(hostile.analysis, defaultConfig)),
    outcome(findingsOf(clean.analysis, defaultConfig)),
  );
});
