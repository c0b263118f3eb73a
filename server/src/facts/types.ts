/**
 * Per-file facts: plain JSON data, no syntax trees. The envelope of one file (its path, module,
 * hash and line count) around the IR its parser built (syntax/ir.ts).
 */
import type { ClassFact, FunctionFact, ImportFact, Stmt, Suppression, TemplateNode } from '../syntax/ir';

export interface PythonFacts {
  kind: 'python';
  path: string;
  module: string;
  /** True for __init__.py, so relative imports resolve against the module itself. */
  isPackage: boolean;
  hash: string;
  lines: number;
  imports: ImportFact[];
  /** Module-level statements. */
  body: Stmt[];
  functions: FunctionFact[];
  classes: ClassFact[];
  suppressions: Suppression[];
  /** Files that did not parse cleanly still produce facts; this records that they are partial. */
  hasErrors: boolean;
  /** The file uses Python 2 statements (`print x`, `exec code`): its project runs on Python 2. */
  python2?: true;
  /** Set when building the facts threw (a bug of ours): they are empty, and the run says so. */
  internalError?: string;
}

export interface TemplateFacts {
  kind: 'template';
  path: string;
  hash: string;
  lines: number;
  extends: string | null;
  loads: string[];
  nodes: TemplateNode[];
  suppressions: Suppression[];
  /** Set when building the facts threw (a bug of ours): they are empty, and the run says so. */
  internalError?: string;
}

export type FileFacts = PythonFacts | TemplateFacts;
