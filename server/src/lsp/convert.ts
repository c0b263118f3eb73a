/** Engine types → LSP types. Nothing here decides anything. */
import * as path from 'path';
import { existsSync } from 'fs';
import {
  type CodeAction,
  type CreateFile,
  type Diagnostic,
  DiagnosticSeverity,
  type Location as LspLocation,
  type Range,
  type TextDocumentEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { URI, Utils } from 'vscode-uri';
import type { Loc } from '../syntax/ir';
import type { Finding } from '../findings';
import type { Location } from '../../../shared/loc';
import type { Severity } from '../config/config';
import type { Change } from '../fixes/types';

/** A workspace folder: the root every engine path is relative to. */
export interface FolderRef {
  uri: URI;
}

export function toRange(loc: Loc): Range {
  return { start: { line: loc[0], character: loc[1] }, end: { line: loc[2], character: loc[3] } };
}

export function fromRange(r: Range): Loc {
  return [r.start.line, r.start.character, r.end.line, r.end.character];
}

export function fileUri(folder: FolderRef, relPath: string): string {
  return Utils.joinPath(folder.uri, ...relPath.split('/')).toString();
}

export function toLocation(folder: FolderRef, l: Location): LspLocation {
  return { uri: fileUri(folder, l.path), range: toRange(l.loc) };
}

/** A link a markdown hover can follow: the file with its line and column. */
export function locationLink(folder: FolderRef, relPath: string, loc: Loc): string {
  return `${fileUri(folder, relPath)}#L${loc[0] + 1},${loc[1] + 1}`;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(folder: FolderRef, f: Finding): Diagnostic {
  const href = ruleDocUri(f.code);
  return {
    range: toRange(f.loc),
    severity: SEVERITY[f.severity],
    source: 'djcache',
    code: f.code,
    ...(href ? { codeDescription: { href } } : {}),
    message: f.message,
    relatedInformation: f.related.map((r) => ({ location: toLocation(folder, r), message: r.message })),
    data: { ...f.data, code: f.code },
  };
}

let docsDir: string | null | undefined;

/** The rule's doc: copied beside the bundle in the extension, in docs/rules/ when run from the repository's out/. */
export function ruleDocUri(code: string): string | undefined {
  docsDir ??=
    [path.join(__dirname, 'rules'), path.join(__dirname, '..', '..', '..', '..', 'docs', 'rules')].find((d) =>
      existsSync(path.join(d, 'DJC101.md')),
    ) ?? null;
  return docsDir ? URI.file(path.join(docsDir, `${code}.md`)).toString() : undefined;
}

/**
 * Fix changes as a WorkspaceEdit pinned to the documents' current versions (null for closed
 * files), creating missing files first.
 */
export function toWorkspaceEdit(
  folder: FolderRef,
  changes: Change[],
  versionOf: (uri: string) => number | null,
): WorkspaceEdit {
  const documentChanges: (TextDocumentEdit | CreateFile)[] = [];
  for (const c of changes) {
    const uri = fileUri(folder, c.path);
    if (c.kind === 'create') {
      documentChanges.push({ kind: 'create', uri, options: { ignoreIfExists: true } });
      documentChanges.push({
        textDocument: { uri, version: null },
        edits: [{ range: toRange([0, 0, 0, 0]), newText: c.text }],
      });
    } else {
      documentChanges.push({
        textDocument: { uri, version: versionOf(uri) },
        edits: c.edits.map((e) => ({ range: toRange(e.range), newText: e.newText })),
      });
    }
  }
  return { documentChanges };
}

export function quickFix(
  title: string,
  diagnostics: Diagnostic[],
  edit: WorkspaceEdit,
  preferred: boolean,
): CodeAction {
  return { title, kind: 'quickfix', diagnostics, edit, isPreferred: preferred };
}
