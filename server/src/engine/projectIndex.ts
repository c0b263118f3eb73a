/**
 * One workspace folder's facts, kept current file by file for the language server.
 * Pure like the engine: the caller reads files and hands their bytes in.
 */
import type { Parser } from 'web-tree-sitter';
import {
  IncrementalAnalysis,
  type IncrementalStats,
  sameAnalysisInput,
  trackFacts,
  type TrackedFacts,
} from '../analysis/incremental';
import type { Analysis } from '../analysis/analysis';
import type { Config } from '../config/config';
import type { Worker } from 'worker_threads';
import {
  extractAll,
  factsForFile,
  findingsOf,
  isAnalysedPath,
  layoutDirOf,
  packageDirsOf,
  type Progress,
  reportedSkips,
  stubFacts,
} from './engine';
import { type FactCache, MAX_FILE_BYTES, type SkippedPath, type SkipReason, type WorkspaceFs } from './types';
import { startParseWorker, worthAWorker } from '../facts/parallel';
import { readAhead } from './readAhead';
import type { FileFacts, PythonFacts } from '../facts/types';
import type { Finding } from '../findings';
import type { Graph } from '../../../shared/graph';

/** Files read between two yields of loadAll. */
const LOAD_CHUNK = 50;

export interface Snapshot {
  findings: Finding[];
  graph: Graph;
  analysis: Analysis;
  /** Bumped on every change, so a request can tell it answers from current facts. */
  generation: number;
  /** How much of the analysis was done again for this snapshot. */
  stats: IncrementalStats;
}

export class ProjectIndex {
  private readonly facts = new Map<string, TrackedFacts>();
  private packageDirs = new Set<string>();
  private generation = 0;
  private snapshot: Snapshot | undefined;
  private readonly incremental = new IncrementalAnalysis();
  /** Paths set or deleted since the last analysis. */
  private readonly changedPaths = new Set<string>();
  /** Paths the last load could not list or read, and files that could not be read since. */
  private skippedPaths: SkippedPath[] = [];
  /** The bundled library stubs' facts, read with the folder. */
  private libraries: PythonFacts[] = [];

  constructor(
    private readonly parser: Parser,
    private readonly config: Config,
  ) {}

  /** Is the file one the engine reads under this configuration? */
  wants(path: string): boolean {
    return isAnalysedPath(this.config, path);
  }

  /**
   * Replaces every file's facts by reading the whole folder, reusing cached facts of unchanged
   * files; stops early when cancelled.
   */
  async loadAll(
    fs: WorkspaceFs,
    cache?: FactCache,
    progress?: Progress,
    cancelled: () => boolean = () => false,
  ): Promise<void> {
    const listed: SkippedPath[] = [];
    const unread: SkippedPath[] = [];
    const paths = (await fs.list((s) => listed.push(s))).filter((p) => this.wants(p)).sort();
    this.libraries = stubFacts(this.parser, (await fs.stubs?.()) ?? []);
    this.facts.clear();
    this.incremental.reset();
    this.packageDirs = packageDirsOf(paths);
    const read = readAhead(fs, paths);
    // Parsed on a worker thread as well once enough files missed the cache to pay for one.
    let worker: Worker | undefined;
    let toParse = 0;
    const workerFor = (files: number) =>
      worthAWorker((toParse += files)) ? (worker ??= startParseWorker()) : undefined;
    try {
      for (let from = 0; from < paths.length && !cancelled(); from += LOAD_CHUNK) {
        progress?.(from, paths.length, 'facts');
        const chunk = paths.slice(from, from + LOAD_CHUNK);
        await extractAll(
          this.parser,
          chunk,
          (i) => read(from + i),
          this.packageDirs,
          cache,
          workerFor,
          (path, keyed, skipped) => {
            this.put(path, keyed?.facts);
            if (skipped) unread.push({ path, reason: skipped });
          },
        );
        // Yield between chunks so requests and edits are served during a long index.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      void worker?.terminate();
    }
    progress?.(paths.length, paths.length, 'facts');
    this.skippedPaths = reportedSkips(this.config, listed, unread);
    this.changed();
  }

  /** Paths that could not be listed or read, sorted by path. */
  skipped(): readonly SkippedPath[] {
    return this.skippedPaths;
  }

  /** A file that can no longer be read: its facts go, as deleteFile does, and it is reported as skipped. */
  skipFile(path: string, reason: SkipReason): string[] {
    if (!this.wants(path)) return [];
    const moved = this.deleteFile(path);
    this.skippedPaths = reportedSkips(this.config, [], [...this.skippedPaths, { path, reason }]);
    return moved;
  }

  /**
   * Sets one file's content. Returns the other files whose module names changed (a package's
   * __init__.py appeared or went away): the caller must hand their content in again.
   */
  setFile(path: string, bytes: Uint8Array): string[] {
    if (!this.wants(path)) return [];
    if (bytes.length > MAX_FILE_BYTES) return this.skipFile(path, 'too-big');
    this.skippedPaths = this.skippedPaths.filter((s) => s.path !== path);
    const moved = this.restructure(path, true);
    if (this.store(path, bytes) || moved.length) this.changed();
    return moved;
  }

  /** Forgets a deleted file; returns the files whose module names changed, as setFile does. */
  deleteFile(path: string): string[] {
    this.skippedPaths = this.skippedPaths.filter((s) => s.path !== path);
    if (!this.facts.delete(path)) return [];
    this.changedPaths.add(path);
    const moved = this.restructure(path, false);
    this.changed();
    return moved;
  }

  /** Paths of every file under a folder (for folder deletes and renames). */
  filesUnder(dir: string): string[] {
    return [...this.facts.keys()].filter((p) => p.startsWith(dir + '/'));
  }

  /** Findings and graph for the current facts; computed once per change, reusing what the changes cannot affect. */
  analyze(): Snapshot {
    if (!this.snapshot) {
      const facts = [...this.facts.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
      const { analysis, stats } = this.incremental.analyze(facts, this.changedPaths, this.config, this.libraries);
      this.changedPaths.clear();
      const { findings, graph } = findingsOf(analysis, this.config);
      this.snapshot = { findings, graph, analysis, generation: this.generation, stats };
    }
    return this.snapshot;
  }

  isStale(snapshot: Snapshot): boolean {
    return snapshot.generation !== this.generation;
  }

  /** Edits go uncached: every keystroke's facts would pile up in the cache. */
  private store(path: string, bytes: Uint8Array): boolean {
    return this.put(path, factsForFile(this.parser, path, bytes, this.packageDirs));
  }

  /** Sets or forgets a file's facts; returns whether the analysis input changed (an edit inside a comment does not change it). */
  private put(path: string, f: FileFacts | undefined): boolean {
    const before = this.facts.get(path);
    if (f && before && sameAnalysisInput(before, f)) return false;
    if (f) this.facts.set(path, trackFacts(f));
    else this.facts.delete(path);
    this.changedPaths.add(path);
    return true;
  }

  /** Updates the folders that name modules (engine `packageDirsOf`) for a file that appeared or went away. */
  private restructure(path: string, exists: boolean): string[] {
    const dir = layoutDirOf(path);
    if (dir === undefined) return [];
    const present = (name: string) => {
      const p = dir ? `${dir}/${name}` : name;
      return p === path ? exists : this.facts.has(p);
    };
    const namesModules = present('__init__.py') && !present('manage.py');
    if (this.packageDirs.has(dir) === namesModules) return [];
    if (namesModules) this.packageDirs.add(dir);
    else this.packageDirs.delete(dir);
    return [...this.facts.keys()].filter(
      (p) => p !== path && p.endsWith('.py') && (dir === '' || p.startsWith(dir + '/')),
    );
  }

  private changed(): void {
    this.generation++;
    this.snapshot = undefined;
  }
}
