/**
 * Workspace analysis: runs the interpreter over every function, then builds the map
 * entry → models it reads → writes of those models → invalidations that reach the entry.
 */
import type { Config } from '../config';
import type { Expr, Loc, PythonFacts, TemplateFacts, TemplateNode } from '../facts/types';
import type { ChangeKind, Cover } from '../graph';
import { WRITING_VIEWS } from './django';
import { type CacheOp, type FnEvents, projectSignalReceivers, type SignalHookup, type WriteSite } from './domain/events';
import { Interpreter } from './interp';
import { collectWhatMatters } from './demand';
import { display, immutableKey, type KeyPattern, matchKeys, versionKeys } from './domain/keys';
import { type FailedFile, inFile } from './fileError';
import { ModelRegistry } from './models';
import { declares, dependsOnItems, pythonDeclaration, sameRows, TAGGED_CACHE_TEMPLATE_TAG, TAGGED_MEMOIZE, type TagDeclaration, templateDeclaration } from './tags';
import { contextItems, type FragmentReads, fragmentKey, templateReads, viewRender } from './templates';
import { type Dep, exprText, fnId, merge, type Shape, type V } from './domain/values';
import { staticSym, Workspace } from './workspace';

export interface Entry {
  id: string;
  kind: 'cache' | 'page' | 'fragment' | 'memoize' | 'tagged';
  key: KeyPattern | null;
  alias: string;
  timeout: number | null | 'default' | 'unknown';
  version: string | null;
  path: string;
  loc: Loc;
  fnId: string | null;
  deps: Dep[];
  /** Keys built from content hashes or other immutable inputs never go stale. */
  immutable: boolean;
  /** Declared through the djcache runtime: its tags' models are invalidated on every write. */
  tags?: TagDeclaration;
  /** `@cached_as(...)`/`@cached_view_as(...)` of cacheops: its own receivers drop the entry when a sample's model changes. */
  cacheops?: CacheopsDeclaration;
}

export interface CacheopsDeclaration {
  decorator: 'cached_as' | 'cached_view_as';
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
}

const DELETE_LIKE = new Set(['delete', 'clear', 'set', 'add', 'incr', 'decr', 'incr_version', 'decr_version', 'get_or_set']);
const ADMIN_HOOKS = /^(save_model|delete_model|save_related|delete_queryset|save_formset|response_(add|change|delete)|log_(addition|change|deletion))$/;
const VIEW_HOOKS = /^(perform_(create|update|destroy)|form_valid|delete|post|put|patch|create|update|destroy|partial_update|save)$/;

/**
 * The analysis of a workspace. `parts` are the registry and each Python file's analysis, in
 * workspace order, when the caller has them (the language server reuses them between edits);
 * otherwise every file is analysed now by one interpreter.
 */
export function analyzeFacts(ws: Workspace, config: Config, parts?: { models: ModelRegistry; files: FileAnalysis[] }): Analysis {
  const models = parts?.models ?? new ModelRegistry(ws);
  const files = parts?.files ?? analyzeWorkspaceUnit(ws, models, config);
  const events = new Map<string, FnEvents>();
  for (const f of files) for (const [id, ev] of f.events) events.set(id, ev);
  const ops = files.flatMap((f) => f.ops);
  const writes = [...files.flatMap((f) => f.writes), ...files.flatMap((f) => f.implicitWrites)];
  const adminRegistered = new Set(files.flatMap((f) => f.adminRegistered));

  const entries = [...opEntries(ops), ...files.flatMap((f) => f.entries), ...fragmentEntries(ws, models, files)];
  const edges = callEdges(events);
  const triggers = computeTriggers(events, files, edges);
  const invalidations: Invalidation[] = ops
    .filter((o) => DELETE_LIKE.has(o.method) || o.method === 'delete_pattern')
    .map((o) => ({ ...o, triggers: triggers.get(o.fnId) ?? [] }));

  const reach = reachableOps(events, edges);
  const coverage: EntryCoverage[] = [];
  const invalidatedAtAll = new Map<string, boolean>();
  // Writes that may change any column come first: findings quote the first, and a reviewer
  // agrees with those at once (a `save(update_fields=[...])` of another column may not matter).
  const anyColumnFirst = [...writes].sort((x, y) => Number(!!x.columns) - Number(!!y.columns));
  for (const entry of entries) {
    if (entry.immutable) continue;
    const matching = invalidations.filter((inv) => invalidates(inv, entry));
    if (entry.cacheops) matching.push(cacheopsInvalidation(entry, entry.cacheops, models));
    const covs = entry.deps.map((dep) => {
      const changing = anyColumnFirst.filter((w) => w.model === dep.model && changesColumns(w, dep));
      return entry.tags && declares(entry.tags, dep.model, models) ? declaredCoverage(entry, dep, entry.tags, changing) : coverEntry(entry, dep, matching, changing, reach);
    });
    // A delete or refresh of the key in another function is deliberate invalidation, even when
    // the engine cannot tell which write it follows: the entry does not rely on its timeout alone.
    const elsewhere = matching.some((inv) => inv.fnId !== entry.fnId && matchKeys(entry.key, inv.key) !== 'conservative');
    invalidatedAtAll.set(entry.id, elsewhere || covs.some((c) => c.coveredBy.length > 0 || Object.values(c.byKind).some((k) => k.state === 'yes')));
    coverage.push(...covs);
  }
  return { ws, models, config, entries, invalidations, writes, adminRegistered, coverage, events, invalidatedAtAll, ops, failedWalks: files.flatMap((f) => f.failedWalks) };
}

/**
 * Analyses a group of files with one interpreter that starts from nothing. Inside the unit its
 * memos are shared (later files reuse what earlier ones worked out, so results may depend on the
 * order); nothing is shared with other units, so a unit's analyses are a function of the facts
 * it reads. The workspace and registry memos are cleared for the same reason.
 */
export function analyzeUnit(ws: Workspace, models: ModelRegistry, files: PythonFacts[], config: Config): FileAnalysis[] {
  const interp = freshInterpreter(ws, models);
  for (const file of files) inFile(file.path, () => {
    for (let idx = -1; idx < file.functions.length; idx++) interp.collect(file, idx);
  });
  return fileAnalyses(interp, models, files, files.map((file) => inFile(file.path, () => methodTriggers(models, file))), config, true);
}

/**
 * The whole workspace as one unit, walking only the functions whose events can matter
 * (demand.ts): its analyses equal analyzeUnit's over every file.
 */
export function analyzeWorkspaceUnit(ws: Workspace, models: ModelRegistry, config: Config): FileAnalysis[] {
  const interp = freshInterpreter(ws, models);
  const hooks = ws.python.map((file) => inFile(file.path, () => methodTriggers(models, file)));
  collectWhatMatters(interp, ws.python, new Set(hooks.flat().map((m) => m.fnId)));
  return fileAnalyses(interp, models, ws.python, hooks, config, ws.templates.some((t) => inFile(t.path, () => holdsFragment(t))));
}

function freshInterpreter(ws: Workspace, models: ModelRegistry): Interpreter {
  ws.clearMemos();
  models.clearMemos();
  return new Interpreter(ws, models);
}

/**
 * Each file's analysis once its functions are walked; `hooks` are methodTriggers of each file.
 * Fragment reads are worked out only when `fragments` (some template may hold a fragment entry).
 */
function fileAnalyses(interp: Interpreter, models: ModelRegistry, files: PythonFacts[], hooks: FileAnalysis['methodTriggers'][], config: Config, fragments: boolean): FileAnalysis[] {
  const admin = files.map(() => new Set<string>());
  const implicit = files.map((file, i) => inFile(file.path, () => implicitWrites(interp, models, file, admin[i])));
  const entries = files.map((file) => inFile(file.path, () => fileEntries(interp, file, config)));
  return files.map((file, i) => inFile(file.path, () => {
    const events = interp.walkedEvents(file);
    return {
      events, ...opsAndWrites(events), entries: entries[i], implicitWrites: implicit[i], adminRegistered: [...admin[i]], fragmentReads: fragments ? renderedFragmentReads(interp, file, events) : new Map(),
      methodTriggers: hooks[i],
      failedWalks: interp.failedWalks.filter((f) => f.path === file.path),
    };
  }));
}

function opsAndWrites(events: Map<string, FnEvents>): { ops: CacheOp[]; writes: WriteSite[] } {
  const all = [...events.values()];
  return { ops: all.flatMap((e) => e.ops).filter((o) => !o.template), writes: all.flatMap((e) => e.writes) };
}

// ------------------------------------------------------------------ matching

export function invalidates(inv: CacheOp, entry: Entry): boolean {
  if (inv.alias !== entry.alias && inv.alias !== '?' && entry.alias !== '?') return false;
  if (inv.method === 'clear') return true;
  if (inv.key && versionKeys(entry.key).some((vk) => matchKeys(vk, inv.key) !== 'none')) return true;
  if (inv.method === 'incr' || inv.method === 'decr') return false;
  const ev = entry.version ?? '1';
  const iv = inv.version ?? '1';
  if (ev !== iv && ev !== '?' && iv !== '?') return false;
  if (inv.method === 'set' || inv.method === 'add' || inv.method === 'get_or_set') {
    // Re-setting the same key refreshes it; an unknown key proves nothing either way.
    return !!inv.key && !!entry.key && matchKeys(entry.key, inv.key) !== 'none' && matchKeys(entry.key, inv.key) !== 'conservative';
  }
  return matchKeys(entry.key, inv.key) !== 'none';
}

// ------------------------------------------------------------------ entries

/** An entry's id: where it starts (0-based line and column), 1-based as an editor shows it (`catalog/services.py:18:9`). */
function entryId(path: string, line: number, col: number): string {
  return `${path}:${line + 1}:${col + 1}`;
}

function opEntries(ops: CacheOp[]): Entry[] {
  const entries: Entry[] = [];
  for (const op of ops) {
    if (op.method !== 'set' && op.method !== 'add' && op.method !== 'get_or_set') continue;
    if (!op.value) continue;
    const deps = merge(op.value).deps;
    entries.push({
      id: entryId(op.file.path, op.loc[0], op.loc[1]), kind: op.tags ? 'tagged' : 'cache', key: op.key, alias: op.alias, timeout: op.timeout,
      version: op.version, path: op.file.path, loc: op.loc, fnId: op.fnId, deps, immutable: immutableKey(op.key, deps), tags: op.tags,
    });
  }
  return entries;
}

function fileEntries(interp: Interpreter, file: PythonFacts, config: Config): Entry[] {
  const entries: Entry[] = [];
  file.functions.forEach((fn, idx) => {
    for (const d of fn.decorators) {
      const e = decoratorEntry(interp, file, idx, d, config);
      if (e) entries.push(e);
    }
  });
  file.classes.forEach((cls, idx) => {
    for (const d of cls.decorators) {
      const page = methodDecoratedPage(interp, file, d);
      if (page) entries.push(pageEntry(page, file, d.loc, viewClassDeps(interp, file, idx), null));
    }
    // @method_decorator(cache_page(...)) on a method caches the whole view.
    for (const idxM of Object.values(cls.methods)) {
      for (const d of file.functions[idxM].decorators) {
        const page = methodDecoratedPage(interp, file, d);
        if (page) entries.push(pageEntry(page, file, d.loc, viewClassDeps(interp, file, idx), fnId(file, idxM)));
      }
    }
  });
  scanCalls(file.body, (call) => {
    // cache_page(60)(view) in urls.py.
    if (call.fn.t !== 'call' || !call.args[0]) return;
    const page = interp.eval(call.fn, interp.moduleScope(file)).shapes.find((s) => s.k === 'cachepage');
    if (!page || page.k !== 'cachepage') return;
    const view = interp.eval(call.args[0], interp.moduleScope(file));
    entries.push(pageEntry(page, file, call.loc, viewDeps(interp, view), null));
  });
  return entries;
}

type PageShape = Extract<Shape, { k: 'cachepage' }>;

function pageEntry(page: PageShape, file: PythonFacts, loc: Loc, deps: Dep[], fn: string | null): Entry {
  return {
    id: entryId(file.path, loc[0], loc[1]), kind: 'page', key: { parts: [{ lit: `views.decorators.cache.cache_page.${page.keyPrefix}` }], page: true },
    alias: page.alias, timeout: page.timeout, version: null, path: file.path, loc, fnId: fn, deps, immutable: false, tags: page.tags,
  };
}

function decoratorEntry(interp: Interpreter, file: PythonFacts, idx: number, d: Expr, config: Config): Entry | undefined {
  const scope = interp.moduleScope(file);
  const val = interp.eval(d, scope);
  const page = val.shapes.find((s) => s.k === 'cachepage');
  if (page && page.k === 'cachepage') return pageEntry(page, file, d.loc, functionDeps(interp, file, idx), fnId(file, idx));
  const text = exprText(d.t === 'call' ? d.fn : d);
  const sym = staticSym(interp.ws, file, d.t === 'call' ? d.fn : d);
  const q = sym?.k === 'ext' ? sym.q : '';
  if (q === 'cache_memoize.cache_memoize' || q === TAGGED_MEMOIZE || config.memoizeDecorators.includes(q) || config.memoizeDecorators.includes(text)) {
    const timeout = d.t === 'call' && d.args[0] ? interp.timeoutOf(d.args[0], scope) : 'unknown';
    const dependsOn = q === TAGGED_MEMOIZE && d.t === 'call' ? dependsOnItems(d.kw) : undefined;
    return {
      id: entryId(file.path, d.loc[0], d.loc[1]), kind: 'memoize', key: { parts: [], builder: `memoize:${fnId(file, idx)}` },
      alias: 'default', timeout, version: null, path: file.path, loc: d.loc, fnId: fnId(file, idx), deps: functionDeps(interp, file, idx), immutable: false,
      tags: dependsOn && pythonDeclaration(interp, dependsOn.items, scope, dependsOn.loc),
    };
  }
  if (q === 'cacheops.cached_as' || q === 'cacheops.cached_view_as') return cacheopsEntry(interp, file, idx, d, q === 'cacheops.cached_as' ? 'cached_as' : 'cached_view_as');
  // A project decorator whose wrapper stores the decorated function's result in the cache.
  for (const s of val.shapes) {
    if (s.k !== 'fn') continue;
    const op = memoizerOp(interp, s.fn.file, s.fn.idx);
    if (!op) continue;
    const key = memoKey(interp, op, s.fn.file, s.fn.idx, file, idx);
    const deps = functionDeps(interp, file, idx);
    return {
      id: entryId(file.path, d.loc[0], d.loc[1]), kind: 'memoize', key, alias: op.alias, timeout: op.timeout,
      version: op.version, path: file.path, loc: d.loc, fnId: fnId(file, idx), deps, immutable: immutableKey(key, deps),
    };
  }
  return undefined;
}

/** `@cached_as(Article, Tag.objects.filter(...), timeout=60)`: the function's result, dropped by cacheops when a sample changes. */
function cacheopsEntry(interp: Interpreter, file: PythonFacts, idx: number, d: Expr, decorator: CacheopsDeclaration['decorator']): Entry {
  const scope = interp.moduleScope(file);
  const decl: CacheopsDeclaration = { decorator, name: file.functions[idx].name, models: [], opaque: false, file };
  for (const arg of d.t === 'call' ? d.args : []) {
    const shapes = interp.eval(arg, scope).shapes;
    const model = shapes.length === 1 && (shapes[0].k === 'model' || shapes[0].k === 'qs') ? shapes[0].model : undefined;
    if (model) decl.models.push(model);
    else decl.opaque = true;
  }
  const timeoutArg = d.t === 'call' ? d.kw.find((k) => k.name === 'timeout')?.value : undefined;
  return {
    id: entryId(file.path, d.loc[0], d.loc[1]), kind: 'memoize', key: { parts: [], builder: `cacheops:${fnId(file, idx)}` },
    // cacheops keeps its entries in its own Redis, out of reach of Django's cache deletes.
    alias: 'cacheops', timeout: timeoutArg ? interp.timeoutOf(timeoutArg, scope) : 'unknown', version: null, path: file.path, loc: d.loc,
    fnId: fnId(file, idx), deps: functionDeps(interp, file, idx), immutable: false, cacheops: decl,
  };
}

/** The set op inside a decorator's wrapper whose value is the result of calling the decorated function. */
function memoizerOp(interp: Interpreter, file: PythonFacts, decoIdx: number): CacheOp | undefined {
  const param = file.functions[decoIdx].params[0]?.name;
  if (!param) return undefined;
  for (let i = 0; i < file.functions.length; i++) {
    if (!isNestedIn(file, i, decoIdx)) continue;
    for (const op of interp.collect(file, i).ops) {
      if ((op.method === 'set' || op.method === 'get_or_set' || op.method === 'add') && op.template?.valueCallsParam === param) return op;
    }
  }
  return undefined;
}

function isNestedIn(file: PythonFacts, idx: number, ancestor: number): boolean {
  for (let p = file.functions[idx].parent; p !== null; p = file.functions[p].parent) if (p === ancestor) return true;
  return false;
}

/** The wrapper's key with the decorated function substituted: `memo:top_products:{args}`. */
function memoKey(interp: Interpreter, op: CacheOp, decoFile: PythonFacts, decoIdx: number, file: PythonFacts, idx: number): KeyPattern | null {
  if (!op.template?.keyExpr) return op.key;
  const param = decoFile.functions[decoIdx].params[0].name;
  const decoScope = interp.scopeFor(decoFile, decoIdx, interp.moduleScope(decoFile), new Map([[param, { shapes: [{ k: 'fn', fn: { file, idx } } as Shape], deps: [] }]]));
  const wrapperScope = interp.scopeFor(op.template.scope.file, op.template.scope.fnIdx, decoScope);
  return interp.keyOf(interp.eval(op.template.keyExpr, wrapperScope), op.template.keyExpr);
}

/** For view caches and memoize entries the whole function is the value. */
function functionDeps(interp: Interpreter, file: PythonFacts, idx: number): Dep[] {
  const reads = interp.collect(file, idx).reads;
  const fact = file.functions[idx];
  // A method of a class-based view is the view: add what the class declares.
  if (fact.cls !== null) return merge({ shapes: [], deps: reads }, { shapes: [], deps: viewClassDeps(interp, file, fact.cls) }).deps;
  return reads;
}

function viewDeps(interp: Interpreter, view: V): Dep[] {
  const out: Dep[][] = [];
  for (const s of view.shapes) {
    if (s.k === 'fn') out.push(functionDeps(interp, s.fn.file, s.fn.idx));
    if (s.k === 'class') out.push(viewClassDeps(interp, s.cls.file, s.cls.idx));
  }
  // `View.as_view()` evaluates to the class's bound method; follow it back to the class.
  for (const s of view.shapes) if (s.k === 'bound' && s.recv.k === 'class') out.push(viewClassDeps(interp, s.recv.cls.file, s.recv.cls.idx));
  return merge(...out.map((deps) => ({ shapes: [], deps }))).deps;
}

/** What a class-based view reads: model, queryset, get_queryset/get_object/get_context_data, serializer, template. */
function viewClassDeps(interp: Interpreter, file: PythonFacts, idx: number): Dep[] {
  const cls = { file, idx };
  const parts: V[] = [];
  for (const attr of ['model', 'queryset']) {
    const val = interp.classAttr(cls, attr, null);
    if (!val) continue;
    for (const s of val.shapes) {
      if (s.k === 'model') parts.push({ shapes: [], deps: [{ model: s.model, via: [`${file.classes[idx].name}.${attr}`], path: file.path, loc: file.classes[idx].nameLoc }] });
    }
    parts.push({ shapes: [], deps: val.deps });
  }
  const serializer = interp.classAttr(cls, 'serializer_class', null);
  for (const s of serializer?.shapes ?? []) if (s.k === 'class') parts.push(interp.serializerValue(s.cls));
  for (const [name, m] of Object.entries(file.classes[idx].methods)) {
    if (/^(get_queryset|get_object|get_context_data|get|list|retrieve|get_serializer_context)$/.test(name)) {
      parts.push({ shapes: [], deps: interp.collect(file, m).reads });
    }
  }
  const render = viewRender(interp, cls);
  if (render) parts.push(templateReads(interp, render.template, contextItems(render.context)));
  return merge(...parts).deps;
}

function methodDecoratedPage(interp: Interpreter, file: PythonFacts, d: Expr): PageShape | undefined {
  if (d.t !== 'call' || !/method_decorator$/.test(exprText(d.fn))) return undefined;
  const first = d.args[0];
  if (!first) return undefined;
  const items = first.t === 'seq' ? first.items : [first];
  for (const item of items) {
    const page = interp.eval(item, interp.moduleScope(file)).shapes.find((s) => s.k === 'cachepage');
    if (page && page.k === 'cachepage') return page;
  }
  return undefined;
}

/** Reads of `{% cache %}` fragments by the templates this file's functions and class-based views render. */
function renderedFragmentReads(interp: Interpreter, file: PythonFacts, events: Map<string, FnEvents>): FragmentReads {
  const reads: FragmentReads = new Map();
  for (const ev of events.values()) {
    for (const r of ev.renders) {
      const t = interp.ws.findTemplate(r.template);
      if (t) templateReads(interp, t, contextItems(r.context), reads);
    }
  }
  file.classes.forEach((_, idx) => {
    const render = viewRender(interp, { file, idx });
    if (render) templateReads(interp, render.template, contextItems(render.context), reads);
  });
  return reads;
}

function fragmentEntries(ws: Workspace, models: ModelRegistry, files: FileAnalysis[]): Entry[] {
  const reads: FragmentReads = new Map();
  for (const f of files) for (const [key, list] of f.fragmentReads) reads.set(key, [...(reads.get(key) ?? []), ...list]);
  const out: Entry[] = [];
  for (const t of ws.templates) inFile(t.path, () => {
    const visit = (nodes: TemplateNode[]) => {
      for (const n of nodes) {
        if (n.t === 'cache') {
          const deps = fragmentDeps(reads, t.path, n.line);
          const timeout = /^\d+$/.test(n.timeout) ? Number(n.timeout) : n.timeout === 'None' ? null : 'unknown';
          out.push({
            id: entryId(t.path, n.line, n.col), kind: 'fragment', key: { parts: [], fragment: n.name }, alias: n.using ?? 'template_fragments',
            timeout, version: null, path: t.path, loc: [n.line, n.col, n.line, n.col], fnId: null, deps, immutable: false,
          });
        }
        if (isTaggedFragment(t, n)) out.push(taggedFragmentEntry(models, t.path, n, reads));
        if ('body' in n) visit(n.body);
      }
    };
    visit(t.nodes);
  });
  // {% cache %} uses the 'template_fragments' alias when configured, else 'default'.
  const fragmentsAlias = ws.settings.caches.template_fragments ? 'template_fragments' : 'default';
  for (const e of out) if (e.alias === 'template_fragments') e.alias = fragmentsAlias;
  return out;
}

/** What the renders of the template at `path` read inside its fragment that starts on `line`. */
function fragmentDeps(reads: FragmentReads, path: string, line: number): Dep[] {
  return merge(...(reads.get(fragmentKey(path, line)) ?? [])).deps;
}

/** Does the template hold a `{% cache %}` or `{% tagged_cache %}` fragment? */
function holdsFragment(t: TemplateFacts): boolean {
  const any = (nodes: TemplateNode[]): boolean => nodes.some((n) => n.t === 'cache' || isTaggedFragment(t, n) || ('body' in n && any(n.body)));
  return any(t.nodes);
}

function isTaggedFragment(t: TemplateFacts, n: TemplateNode): n is Extract<TemplateNode, { t: 'tag' }> {
  return n.t === 'tag' && n.name === TAGGED_CACHE_TEMPLATE_TAG && n.args.length >= 2 && t.loads.includes('djcache');
}

/** `{% tagged_cache timeout "name" [vary ...] depends_on="..." %}` of the djcache runtime. */
function taggedFragmentEntry(models: ModelRegistry, path: string, n: Extract<TemplateNode, { t: 'tag' }>, reads: FragmentReads): Entry {
  const [timeoutArg, nameArg, ...rest] = n.args;
  const dependsOn = rest.find((a) => a.startsWith('depends_on='))?.slice('depends_on='.length).replace(/^(["'])(.*)\1$/, '$2');
  const loc: Loc = [n.line, n.col, n.line, n.col];
  const timeout = /^\d+$/.test(timeoutArg) ? Number(timeoutArg) : 'unknown';
  return {
    id: entryId(path, n.line, n.col), kind: 'fragment', key: { parts: [], fragment: nameArg.replace(/^(["'])(.*)\1$/, '$2') }, alias: 'default',
    timeout, version: null, path, loc, fnId: null, deps: fragmentDeps(reads, path, n.line), immutable: false,
    tags: dependsOn === undefined ? undefined : templateDeclaration(models, dependsOn, path, loc),
  };
}

function scanCalls(body: import('../facts/types').Stmt[], f: (call: Extract<Expr, { t: 'call' }>) => void): void {
  const visitExpr = (e: Expr, depth: number): void => {
    if (depth > 30) return;
    if (e.t === 'call') {
      f(e);
      visitExpr(e.fn, depth + 1);
      e.args.forEach((a) => visitExpr(a, depth + 1));
      e.kw.forEach((k) => visitExpr(k.value, depth + 1));
    } else if (e.t === 'seq') e.items.forEach((x) => visitExpr(x, depth + 1));
    else if (e.t === 'bin') { visitExpr(e.l, depth + 1); visitExpr(e.r, depth + 1); }
  };
  for (const s of body) {
    if (s.t === 'assign' || s.t === 'expr') visitExpr(s.value, 0);
    else if (s.t === 'if') { scanCalls(s.body, f); scanCalls(s.orelse, f); }
  }
}

// ------------------------------------------------------------------ writes the code does not spell out

function implicitWrites(interp: Interpreter, models: ModelRegistry, file: PythonFacts, adminRegistered: Set<string>): WriteSite[] {
  const out: WriteSite[] = [];
  const addModelWrites = (model: string, loc: Loc, how: string, owner?: { file: PythonFacts; idx: number }, kinds: ('save' | 'delete')[] = ['save', 'delete']) => {
    for (const kind of kinds) out.push({ file, loc, model, kind, signals: true, how, fnId: null, pos: null, owner });
    const info = models.byId.get(model);
    for (const f of info?.fields.values() ?? []) {
      if (f.kind === 'm2m' && f.through && kinds.includes('save')) out.push({ file, loc, model: f.through, kind: 'm2m', signals: true, how: `${how} (${info!.name}.${f.name})`, fnId: null, pos: null, owner });
    }
  };
  // Inlines of a registered admin save and delete their own model.
  const addInlineWrites = (admin: { file: PythonFacts; idx: number }, loc: Loc) => {
    const inlines = interp.classAttr(admin, 'inlines', null);
    for (const s of inlines ? interp.element(inlines).shapes : []) {
      if (s.k !== 'class') continue;
      for (const m of interp.classAttr(s.cls, 'model', null)?.shapes ?? []) {
        if (m.k === 'model') addModelWrites(m.model, loc, `admin inline ${s.cls.file.classes[s.cls.idx].name}`, admin);
      }
    }
  };
  const scope = interp.moduleScope(file);
  scanCalls(file.body, (call) => {
    if (call.fn.t !== 'attr' || call.fn.name !== 'register' || !/site$/.test(exprText(call.fn.obj))) return;
    const first = call.args[0];
    if (!first) return;
    const adminCls = call.args[1] ? interp.eval(call.args[1], scope).shapes.find((s) => s.k === 'class') : undefined;
    for (const item of first.t === 'seq' ? first.items : [first]) {
      for (const s of interp.eval(item, scope).shapes) {
        if (s.k !== 'model') continue;
        adminRegistered.add(s.model);
        const owner = adminCls && adminCls.k === 'class' ? adminCls.cls : undefined;
        addModelWrites(s.model, call.loc, 'the admin', owner);
        if (owner) addInlineWrites(owner, call.loc);
      }
    }
  });
  file.classes.forEach((cls, idx) => {
    for (const d of cls.decorators) {
      if (d.t !== 'call' || !/(^|\.)register$/.test(exprText(d.fn))) continue;
      for (const a of d.args) {
        for (const s of interp.eval(a, scope).shapes) {
          if (s.k !== 'model') continue;
          adminRegistered.add(s.model);
          addModelWrites(s.model, d.loc, 'the admin', { file, idx });
          addInlineWrites({ file, idx }, d.loc);
        }
      }
    }
    const bases = models.externalBases(file, idx);
    const kinds = [...bases].flatMap((q) => WRITING_VIEWS[q] ?? []);
    if (kinds.length) {
      const model = viewModel(interp, file, idx);
      if (model) addModelWrites(model, cls.nameLoc, cls.name, { file, idx }, [...new Set(kinds)]);
    }
  });
  return out;
}

function viewModel(interp: Interpreter, file: PythonFacts, idx: number): string | undefined {
  const cls = { file, idx };
  for (const attr of ['model', 'queryset']) {
    for (const s of interp.classAttr(cls, attr, null)?.shapes ?? []) if (s.k === 'model' || s.k === 'qs') return s.model;
  }
  for (const attr of ['serializer_class', 'form_class']) {
    for (const s of interp.classAttr(cls, attr, null)?.shapes ?? []) if (s.k === 'class') return interp.metaModel(s.cls)?.id;
  }
  return undefined;
}

// ------------------------------------------------------------------ triggers

/** Calls between functions; sending a project signal calls its receivers. */
type Edges = Map<string, Edge[]>;
interface Edge { to: string; line: number }

/** The edges of a function's own calls, kept while its events are: the language server reuses both. */
const ownCallEdges = new WeakMap<FnEvents, Edge[]>();

function callEdges(events: Map<string, FnEvents>): Edges {
  const receivers = projectSignalReceivers(events.values());
  const edges: Edges = new Map();
  for (const [id, ev] of events) {
    let own = ownCallEdges.get(ev);
    if (!own) ownCallEdges.set(ev, (own = ev.calls.map((c) => ({ to: c.to, line: c.pos.line }))));
    const signalled = ev.sends.length ? ev.sends.flatMap((send) => (receivers.get(send.signal) ?? []).map((r) => ({ to: r, line: send.pos.line }))) : [];
    edges.set(id, signalled.length ? [...own, ...signalled] : own);
  }
  return edges;
}

function methodTriggers(models: ModelRegistry, file: PythonFacts): { fnId: string; trigger: Trigger }[] {
  const out: { fnId: string; trigger: Trigger }[] = [];
  file.classes.forEach((cls, idx) => {
    const model = models.modelOfClass(file, idx);
    for (const [name, m] of Object.entries(cls.methods)) {
      const fn = file.functions[m];
      if (model && (name === 'save' || name === 'delete')) {
        out.push({ fnId: fnId(file, m), trigger: { t: 'override', kind: name, model: model.id, path: file.path, loc: fn.nameLoc, name: `${cls.name}.${name}()` } });
      } else if (!model && (ADMIN_HOOKS.test(name) || VIEW_HOOKS.test(name))) {
        out.push({ fnId: fnId(file, m), trigger: { t: 'owner', owner: fnId(file, idx), path: file.path, loc: fn.nameLoc, name: `${cls.name}.${name}()` } });
      }
    }
  });
  return out;
}

/** Which changes run each function: receivers, save()/delete() overrides, admin and view hooks, and their callees. */
function computeTriggers(events: Map<string, FnEvents>, files: FileAnalysis[], edges: Edges): Map<string, Trigger[]> {
  const roots = new Map<string, Trigger[]>();
  const add = (id: string, t: Trigger) => {
    const list = roots.get(id) ?? [];
    list.push(t);
    roots.set(id, list);
  };
  for (const ev of events.values()) {
    for (const h of ev.hookups) if ('model' in h.signal) add(h.receiver, { t: 'signal', kind: h.signal.model, senders: h.senders, hookup: h });
  }
  for (const f of files) for (const m of f.methodTriggers) add(m.fnId, m.trigger);
  const result = new Map<string, Trigger[]>();
  for (const [root, triggers] of roots) {
    const seen = new Set<string>([root]);
    const queue = [root];
    for (let head = 0; head < queue.length; head++) {
      const cur = queue[head];
      const list = result.get(cur) ?? [];
      list.push(...triggers);
      result.set(cur, list);
      for (const { to: next } of edges.get(cur) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  }
  return result;
}

/** Per function: the invalidating ops it runs itself or through callees, with the line of the first step. */
type Reach = (fnId: string) => { op: CacheOp; line: number }[];

/**
 * One function in the walk over the call graph. The walk fixes which callees count (a callee
 * still being walked, in a call cycle, contributes nothing); the list of ops is built only for
 * the functions coverage asks about, from the callees' lists.
 */
interface ReachNode { id: string; callees: (ReachNode | undefined)[]; ops?: { op: CacheOp; line: number }[] }

function reachableOps(events: Map<string, FnEvents>, edges: Edges): Reach {
  const nodes = new Map<string, ReachNode>();
  const busy = new Set<string>();
  const visit = (id: string): ReachNode | undefined => {
    const known = nodes.get(id);
    if (known) return known;
    if (busy.has(id)) return undefined;
    busy.add(id);
    const node: ReachNode = { id, callees: (edges.get(id) ?? []).map((c) => visit(c.to)) };
    busy.delete(id);
    nodes.set(id, node);
    return node;
  };
  for (const id of events.keys()) visit(id);
  const opsOf = (node: ReachNode): { op: CacheOp; line: number }[] => {
    if (!node.ops) {
      const out: { op: CacheOp; line: number }[] = [];
      for (const op of events.get(node.id)?.ops ?? []) if (!op.template && (DELETE_LIKE.has(op.method) || op.method === 'delete_pattern')) out.push({ op, line: op.pos.line });
      (edges.get(node.id) ?? []).forEach((c, i) => {
        const callee = node.callees[i];
        if (callee) for (const r of opsOf(callee)) out.push({ op: r.op, line: c.line });
      });
      node.ops = out;
    }
    return node.ops;
  };
  return (fnId) => {
    const node = nodes.get(fnId);
    return node ? opsOf(node) : [];
  };
}

/** Invalidations of `matching` that run after write `w`, in its function or a callee called after it. */
function afterWrite(w: WriteSite, matching: Invalidation[], reach: Reach): CacheOp[] {
  if (!w.fnId || !w.pos) return [];
  return reach(w.fnId).filter((r) => r.line >= w.pos!.line && matching.some((m) => m.file === r.op.file && m.loc === r.op.loc)).map((r) => r.op);
}

/** Whether a write can change what a dep reads: unless both name their columns and share none (a foreign key `x` is column `x_id`). */
function changesColumns(w: WriteSite, dep: Dep): boolean {
  if (!w.columns || !dep.columns) return true;
  const column = (c: string) => c.replace(/_id$/, '');
  return w.columns.some((c) => dep.columns!.some((d) => column(d) === column(c)));
}

function coverEntry(entry: Entry, dep: Dep, matching: Invalidation[], writes: WriteSite[], reach: Reach): EntryCoverage {
  const coveredBy: { inv: Invalidation; how: string }[] = [];
  const triggerCovers = (t: Trigger, w: WriteSite): boolean => {
    if (t.t === 'signal') return w.signals && t.kind === w.kind && (t.senders === null || t.senders.includes(w.model));
    if (t.t === 'override') return t.model === w.model && t.kind === w.kind && w.kind !== 'bulk' && w.kind !== 'm2m';
    return !!w.owner && t.owner === fnId(w.owner.file, w.owner.idx);
  };
  for (const inv of matching) {
    for (const t of inv.triggers) {
      const relevant = t.t === 'signal' ? t.senders === null || t.senders.includes(dep.model) : t.t === 'override' ? t.model === dep.model : false;
      if (relevant && !coveredBy.some((c) => c.inv === inv)) coveredBy.push({ inv, how: triggerText(t) });
    }
  }
  const uncovered: WriteSite[] = [];
  const bypassing: WriteSite[] = [];
  const byKind: Record<ChangeKind, Cover> = { save: { state: 'none' }, delete: { state: 'none' }, m2m: { state: 'none' }, bulk: { state: 'none' } };
  // A direct write to a through model bypasses the m2m_changed receivers that cover the relation.
  const m2mReceiver = matching.some((inv) => inv.triggers.some((t) => t.t === 'signal' && t.kind === 'm2m' && (t.senders === null || t.senders.includes(dep.model))));
  for (const w of writes) {
    const cover = byKind[w.kind];
    const bySignal = matching.find((inv) => inv.triggers.some((t) => triggerCovers(t, w)));
    const atSite = afterWrite(w, matching, reach)[0];
    if (bySignal || atSite) {
      const by = bySignal ?? atSite!;
      if (cover.state !== 'no') {
        cover.state = 'yes';
        cover.by ??= [];
        if (!cover.by.some((b) => b.path === by.file.path && b.loc === by.loc)) cover.by.push({ path: by.file.path, loc: by.loc, how: bySignal ? triggerText(bySignal.triggers.find((t) => triggerCovers(t, w))!) : 'right after the write' });
      }
      continue;
    }
    cover.state = 'no';
    if (w.kind === 'bulk' || (w.throughWrite && m2mReceiver)) bypassing.push(w);
    else uncovered.push(w);
  }
  return { entry, model: dep.model, dep, byKind, writes, uncovered, coveredBy, bypassing };
}

/**
 * cacheops invalidates a `cached_as` entry from its own post_save, post_delete and m2m_changed
 * receivers for the samples' models (and their m2m through tables); QuerySet.update(),
 * bulk_create/bulk_update and raw SQL send no signal and leave it stale, as for any receiver.
 */
function cacheopsInvalidation(entry: Entry, decl: CacheopsDeclaration, models: ModelRegistry): Invalidation {
  const senders = decl.opaque ? null : [...models.byId.keys()].filter((id) => decl.models.some((m) => sameRows(m, id, models)));
  const { file } = decl;
  const by = `cacheops @${decl.decorator}(${decl.opaque ? '…' : decl.models.join(', ')})`;
  const triggers: Trigger[] = (['save', 'delete', 'm2m'] as const).map((kind) => ({
    t: 'signal', kind, senders, by, hookup: { file, loc: entry.loc, signal: { model: kind }, receiver: entry.fnId ?? entry.id, senders },
  }));
  return {
    file, loc: entry.loc, method: 'delete', alias: entry.alias, key: entry.key, value: null, timeout: 'default', version: entry.version,
    fnId: entry.fnId ?? entry.id, pos: { block: 0, index: 0, line: entry.loc[0] }, inAtomic: false, triggers,
  };
}

/** A model the entry's tags declare: the runtime invalidates the entry on every kind of write to it. */
function declaredCoverage(entry: Entry, dep: Dep, tags: TagDeclaration, writes: WriteSite[]): EntryCoverage {
  const by = [{ path: tags.path, loc: tags.loc, how: 'tag declaration' }];
  const yes = (): Cover => ({ state: 'yes', by });
  return { entry, model: dep.model, dep, byKind: { save: yes(), delete: yes(), m2m: yes(), bulk: yes() }, writes, uncovered: [], coveredBy: [], bypassing: [], declaredBy: tags };
}

export function triggerText(t: Trigger): string {
  if (t.t === 'signal' && t.by) return `${t.by} at ${t.hookup.file.path}:${t.hookup.loc[0] + 1}`;
  if (t.t === 'signal') {
    const sig = t.kind === 'save' ? 'post_save' : t.kind === 'delete' ? 'post_delete' : 'm2m_changed';
    return `${sig} receiver at ${t.hookup.file.path}:${t.hookup.loc[0] + 1}`;
  }
  return `${t.name} at ${t.path}:${t.loc[0] + 1}`;
}

export function entryKeyText(e: Entry): string {
  if (e.cacheops) return `@${e.cacheops.decorator} ${e.cacheops.name}()`;
  if (e.kind === 'page') return `cache_page view at ${e.path}:${e.loc[0] + 1}`;
  if (e.kind === 'fragment') return `{% ${e.tags ? 'tagged_cache' : 'cache'} %} fragment '${e.key?.fragment}'`;
  return `'${display(e.key)}'`;
}
