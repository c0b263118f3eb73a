/** What a rule is, and how it makes a finding. */
import type { Loc } from '../syntax/ir';
import type { Analysis } from '../analysis/analysis';
import type { DataByCode, FindingOf, RelatedLocation, RuleCode, RuleMeta } from '../findings';
import type { Severity } from '../config/config';

/** The quick-fixes rules offer, by name; fixes/index.ts maps each to its builder. */
export type FixName = 'receiver' | 'declareTags' | 'bulkWrite' | 'invalidatedUpdate' | 'deleteMany' | 'tagDeclaration';

/** What the rule tables of README.md and docs/rules/README.md say beyond the meta (rules/tables.ts). */
export interface RuleDoc {
  /** When the severity is not always the default: "error if it never expires, ...". */
  severityNote?: string;
  /** Where the finding is placed: "entry", "write", "delete". */
  reportedAt: string;
  /** What the rule finds, as a table cell (Markdown). */
  finds: string;
}

/** One rule: its meta, its check, and its quick-fixes, the preferred first (every rule's suppression comment comes after them). */
export interface Rule<C extends RuleCode = RuleCode> {
  meta: RuleMeta & { code: C };
  doc: RuleDoc;
  check(a: Analysis): FindingOf<C>[];
  fixes: readonly FixName[];
}

export function finding<C extends RuleCode>(
  code: C,
  severity: Severity,
  path: string,
  loc: Loc,
  message: string,
  rel: RelatedLocation[],
  data: DataByCode[C],
): FindingOf<C> {
  return { code, severity, path, loc, message, related: rel, data };
}
