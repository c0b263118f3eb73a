import type { Loc } from './loc';

/** Coverage of one entry for one model, per kind of change. */
export type ChangeKind = 'save' | 'delete' | 'm2m' | 'bulk';

export interface Cover {
  /** 'yes': an invalidation reaches the entry; 'no': writes of this kind exist and none does;
   *  'none': the code has no write of this kind; 'unknown': could not be proven either way. */
  state: 'yes' | 'no' | 'none' | 'unknown';
  /** What covers it (receiver, save override, tag declaration ...), for 'yes'. */
  by?: { path: string; loc: Loc; how: string }[];
}

export interface GraphDependency {
  model: string;
  /** How the value reads the model, first hop first: ["Product.objects.filter(...)", "select_related('category')"]. */
  via: string[];
  path: string;
  loc: Loc;
  coverage: Record<ChangeKind, Cover>;
}

export interface GraphEntry {
  id: string;
  kind: 'cache' | 'page' | 'fragment' | 'memoize' | 'tagged';
  /** Display form of the key: 'product:{pk}'. */
  key: string;
  alias: string;
  /** Seconds; null never expires; 'default' uses the alias TIMEOUT. */
  timeout: number | null | 'default' | 'unknown';
  path: string;
  loc: Loc;
  function: string | null;
  dependencies: GraphDependency[];
}

export interface GraphModel {
  id: string;
  path: string;
  loc: Loc;
  table: string;
  adminRegistered: boolean;
  writes: { path: string; loc: Loc; kind: ChangeKind; how: string; signals: boolean }[];
  entries: string[];
}

export interface GraphInvalidation {
  path: string;
  loc: Loc;
  key: string;
  alias: string;
  method: string;
  /** Which changes run it: "post_save(catalog.Product)", "Product.save()", "after write at x.py:10". */
  triggers: string[];
  entries: string[];
}

/**
 * Django's per-site cache (UpdateCacheMiddleware + FetchFromCacheMiddleware in MIDDLEWARE): every
 * GET response, for `timeout` seconds. Not an entry with dependencies: it reads whatever every
 * view reads, and only a clear() of its alias empties it, so it is timeout-only by design.
 */
export interface GraphSiteCache {
  alias: string;
  /** CACHE_MIDDLEWARE_SECONDS (Django's default 600). */
  timeout: number;
  /** Where MIDDLEWARE is assigned. */
  path: string;
  loc: Loc;
  /** The clear() calls on its alias, the only invalidations that reach it. */
  clearedBy: { path: string; loc: Loc }[];
}

export interface Graph {
  version: 1;
  entries: GraphEntry[];
  models: GraphModel[];
  invalidations: GraphInvalidation[];
  /** null when the project does not use the per-site cache. */
  siteCache: GraphSiteCache | null;
}
