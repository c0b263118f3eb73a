/** DJC102 shared-table-partly-invalidated: other entries on the same table are invalidated, this one is not. */
import type { Finding } from '../findings';
import type { Analysis } from '../analysis/analysis';
import { coveredSiblings, declareTagsData, entryData, entryKeyText, finding, modelName, readText, related, type Rule, staleSeverity, viaText, writeText } from './common';

export const DJC102: Rule = {
  meta: {
    code: 'DJC102', name: 'shared-table-partly-invalidated', defaultSeverity: 'warning',
    summary: 'Several entries read a model; its changes invalidate some of them but not this one.',
  },
  check(a: Analysis): Finding[] {
    const out: Finding[] = [];
    for (const cov of a.coverage) {
      // DJC108 answers for entries with tag declarations.
      if (cov.entry.tags) continue;
      const stale = cov.coveredBy.length ? cov.uncovered : [...cov.uncovered, ...cov.bypassing];
      if (!stale.length) continue;
      const siblings = coveredSiblings(a, cov);
      if (!siblings.length || cov.coveredBy.length) continue;
      const w = stale[0];
      const names = siblings.slice(0, 3).map((s) => entryKeyText(s.entry)).join(', ');
      const by = siblings[0].coveredBy[0];
      const key = entryKeyText(cov.entry);
      const message = `${key} reads ${readText(cov)} through ${viaText(cov)}, and ${writeText(w)}; ${names} ${siblings.length > 1 ? 'are' : 'is'} invalidated when ${modelName(cov.model)} changes (${by.how}), but ${key} is not.`;
      out.push(finding('DJC102', staleSeverity(a, cov.entry, stale), cov.entry.path, cov.entry.loc, message, [
        related(cov.dep.path, cov.dep.loc, `reads ${cov.model}`),
        related(w.file.path, w.loc, `${modelName(cov.model)} is written here (${w.how})`),
        related(by.inv.file.path, by.inv.loc, `invalidates ${entryKeyText(siblings[0].entry)} only`),
        ...siblings.slice(0, 3).map((s) => related(s.entry.path, s.entry.loc, `${entryKeyText(s.entry)} also reads ${modelName(cov.model)}`)),
      ], entryData(a, cov.entry, cov.model, { uncovered: [...new Set(stale.map((s) => s.kind))], coveredEntries: siblings.map((s) => s.entry.id), ...declareTagsData(a, cov.entry) })));
    }
    return out;
  },
};
