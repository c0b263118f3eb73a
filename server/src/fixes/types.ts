/** Fix edits in engine terms: workspace-relative paths and 0-based line / UTF-16 column ranges, as Loc. */
import type { Loc } from '../syntax/ir';

/** The current text of workspace files: open editor buffers first, then disk. undefined means the file does not exist. */
export interface SourceFiles {
  read(path: string): string | undefined;
}

export type Change =
  | { kind: 'edit'; path: string; edits: { range: Loc; newText: string }[] }
  | { kind: 'create'; path: string; text: string };

export interface Fix {
  title: string;
  /** The rule the fix answers. */
  code: string;
  preferred: boolean;
  /** Safe fixes run in source.fixAll.djcache; suppressions are never safe. */
  safe: boolean;
  /** No edits: `changes` is empty and this says what to do first (e.g. install djcache), for the editor to show. */
  explanation?: string;
  changes: Change[];
}
