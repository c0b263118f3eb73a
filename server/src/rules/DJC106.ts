/** DJC106 timeout-only: an entry of mutable data relies on its timeout alone. */
import type { FindingOf } from '../findings';
import { type Analysis, entryKeyText } from '../analysis/analysis';
import { verdictsOf } from '../analysis/verdict';
import { inProduction } from '../analysis/writeOrigin';
import {
  countedKeyText,
  modelName,
  readText,
  related,
  timeoutText,
  viaText,
  writePlaces,
  writeText,
  writtenOnlyBy,
} from '../wording';
import { finding, type Rule } from './common';
import { entryData } from './fixData';

export const DJC106: Rule<'DJC106'> = {
  meta: {
    code: 'DJC106',
    name: 'timeout-only',
    defaultSeverity: 'warning',
    summary: 'An entry of data that changes has a fixed timeout and no invalidation at all.',
  },
  doc: {
    severityNote:
      'info if its explicit timeout is at most `short-timeout` seconds (default 300), or only commands, sample data or tests write',
    reportedAt: 'entry',
    finds: 'mutable data with a fixed timeout and no invalidation at all',
  },
  fixes: [],
  check(a: Analysis): FindingOf<'DJC106'>[] {
    const out: FindingOf<'DJC106'>[] = [];
    for (const { entry, timeoutOnly: covs } of verdictsOf(a)) {
      // Written only in columns the entry does not hold: nothing makes it stale.
      if (!covs?.length) continue;
      // Quote a production write when any model has one (each model's writes come production first).
      const cov = covs.find((c) => inProduction(c.writes[0])) ?? covs[0];
      const w = cov.writes[0];
      const others = covs.filter((c) => c !== cov).map((c) => modelName(c.model));
      const t = timeoutText(a, entry);
      const only = writtenOnlyBy(covs.flatMap((c) => c.writes));
      const message = `${entryKeyText(entry)} reads ${readText(cov)} through ${viaText(cov)}${others.length ? ` (and ${others.join(', ')})` : ''} and relies on its ${t} timeout alone: ${writeText(w)}${only ? `, ${only}` : ''}, and nothing invalidates the entry, so it serves stale data until it expires.${countedKeyText(cov)}`;
      // A short timeout written at the entry is a deliberate bound on staleness, and writes only
      // commands, sample data or tests make are not what the team acts on: worth knowing, not a warning.
      const severity =
        only || (typeof entry.timeout === 'number' && entry.timeout <= a.config.shortTimeout) ? 'info' : 'warning';
      out.push(
        finding(
          'DJC106',
          severity,
          entry.path,
          entry.loc,
          message,
          [
            related(cov.dep.path, cov.dep.loc, `reads ${cov.model}`),
            related(w.file.path, w.loc, `${modelName(cov.model)} is written here (${w.how})`),
          ],
          {
            ...entryData(a, entry, cov.model),
            uncovered: ['save', 'delete'],
            staleWrites: writePlaces(covs.flatMap((c) => c.writes)),
            models: covs.map((c) => c.model),
          },
        ),
      );
    }
    return out;
  },
};
