/**
 * One workspace folder: its configuration, its project index, and the edits waiting to be
 * analysed. Reads files (open buffers first, then disk) and hands them to the pure index.
 */
import { promises as fsp, readFileSync } from 'fs';
import * as path from 'path';
import type { Parser } from 'web-tree-sitter';
import { URI } from 'vscode-uri';
import type { Config } from '../config/config';
import { ConfigError, loadConfig, severityCodeProblem } from '../config/configLoader';
import type { SkippedPath } from '../engine/types';
import { defaultCacheDir, DiskFactCache } from '../engine/factCache';
import type { Severity } from '../config/config';
import { createNodeFs } from '../engine/nodeFs';
import { ProjectIndex, type Snapshot } from '../engine/projectIndex';
import { describeSkip } from '../report/text';
import { fileUri } from './convert';

/** The `djcache.*` settings of the editor for one folder. */
export interface EditorSettings {
  enable: boolean;
  rules: { select: string[]; ignore: string[] };
  severity: Record<string, Severity>;
  exclude: string[];
}

export const defaultSettings: EditorSettings = {
  enable: true,
  rules: { select: [], ignore: [] },
  severity: {},
  exclude: [],
};

export interface FolderHost {
  /** The open editor buffer of a file, if it is open. */
  openText(uri: string): string | undefined;
  log(message: string): void;
  /** The user's cache folder: each folder's fact cache is a folder below it. */
  cacheHome: string;
}

export class Folder {
  readonly root: string;
  settings: EditorSettings = defaultSettings;
  /** Set when pyproject.toml's [tool.djcache] could not be read; the defaults apply meanwhile. */
  configError: string | undefined;
  /** Rule codes in the settings or [tool.djcache] that name no rule: each is left out, and told once. */
  configWarnings: string[] = [];
  private index: ProjectIndex;
  private readonly pending = new Set<string>();
  private loading: Promise<void> | undefined;
  private loadGeneration = 0;

  constructor(
    readonly uri: URI,
    readonly name: string,
    private readonly parser: Parser,
    private readonly host: FolderHost,
  ) {
    this.root = uri.fsPath;
    this.index = new ProjectIndex(parser, loadConfig({}, {}));
  }

  /** The workspace-relative path of a file URI in this folder, or undefined. */
  relPath(uri: string): string | undefined {
    const u = URI.parse(uri);
    if (u.scheme !== 'file') return undefined;
    const rel = path.relative(this.root, u.fsPath);
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
    return rel.split(path.sep).join('/');
  }

  /** Reads configuration again and re-indexes the whole folder; a newer call supersedes an older one. */
  reload(progress?: (done: number, total: number) => void): Promise<void> {
    const generation = ++this.loadGeneration;
    const config = this.readConfig();
    this.index = new ProjectIndex(this.parser, config);
    this.pending.clear();
    const index = this.index;
    const run = async () => {
      const cache = new DiskFactCache(defaultCacheDir(this.root, this.host.cacheHome));
      await index.loadAll(
        createNodeFs(this.root, config),
        cache,
        (done, total) => progress?.(done, total),
        () => generation !== this.loadGeneration,
      );
      if (generation !== this.loadGeneration) return;
      cache.save();
      if (cache.notUsed) this.host.log(`${this.name}: the cache was not used: ${cache.notUsed}`);
      for (const s of index.skipped()) this.host.log(`${this.name}: skipped ${s.path}: ${describeSkip(s)}`);
    };
    this.loading = run();
    return this.loading;
  }

  /** A file changed (edit, create, delete, rename): re-read it before the next analysis. */
  touch(relPath: string): void {
    for (const p of [relPath, ...this.index.filesUnder(relPath)]) this.pending.add(p);
  }

  /** The analysis of the current files, after the index is loaded and pending files are re-read. */
  async snapshot(): Promise<Snapshot> {
    await this.loading;
    while (this.pending.size) {
      const batch = [...this.pending];
      this.pending.clear();
      for (const rel of batch) {
        const bytes = await this.read(rel);
        const moved =
          bytes === 'gone'
            ? this.index.deleteFile(rel)
            : bytes === 'unreadable'
              ? this.index.skipFile(rel, 'unreadable')
              : this.index.setFile(rel, bytes);
        for (const m of moved) this.pending.add(m);
      }
    }
    return this.index.analyze();
  }

  /** Paths of this folder that could not be listed or read. */
  skipped(): readonly SkippedPath[] {
    return this.index.skipped();
  }

  isStale(s: Snapshot): boolean {
    return this.pending.size > 0 || this.index.isStale(s);
  }

  /** The current text of a file, for quick-fixes: the open buffer, else the disk. */
  readText(relPath: string): string | undefined {
    const open = this.host.openText(fileUri(this, relPath));
    if (open !== undefined) return open;
    try {
      return readFileSync(path.join(this.root, relPath), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** A file's bytes: its open buffer, else the disk; 'gone' when it is not there (deleted, or a folder). */
  private async read(rel: string): Promise<Uint8Array | 'gone' | 'unreadable'> {
    const open = this.host.openText(fileUri(this, rel));
    if (open !== undefined) return Buffer.from(open, 'utf8');
    return fsp
      .readFile(path.join(this.root, rel))
      .catch((error: NodeJS.ErrnoException) =>
        error.code === 'ENOENT' || error.code === 'EISDIR' || error.code === 'ENOTDIR' ? 'gone' : 'unreadable',
      );
  }

  /** pyproject.toml's [tool.djcache] under the editor settings; the editor wins where both say something. */
  private readConfig(): Config {
    let pyproject: string | undefined;
    try {
      pyproject = readFileSync(path.join(this.root, 'pyproject.toml'), 'utf8');
    } catch {
      pyproject = undefined;
    }
    const s = this.settings;
    const editor: Partial<Config> = {
      select: s.rules.select.length ? s.rules.select : undefined,
      ignore: s.rules.ignore.length ? s.rules.ignore : undefined,
      exclude: s.exclude.length ? s.exclude : undefined,
    };
    const warnings: string[] = [];
    this.configWarnings = warnings;
    const severity = Object.fromEntries(
      Object.entries(s.severity).filter(([code]) => {
        const problem = severityCodeProblem(code, 'djcache.severity');
        if (problem) warnings.push(problem);
        return !problem;
      }),
    );
    try {
      this.configError = undefined;
      const config = loadConfig({ pyproject }, editor, {
        source: 'editor',
        onRuleProblem: (message) => warnings.push(message),
      });
      return { ...config, severity: { ...config.severity, ...severity } };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.configError = error.message;
      this.host.log(`${this.name}: ${error.message}; using the defaults`);
      return loadConfig({}, {});
    }
  }
}
