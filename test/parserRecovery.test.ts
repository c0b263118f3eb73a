/**
 * One file must not break the parser for the files after it (issue 14). tree-sitter-python's
 * scanner overflows its state buffer when about 511 blocks are open with a string (384 at worst),
 * after which every later parse with that parser is one ERROR node; a parse cut off by its time
 * budget would be resumed by the next call, on the next file's text. Each test file runs in its
 * own process, so the parsers broken here on purpose break nothing else.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { Parser } from 'web-tree-sitter';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { defaultConfig } from '../server/src/config/config';
import { loadPythonParser, parsePython, tooDeeplyIndented } from '../server/src/syntax/parser';
import { memoryFs, readTree } from './tree';
import { deepBlocks } from './fuzz/mutate';

const GOOD = 'from django.core.cache import cache\n\n\ndef f(x):\n    cache.set("k", x, 60)\n';

/** The tree of `text` as a string, parsed with a parser nothing else has used. */
function freshTree(language: Parser['language'], text: string): string {
  const p = new Parser();
  p.setLanguage(language);
  const t = p.parse(text)!;
  const s = t.rootNode.toString();
  t.delete();
  p.delete();
  return s;
}

function treeOf(parser: Parser, text: string): string | undefined {
  const t = parsePython(parser, text);
  if (!t) return undefined;
  try {
    return t.rootNode.toString();
  } finally {
    t.delete();
  }
}

test('a file 511 blocks deep ending in a string is not parsed, and the files after it parse right', async () => {
  const parser = await loadPythonParser();
  const want = freshTree(parser.language, GOOD);
  for (const tail of ['"s"', 'f"{x}"', '"""open']) {
    assert.equal(treeOf(parser, deepBlocks(511, tail)), undefined, tail);
    assert.equal(treeOf(parser, GOOD), want, `after ${tail}`);
  }
});

test('files less deeply indented are parsed as before', async () => {
  const parser = await loadPythonParser();
  for (const depth of [20, 200])
    assert.equal(treeOf(parser, deepBlocks(depth)), freshTree(parser.language, deepBlocks(depth)));
  // Wide but not deep: one 2,000-column indentation, and many lines of 40 spaces.
  const wide = `if x:\n${' '.repeat(2000)}y = 1\n${'z = (\n' + '                                        1,\n'.repeat(500) + ')\n'}`;
  assert.equal(tooDeeplyIndented(wide), false);
  assert.equal(treeOf(parser, wide), freshTree(parser.language, wide));
  assert.equal(tooDeeplyIndented(deepBlocks(256)), true);
  assert.equal(tooDeeplyIndented(deepBlocks(250)), false);
});

test('a parse cut off by its time budget leaves nothing for the next file', async () => {
  const parser = await loadPythonParser();
  const big = Array.from({ length: 3000 }, (_, i) => `def f${i}(a, b):\n    return [a for a in b if a]\n`).join('');
  assert.equal(parsePython(parser, big, -1), undefined);
  assert.equal(treeOf(parser, GOOD), freshTree(parser.language, GOOD));
});

const SHOP = path.join(__dirname, '..', '..', 'examples', 'shop');

async function findingsOf(files: Map<string, Uint8Array>, parseWorker: boolean): Promise<string[]> {
  const { findings } = await analyzeWorkspace(memoryFs(files), defaultConfig, undefined, undefined, { parseWorker });
  return findings.map((f) => `${f.path}:${f.loc[0] + 1} ${f.code}`).sort();
}

/** examples/shop with files that each broke the parser, sorted before the rest, and enough modules that a worker parses too. */
function shopWithDeepFiles(): Map<string, Uint8Array> {
  const files = readTree(SHOP);
  files.set('aa_deep_string.py', Buffer.from(deepBlocks(511)));
  files.set('catalog/aa_deep_fstring.py', Buffer.from(deepBlocks(520, 'f"{x}"')));
  for (let i = 0; files.size < 80; i++)
    files.set(`orders/aa_filler_${i}.py`, Buffer.from(`def filler_${i}():\n    return ${i}\n`));
  return files;
}

for (const parseWorker of [false, true]) {
  test(`examples/shop keeps its 7 findings beside files 511 blocks deep (${parseWorker ? 'two threads' : 'one thread'})`, async () => {
    const files = shopWithDeepFiles();
    const clean = new Map([...files].filter(([p]) => !p.includes('aa_deep_')));
    const want = await findingsOf(clean, parseWorker);
    assert.equal(want.length, 7);
    assert.deepEqual(await findingsOf(files, parseWorker), want);
  });
}

// Last: the parser it breaks on purpose may have written anywhere in web-tree-sitter's memory.
test('a parser that has broken is replaced after its next errored parse, before another file', async () => {
  const language = (await loadPythonParser()).language;
  const handle = new Parser();
  handle.setLanguage(language);
  const want = freshTree(language, GOOD);
  // Break it as the scanner's overflow does, bypassing parsePython's guard; how deep it takes depends on the heap's layout.
  const broken = () => {
    try {
      return handle.parse(GOOD)?.rootNode.toString() !== want;
    } catch {
      return true;
    }
  };
  for (let depth = 511; depth < 530 && !broken(); depth++) {
    try {
      handle.parse(deepBlocks(depth));
    } catch {
      // A trap in the broken parser is what this test wants.
    }
  }
  assert.ok(broken(), 'the overflow broke the parser');
  treeOf(handle, 'def f(:\n');
  assert.equal(treeOf(handle, GOOD), want);
  assert.equal(treeOf(handle, GOOD), want);
});
