/**
 * The import graph of the sources: no cycles, type-only imports included (a type cycle still ties
 * the modules' meaning together). Imports are read with TypeScript's own pre-processor, so
 * `import type`, `export … from` and inline `import('…')` types all count, and comments do not.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/** Each .ts file under `dir` (repo-relative) → the files under `dir` it imports, repo-relative. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const file = path.join(abs, name);
      if (statSync(file).isDirectory()) visit(file);
      else if (name.endsWith('.ts')) graph.set(path.relative(ROOT, file), importsOf(file));
    }
  };
  visit(path.join(ROOT, dir));
  for (const [file, imports] of graph) graph.set(file, imports.filter((i) => graph.has(i)));
  return graph;
}

function importsOf(file: string): string[] {
  const relative = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.'));
  return relative.flatMap((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    const found = [`${base}.ts`, path.join(base, 'index.ts')].find(existsSync);
    return found ? [path.relative(ROOT, found)] : [];
  });
}

/** The strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const out: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) out.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return out;
}

describe('import layers', () => {
  test('the cycle finder finds a cycle, and a chain is none', () => {
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', []]])), []);
  });

  test('the analysis imports no module that imports it back, type imports included', () => {
    const graph = importGraph('server/src/analysis');
    assert.ok([...graph.values()].some((imports) => imports.length > 0), 'the imports were read');
    assert.deepEqual(cycles(graph), []);
  });
});
