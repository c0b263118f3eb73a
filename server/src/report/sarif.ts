/** SARIF 2.1.0 for code-scanning services; validated against the official schema in the tests. */
import type { Location as SarifLocation, Log, Notification, ReportingDescriptor, Result } from 'sarif';
import type { SkippedPath } from '../engine/types';
import type { Loc } from '../syntax/ir';
import { ruleDocPath, type ReportedFinding, type RuleMeta } from '../findings';
import type { Severity } from '../config/config';
import { createHash } from 'crypto';
import type { LineText } from './baseline';
import { describeSkip, sortFindings } from './text';

const LEVELS: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };
const SRCROOT = '%SRCROOT%';
/** The partialFingerprints key; a new version if what the hash reads ever changes. */
export const FINGERPRINT = 'djcacheEntry/v1';

export interface SarifOptions {
  toolVersion: string;
  /** Absolute URI of the docs folder's parent; SARIF's helpUri must be absolute, so without it rules carry only help text. */
  helpBaseUri?: string;
  /** Absolute file URI (ending in '/') of the workspace root, so viewers can resolve %SRCROOT%. */
  srcRootUri?: string;
  /** Paths the run could not read: told as tool execution notifications. */
  skipped?: SkippedPath[];
}

export function buildSarif(
  findings: ReportedFinding[],
  rules: RuleMeta[],
  lineText: LineText,
  options: SarifOptions,
): Log {
  const known = new Set(rules.map((r) => r.code));
  const descriptors: ReportingDescriptor[] = [
    ...rules.map((rule) => ruleDescriptor(rule, options.helpBaseUri)),
    ...[...new Set(findings.map((f) => f.code))]
      .filter((code) => !known.has(code))
      .sort()
      .map((id) => ({ id })),
  ];
  const ruleIndex = new Map(descriptors.map((d, i) => [d.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'djcache', version: options.toolVersion, rules: descriptors } },
        columnKind: 'utf16CodeUnits',
        ...(options.srcRootUri ? { originalUriBaseIds: { [SRCROOT]: { uri: options.srcRootUri } } } : {}),
        ...(options.skipped?.length
          ? {
              invocations: [
                { executionSuccessful: true, toolExecutionNotifications: options.skipped.map(skipNotification) },
              ],
            }
          : {}),
        results: sortFindings(findings).map((f): Result => ({
          ruleId: f.code,
          ruleIndex: ruleIndex.get(f.code),
          level: LEVELS[f.severity],
          message: { text: f.message },
          locations: [physical(f.path, f.loc)],
          ...(f.related.length
            ? {
                relatedLocations: f.related.map((r, id) => ({
                  ...physical(r.path, r.loc),
                  id,
                  message: { text: r.message },
                })),
              }
            : {}),
          partialFingerprints: { [FINGERPRINT]: entryFingerprint(f, lineText) },
        })),
      },
    ],
  };
}

export function formatSarif(
  findings: ReportedFinding[],
  rules: RuleMeta[],
  lineText: LineText,
  options: SarifOptions,
): string {
  return JSON.stringify(buildSarif(findings, rules, lineText, options), null, 2) + '\n';
}

/**
 * What keeps an alert the same alert while code moves around it: the rule, the entry's key and
 * model, the file, and the text the finding spans (whitespace folded), never its line or its
 * message (which names other files' lines and every write site).
 */
export function entryFingerprint(finding: ReportedFinding, lineText: LineText): string {
  const data = finding.data as { key?: unknown; model?: unknown };
  const spanned: string[] = [];
  for (let line = finding.loc[0]; line <= finding.loc[2]; line++) {
    const text = lineText(finding.path, line);
    if (text === undefined) continue;
    const end = line === finding.loc[2] ? finding.loc[3] : text.length;
    spanned.push(text.slice(line === finding.loc[0] ? finding.loc[1] : 0, end));
  }
  const parts = [finding.code, String(data.key ?? ''), String(data.model ?? ''), finding.path];
  parts.push(spanned.join('\n').replace(/\s+/g, ' ').trim());
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

function ruleDescriptor(rule: RuleMeta, helpBaseUri: string | undefined): ReportingDescriptor {
  const doc = ruleDocPath(rule.code);
  const link = helpBaseUri ? new URL(doc, helpBaseUri).href : doc;
  return {
    id: rule.code,
    name: rule.name,
    shortDescription: { text: rule.summary },
    ...(helpBaseUri ? { helpUri: link } : {}),
    help: { text: `${rule.summary} See ${link}.`, markdown: `${rule.summary} See [${rule.code}](${link}).` },
    defaultConfiguration: { level: LEVELS[rule.defaultSeverity] },
  };
}

function skipNotification(skipped: SkippedPath): Notification {
  return {
    level: 'warning',
    message: { text: `${skipped.path} was skipped: ${describeSkip(skipped)}` },
    ...(skipped.path === '.'
      ? {}
      : { locations: [{ physicalLocation: { artifactLocation: artifact(skipped.path) } }] }),
    properties: { reason: skipped.reason },
  };
}

function artifact(path: string): { uri: string; uriBaseId: string } {
  return { uri: path.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function physical(path: string, loc: Loc): SarifLocation {
  return {
    physicalLocation: {
      artifactLocation: artifact(path),
      // SARIF lines and columns are 1-based and endColumn is exclusive, like Loc's end.
      region: { startLine: loc[0] + 1, startColumn: loc[1] + 1, endLine: loc[2] + 1, endColumn: loc[3] + 1 },
    },
  };
}
