/**
 * Per-file isolation of the analysis: a throw while working on one file's facts names the file,
 * so that the engine can analyse the workspace again without it and say which file it dropped.
 */
import { errorText } from '../facts/extract';
import type { FileFacts } from '../facts/types';

class FileAnalysisError extends Error {
  constructor(
    readonly path: string,
    readonly cause: unknown,
  ) {
    super(`${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'FileAnalysisError';
  }
}

/** `work()`, with any throw from it named as the failure of `path` (the innermost file named wins). */
export function inFile<T>(path: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw error instanceof FileAnalysisError ? error : new FileAnalysisError(path, error);
  }
}

/** A file the run could not use because of an internal error (ours), and what it was. */
export interface FailedFile {
  path: string;
  error: string;
}

/**
 * `analyse(files, dropped)`, again without a file each time the analysis fails on one: one file's facts
 * that the analysis cannot handle cost that file only. `failed` comes first (files whose facts
 * could not be built); a throw that names no file still ends the run.
 */
export function withoutFailingFiles<F extends { path: string }, R>(
  files: readonly F[],
  failed: FailedFile[],
  analyse: (files: readonly F[], dropped: readonly string[]) => R,
): { result: R; failed: FailedFile[] } {
  let kept = files;
  const dropped: string[] = [];
  for (;;) {
    try {
      return { result: analyse(kept, dropped), failed };
    } catch (error) {
      if (!(error instanceof FileAnalysisError) || !kept.some((f) => f.path === error.path)) throw error;
      const path = error.path;
      dropped.push(path);
      failed = [...failed, { path, error: errorText(error.cause) }];
      kept = kept.filter((f) => f.path !== path);
    }
  }
}

/** Each file once (its first error), in path order. */
export function byPath(failed: readonly FailedFile[]): FailedFile[] {
  const first = new Map<string, FailedFile>();
  for (const f of failed) if (!first.has(f.path)) first.set(f.path, f);
  return [...first.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Files whose facts are empty because building them threw. */
export function failedExtractions(facts: readonly FileFacts[]): FailedFile[] {
  return facts.flatMap((f) => (f.internalError === undefined ? [] : [{ path: f.path, error: f.internalError }]));
}

/** What a run says about the files it skipped for an internal error. */
export function describeFailed(failed: readonly FailedFile[]): string {
  const files = failed.length === 1 ? '1 file' : `${failed.length} files`;
  return `${files} skipped, in whole or in part, for an internal error (a djcache bug; the other files were analysed): ${failed.map((f) => `${f.path} (${f.error})`).join(', ')}`;
}
