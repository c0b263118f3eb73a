/**
 * Version rows: a key or `version=` built from a row's column (`f"nav:{site.nav_version}"`, a
 * `CacheVersion` model) names a new key once that column is written. Such writes (a bump, as
 * `update(version=F("version") + 1)`) drop the entries built from the column, wherever they run.
 */
import type { Entry, Invalidation, Trigger } from './analysis';
import type { WriteSite } from './domain/events';
import { keyRowFields, type RowField } from './domain/keys';
import { sameRowField } from './domain/versions';

/** Writes that name the columns an entry's key or version is read from, as invalidations of those entries. */
export function rowBumps(entries: Entry[], writes: WriteSite[], triggers: Map<string, Trigger[]>): Invalidation[] {
  const read: RowField[] = [];
  for (const e of entries)
    for (const row of [...keyRowFields(e.key), ...(e.versionRow ? [e.versionRow] : [])])
      if (!read.some((r) => sameRowField(r, row))) read.push(row);
  if (!read.length) return [];
  const out: Invalidation[] = [];
  for (const w of writes) {
    // Only a write that names the column is known to change it; a plain save() may leave it as it was.
    if (!w.fnId || !w.pos || !w.columns) continue;
    for (const row of read) {
      if (row.model !== w.model || !w.columns.includes(row.field)) continue;
      out.push({
        file: w.file,
        loc: w.loc,
        method: 'bump',
        alias: '?',
        key: null,
        value: null,
        timeout: 'default',
        version: null,
        bumpsRow: row,
        fnId: w.fnId,
        pos: w.pos,
        inAtomic: false,
        triggers: triggers.get(w.fnId) ?? [],
      });
    }
  }
  return out;
}

/** Whether the entry's key or version is read from the column that `inv` writes. */
export function bumpsEntry(inv: Invalidation, entry: Entry): boolean {
  const row = inv.bumpsRow;
  if (!row) return false;
  return (
    keyRowFields(entry.key).some((r) => sameRowField(r, row)) ||
    (!!entry.versionRow && sameRowField(entry.versionRow, row))
  );
}
