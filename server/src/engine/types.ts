/** What the engine reads through and keeps between runs: every I/O of the engine goes through these. */
import type { FailedFile } from '../analysis/fileError';
import type { FileFacts } from '../facts/types';
import type { Finding } from '../findings';
import type { Graph } from '../../../shared/graph';

export interface WorkspaceFs {
  /**
   * Every file below the root, as paths relative to it with '/' separators. Paths it had to leave
   * out (a symlink loop, a folder it cannot read, a file over MAX_FILE_BYTES) go to `skip`.
   */
  list(skip?: (skipped: SkippedPath) => void): Promise<string[]>;
  read(relPath: string): Promise<Uint8Array>;
  /** The library stubs that ship with djcache (server/stubs), read from where it is installed. */
  stubs?(): Promise<readonly StubFile[]>;
}

/** A library stub: its path below the stubs folder ('cache_memoize/__init__.py') and its text. */
export interface StubFile {
  path: string;
  text: string;
}

/** Why a path was left out: every such path is reported, never dropped without a word. */
export type SkipReason = 'loop' | 'unreadable' | 'too-big';

/** A path the analysis could not read: relative to the root, '/'-separated, '.' for the root itself. */
export interface SkippedPath {
  path: string;
  reason: SkipReason;
}

/**
 * What the CLI and the server keep across runs: facts by a key of path, module and content hash,
 * and the last run's result with the inputs it came from.
 */
export interface FactCache {
  get(key: string): FileFacts | undefined;
  set(key: string, facts: FileFacts): void;
  lastResult(): StoredResult | undefined;
  storeResult(result: StoredResult): void;
}

/** A run's findings and graph, valid while the configuration and every input file's key are the same. */
export interface StoredResult {
  config: string;
  /** Path and fact key of every file the analysis read. */
  inputs: [path: string, key: string][];
  findings: Finding[];
  graph: Graph;
  stats: { files: number; lines: number; unimportedTests: number; failed: FailedFile[] };
}

/** Files above this size are generated or vendored data, never hand-written Django code. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
