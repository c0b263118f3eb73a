/**
 * The code actions at a range of a file, in the order the editor lists them: "fix all", then each
 * finding's quick-fixes and its rule's documentation. LSP-neutral: lsp/session.ts turns these
 * into CodeActions.
 */
import type { Finding } from '../findings';
import { fixAll, fixesFor } from '../fixes';
import type { Change, Fix, SourceFiles } from '../fixes/types';
import type { Loc } from '../syntax/ir';

export const FIX_ALL_KIND = 'source.fixAll.djcache';

export type CodeActionPlan =
  /** Every safe fix of the file at once. */
  | { kind: 'fixAll'; changes: Change[] }
  | { kind: 'quickfix'; finding: Finding; fix: Fix }
  /** A fix that cannot edit yet (djcache not installed): listed greyed out, with the reason. */
  | { kind: 'disabled'; finding: Finding; fix: Fix; reason: string }
  /** The documentation of the finding's rule, once per rule. */
  | { kind: 'ruleDoc'; finding: Finding };

/** `only`: the action kinds the editor asked for, or undefined for all. */
export function codeActions(
  findings: Finding[],
  path: string,
  range: Loc,
  only: string[] | undefined,
  files: SourceFiles,
): CodeActionPlan[] {
  const actions: CodeActionPlan[] = [];
  const inFile = findings.filter((f) => f.path === path);
  if (!only || only.some((k) => FIX_ALL_KIND.startsWith(k))) {
    const changes = fixAll(inFile, files);
    if (changes.length) actions.push({ kind: 'fixAll', changes });
  }
  if (only && !only.some((k) => k === 'quickfix' || k.startsWith('quickfix.'))) return actions;
  const docs = new Set<string>();
  for (const f of inFile.filter((x) => overlaps(x.loc, range))) {
    for (const fix of fixesFor(f, files)) {
      if (!fix.changes.length && fix.explanation)
        actions.push({ kind: 'disabled', finding: f, fix, reason: fix.explanation });
      else actions.push({ kind: 'quickfix', finding: f, fix });
    }
    if (!docs.has(f.code)) {
      docs.add(f.code);
      actions.push({ kind: 'ruleDoc', finding: f });
    }
  }
  return actions;
}

function overlaps(a: Loc, b: Loc): boolean {
  return !(a[2] < b[0] || (a[2] === b[0] && a[3] < b[1]) || b[2] < a[0] || (b[2] === a[0] && b[3] < a[1]));
}
