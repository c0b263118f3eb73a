/**
 * Parsing on a worker thread as well (facts/parallel.ts, facts/parseWorker.ts): the worker sends
 * trees flattened (syntax/parser.ts), and the facts built from them must equal those of a live
 * tree, file by file and for a whole workspace's findings and graph.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { decodeSource, parsedIR } from '../server/src/facts/extract';
import { shareParsing, startParseWorker } from '../server/src/facts/parallel';
import { FlatCursor, flattenTree, type FlatTree, loadPythonParser, parsePython } from '../server/src/syntax/parser';
import { buildPythonIRFromFlat } from '../server/src/syntax/python';
import { defaultConfig } from '../server/src/config/config';
import { ProjectIndex } from '../server/src/engine/projectIndex';
import { memoryFs, readTree } from './tree';

const ROOT = path.join(__dirname, '..', '..');

/** Every Python file of the fixture trees and the example, decoded as the engine decodes them. */
function pythonTexts(): { rel: string; text: string }[] {
  return ['test/fixtures', 'test/fixtures-fixes', 'test/fixtures-lsp', 'examples/shop'].flatMap((dir) =>
    [...readTree(path.join(ROOT, dir))]
      .filter(([rel]) => rel.endsWith('.py'))
      .map(([rel, bytes]) => ({ rel: `${dir}/${rel}`, text: decodeSource(bytes) })),
  );
}

const HOSTILE = [
  '',
  'def f(:\n  return (\n',
  `x = ${'('.repeat(400)}1${')'.repeat(400)}\n`,
  '\u00e9 = "\u{1F600}"\r\nclass C(B, metaclass=M): pass\r\n',
  String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => (i * 7919) % 256)),
];

async function flatIR(text: string) {
  const parser = await loadPythonParser();
  const tree = parsePython(parser, text);
  // A file parsePython leaves unparsed (too deeply indented) has no IR either way.
  if (!tree) return undefined;
  let flat: FlatTree;
  try {
    flat = flattenTree(tree);
  } finally {
    tree.delete();
  }
  return buildPythonIRFromFlat(flat, parser.language!, text, 'app.mod', false);
}

test('the IR built from a flattened tree equals the IR of the live tree, for every fixture file and hostile text', async () => {
  const parser = await loadPythonParser();
  const texts = [...pythonTexts().map((t) => t.text), ...HOSTILE];
  assert.ok(texts.length > 300, `only ${texts.length} texts`);
  for (const text of texts) assert.deepEqual(await flatIR(text), parsedIR(parser, text, 'app.mod', false));
});

test('a flat cursor moves as a tree cursor does, and stays put where there is nowhere to go', async () => {
  const parser = await loadPythonParser();
  const tree = parsePython(parser, 'f(a)\n');
  assert.ok(tree);
  const flat = flattenTree(tree);
  tree.delete();
  const types = parser.language!.types;
  const c = new FlatCursor(flat.nodes);
  const visit = () => `${types[c.nodeTypeId]}@${c.startIndex}-${c.endIndex}`;
  assert.equal(visit(), 'module@0-5');
  assert.equal(c.gotoNextSibling(), false);
  assert.equal(c.gotoParent(), false);
  assert.ok(c.gotoFirstChild());
  assert.equal(visit(), 'expression_statement@0-4');
  assert.equal(c.gotoNextSibling(), false);
  assert.ok(c.gotoFirstChild());
  assert.ok(c.gotoFirstChild());
  assert.equal(visit(), 'identifier@0-1');
  assert.equal(parser.language!.fields[c.currentFieldId], 'function');
  assert.ok(c.gotoNextSibling());
  assert.equal(visit(), 'argument_list@1-4');
  assert.equal(c.gotoNextSibling(), false);
  assert.ok(c.gotoFirstChild());
  assert.deepEqual(
    [visit(), c.gotoNextSibling(), visit(), c.gotoNextSibling(), visit(), c.gotoNextSibling()],
    ['(@1-2', true, 'identifier@2-3', true, ')@3-4', false],
  );
  assert.equal(c.gotoFirstChild(), false);
  assert.ok(c.gotoParent() && c.gotoParent() && c.gotoParent() && c.gotoParent());
  assert.equal(visit(), 'module@0-5');
});

test("shared parsing answers every text once, the worker taking some, and its facts equal one thread's", async () => {
  const parser = await loadPythonParser();
  const texts = pythonTexts().map((t) => t.text);
  const worker = startParseWorker();
  assert.ok(worker);
  const seen = new Map<number, 'here' | 'there'>();
  const irs: unknown[] = [];
  const pause = new Int32Array(new SharedArrayBuffer(4));
  try {
    shareParsing(
      texts,
      (i) => {
        // The first file waits long enough for the worker to load and claim files of its own.
        if (!seen.size) Atomics.wait(pause, 0, 0, 500);
        assert.ok(!seen.has(i), `text ${i} answered twice`);
        seen.set(i, 'here');
        irs[i] = parsedIR(parser, texts[i], 'app.mod', false);
      },
      (i, tree) => {
        assert.ok(!seen.has(i), `text ${i} answered twice`);
        seen.set(i, 'there');
        irs[i] = buildPythonIRFromFlat(tree, parser.language!, texts[i], 'app.mod', false);
      },
      worker,
    );
  } finally {
    await worker.terminate();
  }
  assert.equal(seen.size, texts.length);
  const byWorker = [...seen.values()].filter((v) => v === 'there').length;
  assert.ok(byWorker > 0 && byWorker < texts.length, `the worker parsed ${byWorker} of ${texts.length}`);
  texts.forEach((text, i) => assert.deepEqual(irs[i], parsedIR(parser, text, 'app.mod', false), `facts of text ${i}`));
});

test('a worker that never parses leaves every text to this thread, and the first work runs before them', async () => {
  const worker = new Worker('process.exit(0)', { eval: true });
  const order: string[] = [];
  try {
    shareParsing(
      ['a = 1\n', 'b = 2\n'],
      (i) => order.push(`here ${i}`),
      () => order.push('there'),
      worker,
      () => order.push('first'),
    );
  } finally {
    await worker.terminate();
  }
  assert.deepEqual(order, ['first', 'here 0', 'here 1']);
});

test('a workspace parsed on two threads, by the CLI or the language server, gives the findings and graph of one thread', async () => {
  const files = readTree(path.join(ROOT, 'test', 'fixtures'));
  assert.ok([...files.keys()].filter((p) => p.endsWith('.py')).length >= 64, 'too few files to start a worker');
  const shared = await analyzeWorkspace(memoryFs(files), defaultConfig);
  const alone = await analyzeWorkspace(memoryFs(files), defaultConfig, undefined, undefined, { parseWorker: false });
  assert.ok(alone.findings.length > 0);
  assert.deepEqual(shared.findings, alone.findings);
  assert.deepEqual(shared.graph, alone.graph);
  assert.deepEqual(shared.stats.files, alone.stats.files);
  const index = new ProjectIndex(await loadPythonParser(), defaultConfig);
  await index.loadAll(memoryFs(files));
  assert.deepEqual(index.analyze().findings, alone.findings);
});
