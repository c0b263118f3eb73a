/**
 * Key-rebuild planning: how a receiver of a changed model can compute an entry's key again (a
 * constant, a version bump, holes read from the instance or its relations, or the builder called
 * again), or why it cannot. Quick-fixes write receivers from this plan.
 */
import type { Location } from '../../../shared/loc';
import type { HoleSource } from './domain/keys';
import type { Analysis, Entry } from './analysis';
import { display, type KeyPart } from './domain/keys';
import { type ModelInfo, modelName, type Relation } from './models';

/** How a receiver of the changed model computes one hole from its `instance`. */
export type HoleRebuild =
  /** One value: `instance.<attr>`. */
  | { hole: string; attr: string; at: Location }
  /** Every value of `instance.<accessor>.values_list("<field>", flat=True)`: rows reached through a reverse foreign key or a many-to-many. */
  | { hole: string; accessor: string; field: string; at: Location };

/**
 * A hole of an m2m_changed receiver's key: the primary key of the relation's owner side (the model
 * declaring the field) or target side; `accessor` leads from an instance of the other side to these rows.
 */
export interface M2mHole {
  hole: string;
  side: 'owner' | 'target';
  accessor: string;
  at: Location;
}

/** How a fix rebuilds an entry's key when a model changes, or why it cannot; `H` is how a hole is computed. */
export type KeyRebuild<H = HoleRebuild> =
  | { kind: 'constant'; key: string }
  /** The key reads a version stored under this constant key of `alias`; bumping it retires every key of the namespace. */
  | { kind: 'version'; versionKey: string; alias: string }
  /** An f-string of the key's literal text and rebuilt holes. */
  | { kind: 'holes'; parts: ({ lit: string } | H)[] }
  /** A call of the module-level function that built the key, with rebuilt arguments: `product_cache_key(instance.pk)`. */
  | {
      kind: 'call';
      module: string;
      path: string;
      name: string;
      args: ({ lit: string } | H)[];
      kwargs: [string, { lit: string } | H][];
    }
  | { kind: 'none'; reason: string };

/** One entry's key as fixes need it. */
export interface KeyData {
  entryId: string;
  key?: string;
  alias: string;
  /** The entry's `version=` argument: null when absent, '?' when not a constant. */
  version: string | null;
  /** The key's parts: literal text, or a hole with where its value comes from. */
  keyParts?: ({ lit: string } | { hole: string; source: HoleSource })[];
  /** How to rebuild the key from an instance of the finding's model. */
  rebuild: KeyRebuild;
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
  return rowSets.size > 1
    ? { kind: 'none', reason: `the key's holes come from ${[...rowSets].join(' and ')}, which one key cannot pair` }
    : r;
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
  for (const h of holes)
    if (h.source.kind === 'version' && h.source.key !== null && h.source.alias !== '?')
      return { kind: 'version', versionKey: h.source.key, alias: h.source.alias };
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
      return {
        kind: 'call',
        module,
        path,
        name,
        args: args as ({ lit: string } | H)[],
        kwargs: kwargs as [string, { lit: string } | H][],
      };
    }
  }
  const parts = key.parts.map(rebuilt);
  return parts.every((p) => p) ? { kind: 'holes', parts: parts as ({ lit: string } | H)[] } : none(reason);
}

/** One hole from a changed `model` instance: its own field, a foreign key's column, or the rows of a reverse/m2m manager. */
function holeRebuild(a: Analysis, hole: string, source: HoleSource, model: string): HoleRebuild | string {
  const name = modelName(model);
  if (source.kind !== 'field')
    return `the key's hole {${hole}} does not come from ${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name} field`;
  if (a.models.isOrInherits(model, source.model)) return { hole, attr: source.field, at: source.at };
  const other = modelName(source.model);
  const what = `the key's hole {${hole}} is ${other}.${source.field}`;
  const steps = relationSteps(a, model, source.model);
  if (steps.length !== 1)
    return steps.length
      ? `${what}, and ${name} reaches ${other} through more than one relation`
      : `${what}, and ${name} has no relation to ${other} that a receiver can follow`;
  const step = steps[0];
  if ('field' in step) {
    return source.field === 'pk' || source.field === 'id'
      ? { hole, attr: `${step.field}_id`, at: source.at }
      : `${what}, which a ${name} receiver reads only by loading the related ${other}`;
  }
  // values_list() of a relation gives its key, not the text the key was built with.
  if (a.models.relation(source.model, source.field)) return `${what}, a relation whose text values_list() cannot give`;
  return { hole, accessor: step.accessor, field: source.field, at: source.at };
}

/** The relations from `from` to `to`: a forward foreign key or one-to-one (one row), or a manager of many rows. */
function relationSteps(a: Analysis, from: string, to: string): ({ field: string } | { accessor: string })[] {
  const out: ({ field: string } | { accessor: string })[] = [];
  for (const m of a.models.lineage(from)) {
    for (const f of m.fields.values())
      if (f.target === to) out.push(f.kind === 'm2m' ? { accessor: f.name } : { field: f.name });
    for (const [accessor, r] of m.reverse) if (r.model === to && r.kind !== 'o2o') out.push({ accessor });
  }
  return out;
}

/** The key as m2m_changed of `owner.field` rebuilds it: holes must be the primary key of one side. */
export function m2mRebuild(a: Analysis, entry: Entry, owner: ModelInfo, field: Relation): KeyRebuild<M2mHole> {
  const relation = `${owner.name}.${field.name}`;
  if (owner.id === field.target)
    return {
      kind: 'none',
      reason: `${relation} relates ${owner.name} to itself, so m2m_changed does not say which side a key's hole is`,
    };
  const ownerAccessor = [...(a.models.byId.get(field.target)?.reverse ?? [])].find(
    ([, r]) => r.model === owner.id && r.field === field.name,
  )?.[0];
  const sides = new Set<string>();
  const r = rebuildWith<M2mHole>(entry, (hole, source) => {
    const pk = source.kind === 'field' && (source.field === 'pk' || source.field === 'id');
    const side = pk && source.model === owner.id ? 'owner' : pk && source.model === field.target ? 'target' : undefined;
    if (!side || source.kind !== 'field')
      return `the key's hole {${hole}} is not the primary key of either side of ${relation}`;
    const accessor = side === 'owner' ? ownerAccessor : field.name;
    if (!accessor) return `${modelName(field.target)} has no accessor for ${relation} (related_name="+")`;
    sides.add(side);
    return { hole, side, accessor, at: source.at };
  });
  return sides.size > 1 ? { kind: 'none', reason: `the key has holes from both sides of ${relation}` } : r;
}
