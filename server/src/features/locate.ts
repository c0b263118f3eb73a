/** What the analysis knows at one position of one file: the lookups hover, lenses and navigation share. */
import type { CacheOp, WriteSite } from '../analysis/domain/events';
import { matchKeys } from '../analysis/domain/keys';
import type { ModelInfo } from '../analysis/models';
import { fnId } from '../analysis/domain/values';
import type { Analysis, Entry, EntryCoverage, Invalidation } from '../analysis/analysis';
import type { Loc } from '../syntax/ir';
import type { ChangeKind } from '../../../shared/graph';

export interface Position {
  line: number;
  col: number;
}

/** The kinds of change coverage is judged per, in the order readers see them. */
export const CHANGE_KINDS: readonly ChangeKind[] = ['save', 'delete', 'm2m', 'bulk'];

function contains(loc: Loc, p: Position): boolean {
  const [l0, c0, l1, c1] = loc;
  if (p.line < l0 || p.line > l1) return false;
  if (p.line === l0 && p.col < c0) return false;
  return !(p.line === l1 && p.col > c1);
}

/** The innermost of several locations holding the position. */
function innermost<T>(items: T[], locOf: (t: T) => Loc): T | undefined {
  const span = (l: Loc) => (l[2] - l[0]) * 1e6 + (l[3] - l[1]);
  return items.sort((a, b) => span(locOf(a)) - span(locOf(b)))[0];
}

export function entryAt(a: Analysis, path: string, p: Position): Entry | undefined {
  return innermost(
    a.entries.filter((e) => !e.immutable && e.path === path && contains(e.loc, p)),
    (e) => e.loc,
  );
}

export function invalidationAt(a: Analysis, path: string, p: Position): Invalidation | undefined {
  return innermost(
    a.invalidations.filter((i) => i.file.path === path && contains(i.loc, p)),
    (i) => i.loc,
  );
}

export function writeAt(a: Analysis, path: string, p: Position): WriteSite | undefined {
  return innermost(
    a.writes.filter((w) => w.file.path === path && contains(w.loc, p)),
    (w) => w.loc,
  );
}

/** A model whose class statement is at the position (its name, or anywhere on its first line). */
export function modelAt(a: Analysis, path: string, p: Position): ModelInfo | undefined {
  return modelsIn(a, path).find((m) => {
    const cls = m.file!.classes[m.cls!];
    return contains(cls.nameLoc, p) || p.line === cls.loc[0];
  });
}

export function modelsIn(a: Analysis, path: string): ModelInfo[] {
  return [...a.models.byId.values()].filter((m) => !m.synthetic && m.file?.path === path && m.cls !== undefined);
}

/** A signal receiver whose def line holds the position, with the function id. */
export function receiverAt(a: Analysis, path: string, p: Position): { id: string; name: string; loc: Loc } | undefined {
  const file = a.ws.byPath.get(path);
  if (!file || file.kind !== 'python') return undefined;
  const receivers = new Set([...a.events.values()].flatMap((e) => e.hookups.map((h) => h.receiver)));
  for (const [i, fn] of file.functions.entries()) {
    const id = fnId(file, i);
    if (receivers.has(id) && (contains(fn.nameLoc, p) || p.line === fn.nameLoc[0]))
      return { id, name: fn.qual, loc: fn.nameLoc };
  }
  return undefined;
}

export function coverageOf(a: Analysis, entry: Entry): EntryCoverage[] {
  return a.coverage.filter((c) => c.entry === entry);
}

/** Is any kind of change of the model left without an invalidation? */
export function isUncovered(c: EntryCoverage): boolean {
  return Object.values(c.byKind).some((k) => k.state === 'no');
}

/** Entries the invalidation reaches, through any trigger. */
export function entriesReachedBy(a: Analysis, inv: Invalidation): Entry[] {
  return unique(a.coverage.filter((c) => c.coveredBy.some((x) => x.inv === inv)).map((c) => c.entry));
}

export interface KeySite {
  path: string;
  loc: Loc;
  method: string;
  alias: string;
  key: CacheOp['key'];
}

/** Every cache call of the workspace that names a key: writes, deletes and reads. */
function keySites(a: Analysis): KeySite[] {
  const reads = [...a.events.values()].flatMap((e) => e.keyReads);
  return [...a.ops, ...reads].map((o) => ({
    path: o.file.path,
    loc: o.loc,
    method: o.method,
    alias: o.alias,
    key: o.key,
  }));
}

/** The cache call at a position: the innermost one. */
export function keySiteAt(a: Analysis, path: string, p: Position): KeySite | undefined {
  return innermost(
    keySites(a).filter((s) => s.path === path && contains(s.loc, p)),
    (s) => s.loc,
  );
}

/** Cache calls whose key can name the same cache item: the set, get and delete sites of one key. */
export function sameKeySites(a: Analysis, site: { key: CacheOp['key']; alias: string }): KeySite[] {
  if (!site.key) return [];
  return keySites(a).filter((o) => o.key && sameAlias(o.alias, site.alias) && isSameKey(o.key, site.key!));
}

function sameAlias(x: string, y: string): boolean {
  return x === y || x === '?' || y === '?';
}

function isSameKey(x: NonNullable<CacheOp['key']>, y: NonNullable<CacheOp['key']>): boolean {
  const m = matchKeys(x, y);
  return m === 'strong' || m === 'pattern';
}

export function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
