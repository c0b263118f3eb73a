/** How findings, hovers and lenses say things, so that every message explains itself the same way. */
import type { Analysis, Entry, EntryCoverage } from './analysis/analysis';
import type { WriteSite } from './analysis/domain/events';
import { countedModels } from './analysis/domain/keys';
import { unguardedColumns } from './analysis/guards';
import { modelName } from './analysis/models';
import { entryNeverExpires } from './analysis/verdict';
import { offProductionWriters } from './analysis/writeOrigin';
import type { Loc } from './syntax/ir';
import type { RelatedLocation } from './findings';

export { modelName };

export function at(path: string, loc: Loc): string {
  return `${path}:${loc[0] + 1}`;
}

/** Where each write is (`path:line`), once each, in the order given: a finding's stale writes. */
export function writePlaces(writes: { file: { path: string }; loc: Loc }[]): string[] {
  return [...new Set(writes.map((w) => at(w.file.path, w.loc)))];
}

export function related(path: string, loc: Loc, message: string): RelatedLocation {
  return { path, loc, message };
}

export function writeVerb(w: WriteSite): string {
  switch (w.kind) {
    case 'save':
      return 'saves';
    case 'delete':
      return 'deletes';
    case 'm2m':
      return 'changes the relation';
    default:
      return 'writes';
  }
}

/** "catalog/admin.py:12 (the admin) saves Category", "… (p.save(update_fields=…)) saves the stock column of Product" */
export function writeText(w: WriteSite): string {
  return `${at(w.file.path, w.loc)} (${w.how}) ${writeVerb(w)} ${columnsOf(w.columns, modelName(w.model))}`;
}

/**
 * Said after a quoted write when no production code makes any of `writes`: "written only by
 * management command `populatedb`"; else nothing.
 */
export function writtenOnlyBy(writes: readonly WriteSite[]): string | undefined {
  const by = offProductionWriters(writes);
  return by && `written only by ${by}`;
}

export function viaText(cov: EntryCoverage): string {
  return cov.dep.via.join(' → ');
}

/** What an entry reads of the model: "catalog.Product", or "the name, slug columns of catalog.Product" when it holds only those. */
export function readText(cov: EntryCoverage): string {
  return columnsOf(cov.dep.columns, cov.model);
}

function columnsOf(columns: string[] | undefined, what: string): string {
  if (!columns) return what;
  if (!columns.length) return `which rows of ${what} exist`;
  return `the ${[...columns].sort().join(', ')} column${columns.length > 1 ? 's' : ''} of ${what}`;
}

/**
 * For an entry whose invalidation runs only on a change of some columns: "it is invalidated only
 * when status changes (shop/models.py:40); a save of other columns it reads — name — is not".
 */
export function guardedText(cov: EntryCoverage): string {
  const guards = cov.guardedBy ?? [];
  if (!guards.length) return '';
  const when = guards
    .map((g) => {
      const columns = [...new Set(g.columns)].join(' or ');
      return `${g.named ? `a save lists ${columns} in update_fields` : `${columns} changes`} (${at(g.path, g.loc)})`;
    })
    .join(', or when ');
  const others = [...new Set(guards.flatMap((g) => unguardedColumns(g, cov.dep) ?? []))];
  const rest = others.length
    ? `a save of other columns it reads — ${others.sort().join(', ')} — is not`
    : guards.every((g) => g.named)
      ? 'a save that does not list them (a plain save()) is not'
      : 'a save of its other columns is not';
  return `it is invalidated only when ${when}; ${rest}`;
}

/** For a model whose row count the entry's key embeds: which of its writes that settles, and which it leaves. */
export function countedKeyText(cov: EntryCoverage): string {
  if (!countedModels(cov.entry.key).includes(cov.model)) return '';
  const name = modelName(cov.model);
  return ` Inserting ${name} rows changes the row count in the key, so new rows are seen; updating or deleting existing ${name} rows does not.`;
}

/** How long the entry lives, as a reader says it: "1800 s", "default 300 s", "never expires". */
export function timeoutText(a: Analysis, entry: Entry): string {
  if (entryNeverExpires(a, entry)) return 'never expires';
  if (typeof entry.timeout === 'number') return `${entry.timeout} s`;
  if (entry.timeout === 'default') return `default ${a.ws.settings.caches[entry.alias]?.timeout ?? 300} s`;
  return 'fixed';
}
