/** DJC101 stale-cache-entry: an entry reads a model that can change, and no invalidation reaches it. */
import type { Finding } from '../findings';
import type { Analysis, EntryCoverage } from '../analysis/analysis';
import { at, coveredSiblings, declareTagsData, entryData, entryKeyText, finding, foldedIntoTimeoutOnly, modelName, readText, related, type Rule, staleSeverity, viaText, writeText } from './common';

export const DJC101: Rule = {
  meta: {
    code: 'DJC101', name: 'stale-cache-entry', defaultSeverity: 'warning',
    summary: 'A cache entry reads a model that can change, and no invalidation reaches the entry.',
  },
  check(a: Analysis): Finding[] {
    const out: Finding[] = [];
    const unwritten = new Map<string, EntryCoverage[]>();
    for (const cov of a.coverage) {
      // DJC108 answers for entries with tag declarations.
      if (cov.entry.tags) continue;
      if (foldedIntoTimeoutOnly(a, cov.entry)) continue;
      if (cov.writes.length === 0) {
        if (cov.coveredBy.length === 0 && !cov.declaredBy) unwritten.set(cov.entry.id, [...(unwritten.get(cov.entry.id) ?? []), cov]);
        continue;
      }
      const stale = cov.coveredBy.length ? cov.uncovered : [...cov.uncovered, ...cov.bypassing];
      if (!stale.length || coveredSiblings(a, cov).length) continue;
      out.push(report(a, cov, stale));
    }
    for (const covs of unwritten.values()) {
      const first = covs[0];
      const names = covs.map((c) => c.model).join(', ');
      out.push(finding('DJC101', 'info', first.entry.path, first.entry.loc,
        `${entryKeyText(first.entry)} reads ${names} (${viaText(first)}) and nothing invalidates it; safe unless ${covs.length > 1 ? 'they change' : `${modelName(first.model)} changes`} outside this code (no write site and no admin registration found).`,
        [related(first.dep.path, first.dep.loc, `reads ${first.model}`)], entryData(a, first.entry, first.model)));
    }
    return out;
  },
};

function report(a: Analysis, cov: EntryCoverage, stale: import('../analysis/events').WriteSite[]): Finding {
  const { entry } = cov;
  const w = stale[0];
  const kinds = [...new Set(stale.map((s) => s.kind))];
  const coveredKinds = (['save', 'delete', 'm2m'] as const).filter((k) => cov.byKind[k].state === 'yes');
  const key = entryKeyText(entry);
  const more = stale.length > 1 ? ` (and ${stale.length - 1} more write site${stale.length > 2 ? 's' : ''})` : '';
  const partial = coveredKinds.length
    ? `; it is invalidated on ${coveredKinds.join(' and ')} but not on ${kinds.join(' or ')}`
    : '';
  const message = `${key} reads ${readText(cov)} through ${viaText(cov)}; ${writeText(w)}${more}, but nothing invalidates ${key} when ${modelName(cov.model)} changes${partial}.`;
  return finding('DJC101', staleSeverity(a, entry, stale), entry.path, entry.loc, message, [
    related(cov.dep.path, cov.dep.loc, `reads ${cov.model}`),
    related(w.file.path, w.loc, `${modelName(cov.model)} is written here (${w.how})`),
    ...cov.coveredBy.slice(0, 2).map((c) => related(c.inv.file.path, c.inv.loc, `covers other changes: ${c.how}`)),
  ], entryData(a, entry, cov.model, { uncovered: kinds, writeSite: at(w.file.path, w.loc), ...declareTagsData(a, entry) }));
}
