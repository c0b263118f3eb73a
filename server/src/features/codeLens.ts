/** Code lens titles: on a model class, the entries that depend on it; on an entry, what it reads and what invalidates it. */
import type { Analysis, Entry, EntryCoverage } from '../analysis/analysis';
import type { ChangeKind } from '../../../shared/graph';
import type { Loc } from '../syntax/ir';
import type { Location } from '../../../shared/loc';
import { modelName } from '../wording';
import { CHANGE_KINDS, coverageOf, isUncovered, modelsIn, unique } from './locate';

export interface Lens {
  range: Loc;
  title: string;
  targets: Location[];
}

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
    const models = unique(covs.map((c) => c.model));
    lenses.push({
      range: e.loc,
      title: `reads ${models.map(modelName).join(', ')} · ${coverageSummary(models.map((m) => covs.filter((c) => c.model === m)))}`,
      targets: invalidationSites(covs),
    });
  }
  return lenses;
}

const KIND_TEXT: Record<ChangeKind, string> = {
  save: 'saves',
  delete: 'deletes',
  m2m: 'm2m changes',
  bulk: 'signal-less writes',
};

/** "invalidated on Category only", "invalidated on Product (not on signal-less writes)", "not invalidated". */
function coverageSummary(byModel: EntryCoverage[][]): string {
  const parts: string[] = [];
  let missing = false;
  for (const covs of byModel) {
    const name = modelName(covs[0].model);
    const yes = CHANGE_KINDS.filter((k) => covs.some((c) => c.byKind[k].state === 'yes'));
    const no = CHANGE_KINDS.filter((k) => covs.some((c) => c.byKind[k].state === 'no'));
    if (!yes.length && !covs.some((c) => c.coveredBy.length)) {
      missing = true;
      continue;
    }
    parts.push(no.length ? `${name} (not on ${no.map((k) => KIND_TEXT[k]).join(', ')})` : name);
  }
  if (!parts.length) return 'not invalidated';
  if (!missing && parts.every((p) => !p.includes('('))) return 'invalidated on every change';
  return `invalidated on ${parts.join(', ')}${missing ? ' only' : ''}`;
}

/** Where the invalidations covering these dependencies are, each place once. */
function invalidationSites(covs: EntryCoverage[]): Location[] {
  const sites = new Map<string, Location>();
  for (const { inv } of covs.flatMap((c) => c.coveredBy))
    sites.set(`${inv.file.path}:${inv.loc.join(':')}`, { path: inv.file.path, loc: inv.loc });
  return [...sites.values()];
}

function location(e: Entry): Location {
  return { path: e.path, loc: e.loc };
}
