/**
 * The verdict: for each entry and each model it reads, which rule answers for it (DJC101 stale,
 * DJC102 shared table partly invalidated, DJC106 timeout only, DJC108 declaration drift), decided
 * once here so that the rules render verdicts and cannot overlap or leave each other's cases open.
 */
import type { Severity } from '../config/config';
import type { Analysis, Entry, EntryCoverage } from './analysis';
import type { WriteSite } from './domain/events';
import type { TagDeclaration, TagItem } from './domain/tags';
import { groupBy } from './domain/groups';
import { declares, sameRows } from './tags';
import { onlyOffProduction } from './writeOrigin';

/** What is said about one model an entry reads. */
export type ModelVerdict =
  /** DJC101: writes leave the entry stale, and either it is invalidated for other writes or no other entry on the table is. */
  | { kind: 'stale'; cov: EntryCoverage; stale: WriteSite[]; severity: Severity }
  /** DJC101, as information: nothing in the code writes the model and nothing invalidates the entry. */
  | { kind: 'unwritten'; cov: EntryCoverage }
  /** DJC102: other entries reading the model are invalidated when it changes, this one is not. */
  | { kind: 'sharedPartly'; cov: EntryCoverage; stale: WriteSite[]; siblings: EntryCoverage[]; severity: Severity }
  /** DJC106 answers for the whole entry (see EntryVerdict.timeoutOnly). */
  | { kind: 'timeoutOnly'; cov: EntryCoverage }
  /** DJC108: the entry's tags do not declare the model; `written` says whether the code writes it. */
  | { kind: 'undeclared'; cov: EntryCoverage; tags: TagDeclaration; written: boolean }
  /** No rule reports it: invalidated, declared, written only in other columns, or left to another verdict of the entry. */
  | { kind: 'quiet'; cov: EntryCoverage };

export interface EntryVerdict {
  entry: Entry;
  /** One per coverage record of the entry, in coverage order. */
  models: ModelVerdict[];
  /** DJC106: the entry relies on its timeout alone; its coverage records with writes that change it (none: nothing to report). */
  timeoutOnly?: EntryCoverage[];
  /** DJC108: declared tags whose model the entry's value does not read. */
  unreadTags: { tags: TagDeclaration; item: TagItem }[];
}

const memo = new WeakMap<Analysis, EntryVerdict[]>();

/** The verdict of every mutable entry, in entry order (so model verdicts come in coverage order). */
export function verdictsOf(a: Analysis): EntryVerdict[] {
  let out = memo.get(a);
  if (!out) memo.set(a, (out = judge(a)));
  return out;
}

/**
 * What the verdicts look up per model, gathered once: asking the whole coverage and every write
 * for each entry made judging quadratic in the number of entries.
 */
interface ByModel {
  /** Each entry's coverage records, in coverage order (by id: an entry's records share it). */
  coverageOf: Map<string, EntryCoverage[]>;
  /** Per model, the coverage records some invalidation reaches, in coverage order. */
  coveredOf: Map<string, EntryCoverage[]>;
  written: Set<string>;
}

/**
 * The coverage rules judge. Of the per-site cache's pages, only a model's own page: the route
 * its get_absolute_url() reverses, whose view reads that model itself (it shows the row the URL
 * names). Other pages read many models through their templates and stay entries the graph, hover
 * and code lens show: reporting each would drown the rest.
 */
export function reportedCoverage(a: Analysis): EntryCoverage[] {
  return a.coverage.filter(
    ({ entry, model }) =>
      !entry.site || (entry.site.viewReads.includes(model) && a.modelPages.has(`${model} ${entry.key?.route}`)),
  );
}

function judge(a: Analysis): EntryVerdict[] {
  const coverage = reportedCoverage(a);
  const by: ByModel = {
    coverageOf: groupBy(coverage, (cov) => cov.entry.id),
    coveredOf: groupBy(
      coverage.filter((cov) => cov.coveredBy.length > 0),
      (cov) => cov.model,
    ),
    written: new Set(a.writes.map((w) => w.model)),
  };
  const byEntry = groupBy(coverage, (cov) => cov.entry);
  const out: EntryVerdict[] = [];
  for (const entry of a.entries) {
    if (entry.immutable) continue;
    const covs = byEntry.get(entry) ?? [];
    out.push(entry.tags ? declaredVerdict(a, by, entry, entry.tags, covs) : undeclaredVerdict(a, by, entry, covs));
  }
  return out;
}

/** An entry without tag declarations: DJC101, DJC102 or DJC106. */
function undeclaredVerdict(a: Analysis, by: ByModel, entry: Entry, covs: EntryCoverage[]): EntryVerdict {
  if (foldedIntoTimeoutOnly(a, by, entry)) {
    const written = (by.coverageOf.get(entry.id) ?? []).filter((c) => c.writes.length > 0);
    return {
      entry,
      models: covs.map((cov) => (cov.writes.length ? { kind: 'timeoutOnly', cov } : { kind: 'quiet', cov })),
      timeoutOnly: written,
      unreadTags: [],
    };
  }
  return { entry, models: covs.map((cov) => modelVerdict(a, by, cov)), unreadTags: [] };
}

function modelVerdict(a: Analysis, by: ByModel, cov: EntryCoverage): ModelVerdict {
  // Writes that change only other columns, or insert rows the entry cannot hold, leave it quiet.
  if (cov.writes.length === 0)
    return cov.coveredBy.length === 0 && !cov.declaredBy && !cov.newKeyOnInsert && !by.written.has(cov.model)
      ? { kind: 'unwritten', cov }
      : { kind: 'quiet', cov };
  const stale = cov.coveredBy.length ? cov.uncovered : [...cov.uncovered, ...cov.bypassing];
  if (!stale.length) return { kind: 'quiet', cov };
  // An entry invalidated for some changes of the model says which ones it misses (DJC101),
  // whatever its siblings do: two entries both cleared on save only are each stale on delete.
  const siblings = cov.coveredBy.length ? [] : coveredSiblings(by, cov);
  if (!siblings.length) return { kind: 'stale', cov, stale, severity: staleSeverity(a, cov.entry, stale) };
  return { kind: 'sharedPartly', cov, stale, siblings, severity: staleSeverity(a, cov.entry, stale) };
}

/** An entry with tag declarations: DJC108 alone answers for it. "auto" and unresolved items may declare anything. */
function declaredVerdict(
  a: Analysis,
  by: ByModel,
  entry: Entry,
  tags: TagDeclaration,
  covs: EntryCoverage[],
): EntryVerdict {
  if (tags.auto || tags.opaque) return { entry, models: covs.map((cov) => ({ kind: 'quiet', cov })), unreadTags: [] };
  const models: ModelVerdict[] = covs.map((cov) =>
    declares(tags, cov.model, a.models)
      ? { kind: 'quiet', cov }
      : { kind: 'undeclared', cov, tags, written: by.written.has(cov.model) },
  );
  // Without any read the engine saw, it cannot tell a needed tag from an unused one.
  const unreadTags = entry.deps.length
    ? tags.items
        .filter((item) => !entry.deps.some((d) => sameRows(item.model, d.model, a.models)))
        .map((item) => ({ tags, item }))
    : [];
  return { entry, models, unreadTags };
}

/**
 * Entries that never expire are errors; models nobody writes in code, or only commands, sample
 * data and tests write, are information.
 */
function staleSeverity(a: Analysis, entry: Entry, writes: WriteSite[]): Severity {
  if (writes.length === 0 || onlyOffProduction(writes)) return 'info';
  return entryNeverExpires(a, entry) ? 'error' : 'warning';
}

export function entryNeverExpires(a: Analysis, entry: Entry): boolean {
  if (entry.timeout === null) return true;
  return entry.timeout === 'default' && a.ws.settings.caches[entry.alias]?.timeout === null;
}

/**
 * Other entries reading the same model that some invalidation reaches when it changes. The
 * queries cacheops caches by itself are left out: cacheops invalidates them, not the team, so
 * they say nothing of an invalidation the team wrote for the others and forgot here.
 */
function coveredSiblings(by: ByModel, cov: EntryCoverage): EntryCoverage[] {
  return (by.coveredOf.get(cov.model) ?? []).filter(
    (o) => o.entry.id !== cov.entry.id && o.entry.cacheops?.decorator !== 'auto',
  );
}

/**
 * Entries with a finite timeout, writable dependencies and no invalidation at all report as
 * DJC106, not DJC101; when a sibling on the same table is invalidated, DJC102 says more and wins.
 */
function foldedIntoTimeoutOnly(a: Analysis, by: ByModel, entry: Entry): boolean {
  if (entryNeverExpires(a, entry) || a.invalidatedAtAll.get(entry.id)) return false;
  const covs = by.coverageOf.get(entry.id) ?? [];
  if (covs.some((c) => c.coveredBy.length > 0 || coveredSiblings(by, c).length > 0)) return false;
  return covs.some((c) => by.written.has(c.model));
}
