/** Go to definition and find references between the set, get and delete sites of one cache key. */
import type { Analysis } from '../analysis/analysis';
import type { Location } from '../../../shared/loc';
import { entryAt, keySiteAt, type Position, sameKeySites } from './locate';

const STORES = new Set(['set', 'add', 'get_or_set', 'set_many', 'aset', 'aadd', 'aget_or_set', 'aset_many']);

/** From a cache call or entry: where the key is stored (the entries), else every site of the key. */
export function definitionsAt(a: Analysis, path: string, p: Position): Location[] {
  const sites = keySites(a, path, p);
  const stores = sites.filter((s) => s.store);
  return (stores.length ? stores : sites)
    .filter((s) => !(s.path === path && s.loc[0] === p.line))
    .map(({ path, loc }) => ({ path, loc }));
}

/** Every set, get and delete site of the key at the position, itself included. */
export function referencesAt(a: Analysis, path: string, p: Position): Location[] {
  return keySites(a, path, p).map(({ path, loc }) => ({ path, loc }));
}

function keySites(a: Analysis, path: string, p: Position): (Location & { store: boolean })[] {
  const site = keySiteAt(a, path, p) ?? entryAt(a, path, p);
  if (!site) return [];
  const seen = new Set<string>();
  const out: (Location & { store: boolean })[] = [];
  for (const s of sameKeySites(a, site)) {
    const id = `${s.path}:${s.loc.join(':')}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path: s.path, loc: s.loc, store: STORES.has(s.method) });
  }
  return out.sort((x, y) => x.path.localeCompare(y.path) || x.loc[0] - y.loc[0]);
}
