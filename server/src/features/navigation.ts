/** Go to definition and find references between the set, get and delete sites of one cache key. */
import type { Analysis } from '../analysis/workspaceAnalysis';
import type { Location } from '../findings';
import { entryAt, opAt, type Position, sameKeyOps } from './locate';

const STORES = new Set(['set', 'add', 'get_or_set', 'set_many', 'aset', 'aadd', 'aget_or_set', 'aset_many']);

/** From a cache call or entry: where the key is stored (the entries), else every site of the key. */
export function definitionsAt(a: Analysis, path: string, p: Position): Location[] {
  const sites = keySites(a, path, p);
  const stores = sites.filter((s) => s.store);
  return (stores.length ? stores : sites).filter((s) => !(s.path === path && s.loc[0] === p.line)).map(({ path, loc }) => ({ path, loc }));
}

/** Every set, get and delete site of the key at the position, itself included. */
export function referencesAt(a: Analysis, path: string, p: Position): Location[] {
  return keySites(a, path, p).map(({ path, loc }) => ({ path, loc }));
}

function keySites(a: Analysis, path: string, p: Position): (Location & { store: boolean })[] {
  const op = opAt(a, path, p);
  const entry = op ? undefined : entryAt(a, path, p);
  const key = op ? { key: op.key, alias: op.alias } : entry ? { key: entry.key, alias: entry.alias } : undefined;
  if (!key) return [];
  const seen = new Set<string>();
  const out: (Location & { store: boolean })[] = [];
  for (const o of sameKeyOps(a, key)) {
    const id = `${o.file.path}:${o.loc.join(':')}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path: o.file.path, loc: o.loc, store: STORES.has(o.method) });
  }
  return out.sort((x, y) => x.path.localeCompare(y.path) || x.loc[0] - y.loc[0]);
}
