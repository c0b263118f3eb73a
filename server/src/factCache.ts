/** The on-disk fact cache of the CLI: one V8-serialised file under the workspace's .djcache_cache/. */
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'fs';
import * as path from 'path';
import { deserialize, serialize } from 'v8';
import type { FactCache } from './engine';
import type { FileFacts } from './facts/types';

export class DiskFactCache implements FactCache {
  private readonly stored: Map<string, FileFacts>;
  private readonly used = new Map<string, FileFacts>();
  private changed = false;

  constructor(private readonly dir: string) {
    this.stored = DiskFactCache.load(path.join(dir, 'facts.bin'));
  }

  private static load(file: string): Map<string, FileFacts> {
    try {
      const data = deserialize(readFileSync(file));
      return data instanceof Map ? data : new Map();
    } catch {
      // Missing or from another Node version: start empty.
      return new Map();
    }
  }

  get(key: string): FileFacts | undefined {
    const f = this.stored.get(key);
    if (f) this.used.set(key, f);
    return f;
  }

  set(key: string, facts: FileFacts): void {
    this.used.set(key, facts);
    this.changed = true;
  }

  /** Writes the facts of this run only, so deleted and edited files do not pile up. */
  save(): void {
    if (!this.changed && this.used.size === this.stored.size) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(path.join(this.dir, '.gitignore'), '*\n');
      const tmp = path.join(this.dir, `facts.bin.${process.pid}`);
      writeFileSync(tmp, serialize(this.used));
      renameSync(tmp, path.join(this.dir, 'facts.bin'));
    } catch {
      // A read-only checkout still gets its findings; it just starts cold next time.
    }
  }
}
