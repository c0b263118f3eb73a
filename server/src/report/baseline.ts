/**
 * Baselines let a project adopt djcache without fixing every old finding first: findings that
 * were recorded once are hidden later. Fingerprints leave out line numbers so edits elsewhere in
 * a file do not resurface old findings.
 */
import { createHash } from 'crypto';
import type { ReportedFinding } from '../findings';

/** The text of a 0-based line of a workspace file, if known. */
export type LineText = (path: string, line: number) => string | undefined;

export interface BaselineEntry {
  fingerprint: string;
  code: string;
  path: string;
  message: string;
}
export interface Baseline {
  version: 1;
  findings: BaselineEntry[];
}

/** A baseline file that cannot be used; the CLI reports its message and exits with 2. */
export class BaselineError extends Error {
  override name = 'BaselineError';
}

/** Hash of code, path, the message without line numbers, and the trimmed text of the line. */
export function fingerprint(finding: ReportedFinding, lineText: LineText): string {
  const message = finding.message.replace(/(\S):\d+(?::\d+)?/g, '$1').replace(/\bline \d+/g, 'line');
  const line = lineText(finding.path, finding.loc[0])?.trim() ?? '';
  return createHash('sha256').update([finding.code, finding.path, message, line].join('\0')).digest('hex').slice(0, 32);
}

export function createBaseline(findings: ReportedFinding[], lineText: LineText): Baseline {
  return {
    version: 1,
    findings: findings.map((f) => ({
      fingerprint: fingerprint(f, lineText),
      code: f.code,
      path: f.path,
      message: f.message,
    })),
  };
}

export function parseBaseline(text: string): Baseline {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BaselineError(`baseline is not valid JSON: ${(error as Error).message}`);
  }
  const baseline = data as Baseline;
  const valid =
    typeof data === 'object' &&
    data !== null &&
    baseline.version === 1 &&
    Array.isArray(baseline.findings) &&
    baseline.findings.every((entry) => typeof entry?.fingerprint === 'string');
  if (!valid)
    throw new BaselineError(
      'baseline must be { "version": 1, "findings": [{ "fingerprint": ... }] } as written by --write-baseline',
    );
  return baseline;
}

/** Drops findings recorded in the baseline; each entry hides one finding, so new duplicates still show. */
export function filterBaseline<F extends ReportedFinding>(findings: F[], baseline: Baseline, lineText: LineText): F[] {
  const remaining = new Map<string, number>();
  for (const entry of baseline.findings) remaining.set(entry.fingerprint, (remaining.get(entry.fingerprint) ?? 0) + 1);
  return findings.filter((finding) => {
    const fp = fingerprint(finding, lineText);
    const count = remaining.get(fp) ?? 0;
    if (count === 0) return true;
    remaining.set(fp, count - 1);
    return false;
  });
}
