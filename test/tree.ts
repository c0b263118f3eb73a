/** Reading fixture trees into memory, shared by the fixture and robustness tests. */
import { readdirSync, readFileSync, statSync } from 'fs';
import * as path from 'path';
import { readBundledStubs } from '../server/src/engine/nodeFs';
import type { WorkspaceFs } from '../server/src/engine/types';

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
