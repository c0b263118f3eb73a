/** Reading fixture trees into memory, shared by the fixture and robustness tests. */
import { readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { defaultConfig } from '../server/src/config/config';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { readBundledStubs } from '../server/src/engine/nodeFs';
import type { FactCache, WorkspaceFs } from '../server/src/engine/types';
import type { FileFacts } from '../server/src/facts/types';

/** Every file below root, as relative paths with '/' separators, with its bytes. */
export function readTree(root: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(abs).isDirectory()) walk(abs, r);
      else files.set(r, readFileSync(abs));
    }
  };
  walk(root, '');
  return files;
}

/** A workspace held in memory, with the bundled library stubs as the installed product has them. */
export function memoryFs(files: Map<string, Uint8Array>): WorkspaceFs {
  return {
    stubs: async () => readBundledStubs(),
    list: async () => [...files.keys()],
    read: async (p) => {
      const b = files.get(p);
      if (!b) throw new Error(`no such file: ${p}`);
      return b;
    },
  };
}

/** The facts a run extracts from a workspace in memory, sorted by path: what the analysis layer is given. */
export async function factsOf(files: Map<string, Uint8Array>): Promise<FileFacts[]> {
  const facts: FileFacts[] = [];
  const collecting: FactCache = {
    get: () => undefined,
    set: (_, f) => facts.push(f),
    lastResult: () => undefined,
    storeResult: () => undefined,
  };
  await analyzeWorkspace(memoryFs(files), defaultConfig, undefined, collecting);
  return facts.sort((a, b) => (a.path < b.path ? -1 : 1));
}
