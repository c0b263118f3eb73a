/** DJC102 shared-table-partly-invalidated: other entries on the same table are invalidated, this one is not. */
import type { FindingOf } from '../findings';
import { type Analysis, entryKeyText } from '../analysis/analysis';
import { verdictsOf } from '../analysis/verdict';
import { modelName, readText, related, viaText, writePlaces, writeText, writtenOnlyBy } from '../wording';
import { finding, type Rule } from './common';
import { declareTagsData, entryData } from './fixData';

export const DJC102: Rule<'DJC102'> = {
  meta: {
    code: 'DJC102',
    name: 'shared-table-partly-invalidated',
    defaultSeverity: 'warning',
    summary: 'Several entries read a model; its changes invalidate some of them but not this one.',
  },
  doc: {
    severityNote: 'error if it never expires; info if only commands, sample data or tests make the writes it misses',
    reportedAt: 'entry',
    finds: 'a model read by several entries, where changes invalidate some of them but not this one',
  },
  fixes: ['receiver', 'declareTags'],
  check(a: Analysis): FindingOf<'DJC102'>[] {
    const out: FindingOf<'DJC102'>[] = [];
    for (const v of verdictsOf(a).flatMap((e) => e.models)) {
      if (v.kind !== 'sharedPartly') continue;
      const { cov, stale, siblings } = v;
      const w = stale[0];
      const names = siblings
        .slice(0, 3)
        .map((s) => entryKeyText(s.entry))
        .join(', ');
      const by = siblings[0].coveredBy[0];
      const key = entryKeyText(cov.entry);
      const only = writtenOnlyBy(stale);
      const message = `${key} reads ${readText(cov)} through ${viaText(cov)}, and ${writeText(w)}${only ? `, ${only}` : ''}; ${names} ${siblings.length > 1 ? 'are' : 'is'} invalidated when ${modelName(cov.model)} changes (${by.how}), but ${key} is not.`;
      out.push(
        finding(
          'DJC102',
          v.severity,
          cov.entry.path,
          cov.entry.loc,
          message,
          [
            related(cov.dep.path, cov.dep.loc, `reads ${cov.model}`),
            related(w.file.path, w.loc, `${modelName(cov.model)} is written here (${w.how})`),
            related(by.inv.file.path, by.inv.loc, `invalidates ${entryKeyText(siblings[0].entry)} only`),
            ...siblings
              .slice(0, 3)
              .map((s) =>
                related(s.entry.path, s.entry.loc, `${entryKeyText(s.entry)} also reads ${modelName(cov.model)}`),
              ),
          ],
          {
            ...entryData(a, cov.entry, cov.model),
            uncovered: [...new Set(stale.map((s) => s.kind))],
            staleWrites: writePlaces(stale),
            coveredEntries: siblings.map((s) => s.entry.id),
            ...declareTagsData(a, cov.entry),
          },
        ),
      );
    }
    return out;
  },
};
