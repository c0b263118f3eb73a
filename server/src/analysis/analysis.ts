/**
 * The analysis result model: cache entries, the invalidations that may reach them, and per
 * (entry, model) coverage. Rules, features and the graph read these; workspaceAnalysis.ts builds them.
 */
import type { Config } from '../config/config';
import type { PythonFacts } from '../facts/types';
import type { Loc } from '../syntax/ir';
import type { ChangeKind, Cover } from '../../../shared/graph';
import type { CacheOp, FnEvents, SignalHookup, WriteSite } from './domain/events';
import { display, type KeyPattern, type RowField } from './domain/keys';
import type { ModelRegistry } from './models';
import type { FailedFile } from './fileError';
import type { FieldGuard } from './guards';
import type { FragmentReads } from './templates';
import type { TagDeclaration } from './tags';
import type { Dep } from './domain/values';
import type { Workspace } from './workspace';
import type { CacheopsOp } from './libraries';
import type { MemoDict } from './memoDicts';

export interface Entry {
  id: string;
  kind: 'cache' | 'page' | 'fragment' | 'memoize' | 'tagged';
  key: KeyPattern | null;
  alias: string;
  timeout: number | null | 'default' | 'unknown';
  version: string | null;
  /** The cache key its dynamic `version=` is read from (a counter or generation): bumping it drops the entry. */
  versionCounter?: KeyPattern;
  /** The row column its dynamic `version=` is read from: a write of that column drops the entry. */
  versionRow?: RowField;
  path: string;
  loc: Loc;
  fnId: string | null;
  deps: Dep[];
  /** Keys built from content hashes or other immutable inputs never go stale. */
  immutable: boolean;
  /**
   * Models one row of which the key names (a fragment varying on `row.pk`): once that row is
   * deleted nothing renders the entry again, so a delete of the row leaves nothing stale.
   */
  rowKeyed?: string[];
  /** Declared through the djcache runtime: its tags' models are invalidated on every write. */
  tags?: TagDeclaration;
  /**
   * A page the per-site cache middleware stores: its route's pattern and view, as the URLconf
   * writes them, and the models the view reads in its own module (not through templates or tags).
   */
  site?: { pattern: string; view: string; viewReads: string[] };
  /** `@cached_as(...)`/`@cached_view_as(...)` of cacheops: its own receivers drop the entry when a sample's model changes. */
  cacheops?: CacheopsDeclaration;
}

export interface CacheopsDeclaration {
  /**
   * `cache`: a queryset's `.cache()`, whose `name` is the call's text; `auto`: the model's reads,
   * which the `CACHEOPS` setting has cacheops cache by itself, `name` being its key (`dcim.*`).
   */
  decorator: 'cached_as' | 'cached_view_as' | 'cache' | 'auto';
  /** The function the decorator caches. */
  name: string;
  /** Models of the samples (`Article`, `Article.objects.filter(...)`). */
  models: string[];
  /** A sample the engine cannot resolve: it may be any model, so every read counts as declared. */
  opaque: boolean;
  file: PythonFacts;
}

export type Trigger =
  /** `by` names a library's own receivers (cacheops), which the hookup's place stands for. */
  | { t: 'signal'; kind: ChangeKind; senders: string[] | null; hookup: SignalHookup; by?: string }
  | { t: 'override'; kind: ChangeKind; model: string; path: string; loc: Loc; name: string }
  | { t: 'owner'; owner: string; path: string; loc: Loc; name: string };

export interface Invalidation extends CacheOp {
  triggers: Trigger[];
  /** It runs only when these columns of the saved row change: it covers those saves, not every save. */
  guard?: FieldGuard;
}

export interface EntryCoverage {
  entry: Entry;
  model: string;
  dep: Dep;
  byKind: Record<ChangeKind, Cover>;
  /** Writes of the model that can change what the entry holds (not those of other columns only). */
  writes: WriteSite[];
  uncovered: WriteSite[];
  /** Invalidations that reach this entry when the model changes (through any trigger). */
  coveredBy: { inv: Invalidation; how: string }[];
  /** Signal-less writes of the model that no invalidation placed at the write reaches. */
  bypassing: WriteSite[];
  /** The entry's tag declaration covers the model: every write to its table invalidates the entry. */
  declaredBy?: TagDeclaration;
  /** Guarded invalidations that reach the model but skip some of `uncovered` (saves of other columns). */
  guardedBy?: FieldGuard[];
  /** Inserts of the model whose row count the key embeds: each makes a new key, so they stale nothing (not in `writes`). */
  newKeyOnInsert?: WriteSite[];
}

export interface PageRoute {
  model: string;
  route: string;
}

export interface Analysis {
  ws: Workspace;
  models: ModelRegistry;
  config: Config;
  entries: Entry[];
  invalidations: Invalidation[];
  writes: WriteSite[];
  adminRegistered: Set<string>;
  coverage: EntryCoverage[];
  events: Map<string, FnEvents>;
  /** Does any invalidation reach the entry at all, for any model or trigger? */
  invalidatedAtAll: Map<string, boolean>;
  ops: CacheOp[];
  /** Files analysed in part because a walk of one of their functions threw. */
  failedWalks: FailedFile[];
  /** Dicts objects keep as memo caches of model rows (memoDicts.ts). */
  memoDicts: MemoDict[];
  /** `model route` for each route that is a model's own page (its get_absolute_url() reverses it). */
  modelPages: Set<string>;
}

/**
 * What one file contributes to the analysis. It is computed by the interpreter of the file's
 * unit (see analyzeUnit), so it depends on the facts that interpreter reads and on nothing else.
 */
export interface FileAnalysis {
  /** Events of the module body and of each function, in that order. */
  events: Map<string, FnEvents>;
  /** The events' cache operations (no wrapper's template) and writes. */
  ops: CacheOp[];
  /** The invalidations calls of wrappers make with their arguments (CacheOp.instanceOf), for coverage. */
  instances: CacheOp[];
  writes: WriteSite[];
  /** Entries the file declares beyond its cache ops: cached views, memoized functions, cache_page in urls. */
  entries: Entry[];
  /** Writes the code does not spell out: admin registrations, generic editing views. */
  implicitWrites: WriteSite[];
  adminRegistered: string[];
  /** What each `{% cache %}` fragment reads in the templates this file renders. */
  fragmentReads: FragmentReads;
  /** Methods of the file's classes that run on changes: models' save()/delete(), admin and view hooks. */
  methodTriggers: { fnId: string; trigger: Trigger }[];
  /** Walks of the file's functions that threw: the file is analysed in part. */
  failedWalks: FailedFile[];
  /** Reads of models the `CACHEOPS` setting configures, the first of each kind per model. */
  cacheopsReads: CacheopsRead[];
  /** Dicts the file's classes keep as memo caches of model rows. */
  memoDicts: MemoDict[];
  /** The routes of this file's models' own pages (their get_absolute_url()), with the per-site cache on. */
  pageRoutes: PageRoute[];
  /** The save() methods of the file's forms, and those its uses of forms call unseen (formSaves.ts). */
  formSaves: { own: string[]; unseen: string[] };
}

/** A read cacheops may cache by itself: `op` says which of a profile's ops caches it. */
export interface CacheopsRead {
  model: string;
  op: CacheopsOp;
  dep: Dep;
}

export function triggerText(t: Trigger): string {
  if (t.t === 'signal' && t.by) return `${t.by} at ${t.hookup.file.path}:${t.hookup.loc[0] + 1}`;
  if (t.t === 'signal') {
    const sig = t.kind === 'save' ? 'post_save' : t.kind === 'delete' ? 'post_delete' : 'm2m_changed';
    return `${sig} receiver at ${t.hookup.file.path}:${t.hookup.loc[0] + 1}`;
  }
  return `${t.name} at ${t.path}:${t.loc[0] + 1}`;
}

/** How a cacheops entry is written: `@cached_as article_titles()`, `Article.objects.filter(…).cache()`. */
function cacheopsText(decl: CacheopsDeclaration): string {
  if (decl.decorator === 'auto')
    return `cacheops' cache of ${decl.models.join(', ')} queries (CACHEOPS['${decl.name}'])`;
  return decl.decorator === 'cache' ? decl.name : `@${decl.decorator} ${decl.name}()`;
}

export function entryKeyText(e: Entry): string {
  if (e.cacheops) return cacheopsText(e.cacheops);
  if (e.site) return `the per-site cache's page of ${e.site.view} (route '${e.site.pattern}')`;
  if (e.kind === 'page') return `cache_page view at ${e.path}:${e.loc[0] + 1}`;
  if (e.kind === 'fragment')
    return `{% ${e.tags && !e.tags.zeroCode ? 'tagged_cache' : 'cache'} %} fragment '${e.key?.fragment}'`;
  return `'${display(e.key)}'`;
}
