/** The dependency map as plain JSON, for `djcache graph`, hover and the Cache Map. */
import { display } from './domain/keys';
import { groupBy } from './domain/groups';
import type { Analysis } from './analysis';
import { type Entry, entryKeyText, triggerText } from './analysis';
import type { Graph, GraphSiteCache } from '../../../shared/graph';

export function buildGraph(a: Analysis): Graph {
  const coverageByEntry = new Map<string, Analysis['coverage']>();
  for (const c of a.coverage) coverageByEntry.set(c.entry.id, [...(coverageByEntry.get(c.entry.id) ?? []), c]);
  const entries = a.entries
    .filter((e) => !e.immutable)
    .map((e) => ({
      id: e.id,
      kind: e.kind,
      key: graphKey(e),
      alias: e.alias,
      timeout: e.timeout,
      path: e.path,
      loc: e.loc,
      function: e.fnId,
      dependencies: (coverageByEntry.get(e.id) ?? []).map((c) => ({
        model: c.model,
        via: c.dep.via,
        path: c.dep.path,
        loc: c.dep.loc,
        coverage: c.byKind,
      })),
    }));
  const modelIds = new Set([
    ...entries.flatMap((e) => e.dependencies.map((d) => d.model)),
    ...a.writes.map((w) => w.model),
  ]);
  const writesOf = groupBy(a.writes, (w) => w.model);
  const entriesOf = groupBy(
    entries.flatMap((e) => [...new Set(e.dependencies.map((d) => d.model))].map((model) => ({ model, id: e.id }))),
    (read) => read.model,
  );
  const models = [...modelIds].sort().map((id) => {
    const m = a.models.byId.get(id);
    return {
      id,
      path: m?.file?.path ?? '',
      loc: m?.loc ?? ([0, 0, 0, 0] as [number, number, number, number]),
      table: m?.table ?? '',
      adminRegistered: a.adminRegistered.has(id),
      writes: (writesOf.get(id) ?? []).map((w) => ({
        path: w.file.path,
        loc: w.loc,
        kind: w.kind,
        how: w.how,
        signals: w.signals,
      })),
      entries: (entriesOf.get(id) ?? []).map((read) => read.id),
    };
  });
  const entriesCoveredBy = new Map<Analysis['invalidations'][number], Set<string>>();
  for (const c of a.coverage) {
    for (const { inv } of c.coveredBy) {
      const ids = entriesCoveredBy.get(inv) ?? new Set<string>();
      entriesCoveredBy.set(inv, ids.add(c.entry.id));
    }
  }
  const invalidations = a.invalidations.map((inv) => ({
    path: inv.file.path,
    loc: inv.loc,
    key: display(inv.key),
    alias: inv.alias,
    method: inv.method,
    triggers: inv.triggers.map(triggerText),
    entries: [...(entriesCoveredBy.get(inv) ?? [])],
  }));
  return { version: 1, entries, models, invalidations, siteCache: siteCache(a) };
}

function siteCache(a: Analysis): GraphSiteCache | null {
  const s = a.ws.settings;
  if (!s.siteCache) return null;
  const alias = s.cacheMiddlewareAlias;
  const line = s.siteCache.line;
  return {
    alias,
    timeout: s.cacheMiddlewareSeconds ?? 600,
    path: s.siteCache.path,
    loc: [line, 0, line, 0],
    clearedBy: a.invalidations
      .filter((inv) => inv.method === 'clear' && (inv.alias === alias || inv.alias === '?'))
      .map((inv) => ({ path: inv.file.path, loc: inv.loc })),
  };
}

/** View and fragment keys are Django-internal prefixes; the cached view or fragment is what a reader recognises. */
function graphKey(e: Entry): string {
  return e.kind === 'page' || e.kind === 'fragment' ? entryKeyText(e) : display(e.key);
}
