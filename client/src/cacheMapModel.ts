/**
 * Turns the server's graph into the rows the Cache Map webview draws. All the judgement (labels,
 * tooltips, what counts as uncovered or shared, what the filter matches) lives here so that it is
 * tested under node; media/cacheMap.js only builds DOM from these rows.
 */
import type { ChangeKind, Cover, GraphEntry, GraphModel, GraphSiteCache } from '../../shared/graph';
import type { GraphFolder, GraphResult } from '../../shared/protocol';
import type { Loc } from '../../shared/loc';

const CHANGE_KINDS: readonly ChangeKind[] = ['save', 'delete', 'm2m', 'bulk'];

/** A place in a workspace folder to open; 0-based like LSP. */
export interface SourceTarget {
  folderUri: string;
  path: string;
  line: number;
  character: number;
}

export interface CoverageCell {
  kind: ChangeKind;
  state: Cover['state'];
  symbol: '✓' | '✗' | '–' | '?';
  title: string;
}

export interface DependencyRow {
  model: string;
  /** How the value reads the model, hops joined by arrows. */
  via: string;
  read: SourceTarget;
  /** How many entries of the same folder read this model; shared when above one. */
  readers: number;
  coverage: CoverageCell[];
}

export interface EntryRow {
  id: string;
  key: string;
  kindLabel: string;
  alias: string;
  timeoutLabel: string;
  timeoutTitle: string;
  /** 'catalog/services.py:18', prefixed with the folder name in multi-root workspaces. */
  location: string;
  target: SourceTarget;
  findings: { code: string; message: string }[];
  dependencies: DependencyRow[];
  /** Some model changes in a way that reaches no invalidation (a ✗ somewhere). */
  uncovered: boolean;
  /** Lower-case key, location, alias and models: the filter box matches each of its words against it. */
  searchText: string;
}

export interface SharedTable {
  model: string;
  /** The model, after its folder's name in multi-root workspaces. */
  label: string;
  entries: number;
  uncoveredEntries: number;
}

/** Django's per-site cache of one folder: every GET response for a while, whatever it reads. */
export interface SiteCacheNote {
  text: string;
  title: string;
  /** Where MIDDLEWARE turns it on. */
  target: SourceTarget;
}

export interface CacheMapView {
  entries: EntryRow[];
  sharedTables: SharedTable[];
  siteCaches: SiteCacheNote[];
  uncoveredCount: number;
  modelCount: number;
}

const KIND_LABELS: Record<GraphEntry['kind'], string> = {
  cache: 'cache',
  page: 'cache_page',
  fragment: '{% cache %}',
  memoize: 'memoize',
  tagged: 'tagged',
};

const SYMBOLS: Record<Cover['state'], CoverageCell['symbol']> = { yes: '✓', no: '✗', none: '–', unknown: '?' };

/** Verb phrases for "the code never … M" and "M is … at". */
const CHANGE_VERBS: Record<ChangeKind, { never: string; written: string }> = {
  save: { never: 'saves or creates', written: 'saved' },
  delete: { never: 'deletes', written: 'deleted' },
  m2m: { never: 'changes the many-to-many relations of', written: 'changed through a many-to-many relation' },
  bulk: { never: 'writes without signals (update, bulk writes, raw SQL)', written: 'written without signals' },
};

const SHOWN_WRITES = 3;

export function buildCacheMapView(result: GraphResult): CacheMapView {
  const multiRoot = result.folders.length > 1;
  const entries: EntryRow[] = [];
  const sharedTables: SharedTable[] = [];
  const siteCaches: SiteCacheNote[] = [];
  let modelCount = 0;
  for (const folder of result.folders) {
    if (folder.graph.siteCache) siteCaches.push(siteCacheNote(folder, folder.graph.siteCache, multiRoot));
    const models = new Map(folder.graph.models.map((model) => [model.id, model]));
    const readers = countReaders(folder.graph.entries);
    modelCount += readers.size;
    const rows = folder.graph.entries.map((entry) => entryRow(folder, entry, models, readers, multiRoot));
    entries.push(...rows);
    for (const [model, count] of readers) {
      if (count < 2) continue;
      const uncoveredEntries = rows.filter((row) =>
        row.dependencies.some((dep) => dep.model === model && isUncovered(dep)),
      ).length;
      sharedTables.push({
        model,
        label: multiRoot ? `${folder.name}: ${model}` : model,
        entries: count,
        uncoveredEntries,
      });
    }
  }
  entries.sort((a, b) => a.location.localeCompare(b.location, undefined, { numeric: true }));
  sharedTables.sort((a, b) => b.entries - a.entries || a.label.localeCompare(b.label));
  return {
    entries,
    sharedTables,
    siteCaches,
    uncoveredCount: entries.filter((row) => row.uncovered).length,
    modelCount,
  };
}

function siteCacheNote(folder: GraphFolder, site: GraphSiteCache, multiRoot: boolean): SiteCacheNote {
  const clears = site.clearedBy.length;
  return {
    text:
      `${multiRoot ? `${folder.name}: ` : ''}per-site cache on '${site.alias}': every GET response for ${site.timeout} s; ` +
      (clears ? `emptied only by clear() (${clears} call${clears > 1 ? 's' : ''})` : 'nothing clears it'),
    title:
      `UpdateCacheMiddleware and FetchFromCacheMiddleware cache whole responses, whatever models the views read, until CACHE_MIDDLEWARE_SECONDS pass. ` +
      (clears
        ? `clear() of '${site.alias}' at ${site.clearedBy.map((c) => `${c.path}:${c.loc[0] + 1}`).join(', ')}.`
        : `No clear() of '${site.alias}' was found.`) +
      ` Click to open ${site.path}:${site.loc[0] + 1}.`,
    target: target(folder, site.path, site.loc),
  };
}

function countReaders(entries: GraphEntry[]): Map<string, number> {
  const readers = new Map<string, number>();
  for (const entry of entries) {
    for (const model of new Set(entry.dependencies.map((dep) => dep.model))) {
      readers.set(model, (readers.get(model) ?? 0) + 1);
    }
  }
  return readers;
}

function entryRow(
  folder: GraphFolder,
  entry: GraphEntry,
  models: Map<string, GraphModel>,
  readers: Map<string, number>,
  multiRoot: boolean,
): EntryRow {
  const dependencies: DependencyRow[] = entry.dependencies.map((dep) => ({
    model: dep.model,
    via: dep.via.join(' → '),
    read: target(folder, dep.path, dep.loc),
    readers: readers.get(dep.model) ?? 1,
    coverage: CHANGE_KINDS.map((kind) => coverageCell(kind, dep.coverage[kind], dep.model, models.get(dep.model))),
  }));
  const line = entry.loc[0] + 1;
  const location = `${multiRoot ? `${folder.name}/` : ''}${entry.path}:${line}`;
  const timeout = describeTimeout(entry.timeout);
  return {
    id: entry.id,
    key: entry.key,
    kindLabel: KIND_LABELS[entry.kind],
    alias: entry.alias,
    timeoutLabel: timeout.label,
    timeoutTitle: timeout.title,
    location,
    target: target(folder, entry.path, entry.loc),
    findings: folder.findings
      .filter((finding) => finding.entryId === entry.id)
      .map((finding) => ({ code: finding.code, message: finding.message })),
    dependencies,
    uncovered: dependencies.some(isUncovered),
    searchText: [entry.key, location, entry.alias, ...dependencies.map((dep) => dep.model)].join('\n').toLowerCase(),
  };
}

/** Some change of the model reaches no invalidation (a ✗ in the row). */
function isUncovered(dependency: DependencyRow): boolean {
  return dependency.coverage.some((cell) => cell.state === 'no');
}

function target(folder: GraphFolder, path: string, loc: Loc): SourceTarget {
  return { folderUri: folder.uri, path, line: loc[0], character: loc[1] };
}

function coverageCell(kind: ChangeKind, cover: Cover, model: string, graphModel: GraphModel | undefined): CoverageCell {
  const verbs = CHANGE_VERBS[kind];
  let title: string;
  switch (cover.state) {
    case 'yes':
      title = `covered by ${(cover.by ?? []).map((by) => by.how).join('; ') || 'an invalidation'}`;
      break;
    case 'no': {
      const writes = (graphModel?.writes ?? []).filter((write) => write.kind === kind);
      const shown = writes.slice(0, SHOWN_WRITES).map((write) => `${write.path}:${write.loc[0] + 1} (${write.how})`);
      if (writes.length > SHOWN_WRITES) shown.push(`${writes.length - SHOWN_WRITES} more`);
      const where = shown.length ? ` at ${shown.join(', ')}` : graphModel?.adminRegistered ? ' in the admin' : '';
      title = `not covered: ${model} is ${verbs.written}${where} and nothing invalidates this entry`;
      break;
    }
    case 'none':
      title = `nothing to cover: the code never ${verbs.never} ${model}`;
      break;
    case 'unknown':
      title = 'unknown: could not be proven either way';
      break;
  }
  return { kind, state: cover.state, symbol: SYMBOLS[cover.state], title: `${kind}: ${title}` };
}

function describeTimeout(timeout: GraphEntry['timeout']): { label: string; title: string } {
  if (timeout === null) return { label: 'never', title: 'never expires (timeout=None)' };
  if (timeout === 'default') return { label: 'default', title: "the cache alias's TIMEOUT" };
  if (timeout === 'unknown') return { label: '?', title: 'the timeout could not be read' };
  return { label: humanSeconds(timeout), title: `${timeout} seconds` };
}

function humanSeconds(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}

// --- live stats --------------------------------------------------------------------------------

/** One family of the runtime's stats JSON (runtime/djcache/stats.py `collect()`), the fields the map shows. */
export interface RuntimeFamilyStats {
  family: string;
  hits: number;
  misses: number;
  invalidations: Record<string, number>;
  auto_ttl_seconds: number | null;
}

/** A stats answer and when the extension received it (ms since the epoch). */
export interface StatsSample {
  receivedAt: number;
  families: RuntimeFamilyStats[];
}

export interface FamilyStatsRow {
  family: string;
  hits: number;
  misses: number;
  /** '82 %', or '–' before the first read. */
  hitRatio: string;
  /** Invalidations by tag, most first. */
  invalidations: { tag: string; count: number }[];
  /** '3 min 26 s', or '' when the family has no auto TTL. */
  autoTtl: string;
}

export interface ReadsBar {
  hits: number;
  misses: number;
  /** Seconds the bar covers, for its tooltip. */
  seconds: number;
}

export interface LiveStatsView {
  /** The one line above the map: connected to what, or why not. */
  note: string;
  connected: boolean;
  /** Family rows per entry id; an entry can get several families and a family several entries. */
  byEntry: Record<string, FamilyStatsRow[]>;
  /** Families whose keys match no entry the analysis found (e.g. keys it cannot read). */
  unmatched: FamilyStatsRow[];
  /** Families with invalidations in the window, most first. */
  mostInvalidated: { family: string; count: number }[];
  /** 'in the last 5 min', or 'since the runtime started' while there is only one sample. */
  windowLabel: string;
  /** Reads of every family between consecutive samples, oldest first: the chart's bars. */
  readsPerInterval: ReadsBar[];
}

/** "Invalidated most" and the reads chart cover this much history. */
export const LIVE_WINDOW_SECONDS = 300;

const HOLE = /\{[^{}]*\}/g;

/**
 * A family pattern for a graph key: `product:{pk}` matches the runtime's `product:{}`, and
 * `catalog:v{v}:page:{page}` matches `catalog:v3:page:{}` (the runtime leaves digits after a letter
 * alone). A hole stands for one `:`-separated segment or part of one, so `product:{pk}` does not
 * claim `product:{}:reviews`. Keys that are all holes would match everything and get no pattern.
 */
export function familyPattern(key: string): RegExp | undefined {
  const literals = key.split(HOLE);
  if (literals.join('').replace(/[:_\-.\s]/g, '') === '') return undefined;
  const escaped = literals.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[^:]+')}$`);
}

/**
 * The entries each runtime family belongs to. When several keys match, the one with the most
 * literal characters wins (`product:{pk}:reviews` over `product:{pk}:{part}`); equally specific
 * keys (the same key read in two places) all get it.
 */
export function matchFamilies(
  entries: readonly { id: string; key: string }[],
  families: readonly string[],
): Map<string, string[]> {
  const patterns = entries.flatMap((entry) => {
    const pattern = familyPattern(entry.key);
    return pattern ? [{ id: entry.id, pattern, literalLength: entry.key.replace(HOLE, '').length }] : [];
  });
  const matches = new Map<string, string[]>();
  for (const family of families) {
    const hits = patterns.filter((candidate) => candidate.pattern.test(family));
    const best = Math.max(...hits.map((hit) => hit.literalLength));
    const ids = hits.filter((hit) => hit.literalLength === best).map((hit) => hit.id);
    if (ids.length) matches.set(family, ids);
  }
  return matches;
}

/** Checks the shape of the stats view's JSON; throws with a short reason when it is something else. */
export function parseRuntimeStats(json: unknown): RuntimeFamilyStats[] {
  const families = (json as { families?: unknown } | null)?.families;
  if (!Array.isArray(families))
    throw new Error('the answer has no "families" list; is the URL the djcache stats view?');
  return families.map((row: Partial<RuntimeFamilyStats>) => {
    if (typeof row?.family !== 'string' || typeof row.hits !== 'number' || typeof row.misses !== 'number') {
      throw new Error('a family in the answer lacks family/hits/misses');
    }
    return {
      family: row.family,
      hits: row.hits,
      misses: row.misses,
      invalidations: row.invalidations && typeof row.invalidations === 'object' ? row.invalidations : {},
      auto_ttl_seconds: typeof row.auto_ttl_seconds === 'number' ? row.auto_ttl_seconds : null,
    };
  });
}

export function notConnectedView(note: string): LiveStatsView {
  return {
    note,
    connected: false,
    byEntry: {},
    unmatched: [],
    mostInvalidated: [],
    windowLabel: '',
    readsPerInterval: [],
  };
}

/**
 * The live part of the map from the samples so far (oldest first). Counters in the runtime only
 * grow, so the window's invalidations are the newest sample minus the oldest one inside the window;
 * a counter that shrank means the runtime restarted, and then the newest totals are the window's.
 */
export function buildLiveStatsView(
  samples: readonly StatsSample[],
  entries: readonly { id: string; key: string }[],
  url: string,
  windowSeconds: number,
): LiveStatsView {
  const latest = samples[samples.length - 1];
  const rows = latest.families.map(familyRow);
  const owners = matchFamilies(
    entries,
    rows.map((row) => row.family),
  );
  const byEntry: Record<string, FamilyStatsRow[]> = {};
  const unmatched: FamilyStatsRow[] = [];
  for (const row of rows) {
    const ids = owners.get(row.family);
    if (!ids) unmatched.push(row);
    for (const id of ids ?? []) (byEntry[id] ??= []).push(row);
  }
  const windowStart = samples.find((sample) => sample.receivedAt >= latest.receivedAt - windowSeconds * 1000) ?? latest;
  const baseline = windowStart === latest ? undefined : totals(windowStart, invalidationCount);
  const mostInvalidated = latest.families
    .map((family) => ({ family: family.family, count: since(invalidationCount(family), baseline?.get(family.family)) }))
    .filter((row) => row.count > 0)
    .sort((a, b) => b.count - a.count || a.family.localeCompare(b.family));
  const readsPerInterval = samples.slice(1).map((sample, index) => {
    const before = samples[index];
    const hits = sumSince(sample, before, (family) => family.hits);
    const misses = sumSince(sample, before, (family) => family.misses);
    return { hits, misses, seconds: Math.round((sample.receivedAt - before.receivedAt) / 1000) };
  });
  const time = new Date(latest.receivedAt).toLocaleTimeString('en-GB', { hour12: false });
  const familyCount = `${rows.length} ${rows.length === 1 ? 'family' : 'families'}`;
  return {
    note: `Live stats: ${url} · ${familyCount} · updated ${time}`,
    connected: true,
    byEntry,
    unmatched,
    mostInvalidated,
    windowLabel: baseline
      ? `in the last ${humanDuration((latest.receivedAt - windowStart.receivedAt) / 1000)}`
      : 'since the runtime started',
    readsPerInterval,
  };
}

function familyRow(stats: RuntimeFamilyStats): FamilyStatsRow {
  const reads = stats.hits + stats.misses;
  return {
    family: stats.family,
    hits: stats.hits,
    misses: stats.misses,
    hitRatio: reads ? `${Math.round((stats.hits / reads) * 100)} %` : '–',
    invalidations: Object.entries(stats.invalidations)
      .map(([tag, count]) => ({ tag, count }))
      .filter((row) => row.count > 0)
      .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag)),
    autoTtl: stats.auto_ttl_seconds === null ? '' : humanDuration(stats.auto_ttl_seconds),
  };
}

function invalidationCount(family: RuntimeFamilyStats): number {
  return Object.values(family.invalidations).reduce((sum, count) => sum + count, 0);
}

function totals(sample: StatsSample, count: (family: RuntimeFamilyStats) => number): Map<string, number> {
  return new Map(sample.families.map((family) => [family.family, count(family)]));
}

function since(now: number, before: number | undefined): number {
  return before === undefined || before > now ? now : now - before;
}

function sumSince(sample: StatsSample, before: StatsSample, count: (family: RuntimeFamilyStats) => number): number {
  const old = totals(before, count);
  return sample.families.reduce((sum, family) => sum + since(count(family), old.get(family.family)), 0);
}

function humanDuration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
