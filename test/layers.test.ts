/**
 * The import graph of the sources (server/src, client/src, shared): no cycles, and every import
 * follows the layer table below, type-only imports included (a type import still ties the
 * modules' meaning together). Imports are read with TypeScript's own pre-processor, so
 * `import type`, `export … from` and inline `import('…')` types all count, and comments do not.
 * docs/architecture.md quotes the table.
 */
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/** The layer table, shared with the eslint rule (scripts/lint/layerTable.js). */
// A CommonJS module outside the TypeScript project.
const { LAYERS } = require(path.join(ROOT, 'scripts', 'lint', 'layerTable.js')) as {
  LAYERS: { layer: string; paths: string[]; mayImport: string[] }[];
};

/** The only modules that may touch the disk: the file-system interface's Node implementation, the fact cache, the grammar loader, and the hosts. */
const FILE_SYSTEM_USERS = [
  'server/src/engine/nodeFs.ts',
  'server/src/engine/factCache.ts',
  'server/src/syntax/parser.ts',
  'server/src/lsp/',
  'server/src/cli.ts',
];

/** Packages that speak LSP or VS Code: only the language server's lsp/ layer and the client use them. */
const EDITOR_PACKAGES =
  /^(vscode|vscode-languageserver|vscode-languageclient|vscode-languageserver-protocol|vscode-jsonrpc|vscode-uri)(\/|$)/;

const SOURCE_DIRS = ['shared', 'server/src', 'client/src'];

function layerOf(file: string): string | undefined {
  let best: { layer: string; path: string } | undefined;
  for (const { layer, paths } of LAYERS) {
    for (const p of paths)
      if ((file === p || (p.endsWith('/') && file.startsWith(p))) && (!best || p.length > best.path.length))
        best = { layer, path: p };
  }
  return best?.layer;
}

/** Each .ts file under `dirs` (repo-relative) → the files under `dirs` it imports, and the packages it imports. */
function importGraph(dirs: string[]): { graph: Map<string, string[]>; packages: Map<string, string[]> } {
  const graph = new Map<string, string[]>();
  const packages = new Map<string, string[]>();
  const visit = (abs: string) => {
    for (const name of readdirSync(abs)) {
      const file = path.join(abs, name);
      if (statSync(file).isDirectory()) visit(file);
      else if (name.endsWith('.ts')) {
        const specs = ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
        graph.set(
          path.relative(ROOT, file),
          resolved(
            file,
            specs.filter((s) => s.startsWith('.')),
          ),
        );
        packages.set(
          path.relative(ROOT, file),
          specs.filter((s) => !s.startsWith('.')),
        );
      }
    }
  };
  for (const dir of dirs) visit(path.join(ROOT, dir));
  for (const [file, imports] of graph)
    graph.set(
      file,
      imports.filter((i) => graph.has(i)),
    );
  return { graph, packages };
}

/** Imports that break the layer table, as "importer -> imported (layer -> layer)". */
function layerViolations(graph: Map<string, string[]>): string[] {
  const allowed = new Map(LAYERS.map((l) => [l.layer, new Set([l.layer, ...l.mayImport])]));
  const out: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file)!;
    for (const i of imports) {
      const to = layerOf(i)!;
      if (!allowed.get(from)!.has(to)) out.push(`${file} -> ${i} (${from} -> ${to})`);
    }
  }
  return out.sort();
}

function resolved(file: string, relative: string[]): string[] {
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
    assert.deepEqual(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
      [['a', 'b', 'c']],
    );
    assert.deepEqual(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
      [],
    );
  });

  test('the layer check rejects an import of a layer above, and accepts one below', () => {
    const graph = new Map([
      ['server/src/syntax/python.ts', ['server/src/facts/types.ts', 'shared/loc.ts']],
      ['server/src/facts/types.ts', []],
      ['shared/loc.ts', []],
    ]);
    assert.deepEqual(layerViolations(graph), [
      'server/src/syntax/python.ts -> server/src/facts/types.ts (syntax -> facts)',
    ]);
  });

  const { graph, packages } = importGraph(SOURCE_DIRS);

  test('no module imports a module that imports it back, type imports included', () => {
    assert.ok(
      [...graph.values()].some((imports) => imports.length > 0),
      'the imports were read',
    );
    assert.deepEqual(cycles(graph), []);
  });

  test('every source file is in a layer, and every layer in the table holds some file', () => {
    assert.deepEqual(
      [...graph.keys()].filter((f) => !layerOf(f)),
      [],
    );
    const used = new Set([...graph.keys()].map(layerOf));
    assert.deepEqual(
      LAYERS.map((l) => l.layer).filter((l) => !used.has(l)),
      [],
    );
  });

  test('nothing imports a layer above it: every import is an edge the layer table allows', () => {
    assert.deepEqual(layerViolations(graph), []);
  });

  test('docs/architecture.md quotes the layer table as it is', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const table = doc.slice(doc.indexOf('| layer | where | may import |')).split('\n\n')[0].split('\n').slice(2);
    const rows = table.map((row) => {
      const [layer, where, may] = row
        .split('|')
        .slice(1, 4)
        .map((cell) => cell.trim());
      return {
        layer,
        paths: [...where.matchAll(/`([^`]+)`/g)].map((m) => m[1]),
        mayImport: may === 'nothing' ? [] : may.split(', '),
      };
    });
    assert.deepEqual(rows, LAYERS);
  });

  test('only lsp/ and the client import LSP or VS Code packages', () => {
    const users = [...packages]
      .filter(([, specs]) => specs.some((s) => EDITOR_PACKAGES.test(s)))
      .map(([f]) => layerOf(f));
    assert.ok(users.length > 0, 'the packages were read');
    assert.deepEqual([...new Set(users)].sort(), ['client', 'lsp']);
  });

  test('the engine reads files only through WorkspaceFs: node:fs is used by the hosts, the Node file system, the fact cache and the grammar loader only', () => {
    const users = [...packages].filter(([, specs]) => specs.some((s) => /^(node:)?fs(\/|$)/.test(s))).map(([f]) => f);
    assert.ok(users.length > 0, 'the packages were read');
    assert.deepEqual(
      users.filter((f) => !FILE_SYSTEM_USERS.some((p) => f === p || (p.endsWith('/') && f.startsWith(p)))),
      [],
    );
  });
});
