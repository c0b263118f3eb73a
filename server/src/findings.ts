import type { Loc } from './facts/types';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Location { path: string; loc: Loc }

export interface RelatedLocation extends Location { message: string }

/** Where one hole of an entry's key comes from, so a fix can rebuild the key from an instance. */
export type HoleSource =
  | { kind: 'field'; field: string }
  | { kind: 'related'; model: string; field: string }
  | { kind: 'unknown' };

/** Machine-readable details a quick-fix needs; every field is plain data. */
export interface FindingData {
  entryId?: string;
  key?: string;
  alias?: string;
  model?: string;
  /** The key's parts: literal text, or a hole with where its value comes from when known. */
  keyParts?: ({ lit: string } | { hole: string; source: HoleSource })[];
  /** The app that owns the model: its folder, signals.py and apps.py paths. */
  app?: { label: string; dir: string; signals: string; apps: string; models: string };
  /** Which change kinds are not covered: save, delete, m2m, bulk. */
  uncovered?: string[];
  writeKind?: string;
  [extra: string]: unknown;
}

export interface Finding extends Location {
  code: string;
  severity: Severity;
  message: string;
  related: RelatedLocation[];
  data: FindingData;
}

export interface RuleMeta {
  code: string;
  name: string;
  summary: string;
  defaultSeverity: Severity;
}

/** Rule docs live beside the code; editors turn this relative path into a link. */
export function ruleDocPath(code: string): string {
  return `docs/rules/${code}.md`;
}
