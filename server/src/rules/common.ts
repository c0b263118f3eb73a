/** Shared wording and data for findings, so every rule explains itself the same way. */
import type { Loc } from '../facts/types';
import type { Finding, FindingData, RelatedLocation, Severity } from '../findings';
import type { WriteSite } from '../analysis/events';
import { display } from '../analysis/keys';
import type { Analysis, Entry, EntryCoverage } from '../analysis/workspaceAnalysis';
import { entryKeyText } from '../analysis/workspaceAnalysis';

export interface Rule {
  meta: import('../findings').RuleMeta;
  check(a: Analysis): Finding[];
}

export function at(path: string, loc: Loc): string {
  return `${path}:${loc[0] + 1}`;
}

export function related(path: string, loc: Loc, message: string): RelatedLocation {
  return { path, loc, message };
}

export function modelName(id: string): string {
  return id.slice(id.lastIndexOf('.') + 1);
}

export function writeVerb(w: WriteSite): string {
  switch (w.kind) {
    case 'save': return 'saves';
    case 'delete': return 'deletes';
    case 'm2m': return 'changes the relation';
    default: return 'writes';
  }
}

/** "catalog/admin.py:12 (the admin) saves Category" */
export function writeText(w: WriteSite): string {
  return `${at(w.file.path, w.loc)} (${w.how}) ${writeVerb(w)} ${modelName(w.model)}`;
}

export function viaText(cov: EntryCoverage): string {
  return cov.dep.via.join(' → ');
}

/** Entries that never expire are errors; models nobody writes in code are information. */
export function staleSeverity(a: Analysis, entry: Entry, writes: WriteSite[]): Severity {
  if (writes.length === 0) return 'info';
  return entryNeverExpires(a, entry) ? 'error' : 'warning';
}

/** How long the entry lives, as a reader says it: "1800 s", "default 300 s", "never expires". */
export function timeoutText(a: Analysis, entry: Entry): string {
  if (entryNeverExpires(a, entry)) return 'never expires';
  if (typeof entry.timeout === 'number') return `${entry.timeout} s`;
  if (entry.timeout === 'default') return `default ${a.ws.settings.caches[entry.alias]?.timeout ?? 300} s`;
  return 'fixed';
}

export function entryNeverExpires(a: Analysis, entry: Entry): boolean {
  if (entry.timeout === null) return true;
  return entry.timeout === 'default' && a.ws.settings.caches[entry.alias]?.timeout === null;
}

export function entryData(a: Analysis, entry: Entry, model: string, extra: FindingData = {}): FindingData {
  const info = a.models.byId.get(model);
  const dir = info?.appDir ?? '';
  const prefix = dir ? `${dir}/` : '';
  return {
    entryId: entry.id,
    key: entry.key ? display(entry.key) : undefined,
    alias: entry.alias,
    model,
    keyParts: entry.key?.parts.map((p) => ('lit' in p ? { lit: p.lit } : { hole: p.hole, source: p.source })),
    app: info && !info.synthetic ? { label: info.app, dir, signals: `${prefix}signals.py`, apps: `${prefix}apps.py`, models: info.file?.path ?? `${prefix}models.py` } : undefined,
    ...extra,
  };
}

export function finding(code: string, severity: Severity, path: string, loc: Loc, message: string, rel: RelatedLocation[], data: FindingData): Finding {
  return { code, severity, path, loc, message, related: rel, data };
}

export { entryKeyText };

/** Other entries reading the same model that some invalidation reaches when it changes. */
export function coveredSiblings(a: Analysis, cov: EntryCoverage): EntryCoverage[] {
  return a.coverage.filter((o) => o.model === cov.model && o.entry.id !== cov.entry.id && o.coveredBy.length > 0);
}

/**
 * Entries with a finite timeout, writable dependencies and no invalidation at all report as
 * DJC106, not DJC101; when a sibling on the same table is invalidated, DJC102 says more and wins.
 */
export function foldedIntoTimeoutOnly(a: Analysis, entry: Entry): boolean {
  if (entryNeverExpires(a, entry) || a.invalidatedAtAll.get(entry.id)) return false;
  const covs = a.coverage.filter((c) => c.entry.id === entry.id);
  if (covs.some((c) => c.coveredBy.length > 0 || coveredSiblings(a, c).length > 0)) return false;
  return covs.some((c) => a.writes.some((w) => w.model === c.model));
}
