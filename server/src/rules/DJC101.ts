/** DJC101 stale-cache-entry: an entry reads a model that can change, and no invalidation reaches it. */
import type { FindingOf } from '../findings';
import { type Analysis, type EntryCoverage, entryKeyText } from '../analysis/analysis';
import type { WriteSite } from '../analysis/domain/events';
import { type ModelVerdict, verdictsOf } from '../analysis/verdict';
import {
  at,
  countedKeyText,
  guardedText,
  modelName,
  readText,
  related,
  viaText,
  writeText,
  writePlaces,
  writtenOnlyBy,
} from '../wording';
import { finding, type Rule } from './common';
import { declareTagsData, entryData } from './fixData';

export const DJC101: Rule<'DJC101'> = {
  meta: {
    code: 'DJC101',
    name: 'stale-cache-entry',
    defaultSeverity: 'warning',
    summary: 'A cache entry reads a model that can change, and no invalidation reaches the entry.',
  },
  doc: {
    severityNote:
      'error if it never expires; info if nothing writes the model, or only commands, sample data or tests do',
    reportedAt: 'entry',
    finds: 'an entry that reads a model that can change, with no invalidation for some kind of change',
  },
  fixes: ['receiver', 'declareTags'],
  check(a: Analysis): FindingOf<'DJC101'>[] {
    const out: FindingOf<'DJC101'>[] = [];
    const unwritten = new Map<string, EntryCoverage[]>();
    for (const v of verdictsOf(a).flatMap((e) => e.models)) {
      if (v.kind === 'stale') out.push(report(a, v));
      else if (v.kind === 'unwritten') unwritten.set(v.cov.entry.id, [...(unwritten.get(v.cov.entry.id) ?? []), v.cov]);
    }
    for (const covs of unwritten.values()) {
      const first = covs[0];
      const names = covs.map((c) => c.model).join(', ');
      out.push(
        finding(
          'DJC101',
          'info',
          first.entry.path,
          first.entry.loc,
          `${entryKeyText(first.entry)} reads ${names} (${viaText(first)}) and nothing invalidates it; safe unless ${covs.length > 1 ? 'they change' : `${modelName(first.model)} changes`} outside this code (no write site and no admin registration found).`,
          [related(first.dep.path, first.dep.loc, `reads ${first.model}`)],
          entryData(a, first.entry, first.model),
        ),
      );
    }
    return out;
  },
};

/** How each kind of write changes a model, after "when M". */
const CHANGE_TEXT: Record<WriteSite['kind'], string> = {
  save: 'is saved',
  delete: 'is deleted',
  m2m: 'has its many-to-many links changed',
  bulk: 'is changed by a bulk write',
};

function report(a: Analysis, { cov, stale, severity }: Extract<ModelVerdict, { kind: 'stale' }>): FindingOf<'DJC101'> {
  const { entry } = cov;
  const w: WriteSite = stale[0];
  const kinds = [...new Set(stale.map((s) => s.kind))];
  const coveredKinds = (['save', 'delete', 'm2m'] as const).filter((k) => cov.byKind[k].state === 'yes');
  const key = entryKeyText(entry);
  const more = stale.length > 1 ? ` (and ${stale.length - 1} more write site${stale.length > 2 ? 's' : ''})` : '';
  // Partly covered: say which changes are left ("when X is deleted"), not that nothing invalidates it.
  const when = coveredKinds.length
    ? `${kinds.map((k) => CHANGE_TEXT[k]).join(' or ')} (it is invalidated on ${coveredKinds.join(' and ')})`
    : 'changes';
  const only = writtenOnlyBy(stale);
  const guarded = guardedText(cov);
  const but =
    guarded && kinds.every((k) => k === 'save')
      ? guarded
      : `nothing invalidates ${key} when ${modelName(cov.model)} ${when}`;
  const message = `${key} reads ${readText(cov)} through ${viaText(cov)}; ${writeText(w)}${more}${only ? `, ${only},` : ','} but ${but}.${countedKeyText(cov)}`;
  return finding(
    'DJC101',
    severity,
    entry.path,
    entry.loc,
    message,
    [
      related(cov.dep.path, cov.dep.loc, `reads ${cov.model}`),
      related(w.file.path, w.loc, `${modelName(cov.model)} is written here (${w.how})`),
      ...cov.coveredBy.slice(0, 2).map((c) => related(c.inv.file.path, c.inv.loc, `covers other changes: ${c.how}`)),
    ],
    {
      ...entryData(a, entry, cov.model),
      uncovered: kinds,
      writeSite: at(w.file.path, w.loc),
      staleWrites: writePlaces(stale),
      ...declareTagsData(a, entry),
    },
  );
}
