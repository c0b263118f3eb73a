/**
 * What djcache knows of third-party libraries' models, kept small and in one place so that it
 * can become Python stubs read like project code (issue 18): swapper's swappable models,
 * django-taggit's tag relation, and which models django-cacheops caches by itself.
 */
import type { Loc } from '../syntax/ir';
import { nameTable } from '../text/nameTable';

/** `swapper.load_model(app, model)`: the model that setting `APP_MODEL_MODEL` names, else app.model. */
export const SWAPPER_LOAD_MODEL = 'swapper.load_model';
/** `swapper.get_model_name(app, model)`: that model's label. */
export const SWAPPER_MODEL_NAME = 'swapper.get_model_name';

/** The setting that swaps swapper's (app, model) out. */
export function swapperSetting(app: string, model: string): string {
  return `${app}_${model}_MODEL`.toUpperCase();
}

/**
 * django-taggit: `TaggableManager()` (and subclasses) is a many-to-many relation to `Tag` through
 * `TaggedItem` unless `through=` names another model; its add/remove/set/clear send m2m_changed.
 */
export const TAGGIT = {
  manager: 'taggit.managers.TaggableManager',
  tag: { id: 'taggit.Tag', table: 'taggit_tag' },
  through: { id: 'taggit.TaggedItem', table: 'taggit_taggeditem' },
};

/**
 * django-cachalot caches every ORM query and drops it on any write to the tables it read (updates,
 * bulk writes and raw SQL through Django's connection included), so its own cache needs no
 * finding. An entry of the project's own still stores its copy of the value: cachalot never
 * deletes that, so coverage is unchanged and only the hover says where the reads come from.
 */
export function usesCachalot(installedApps: readonly string[]): boolean {
  return installedApps.includes('cachalot');
}

/**
 * django-cacheops' automatic caching (`cacheops/conf.py`: prepare_profiles, model_profile). The
 * `CACHEOPS` setting maps 'app.model', 'app.*' or '*.*' (tried in that order) to a profile merged
 * over `CACHEOPS_DEFAULTS`; its `ops` ('all', one op or a collection of them) are the reads cacheops
 * caches for the model by itself. A profile of `None`, or with no ops, caches none.
 */
export const CACHEOPS_OPS = ['get', 'fetch', 'count', 'aggregate', 'exists'] as const;
export type CacheopsOp = (typeof CACHEOPS_OPS)[number];

export interface CacheopsProfile {
  /** The `CACHEOPS` key, lower-cased as cacheops matches it: `dcim.*`. */
  pattern: string;
  /** The reads cacheops caches; undefined when the settings do not spell them in literals. */
  ops: CacheopsOp[] | undefined;
  timeout: number | undefined;
  /** Where the key is written in settings. */
  path: string;
  loc: Loc;
}

/**
 * One `CACHEOPS` item as cacheops reads it: `profile` is its literal value (null for `None`,
 * undefined when not a literal), `defaults` the literal `CACHEOPS_DEFAULTS` ({} when not set,
 * undefined when not a literal).
 */
export function cacheopsProfile(
  key: string,
  profile: unknown,
  defaults: Record<string, unknown> | undefined,
  path: string,
  loc: Loc,
): CacheopsProfile {
  const at = { pattern: key.toLowerCase(), path, loc };
  if (profile === null) return { ...at, ops: [], timeout: undefined };
  if (!isRecord(profile)) return { ...at, ops: undefined, timeout: undefined };
  const ops = 'ops' in profile ? opsOf(profile.ops) : defaults && ('ops' in defaults ? opsOf(defaults.ops) : []);
  const timeout = 'timeout' in profile ? profile.timeout : defaults?.timeout;
  return { ...at, ops, timeout: typeof timeout === 'number' ? timeout : undefined };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

/** `'all'`, `'get'`, `('fetch', 'get')`: an op name cacheops does not know never matches a read. */
function opsOf(ops: unknown): CacheopsOp[] | undefined {
  if (ops === 'all') return [...CACHEOPS_OPS];
  const names = typeof ops === 'string' ? [ops] : Array.isArray(ops) ? ops : undefined;
  if (!names || names.some((n) => typeof n !== 'string')) return undefined;
  return CACHEOPS_OPS.filter((op) => names.includes(op));
}

/** The profile cacheops gives model `app.Name` in one `CACHEOPS` setting: the exact key first, then `app.*`, then `*.*`. */
export function cacheopsProfileOf(profiles: CacheopsProfile[], app: string, name: string): CacheopsProfile | undefined {
  const guesses = [`${app}.${name}`.toLowerCase(), `${app.toLowerCase()}.*`, '*.*'];
  for (const guess of guesses) {
    const p = profiles.find((x) => x.pattern === guess);
    if (p) return p;
  }
  return undefined;
}

/**
 * Whether cacheops caches a read of kind `op` under `profile`. A `get()` (and `first()`, `last()`)
 * fetches its rows through the queryset, so `fetch` caches it too.
 */
export function cacheopsCaches(profile: CacheopsProfile, op: CacheopsOp): boolean {
  return !!profile.ops && (profile.ops.includes(op) || (op === 'get' && profile.ops.includes('fetch')));
}

/** QuerySet methods and the cacheops op that caches the read they make. Chain methods stand for the rows fetched when they are used. */
export const CACHEOPS_READS = nameTable<CacheopsOp>({
  get: 'get',
  first: 'get',
  last: 'get',
  earliest: 'get',
  latest: 'get',
  aget: 'get',
  afirst: 'get',
  alast: 'get',
  count: 'count',
  acount: 'count',
  exists: 'exists',
  aexists: 'exists',
  aggregate: 'aggregate',
  aaggregate: 'aggregate',
  all: 'fetch',
  filter: 'fetch',
  exclude: 'fetch',
  order_by: 'fetch',
  select_related: 'fetch',
  prefetch_related: 'fetch',
  annotate: 'fetch',
  values: 'fetch',
  values_list: 'fetch',
  distinct: 'fetch',
  only: 'fetch',
  defer: 'fetch',
  in_bulk: 'fetch',
});

/** Calls in a queryset chain that turn cacheops' caching off for it: `nocache()`, and querysets for writing. */
export const CACHEOPS_UNCACHED = new Set(['nocache', 'select_for_update', 'iterator', 'raw']);
