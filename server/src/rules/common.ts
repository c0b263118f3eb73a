/** Shared wording and data for findings, so every rule explains itself the same way. */
import type { Loc } from '../facts/types';
import type { Finding, FindingData, HoleRebuild, HoleSource, KeyData, KeyRebuild, M2mHole, RelatedLocation, Severity } from '../findings';
import type { WriteSite } from '../analysis/events';
import { display, type KeyPart } from '../analysis/keys';
import type { ModelInfo, Relation } from '../analysis/models';
import type { Analysis, Entry, EntryCoverage } from '../analysis/analysis';
import { entryKeyText } from '../analysis/analysis';
import { staticSym } from '../analysis/workspace';
import type { DeclareTagsData } from '../fixes/declareTags';

export interface Rule {
  meta: import('../findings').RuleMeta;
  check(a: Analysis): Finding[];
}

export function at(path: string, loc: Loc): string {
  return `${path}:${loc[0] + 1}`;
}

export function related(path: string, loc: Loc, message: string): RelatedLocation {
  return { path, loc, message };
}

export function modelName(id: string): string {
  return id.slice(id.lastIndexOf('.') + 1);
}

export function writeVerb(w: WriteSite): string {
  switch (w.kind) {
    case 'save': return 'saves';
    case 'delete': return 'deletes';
    case 'm2m': return 'changes the relation';
    default: return 'writes';
  }
}

/** "catalog/admin.py:12 (the admin) saves Category", "… (p.save(update_fields=…)) saves the stock column of Product" */
export function writeText(w: WriteSite): string {
  return `${at(w.file.path, w.loc)} (${w.how}) ${writeVerb(w)} ${columnsOf(w.columns, modelName(w.model))}`;
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

/** Entries that never expire are errors; models nobody writes in code are information. */
export function staleSeverity(a: Analysis, entry: Entry, writes: WriteSite[]): Severity {
  if (writes.length === 0) return 'info';
  return entryNeverExpires(a, entry) ? 'error' : 'warning';
}

/** How long the entry lives, as a reader says it: "1800 s", "default 300 s", "never expires". */
export function timeoutText(a: Analysis, entry: Entry): string {
  if (entryNeverExpires(a, entry)) return 'never expires';
  if (typeof entry.timeout === 'number') return `${entry.timeout} s`;
  if (entry.timeout === 'default') return `default ${a.ws.settings.caches[entry.alias]?.timeout ?? 300} s`;
  return 'fixed';
}

export function entryNeverExpires(a: Analysis, entry: Entry): boolean {
  if (entry.timeout === null) return true;
  return entry.timeout === 'default' && a.ws.settings.caches[entry.alias]?.timeout === null;
}

export function entryData(a: Analysis, entry: Entry, model: string, extra: FindingData = {}): FindingData {
  const info = a.models.byId.get(model);
  const dir = info?.appDir ?? '';
  const prefix = dir ? `${dir}/` : '';
  const m2m = a.models.m2mOf(model);
  return {
    ...keyData(a, entry, model),
    model,
    // An auto-created through table belongs to the app (and file) of the model declaring the field.
    app: info?.file ? { label: info.app, dir, signals: `${prefix}signals.py`, apps: `${prefix}apps.py`, models: info.file.path } : undefined,
    sender: info?.file && !info.synthetic ? { module: info.file.module, name: info.name } : undefined,
    m2m: m2m?.owner.file ? { owner: { module: m2m.owner.file.module, name: m2m.owner.name }, field: m2m.field.name, rebuild: m2mRebuild(a, entry, m2m.owner, m2m.field) } : undefined,
    ...extra,
  };
}

/** An entry's key as fixes need it, with how to rebuild it from an instance of `model`. */
export function keyData(a: Analysis, entry: Entry, model: string): KeyData {
  return {
    entryId: entry.id,
    key: entry.key ? display(entry.key) : undefined,
    alias: entry.alias,
    version: entry.version,
    keyParts: entry.key?.parts.map((p) => ('lit' in p ? { lit: p.lit } : { hole: p.hole, source: p.source })),
    rebuild: keyRebuild(a, entry, model),
  };
}

function keyRebuild(a: Analysis, entry: Entry, model: string): KeyRebuild {
  const rowSets = new Set<string>();
  const r = rebuildWith(entry, (hole, source) => {
    const h = holeRebuild(a, hole, source, model);
    if (typeof h !== 'string' && 'accessor' in h) rowSets.add(`${h.accessor}.${h.field}`);
    return h;
  });
  // One comprehension walks one set of related values: holes from two of them cannot be paired.
  return rowSets.size > 1 ? { kind: 'none', reason: `the key's holes come from ${[...rowSets].join(' and ')}, which one key cannot pair` } : r;
}

type Hole = Extract<KeyPart, { hole: string }>;

const KIND_REASON: Record<Exclude<Entry['kind'], 'cache'>, string> = {
  page: 'a cache_page key is built by Django from the request',
  fragment: 'a {% cache %} fragment key is built by make_template_fragment_key from its vary-on values',
  memoize: "a memoized function's key is built by its decorator from the call's arguments",
  tagged: 'a tagged entry is invalidated through its tags',
};

/** The key of `entry` as a constant, a version bump, or holes rebuilt by `rebuildHole`; `none` says why not. */
function rebuildWith<H>(entry: Entry, rebuildHole: (hole: string, source: HoleSource) => H | string): KeyRebuild<H> {
  const none = (reason: string) => ({ kind: 'none' as const, reason });
  if (entry.kind !== 'cache') return none(KIND_REASON[entry.kind]);
  const key = entry.key;
  if (!key || key.fragment !== undefined || key.page) return none('the key is not known');
  if (entry.alias === '?') return none("the entry's cache alias is not a constant");
  if (entry.version === '?') return none("the entry's version= is not a constant");
  const holes = key.parts.filter((p): p is Hole => 'hole' in p);
  for (const h of holes) if (h.source.kind === 'version' && h.source.key !== null && h.source.alias !== '?') return { kind: 'version', versionKey: h.source.key, alias: h.source.alias };
  if (!holes.length) return { kind: 'constant', key: display(key) };
  let reason = '';
  const rebuilt = (p: KeyPart): { lit: string } | H | undefined => {
    if ('lit' in p) return { lit: p.lit };
    const r = rebuildHole(p.hole, p.source);
    if (typeof r !== 'string') return r;
    reason ||= r;
    return undefined;
  };
  // A key made by a builder function is made again by calling it with the rebuilt arguments.
  if (key.call) {
    const args = key.call.args.map(rebuilt);
    const kwargs = key.call.kwargs.map(([k, p]) => [k, rebuilt(p)] as const);
    if (args.every((a) => a) && kwargs.every(([, a]) => a)) {
      const { module, path, name } = key.call;
      return { kind: 'call', module, path, name, args: args as ({ lit: string } | H)[], kwargs: kwargs as [string, { lit: string } | H][] };
    }
  }
  const parts = key.parts.map(rebuilt);
  return parts.every((p) => p) ? { kind: 'holes', parts: parts as ({ lit: string } | H)[] } : none(reason);
}

/** One hole from a changed `model` instance: its own field, a foreign key's column, or the rows of a reverse/m2m manager. */
function holeRebuild(a: Analysis, hole: string, source: HoleSource, model: string): HoleRebuild | string {
  const name = modelName(model);
  if (source.kind !== 'field') return `the key's hole {${hole}} does not come from ${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name} field`;
  if (source.model === model) return { hole, attr: source.field, at: source.at };
  const other = modelName(source.model);
  const what = `the key's hole {${hole}} is ${other}.${source.field}`;
  const steps = relationSteps(a, model, source.model);
  if (steps.length !== 1) return steps.length ? `${what}, and ${name} reaches ${other} through more than one relation` : `${what}, and ${name} has no relation to ${other} that a receiver can follow`;
  const step = steps[0];
  if ('field' in step) {
    return source.field === 'pk' || source.field === 'id' ? { hole, attr: `${step.field}_id`, at: source.at } : `${what}, which a ${name} receiver reads only by loading the related ${other}`;
  }
  // values_list() of a relation gives its key, not the text the key was built with.
  if (a.models.relation(source.model, source.field)) return `${what}, a relation whose text values_list() cannot give`;
  return { hole, accessor: step.accessor, field: source.field, at: source.at };
}

/** The relations from `from` to `to`: a forward foreign key or one-to-one (one row), or a manager of many rows. */
function relationSteps(a: Analysis, from: string, to: string): ({ field: string } | { accessor: string })[] {
  const out: ({ field: string } | { accessor: string })[] = [];
  for (const m of a.models.lineage(from)) {
    for (const f of m.fields.values()) if (f.target === to) out.push(f.kind === 'm2m' ? { accessor: f.name } : { field: f.name });
    for (const [accessor, r] of m.reverse) if (r.model === to && r.kind !== 'o2o') out.push({ accessor });
  }
  return out;
}

/** The key as m2m_changed of `owner.field` rebuilds it: holes must be the primary key of one side. */
function m2mRebuild(a: Analysis, entry: Entry, owner: ModelInfo, field: Relation): KeyRebuild<M2mHole> {
  const relation = `${owner.name}.${field.name}`;
  if (owner.id === field.target) return { kind: 'none', reason: `${relation} relates ${owner.name} to itself, so m2m_changed does not say which side a key's hole is` };
  const ownerAccessor = [...(a.models.byId.get(field.target)?.reverse ?? [])].find(([, r]) => r.model === owner.id && r.field === field.name)?.[0];
  const sides = new Set<string>();
  const r = rebuildWith<M2mHole>(entry, (hole, source) => {
    const pk = source.kind === 'field' && (source.field === 'pk' || source.field === 'id');
    const side = pk && source.model === owner.id ? 'owner' : pk && source.model === field.target ? 'target' : undefined;
    if (!side || source.kind !== 'field') return `the key's hole {${hole}} is not the primary key of either side of ${relation}`;
    const accessor = side === 'owner' ? ownerAccessor : field.name;
    if (!accessor) return `${modelName(field.target)} has no accessor for ${relation} (related_name="+")`;
    sides.add(side);
    return { hole, side, accessor, at: source.at };
  });
  return sides.size > 1 ? { kind: 'none', reason: `the key has holes from both sides of ${relation}` } : r;
}

export function finding(code: string, severity: Severity, path: string, loc: Loc, message: string, rel: RelatedLocation[], data: FindingData): Finding {
  return { code, severity, path, loc, message, related: rel, data };
}

export { entryKeyText };

/** Other entries reading the same model that some invalidation reaches when it changes. */
export function coveredSiblings(a: Analysis, cov: EntryCoverage): EntryCoverage[] {
  return a.coverage.filter((o) => o.model === cov.model && o.entry.id !== cov.entry.id && o.coveredBy.length > 0);
}

/**
 * Entries with a finite timeout, writable dependencies and no invalidation at all report as
 * DJC106, not DJC101; when a sibling on the same table is invalidated, DJC102 says more and wins.
 */
export function foldedIntoTimeoutOnly(a: Analysis, entry: Entry): boolean {
  if (entryNeverExpires(a, entry) || a.invalidatedAtAll.get(entry.id)) return false;
  const covs = a.coverage.filter((c) => c.entry.id === entry.id);
  if (covs.some((c) => c.coveredBy.length > 0 || coveredSiblings(a, c).length > 0)) return false;
  return covs.some((c) => a.writes.some((w) => w.model === c.model));
}

/**
 * For "Declare cache tags": whether djcache is in the project, the entry's shape, and every model
 * it reads, sorted. Memoized functions only through a project decorator, whose definition the fix
 * reads to tell whether djcache.memoize can stand in for it.
 */
export function declareTagsData(a: Analysis, entry: Entry): { declareTags?: DeclareTagsData } {
  if (entry.kind === 'tagged') return {};
  const decorator = entry.kind === 'memoize' ? projectDecorator(a, entry) : undefined;
  if (entry.kind === 'memoize' && !decorator) return {};
  const installed = a.ws.settings.installedApps.includes('djcache') || a.ws.python.some((f) => f.imports.some((i) => i.module === 'djcache' || i.module.startsWith('djcache.')));
  return { declareTags: { installed, shape: entry.kind, models: [...new Set(entry.deps.map((d) => d.model))].sort(), ...(decorator ? { decorator } : {}) } };
}

/** The project function a memoize entry's decorator calls (`memoize` of `@memoize(60)`). */
function projectDecorator(a: Analysis, entry: Entry): DeclareTagsData['decorator'] {
  const facts = a.ws.byPath.get(entry.path);
  const file = facts?.kind === 'python' ? facts : undefined;
  const d = file?.functions.flatMap((fn) => fn.decorators).find((x) => x.loc.join() === entry.loc.join());
  const sym = file && d && staticSym(a.ws, file, d.t === 'call' ? d.fn : d);
  if (sym?.k !== 'fn') return undefined;
  const fn = sym.file.functions[sym.idx];
  return { path: sym.file.path, qual: `${sym.file.module}.${fn.qual}`, nameLoc: fn.nameLoc };
}
