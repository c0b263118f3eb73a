/**
 * The on-disk cache of the CLI and the language server, under the workspace's .djcache_cache/:
 * facts.json (facts by key) and result.json (the last run's result). JSON, because it parses
 * about twice as fast as V8 deserialisation for facts; two files, because a run whose inputs are
 * unchanged needs only the small one. Both are tied to the engine's code, so an upgraded or
 * rebuilt djcache never reuses what an older one worked out.
 */
import { createHash } from 'crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { FactCache, StoredResult } from './engine';
import type { FileFacts } from './facts/types';

interface Stored<T> { code: string; data: T }

export class DiskFactCache implements FactCache {
  private stored: Map<string, FileFacts> | undefined;
  private readonly used = new Map<string, FileFacts>();
  private changed = false;
  /** A result stored this run, to be saved. */
  private result: StoredResult | undefined;

  constructor(private readonly dir: string) {}

  get(key: string): FileFacts | undefined {
    this.stored ??= new Map(this.load<[string, FileFacts][]>('facts.json') ?? []);
    const f = this.stored.get(key);
    if (f) this.used.set(key, f);
    return f;
  }

  set(key: string, facts: FileFacts): void {
    this.used.set(key, facts);
    this.changed = true;
  }

  lastResult(): StoredResult | undefined {
    return this.load<StoredResult>('result.json');
  }

  storeResult(result: StoredResult): void {
    this.result = result;
  }

  /** Writes the facts of this run only, so deleted and edited files do not pile up. */
  save(): void {
    const factsChanged = this.changed || (this.stored !== undefined && this.used.size !== this.stored.size);
    if (!factsChanged && !this.result) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(path.join(this.dir, '.gitignore'), '*\n');
      if (factsChanged) this.write('facts.json', [...this.used]);
      if (this.result) this.write('result.json', this.result);
    } catch {
      // A read-only checkout still gets its findings; it just starts cold next time.
    }
  }

  private load<T>(name: string): T | undefined {
    try {
      const stored = JSON.parse(readFileSync(path.join(this.dir, name), 'utf8')) as Stored<T>;
      return stored.code === engineCode() ? stored.data : undefined;
    } catch {
      // Missing or unreadable: start empty.
      return undefined;
    }
  }

  private write(name: string, data: unknown): void {
    const tmp = path.join(this.dir, `${name}.${process.pid}`);
    writeFileSync(tmp, JSON.stringify({ code: engineCode(), data } satisfies Stored<unknown>));
    renameSync(tmp, path.join(this.dir, name));
  }
}

let code: string | undefined;

/** Names, sizes and times of the engine's own JavaScript files: changes when djcache does. */
function engineCode(): string {
  if (code === undefined) {
    const parts: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.js')) {
          const st = statSync(full);
          parts.push(`${path.relative(__dirname, full)}:${st.size}:${st.mtimeMs}`);
        }
      }
    };
    walk(__dirname);
    code = createHash('sha1').update(parts.sort().join('\n')).digest('hex');
  }
  return code;
}
