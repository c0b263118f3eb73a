/** Code lens titles: on a model class, the entries that depend on it; on an entry, what it reads and what invalidates it. */
import type { Analysis, Entry } from '../analysis/workspaceAnalysis';
import type { Loc } from '../facts/types';
import type { Location } from '../findings';
import { modelName } from '../rules/common';
import { coverageOf, isUncovered, modelsIn, unique } from './locate';

export interface Lens { range: Loc; title: string; targets: Location[] }

export function codeLenses(a: Analysis, path: string): Lens[] {
  const lenses: Lens[] = [];
  for (const m of modelsIn(a, path)) {
    const covs = a.coverage.filter((c) => c.model === m.id);
    const entries = unique(covs.map((c) => c.entry));
    if (!entries.length) continue;
    const stale = unique(covs.filter(isUncovered).map((c) => c.entry));
    lenses.push({
      range: m.file!.classes[m.cls!].nameLoc,
      title: `${entries.length} cached entr${entries.length === 1 ? 'y depends' : 'ies depend'} on ${m.name}${stale.length ? ` · ${stale.length} not invalidated` : ''}`,
      targets: entries.map(location),
    });
  }
  for (const e of a.entries.filter((x) => !x.immutable && x.path === path)) {
    const covs = coverageOf(a, e);
    if (!covs.length) continue;
    const models = unique(covs.map((c) => modelName(c.model)));
    const covered = unique(covs.filter((c) => !isUncovered(c) && c.coveredBy.length).map((c) => modelName(c.model)));
    const state = covered.length === models.length ? 'invalidated on every change'
      : covered.length ? `invalidated on ${covered.join(', ')} only` : 'not invalidated';
    lenses.push({
      range: e.loc,
      title: `reads ${models.join(', ')} · ${state}`,
      targets: unique(covs.flatMap((c) => c.coveredBy.map((x) => `${x.inv.file.path}\0${x.inv.loc.join(',')}`)))
        .map((s) => ({ path: s.split('\0')[0], loc: s.split('\0')[1].split(',').map(Number) as Loc })),
    });
  }
  return lenses;
}

function location(e: Entry): Location {
  return { path: e.path, loc: e.loc };
}
