/** SARIF 2.1.0 for code-scanning services; validated against the official schema in the tests. */
import type { Location as SarifLocation, Log, Notification, ReportingDescriptor, Result } from 'sarif';
import type { SkippedPath } from '../engine/types';
import type { Loc } from '../syntax/ir';
import { ruleDocPath, type ReportedFinding, type RuleMeta } from '../findings';
import type { Severity } from '../config/config';
import { fingerprint, type LineText } from './baseline';
import { describeSkip, sortFindings } from './text';

const LEVELS: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };
const SRCROOT = '%SRCROOT%';

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
          partialFingerprints: { 'djcache/v1': fingerprint(f, lineText) },
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

function ruleDescriptor(rule: RuleMeta, helpBaseUri: string | undefined): ReportingDescriptor {
  const doc = ruleDocPath(rule.code);
  return {
    id: rule.code,
    name: rule.name,
    shortDescription: { text: rule.summary },
    ...(helpBaseUri ? { helpUri: new URL(doc, helpBaseUri).href } : {}),
    help: { text: `${rule.summary} See ${doc}.`, markdown: `${rule.summary} See [${rule.code}](${doc}).` },
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
