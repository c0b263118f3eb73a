/** The real file system below a workspace root, for the CLI and the language server. */
import { type Dirent, existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'fs';
import * as path from 'path';
import type { Config } from '../config/config';
import { isExcluded } from '../config/configLoader';
import { MAX_FILE_BYTES, type SkippedPath, type StubFile, type WorkspaceFs } from './types';

/** Only these files mean anything to the engine. */
const WANTED_EXTENSIONS = ['.py', '.html', '.txt', '.xml', '.jinja', '.jinja2', '.j2', '.jade'];
const WANTED_NAMES = new Set(['pyproject.toml', 'setup.cfg']);
/** Skipped whatever the excludes say: they can be huge and never hold project code (.djcache_cache: the cache of djcache 0.1). */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.djcache_cache']);

/**
 * The real file system below root: only files the engine reads, no excluded or oversized ones.
 * Calls are synchronous inside: for a tree of small files that is several times faster than
 * promise-based I/O, which pays a thread-pool round trip per open, stat, read and close.
 */
export function createNodeFs(root: string, config: Config): WorkspaceFs {
  return {
    list: async (skip) => listWorkspace(root, config, skip),
    read: async (relPath) => readFileSync(path.join(root, relPath)),
    stubs: async () => readBundledStubs(),
  };
}

/** The stubs folder: dist/stubs beside the bundle, server/stubs when run from out/. */
const STUB_DIRS = [path.join(__dirname, 'stubs'), path.join(__dirname, '..', '..', '..', '..', 'server', 'stubs')];

let bundledStubs: StubFile[] | undefined;

/** Every .py file of the bundled stubs, read once per process. */
export function readBundledStubs(): readonly StubFile[] {
  if (bundledStubs) return bundledStubs;
  const dir = STUB_DIRS.find((d) => existsSync(d));
  const files: StubFile[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(dir!, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.py'))
        files.push({ path: child, text: readFileSync(path.join(dir!, child), 'utf8') });
    }
  };
  if (dir) walk('');
  return (bundledStubs = files.sort((a, b) => (a.path < b.path ? -1 : 1)));
}

/**
 * A folder to list: its path, its path from the root ('' for the root), its real path with its
 * ancestors', and whether it is itself a symlink.
 */
interface Folder {
  full: string;
  rel: string;
  realChain: string[];
  isLink: boolean;
}

/**
 * Every wanted file below root. Folders that cannot be read, symlinks that lead round in a loop
 * and files over MAX_FILE_BYTES are left out and told to `skip`; a symlink to a folder inside the
 * root is left out quietly, its files being listed under their real path (django-wiki's
 * `testproject/wiki` → `../src/wiki`); of two links to one folder outside it, the first in name order is listed.
 */
function listWorkspace(root: string, config: Config, skip: (skipped: SkippedPath) => void = () => undefined): string[] {
  const files: string[] = [];
  const visited = new Set<string>();
  let rootReal: string;
  try {
    rootReal = realpathSync.native(root);
  } catch (error) {
    skip({ path: '.', reason: errorReason(error) });
    return files;
  }
  const isWithin = (real: string, chain: string[]) => chain.some((r) => r === real || r.startsWith(real + path.sep));
  // Iterative, depth first in name order: a deep tree must not exhaust the stack.
  const stack: Folder[] = [{ full: root, rel: '', realChain: [rootReal], isLink: false }];
  while (stack.length) {
    const { full: dir, rel, realChain: above, isLink } = stack.pop()!;
    const shown = rel || '.';
    let entries: Dirent[];
    let realChain: string[];
    try {
      const real = realpathSync.native(dir);
      // A link up to this folder or one of its ancestors (the root's included) would list them again forever.
      if (rel !== '' && (isWithin(real, above) || rootReal.startsWith(real + path.sep))) {
        skip({ path: shown, reason: 'loop' });
        continue;
      }
      if (visited.has(real) || (isLink && real.startsWith(rootReal + path.sep))) continue;
      visited.add(real);
      realChain = rel === '' ? above : [...above, real];
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      skip({ path: shown, reason: errorReason(error) });
      continue;
    }
    // A virtualenv under any name: it holds installed packages, not project code.
    if (rel !== '' && entries.some((e) => e.name === 'pyvenv.cfg')) continue;
    const subdirs: Folder[] = [];
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      let target;
      try {
        target = entry.isSymbolicLink() ? statSync(full, { throwIfNoEntry: false }) : entry;
      } catch (error) {
        // A link that leads nowhere (a loop of links, a folder it may not enter); one to nothing at all is left out quietly.
        if (!SKIPPED_DIRS.has(entry.name) && !isExcluded(config, relPath))
          skip({ path: relPath, reason: errorReason(error) });
        continue;
      }
      if (target?.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !isExcluded(config, relPath))
          subdirs.push({ full, rel: relPath, realChain, isLink: entry.isSymbolicLink() });
      } else if (target?.isFile() && wanted(entry.name) && !isExcluded(config, relPath)) {
        let size: number | undefined;
        try {
          size = statSync(full).size;
        } catch (error) {
          skip({ path: relPath, reason: errorReason(error) });
          continue;
        }
        if (size <= MAX_FILE_BYTES) files.push(relPath);
        else skip({ path: relPath, reason: 'too-big' });
      }
    }
    stack.push(...subdirs.sort((a, b) => (a.rel < b.rel ? 1 : -1)));
  }
  return files.sort();
}

function errorReason(error: unknown): 'loop' | 'unreadable' {
  return (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'loop' : 'unreadable';
}

function wanted(name: string): boolean {
  return WANTED_NAMES.has(name) || WANTED_EXTENSIONS.some((ext) => name.endsWith(ext));
}
