/**
 * The engine's public face: files in, findings and the dependency graph out.
 * No LSP or VS Code imports; all I/O goes through WorkspaceFs so tests can pass in-memory trees.
 */
import type { Config } from './config';
import type { Finding } from './findings';
import type { FileFacts } from './facts/types';
import type { Graph } from './graph';

export interface WorkspaceFs {
  /** Every file below the root, as paths relative to it with '/' separators. */
  list(): Promise<string[]>;
  read(relPath: string): Promise<Uint8Array>;
}

export interface Progress { (done: number, total: number, phase: 'facts' | 'analysis'): void }

export interface AnalysisResult {
  findings: Finding[];
  graph: Graph;
  facts: FileFacts[];
  stats: { files: number; lines: number; factMs: number; analysisMs: number };
}

/** Reads every file through fs, extracts facts, analyses the workspace and runs the rules. */
export declare function analyzeWorkspace(fs: WorkspaceFs, config: Config, progress?: Progress): Promise<AnalysisResult>;
