/**
 * The on-disk cache of the CLI and the language server: facts.json (facts by key) and
 * result.json (the last run's result). JSON, because it parses about twice as fast as V8
 * deserialisation for facts; two files, because a run whose inputs are unchanged needs only the
 * small one. Both are tied to the engine's code, so an upgraded or rebuilt djcache never reuses
 * what an older one worked out.
 *
 * By default the cache lives outside the workspace, in the OS cache folder keyed by the root's
 * real path, so that checking or opening a cloned repository writes nothing inside it. Whatever
 * the folder, a repository must not be able to steer a write: a cache folder that is a symbolic
 * link, or that djcache did not create (no marker), or that holds a link, is not used at all;
 * files are created exclusively without following links, and replaced by renaming a new file
 * over them.
 */
import { createHash, randomBytes } from 'crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FactCache, StoredResult } from './types';
import type { FileFacts } from '../facts/types';

interface Stored<T> {
  code: string;
  data: T;
}

/** Written when djcache creates a cache folder; a folder without it is someone else's. The Cache Directory Tagging format, so backup tools skip it too. */
const MARKER = 'CACHEDIR.TAG';
const MARKER_TEXT =
  'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by djcache.\n';
/** Not every platform has O_NOFOLLOW (Windows); there the other checks still hold. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * The folder that holds the user's caches: $XDG_CACHE_HOME or ~/.cache on Linux and other
 * Unixes, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows.
 */
export function osCacheHome(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home = os.homedir(),
): string {
  if (platform === 'win32') return env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches');
  // The XDG spec says a relative value is invalid and must be ignored.
  return env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
}

/** The cache folder of a workspace root: `<cacheHome>/djcache/<hash of the root's real path>`. */
export function defaultCacheDir(root: string, cacheHome: string): string {
  let real: string;
  try {
    real = realpathSync.native(root);
  } catch {
    real = path.resolve(root);
  }
  return path.join(cacheHome, 'djcache', createHash('sha256').update(real).digest('hex').slice(0, 32));
}

export class DiskFactCache implements FactCache {
  private stored: Map<string, FileFacts> | undefined;
  private readonly used = new Map<string, FileFacts>();
  private changed = false;
  /** A result stored this run, to be saved. */
  private result: StoredResult | undefined;
  /** Why the cache is not used (a link, a folder djcache did not make); once set, nothing is read or written. */
  private refusal: string | undefined;
  private checked = false;

  constructor(private readonly dir: string) {}

  /** Why this run did not use the cache, in one line; undefined while it is usable. */
  get notUsed(): string | undefined {
    return this.refusal;
  }

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
    if ((!factsChanged && !this.result) || !this.usable()) return;
    try {
      this.create();
      if (factsChanged) this.write('facts.json', [...this.used]);
      if (this.result) this.write('result.json', this.result);
    } catch (error) {
      // A read-only home still gets its findings; it just starts cold next time.
      this.refusal ??= `${this.dir} could not be written (${errorCode(error)})`;
    }
  }

  /**
   * Whether the folder may be used: it does not exist yet, or it is a real folder (not a link)
   * that djcache made, owned by this user, with no links inside. Checked once per run.
   */
  private usable(): boolean {
    if (this.checked) return this.refusal === undefined;
    this.checked = true;
    try {
      const st = lstatSync(this.dir);
      if (st.isSymbolicLink()) this.refusal = `${this.dir} is a symbolic link`;
      else if (!st.isDirectory()) this.refusal = `${this.dir} is not a folder`;
      else if (process.getuid && st.uid !== process.getuid()) this.refusal = `${this.dir} belongs to another user`;
      else if (!this.isOurs()) this.refusal = `${this.dir} was not made by djcache (no ${MARKER})`;
      else {
        const link = readdirSync(this.dir, { withFileTypes: true }).find((e) => e.isSymbolicLink());
        if (link) this.refusal = `${path.join(this.dir, link.name)} is a symbolic link`;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.refusal = `${this.dir} cannot be read (${errorCode(error)})`;
    }
    return this.refusal === undefined;
  }

  private isOurs(): boolean {
    try {
      return this.readInside(MARKER).startsWith(MARKER_TEXT.split('\n')[0]);
    } catch {
      return false;
    }
  }

  /** Makes the folder with its marker and a .gitignore (for a --cache-dir inside a repository), unless it exists. */
  private create(): void {
    mkdirSync(path.dirname(this.dir), { recursive: true });
    try {
      mkdirSync(this.dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Made by someone else since the check: it must pass the check before anything goes in.
      this.checked = false;
      if (this.usable()) return;
      throw error;
    }
    this.createInside(MARKER, MARKER_TEXT);
    this.createInside('.gitignore', '*\n');
  }

  private load<T>(name: string): T | undefined {
    if (!this.usable()) return undefined;
    try {
      const stored = JSON.parse(this.readInside(name)) as Stored<T>;
      return stored.code === engineCode() ? stored.data : undefined;
    } catch (error) {
      // A link put there after the check: stop using the cache. Missing or unreadable: start empty.
      if ((error as NodeJS.ErrnoException).code === 'ELOOP')
        this.refusal = `${path.join(this.dir, name)} is a symbolic link`;
      return undefined;
    }
  }

  /** Reads a file of the folder without following a link (ELOOP if it is one). */
  private readInside(name: string): string {
    const fd = openSync(path.join(this.dir, name), constants.O_RDONLY | NO_FOLLOW);
    try {
      if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`${name} is not a file`), { code: 'EISDIR' });
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  }

  /** Creates a new file: fails if anything (a file, a link) already has the name. */
  private createInside(name: string, text: string): void {
    const fd = openSync(
      path.join(this.dir, name),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW,
      0o600,
    );
    try {
      writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
  }

  /** Replaces a file by renaming a new one over it: a link under the final name is replaced, never followed. */
  private write(name: string, data: unknown): void {
    const tmp = `${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    this.createInside(tmp, JSON.stringify({ code: engineCode(), data } satisfies Stored<unknown>));
    try {
      renameSync(path.join(this.dir, tmp), path.join(this.dir, name));
    } catch (error) {
      unlinkSync(path.join(this.dir, tmp));
      throw error;
    }
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

let code: string | undefined;

/** The engine's code: out/server/src when run from the build, dist/ (this file's folder) in the bundle. */
const codeDir = path.basename(__dirname) === 'engine' ? path.dirname(__dirname) : __dirname;

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
          parts.push(`${path.relative(codeDir, full)}:${st.size}:${st.mtimeMs}`);
        }
      }
    };
    walk(codeDir);
    code = createHash('sha1').update(parts.sort().join('\n')).digest('hex');
  }
  return code;
}
