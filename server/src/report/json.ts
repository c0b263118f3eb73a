/** Machine output; the shape is documented in docs/json-format.md and changes only with `version`. */
import type { SkippedPath } from '../engine/types';
import type { Loc } from '../syntax/ir';
import type { ReportedFinding, RuleMeta } from '../findings';
import type { Severity } from '../config/config';
import { fingerprint, type LineText } from './baseline';
import { countByCode, sortFindings } from './text';

/** 1-based line and column; columns count UTF-16 code units; `end` is exclusive. */
export interface JsonPosition {
  line: number;
  column: number;
}
export interface JsonLocation {
  path: string;
  start: JsonPosition;
  end: JsonPosition;
}

export interface JsonFinding extends JsonLocation {
  code: string;
  name: string | null;
  severity: Severity;
  message: string;
  related: (JsonLocation & { message: string })[];
  data: object;
  fingerprint: string;
}

/** What the run read: files analysed, and every path it could not read with the reason. */
export interface JsonStats {
  files: number;
  skipped: SkippedPath[];
}

export interface JsonReport {
  version: 1;
  findings: JsonFinding[];
  summary: { total: number; byCode: Record<string, number>; bySeverity: Record<Severity, number> };
  stats?: JsonStats;
}

export function buildJsonReport(
  findings: ReportedFinding[],
  rules: RuleMeta[],
  lineText: LineText,
  stats?: JsonStats,
): JsonReport {
  const names = new Map(rules.map((r) => [r.code, r.name]));
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const f of findings) bySeverity[f.severity]++;
  return {
    version: 1,
    findings: sortFindings(findings).map((f) => ({
      code: f.code,
      name: names.get(f.code) ?? null,
      severity: f.severity,
      message: f.message,
      ...jsonLocation(f.path, f.loc),
      related: f.related.map((r) => ({ ...jsonLocation(r.path, r.loc), message: r.message })),
      data: f.data,
      fingerprint: fingerprint(f, lineText),
    })),
    summary: { total: findings.length, byCode: Object.fromEntries(countByCode(findings)), bySeverity },
    ...(stats ? { stats } : {}),
  };
}

export function formatJson(
  findings: ReportedFinding[],
  rules: RuleMeta[],
  lineText: LineText,
  stats?: JsonStats,
): string {
  return JSON.stringify(buildJsonReport(findings, rules, lineText, stats), null, 2) + '\n';
}

function jsonLocation(path: string, loc: Loc): JsonLocation {
  return { path, start: { line: loc[0] + 1, column: loc[1] + 1 }, end: { line: loc[2] + 1, column: loc[3] + 1 } };
}
