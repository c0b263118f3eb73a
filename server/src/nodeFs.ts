/** The real file system below a workspace root, for the CLI and the language server. */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { Config } from './config';
import { isExcluded } from './configLoader';
import type { WorkspaceFs } from './engine';

/** Only these files mean anything to the engine. */
const WANTED_EXTENSIONS = ['.py', '.html', '.txt'];
const WANTED_NAMES = new Set(['pyproject.toml', 'setup.cfg']);
/** Skipped whatever the excludes say: they can be huge and never hold project code. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.djcache_cache']);
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** The real file system below root: only files the engine reads, no excluded or oversized ones. */
export function createNodeFs(root: string, config: Config): WorkspaceFs {
  return {
    list: () => listWorkspace(root, config),
    read: (relPath) => fsp.readFile(path.join(root, relPath)),
  };
}

export async function listWorkspace(root: string, config: Config): Promise<string[]> {
  const files: string[] = [];
  const visited = new Set<string>();
  const rootReal = await fsp.realpath(root);

  async function walk(dir: string, rel: string): Promise<void> {
    // Symlinked folders can form loops: each real folder is read once, and a link up to an
    // ancestor of the root would re-read the root from above.
    const real = await fsp.realpath(dir).catch(() => null);
    if (real === null || visited.has(real) || rootReal.startsWith(real + path.sep)) return;
    visited.add(real);
    // A virtualenv under any name: it holds installed packages, not project code.
    if (rel !== '' && (await fsp.stat(path.join(dir, 'pyvenv.cfg')).catch(() => null))) return;
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    const subdirs: [string, string][] = [];
    await Promise.all(entries.map(async (entry) => {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, entry.name);
      const stat = entry.isSymbolicLink() || entry.isFile() ? await fsp.stat(full).catch(() => null) : null;
      const isDir = entry.isDirectory() || stat?.isDirectory() === true;
      if (isDir) {
        if (!SKIPPED_DIRS.has(entry.name) && !isExcluded(config, relPath)) subdirs.push([full, relPath]);
      } else if (stat?.isFile() && wanted(entry.name) && stat.size <= MAX_FILE_BYTES && !isExcluded(config, relPath)) {
        files.push(relPath);
      }
    }));
    for (const [full, relPath] of subdirs.sort((a, b) => (a[1] < b[1] ? -1 : 1))) await walk(full, relPath);
  }

  await walk(root, '');
  return files.sort();
}

function wanted(name: string): boolean {
  return WANTED_NAMES.has(name) || WANTED_EXTENSIONS.some((ext) => name.endsWith(ext));
}

