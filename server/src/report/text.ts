/** Human output in ruff's shape: one `path:line:col: CODE message` line per finding, then counts. */
import { MAX_FILE_BYTES, type SkippedPath } from '../engine/types';
import type { ReportedFinding, RuleMeta } from '../findings';

/** Stable report order: path, position, code, message. */
export function sortFindings<F extends ReportedFinding>(findings: F[]): F[] {
  return [...findings].sort(
    (a, b) =>
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
      a.loc[0] - b.loc[0] ||
      a.loc[1] - b.loc[1] ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** Findings per code, most frequent first, ties by code. */
export function countByCode(findings: ReportedFinding[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** Why a path was skipped, in a few words. */
export function describeSkip(skipped: SkippedPath): string {
  switch (skipped.reason) {
    case 'loop':
      return 'symlink loop';
    case 'unreadable':
      return 'unreadable';
    case 'too-big':
      return `over the ${MAX_FILE_BYTES / (1024 * 1024)} MiB size cap`;
  }
}

/** What the run read and left out, for the summary line. */
export interface RunSummary {
  files: number;
  lines: number;
  /** Test files no counted code imports, so never read. */
  unimportedTests: number;
  skipped: SkippedPath[];
}

export interface TextOptions {
  /** Only the per-rule counts, not each finding (`--statistics`). */
  statistics?: boolean;
  /** Only the findings: no counts, no summary, nothing when clean (`--quiet`). */
  quiet?: boolean;
  /** The summary line, last; without it, the skipped paths are still listed. */
  summary?: RunSummary;
}

/** Findings with their severity and their counts; then every skipped path, so that no finding can hide behind one unsaid. */
export function formatText(findings: ReportedFinding[], rules: RuleMeta[], options: TextOptions = {}): string {
  const skipped = options.summary?.skipped ?? [];
  const findingLines = sortFindings(findings).map(
    (f) => `${f.path}:${f.loc[0] + 1}:${f.loc[1] + 1}: ${f.severity} ${f.code} ${f.message}`,
  );
  if (options.quiet) return findingLines.map((l) => l + '\n').join('');
  const lines: string[] = [];
  const paths = `${skipped.length} ${skipped.length === 1 ? 'path was' : 'paths were'} skipped`;
  if (findings.length === 0) {
    lines.push(skipped.length ? `No findings in the files read, but ${paths}:` : 'All checks passed!');
  } else {
    if (!options.statistics) lines.push(...findingLines, '');
    const counts = countByCode(findings);
    const width = String(counts[0][1]).length;
    const names = new Map(rules.map((r) => [r.code, r.name]));
    for (const [code, count] of counts)
      lines.push(`${String(count).padStart(width)}  ${code}  ${names.get(code) ?? ''}`.trimEnd());
    lines.push(`Found ${findings.length} ${findings.length === 1 ? 'finding' : 'findings'}.`);
    if (skipped.length) lines.push(`${paths[0].toUpperCase()}${paths.slice(1)}:`);
  }
  for (const s of skipped) lines.push(`  ${s.path}: ${describeSkip(s)}`);
  if (options.summary) lines.push(summaryLine(options.summary));
  return lines.join('\n') + '\n';
}

/** "Analysed 12 files (840 lines); skipped 1 path (unreadable), 2 test files nothing imports." */
function summaryLine(summary: RunSummary): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const left: string[] = [];
  if (summary.skipped.length) {
    const reasons = [...new Set(summary.skipped.map(describeSkip))].join(', ');
    left.push(`${plural(summary.skipped.length, 'path', 'paths')} (${reasons})`);
  }
  if (summary.unimportedTests)
    left.push(`${plural(summary.unimportedTests, 'test file', 'test files')} nothing imports`);
  const read = `Analysed ${plural(summary.files, 'file', 'files')} (${plural(summary.lines, 'line', 'lines')})`;
  return `${read}${left.length ? `; skipped ${left.join(', ')}` : ''}.`;
}
