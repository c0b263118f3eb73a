/** DJC103 signal-bypassing-write: update()/bulk writes/raw SQL skip the signals that invalidate entries. */
import type { FindingOf } from '../findings';
import { type Analysis, entryKeyText } from '../analysis/analysis';
import { reportedCoverage } from '../analysis/verdict';
import { skippedOverrideInvalidation } from '../analysis/coverage';
import { groupBy } from '../analysis/domain/groups';
import { keyData } from '../analysis/keyRebuild';
import { offProductionWriters } from '../analysis/writeOrigin';
import { modelName, related } from '../wording';
import { finding, type Rule } from './common';
import { staleWrites } from './fixData';

export const DJC103: Rule<'DJC103'> = {
  meta: {
    code: 'DJC103',
    name: 'signal-bypassing-write',
    defaultSeverity: 'warning',
    summary:
      'A write that sends no signals changes a model whose entries are invalidated only through signals or save().',
  },
  doc: {
    severityNote: 'info for a write in a management command, sample data or tests',
    reportedAt: 'write',
    finds:
      '`update()`, bulk writes, raw SQL or a through-model write that skips the signals the entries rely on; a `QuerySet.delete()` or cascade that skips the `delete()` override they rely on',
  },
  fixes: ['invalidatedUpdate', 'bulkWrite'],
  check(a: Analysis): FindingOf<'DJC103'>[] {
    const out: FindingOf<'DJC103'>[] = [];
    const seen = new Set<string>();
    // Per model, the records an invalidation reaches: scanning all coverage per write was quadratic.
    const coveredOf = groupBy(
      reportedCoverage(a).filter((c) => c.coveredBy.length > 0),
      (c) => c.model,
    );
    for (const w of a.writes) {
      if (w.kind !== 'bulk' && !w.throughWrite && !w.skipsOverride) continue;
      const site = `${w.file.path}:${w.loc.join(':')}:${w.model}`;
      if (seen.has(site)) continue;
      const stale = (coveredOf.get(w.model) ?? []).filter((c) => c.bypassing.includes(w));
      if (!stale.length) continue;
      seen.add(site);
      const names = stale
        .slice(0, 3)
        .map((s) => entryKeyText(s.entry))
        .join(', ');
      // The invalidation this write skips: for a QuerySet.delete(), the delete() override.
      const skipped = stale[0].coveredBy.find((c) => skippedOverrideInvalidation(c.inv, w)) ?? stale[0].coveredBy[0];
      const how = skipped.how;
      const what = w.throughWrite
        ? `${w.how} writes the through model ${w.model} directly, which sends no m2m_changed`
        : w.skipsOverride
          ? `${w.how} deletes ${w.model} rows in SQL without calling ${modelName(w.model)}.delete()`
          : `${w.how} changes ${w.model} without sending signals`;
      // A write in a command, sample data or tests is not what the team acts on: information.
      const offProduction = offProductionWriters([w]);
      // cacheops' own entries have its remedy: the same UPDATE through invalidated_update().
      const invalidatedUpdate = stale.every((s) => s.entry.cacheops) && w.how.endsWith('.update()');
      const remedy = invalidatedUpdate
        ? `; cacheops' invalidated_update() would drop ${stale.length > 1 ? 'them' : 'it'}`
        : '';
      const message = `${what}; ${names}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''} ${stale.length > 1 ? 'are' : 'is'} invalidated only through ${how}, so ${stale.length > 1 ? 'they stay' : 'it stays'} stale after this write${offProduction ? ` (in ${offProduction})` : ''}${remedy}.`;
      out.push(
        finding(
          'DJC103',
          offProduction ? 'info' : 'warning',
          w.file.path,
          w.loc,
          message,
          [
            ...stale
              .slice(0, 3)
              .map((s) => related(s.entry.path, s.entry.loc, `${entryKeyText(s.entry)} reads ${modelName(w.model)}`)),
            related(
              skipped.inv.file.path,
              skipped.inv.loc,
              w.skipsOverride
                ? 'invalidates only when delete() is called on a row'
                : 'invalidates only on signal-sending writes',
            ),
          ],
          {
            model: w.model,
            writeKind: w.how,
            writes: staleWrites([w]),
            entries: stale.map((s) => s.entry.id),
            keys: stale.map((s) => keyData(a, s.entry, w.model)),
            ...(invalidatedUpdate ? { invalidatedUpdate } : {}),
          },
        ),
      );
    }
    return out;
  },
};
