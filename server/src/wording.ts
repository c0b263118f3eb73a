/** How findings, hovers and lenses say things, so that every message explains itself the same way. */
import type { Analysis, Entry, EntryCoverage } from './analysis/analysis';
import type { WriteSite } from './analysis/domain/events';
import { countedModels } from './analysis/domain/keys';
import { modelName } from './analysis/models';
import { entryNeverExpires } from './analysis/verdict';
import { offProductionWriters } from './analysis/writeOrigin';
import type { Loc } from './syntax/ir';
import type { RelatedLocation } from './findings';

export { modelName };

export function at(path: string, loc: Loc): string {
  return `${path}:${loc[0] + 1}`;
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
