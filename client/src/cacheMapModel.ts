/**
 * Turns the server's graph into the rows the Cache Map webview draws. All the judgement (labels,
 * tooltips, what counts as uncovered or shared, what the filter matches) lives here so that it is
 * tested under node; media/cacheMap.js only builds DOM from these rows.
 */
import type { ChangeKind, Cover, GraphEntry, GraphModel } from '../../server/src/graph';
import type { GraphFolder, GraphResult } from '../../server/src/protocol';
import type { Loc } from '../../server/src/facts/types';

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

export interface CacheMapView {
  entries: EntryRow[];
  sharedTables: SharedTable[];
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
  let modelCount = 0;
  for (const folder of result.folders) {
    const models = new Map(folder.graph.models.map((model) => [model.id, model]));
    const readers = countReaders(folder.graph.entries);
    modelCount += readers.size;
    const rows = folder.graph.entries.map((entry) => entryRow(folder, entry, models, readers, multiRoot));
    entries.push(...rows);
    for (const [model, count] of readers) {
      if (count < 2) continue;
      const uncoveredEntries = rows.filter((row) => row.dependencies.some(
        (dep) => dep.model === model && dep.coverage.some((cell) => cell.state === 'no'))).length;
      sharedTables.push({ model, label: multiRoot ? `${folder.name}: ${model}` : model, entries: count, uncoveredEntries });
    }
  }
  entries.sort((a, b) => a.location.localeCompare(b.location, undefined, { numeric: true }));
  sharedTables.sort((a, b) => b.entries - a.entries || a.label.localeCompare(b.label));
  return { entries, sharedTables, uncoveredCount: entries.filter((row) => row.uncovered).length, modelCount };
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

function entryRow(folder: GraphFolder, entry: GraphEntry, models: Map<string, GraphModel>,
  readers: Map<string, number>, multiRoot: boolean): EntryRow {
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
    findings: folder.findings.filter((finding) => finding.entryId === entry.id)
      .map((finding) => ({ code: finding.code, message: finding.message })),
    dependencies,
    uncovered: dependencies.some((dep) => dep.coverage.some((cell) => cell.state === 'no')),
    searchText: [entry.key, location, entry.alias, ...dependencies.map((dep) => dep.model)].join('\n').toLowerCase(),
  };
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
  const units: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'min']];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return `${seconds} s`;
}
