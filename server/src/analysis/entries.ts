/** Entry discovery: the cache entries code and templates declare beyond plain cache ops (decorators, cached views, fragments, memoized functions). */
import type { Config } from '../config/config';
import type { PythonFacts, TemplateFacts } from '../facts/types';
import type { Expr, Loc, Stmt, TemplateNode } from '../syntax/ir';
import type { CacheopsDeclaration, CacheopsRead, Entry, FileAnalysis } from './analysis';
import type { CacheOp, FnEvents } from './domain/events';
import type { Interpreter } from './interp';
import { immutableKey, type KeyPattern } from './domain/keys';
import { inFile } from './fileError';
import { classBases, modelName, type ModelRegistry } from './models';
import { CACHEOPS_READS, CACHEOPS_UNCACHED, cacheopsCaches, cacheopsProfileOf } from './libraries';
import { groupBy } from './domain/groups';
import {
  dependsOnItems,
  pythonDeclaration,
  TAGGED_CACHE_TEMPLATE_TAG,
  TAGGED_MEMOIZE,
  templateDeclaration,
} from './tags';
import { contextItems, type FragmentReads, fragmentKey, templateEngine, templateReads, viewRender } from './templates';
import { type Dep, exprText, type FnRef, fnId, merge, type Scope, type Shape, type V } from './domain/values';
import { type Settings, staticSym, type Workspace } from './workspace';
import { nameTable } from '../text/nameTable';
import { CACHE_CONTROL, NEVER_CACHE, REQUIRE_POST, UNCACHED_CONTROLS, URL_ROUTES } from './django';
import { eachCall } from '../facts/walk';

/** An entry's id: where it starts (0-based line and column), 1-based as an editor shows it (`catalog/services.py:18:9`). */
function entryId(path: string, line: number, col: number): string {
  return `${path}:${line + 1}:${col + 1}`;
}

/** Django stores nothing under a timeout of 0 or less: the value expires at once, and cache_page skips the response. */
export function isStored(entry: Entry): boolean {
  return typeof entry.timeout !== 'number' || entry.timeout > 0;
}

export function opEntries(ops: CacheOp[]): Entry[] {
  const entries: Entry[] = [];
  for (const op of ops) {
    if (op.method !== 'set' && op.method !== 'add' && op.method !== 'get_or_set') continue;
    if (!op.value) continue;
    const deps = merge(op.value).deps;
    entries.push({
      id: entryId(op.file.path, op.loc[0], op.loc[1]),
      kind: op.tags ? 'tagged' : 'cache',
      key: op.key,
      alias: op.alias,
      timeout: op.timeout,
      version: op.version,
      ...(op.versionCounter ? { versionCounter: op.versionCounter } : {}),
      ...(op.versionRow ? { versionRow: op.versionRow } : {}),
      path: op.file.path,
      loc: op.loc,
      fnId: op.fnId,
      deps,
      immutable: immutableKey(op.key, deps),
      tags: op.tags,
    });
  }
  return entries;
}

export function fileEntries(interp: Interpreter, file: PythonFacts, config: Config): Entry[] {
  const entries: Entry[] = [];
  file.functions.forEach((fn, idx) => {
    for (const d of fn.decorators) {
      const e = decoratorEntry(interp, file, idx, d, config);
      if (e) entries.push(e);
    }
  });
  file.classes.forEach((cls, idx) => {
    entries.push(...inheritedEntries(interp, file, idx, config));
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
  entries.push(...cacheopsCallEntries(interp, file));
  if (interp.ws.settings.siteCache) entries.push(...siteCacheEntries(interp, file));
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

/**
 * drf-extensions' `ListCacheResponseMixin` and the like: a method a library stub's class caches
 * (a memoizing decorator on it) caches that method of each project class inheriting it unchanged.
 * The entry is the project class's, located at its name, with what the class reads.
 */
function inheritedEntries(interp: Interpreter, file: PythonFacts, idx: number, config: Config): Entry[] {
  const entries: Entry[] = [];
  const cls = file.classes[idx];
  for (const name of stubCachedMethods(interp, { file, idx })) {
    const method = interp.classAttr({ file, idx }, name, null)?.shapes.find((s) => s.k === 'fn');
    if (method?.k !== 'fn' || !interp.ws.stubs.has(method.fn.file)) continue;
    for (const d of method.fn.file.functions[method.fn.idx].decorators) {
      const stubEntry = decoratorEntry(interp, method.fn.file, method.fn.idx, d, config);
      if (!stubEntry) continue;
      const id = `${file.path}#${cls.qual}.${name}`;
      entries.push({
        ...stubEntry,
        id: entryId(file.path, cls.nameLoc[0], cls.nameLoc[1]),
        key: {
          parts: [{ hole: `${interp.ws.moduleName(file)}.${cls.qual}.${name}(…)`, source: { kind: 'unknown' } }],
          builder: `memoize:${id}`,
          memoized: id,
        },
        path: file.path,
        loc: cls.nameLoc,
        fnId: null,
        deps: viewClassDeps(interp, file, idx),
        immutable: false,
      });
    }
  }
  return entries;
}

/** Names of the decorated methods of the library stub classes among a class's bases. */
function stubCachedMethods(interp: Interpreter, cls: { file: PythonFacts; idx: number }, depth = 0): Set<string> {
  const names = new Set<string>();
  if (depth > 15) return names;
  const fact = cls.file.classes[cls.idx];
  if (interp.ws.stubs.has(cls.file))
    for (const [name, m] of Object.entries(fact.methods)) if (cls.file.functions[m].decorators.length) names.add(name);
  for (const b of classBases(fact))
    for (const s of interp.eval(b, interp.moduleScope(cls.file)).shapes)
      if (s.k === 'class') for (const name of stubCachedMethods(interp, s.cls, depth + 1)) names.add(name);
  return names;
}

type PageShape = Extract<Shape, { k: 'cachepage' }>;

/**
 * The per-site cache (UpdateCacheMiddleware in a settings module's MIDDLEWARE) stores every GET
 * response of every view: one page entry per route of this URLconf, at the route, with what its
 * view reads. Not a view that opts out (`never_cache`, `cache_control(private=True)`, …), nor one
 * `cache_page` already makes an entry of, nor a view the engine cannot tell (an include, a
 * library view, a callable instance).
 */
function siteCacheEntries(interp: Interpreter, file: PythonFacts): Entry[] {
  const settings = interp.ws.settings;
  const scope = interp.moduleScope(file);
  const entries: Entry[] = [];
  scanCalls(file.body, (call) => {
    const sym = staticSym(interp.ws, file, call.fn);
    if (sym?.k !== 'ext' || !URL_ROUTES.has(sym.q)) return;
    const pattern = call.args[0] ?? call.kw.find((k) => k.name === 'route' || k.name === 'regex')?.value;
    const viewExpr = call.args[1] ?? call.kw.find((k) => k.name === 'view')?.value;
    // A delete names a route by its name (`reverse("blog:entry")`); an unnamed route no delete names.
    const name = call.kw.find((k) => k.name === 'name')?.value;
    if (pattern?.t !== 'str' || !viewExpr) return;
    // `View.as_view()` is the class's view, whatever the library's as_view returns.
    const asView = viewExpr.t === 'call' && viewExpr.fn.t === 'attr' && viewExpr.fn.name === 'as_view';
    const view = interp.eval(asView && viewExpr.fn.t === 'attr' ? viewExpr.fn.obj : viewExpr, scope);
    if (!view.shapes.length || view.shapes.some((s) => s.k === 'cachepage') || wrapsUncached(interp, file, viewExpr))
      return;
    const refs = viewRefs(view);
    if (!refs.length || refs.some((r) => optsOut(interp, r))) return;
    const deps = viewDeps(interp, view);
    if (!deps.length) return;
    const viewFiles = new Set(refs.map((r) => r.file.path));
    entries.push({
      id: entryId(file.path, call.loc[0], call.loc[1]),
      kind: 'page',
      key: {
        parts: [{ lit: `views.decorators.cache.cache_page.${settings.cacheMiddlewareKeyPrefix}` }],
        page: true,
        route: name?.t === 'str' ? name.v : `#${file.path}:${call.loc[0] + 1}`,
      },
      alias: settings.cacheMiddlewareAlias,
      timeout: settings.cacheMiddlewareSeconds ?? 600,
      version: null,
      path: file.path,
      loc: call.loc,
      fnId: null,
      deps,
      immutable: false,
      site: {
        pattern: pattern.v,
        view: exprText(asView && viewExpr.fn.t === 'attr' ? viewExpr.fn.obj : viewExpr),
        viewReads: [...new Set(deps.filter((d) => viewFiles.has(d.path)).map((d) => d.model))],
      },
    });
  });
  return entries;
}

type ViewRef = { file: PythonFacts; fn?: number; cls?: number };

/** The project functions and classes a route's view evaluates to; any other shape makes it unknown (none). */
function viewRefs(view: V): ViewRef[] {
  const refs: ViewRef[] = [];
  for (const s of view.shapes) {
    if (s.k === 'fn') refs.push({ file: s.fn.file, fn: s.fn.idx });
    else if (s.k === 'class') refs.push({ file: s.cls.file, cls: s.cls.idx });
    else if (s.k === 'bound' && s.recv.k === 'class') refs.push({ file: s.recv.cls.file, cls: s.recv.cls.idx });
    else return [];
  }
  return refs;
}

/** `never_cache(view)` or `cache_control(private=True)(view)` in the URLconf. */
function wrapsUncached(interp: Interpreter, file: PythonFacts, e: Expr): boolean {
  return (
    e.t === 'call' && (uncachedDecorator(interp, file, e.fn) || (!!e.args[0] && wrapsUncached(interp, file, e.args[0])))
  );
}

/** A view whose responses the middleware does not store, or that `cache_page` caches itself: by its decorators, its class's, or its methods'. */
function optsOut(interp: Interpreter, ref: ViewRef): boolean {
  const decorated = (decorators: Expr[], file: PythonFacts) =>
    decorators.some((d) => {
      const inner = d.t === 'call' && /method_decorator$/.test(exprText(d.fn)) ? d.args[0] : d;
      const items = inner?.t === 'seq' ? inner.items : inner ? [inner] : [];
      return items.some(
        (x) =>
          uncachedDecorator(interp, file, x) ||
          interp.eval(x, interp.moduleScope(file)).shapes.some((s) => s.k === 'cachepage'),
      );
    });
  if (ref.fn !== undefined) return decorated(ref.file.functions[ref.fn].decorators, ref.file);
  const cls = ref.file.classes[ref.cls!];
  return (
    decorated(cls.decorators, ref.file) ||
    Object.values(cls.methods).some((m) => decorated(ref.file.functions[m].decorators, ref.file))
  );
}

function uncachedDecorator(interp: Interpreter, file: PythonFacts, d: Expr): boolean {
  const sym = staticSym(interp.ws, file, d.t === 'call' ? d.fn : d);
  if (sym?.k !== 'ext') return false;
  if (sym.q === NEVER_CACHE || sym.q === REQUIRE_POST) return true;
  return (
    sym.q === CACHE_CONTROL && d.t === 'call' && d.kw.some((k) => k.name !== null && UNCACHED_CONTROLS.includes(k.name))
  );
}

function pageEntry(page: PageShape, file: PythonFacts, loc: Loc, deps: Dep[], fn: string | null): Entry {
  return {
    id: entryId(file.path, loc[0], loc[1]),
    kind: 'page',
    key: { parts: [{ lit: `views.decorators.cache.cache_page.${page.keyPrefix}` }], page: true },
    alias: page.alias,
    timeout: page.timeout,
    version: null,
    path: file.path,
    loc,
    fnId: fn,
    deps,
    immutable: false,
    tags: page.tags,
  };
}

function decoratorEntry(
  interp: Interpreter,
  file: PythonFacts,
  idx: number,
  d: Expr,
  config: Config,
): Entry | undefined {
  const scope = interp.moduleScope(file);
  const val = interp.eval(d, scope);
  const page = val.shapes.find((s) => s.k === 'cachepage');
  if (page && page.k === 'cachepage')
    return pageEntry(page, file, d.loc, functionDeps(interp, file, idx), fnId(file, idx));
  const text = exprText(d.t === 'call' ? d.fn : d);
  const sym = staticSym(interp.ws, file, d.t === 'call' ? d.fn : d);
  // A dotted name for `memoize-decorators`: the import's, or the workspace function's own.
  const q =
    sym?.k === 'ext'
      ? sym.q
      : sym?.k === 'fn'
        ? `${interp.ws.moduleName(sym.file)}.${sym.file.functions[sym.idx].qual}`
        : '';
  if (q === TAGGED_MEMOIZE || config.memoizeDecorators.includes(q) || config.memoizeDecorators.includes(text)) {
    const timeout = d.t === 'call' && d.args[0] ? interp.timeoutOf(d.args[0], scope) : 'unknown';
    const dependsOn = q === TAGGED_MEMOIZE && d.t === 'call' ? dependsOnItems(d.kw) : undefined;
    return {
      id: entryId(file.path, d.loc[0], d.loc[1]),
      kind: 'memoize',
      key: functionResultKey(interp.ws, file, idx, 'memoize'),
      alias: 'default',
      timeout,
      version: null,
      path: file.path,
      loc: d.loc,
      fnId: fnId(file, idx),
      deps: functionDeps(interp, file, idx),
      immutable: false,
      tags: dependsOn && pythonDeclaration(interp, dependsOn.items, scope, dependsOn.loc),
    };
  }
  if (q === 'cacheops.cached_as' || q === 'cacheops.cached_view_as')
    return cacheopsEntry(
      interp,
      d,
      scope,
      { file, idx },
      d.loc,
      q === 'cacheops.cached_as' ? 'cached_as' : 'cached_view_as',
    );
  // A decorator (a project's, or a library's stub) whose wrapper stores the decorated function's result in the cache.
  for (const s of val.shapes) {
    if (s.k !== 'fn') continue;
    const op = memoizerOp(interp, s.fn.file, s.fn.idx);
    const factory = factoryCall(interp, d, scope, s.fn);
    if (!op?.template) {
      const wrapped = wrapperPage(interp, s.fn, factory, file, idx);
      if (wrapped) return pageEntry(wrapped, file, d.loc, functionDeps(interp, file, idx), fnId(file, idx));
      continue;
    }
    const wrapperScope = memoWrapperScope(interp, op.template.scope, s.fn, factory?.scope, file, idx);
    const built = op.template.keyExpr
      ? interp.keyOf(interp.eval(op.template.keyExpr, wrapperScope), op.template.keyExpr)
      : op.key;
    // A key with no literal part is the library's own hash of the call: shown and matched as the function's.
    const key =
      built && built.parts.some((p) => 'lit' in p)
        ? { ...built, memoized: fnId(file, idx) }
        : functionResultKey(interp.ws, file, idx, 'memoize');
    const deps = functionDeps(interp, file, idx);
    const timeoutArg =
      op.template.timeoutExpr?.t === 'name' ? factory?.args.get(op.template.timeoutExpr.id) : undefined;
    return {
      id: entryId(file.path, d.loc[0], d.loc[1]),
      kind: 'memoize',
      key,
      alias: aliasOf(interp, op.template.call, wrapperScope) ?? op.alias,
      timeout: timeoutArg ? interp.timeoutOf(timeoutArg.expr, timeoutArg.scope) : op.timeout,
      version: op.version,
      path: file.path,
      loc: d.loc,
      fnId: fnId(file, idx),
      deps,
      immutable: immutableKey(key, deps),
    };
  }
  return undefined;
}

/**
 * The key a memoizing library derives from the decorated function and its arguments (a hash the
 * engine cannot spell): shown as `{module.Class.method(…)}`, matched only by the same builder.
 */
function functionResultKey(ws: Workspace, file: PythonFacts, idx: number, library: 'memoize' | 'cacheops'): KeyPattern {
  return {
    parts: [{ hole: `${ws.moduleName(file)}.${file.functions[idx].qual}(…)`, source: { kind: 'unknown' } }],
    builder: `${library}:${fnId(file, idx)}`,
    memoized: fnId(file, idx),
  };
}

/**
 * `@cached_as(Article, Tag.objects.filter(...), timeout=60)` on `target`, or `cached_as(...)(target)`
 * called at `loc`: the function's result, dropped by cacheops when a sample changes. `d` is the
 * `cached_as(...)` call, its samples read in `scope`.
 */
function cacheopsEntry(
  interp: Interpreter,
  d: Expr,
  scope: Scope,
  target: FnRef,
  loc: Loc,
  decorator: 'cached_as' | 'cached_view_as',
): Entry {
  const { file, idx } = target;
  const decl: CacheopsDeclaration = { decorator, name: file.functions[idx].name, models: [], opaque: false, file };
  for (const arg of d.t === 'call' ? d.args : []) {
    const shapes = interp.eval(arg, scope).shapes;
    const model =
      shapes.length === 1 && (shapes[0].k === 'model' || shapes[0].k === 'qs') ? shapes[0].model : undefined;
    if (model) decl.models.push(model);
    else decl.opaque = true;
  }
  const timeoutArg = d.t === 'call' ? d.kw.find((k) => k.name === 'timeout')?.value : undefined;
  return {
    id: entryId(scope.file.path, loc[0], loc[1]),
    kind: 'memoize',
    key: functionResultKey(interp.ws, file, idx, 'cacheops'),
    // cacheops keeps its entries in its own Redis, out of reach of Django's cache deletes.
    alias: 'cacheops',
    timeout: timeoutArg ? interp.timeoutOf(timeoutArg, scope) : 'unknown',
    version: null,
    path: scope.file.path,
    loc,
    fnId: fnId(file, idx),
    deps: functionDeps(interp, file, idx),
    immutable: false,
    cacheops: decl,
  };
}

const CACHEOPS_DECORATORS = nameTable<'cached_as' | 'cached_view_as'>({
  'cacheops.cached_as': 'cached_as',
  'cacheops.cached_view_as': 'cached_view_as',
});

/**
 * django-cacheops entries written as calls: `cached_as(samples)(fn)` wrapping a function, and,
 * with cacheops installed, `qs.cache()`: the queryset's rows, dropped by cacheops when a row of
 * its model is saved or deleted (not when a `select_related` row changes: cacheops says so).
 */
function cacheopsCallEntries(interp: Interpreter, file: PythonFacts): Entry[] {
  const entries: Entry[] = [];
  const installed = interp.ws.settings.installedApps.includes('cacheops');
  const scan = (body: Stmt[], scope: () => Scope) =>
    eachCall(body, (call) => {
      if (call.fn.t === 'call' && call.args[0]) {
        const sym = staticSym(interp.ws, file, call.fn.fn);
        const decorator = sym?.k === 'ext' ? CACHEOPS_DECORATORS[sym.q] : undefined;
        if (!decorator) return;
        const target = interp.eval(call.args[0], scope()).shapes.find((s) => s.k === 'fn');
        if (target?.k === 'fn') entries.push(cacheopsEntry(interp, call.fn, scope(), target.fn, call.loc, decorator));
      } else if (installed && call.fn.t === 'attr' && call.fn.name === 'cache' && !call.args.length) {
        const rows = interp.eval(call.fn.obj, scope());
        const qs = rows.shapes.find((s) => s.k === 'qs');
        if (qs?.k === 'qs') entries.push(cachedQuerysetEntry(interp, file, call, rows, qs.model));
      }
    });
  scan(file.body, () => interp.moduleScope(file));
  file.functions.forEach((_, idx) => scan(file.functions[idx].body, () => interp.functionScope(file, idx)));
  return entries;
}

function cachedQuerysetEntry(
  interp: Interpreter,
  file: PythonFacts,
  call: Extract<Expr, { t: 'call' }>,
  rows: V,
  model: string,
): Entry {
  const name = `${exprText(call.fn)}()`;
  const id = entryId(file.path, call.loc[0], call.loc[1]);
  return {
    id,
    kind: 'memoize',
    key: { parts: [{ hole: name, source: { kind: 'unknown' } }], builder: `cacheops:${id}`, memoized: id },
    alias: 'cacheops',
    timeout: 'unknown',
    version: null,
    path: file.path,
    loc: call.loc,
    fnId: null,
    deps: merge(rows, interp.element(rows)).deps,
    immutable: false,
    cacheops: { decorator: 'cache', name, models: [model], opaque: false, file },
  };
}

/**
 * Reads of models cacheops may cache by itself under the `CACHEOPS` setting: per model and kind
 * of read (`get()`, a fetched chain, `count()`...), the first call of the file on a queryset or
 * manager of the model. A chain that a further call extends is that call's read, and `nocache()`
 * or `select_for_update()` in the chain turns cacheops off for it.
 */
export function cacheopsReads(interp: Interpreter, file: PythonFacts): CacheopsRead[] {
  if (!interp.ws.settings.cacheops.some((profiles) => profiles.some((p) => p.ops?.length))) return [];
  const out: CacheopsRead[] = [];
  const scan = (body: Stmt[], scope: () => Scope) => {
    const calls: Extract<Expr, { t: 'call' }>[] = [];
    eachCall(body, (call) => calls.push(call));
    const extended = new Set(calls.flatMap((c) => (c.fn.t === 'attr' && c.fn.obj.t === 'call' ? [c.fn.obj] : [])));
    for (const call of calls) {
      const op = call.fn.t === 'attr' ? CACHEOPS_READS[call.fn.name] : undefined;
      if (!op || call.fn.t !== 'attr' || (op === 'fetch' && extended.has(call)) || uncachedChain(call.fn.obj)) continue;
      const qs = interp.eval(call.fn.obj, scope()).shapes.find((sh) => sh.k === 'qs');
      if (qs?.k !== 'qs' || out.some((r) => r.model === qs.model && r.op === op)) continue;
      const dep: Dep = { model: qs.model, via: [`${exprText(call.fn)}()`], path: file.path, loc: call.loc };
      out.push({ model: qs.model, op, dep });
    }
  };
  scan(file.body, () => interp.moduleScope(file));
  file.functions.forEach((fn, idx) => scan(fn.body, () => interp.functionScope(file, idx)));
  return out;
}

function uncachedChain(e: Expr): boolean {
  for (let at = e; at.t === 'call' && at.fn.t === 'attr'; at = at.fn.obj)
    if (CACHEOPS_UNCACHED.has(at.fn.name)) return true;
  return false;
}

/**
 * The queries of each model cacheops caches by itself: one entry per model a read of which a
 * `CACHEOPS` profile caches, at that profile's key in settings. cacheops' own receivers drop it
 * (see coverage.ts), so only writes that send no signal leave it stale.
 */
export function cacheopsAutoEntries(ws: Workspace, models: ModelRegistry, files: FileAnalysis[]): Entry[] {
  const entries: Entry[] = [];
  for (const [model, reads] of groupBy(
    files.flatMap((f) => f.cacheopsReads),
    (r) => r.model,
  )) {
    const info = models.byId.get(model);
    if (!info || info.abstract) continue;
    const [app, name] = [model.slice(0, model.lastIndexOf('.')), modelName(model)];
    for (const profiles of ws.settings.cacheops) {
      const profile = cacheopsProfileOf(profiles, app, name);
      const read = profile && reads.find((r) => cacheopsCaches(profile, r.op));
      const file = profile && ws.byPath.get(profile.path);
      if (!read || file?.kind !== 'python') continue;
      const id = `${entryId(profile.path, profile.loc[0], profile.loc[1])}:${model}`;
      entries.push({
        id,
        kind: 'memoize',
        key: {
          parts: [{ hole: `${model} queries`, source: { kind: 'unknown' } }],
          builder: `cacheops:${id}`,
          memoized: id,
        },
        alias: 'cacheops',
        timeout: profile.timeout ?? 'unknown',
        version: null,
        path: profile.path,
        loc: profile.loc,
        fnId: null,
        deps: [read.dep],
        immutable: false,
        cacheops: { decorator: 'auto', name: profile.pattern, models: [model], opaque: false, file },
      });
      break;
    }
  }
  return entries;
}

/** The set op inside a decorator's wrapper whose value is the result of calling the decorated function. */
function memoizerOp(interp: Interpreter, file: PythonFacts, decoIdx: number): CacheOp | undefined {
  const param = file.functions[decoIdx].params[0]?.name;
  if (!param) return undefined;
  for (let i = 0; i < file.functions.length; i++) {
    if (!isNestedIn(file, i, decoIdx)) continue;
    for (const op of interp.collect(file, i).ops) {
      if (
        (op.method === 'set' || op.method === 'get_or_set' || op.method === 'add') &&
        op.template?.valueCallsParam === param
      )
        return op;
    }
  }
  return undefined;
}

function isNestedIn(file: PythonFacts, idx: number, ancestor: number): boolean {
  for (let p = file.functions[idx].parent; p !== null; p = file.functions[p].parent) if (p === ancestor) return true;
  return false;
}

/**
 * A decorator whose wrapper caches the decorated view itself, `cache_page(...)(func)(request)`
 * (a `conditional_cache_page`): that page, its timeout read from the factory's call when the
 * wrapper passes a factory parameter on. Only a `cache_page` applied to the decorated function counts.
 */
function wrapperPage(
  interp: Interpreter,
  decorator: FnRef,
  factory: ReturnType<typeof factoryCall>,
  file: PythonFacts,
  idx: number,
): PageShape | undefined {
  const decoFile = decorator.file;
  if (!decoFile.functions[decorator.idx].params[0]) return undefined;
  for (let i = 0; i < decoFile.functions.length; i++) {
    if (!isNestedIn(decoFile, i, decorator.idx)) continue;
    const wrapperScope = memoWrapperScope(
      interp,
      interp.functionScope(decoFile, i),
      decorator,
      factory?.scope,
      file,
      idx,
    );
    let page: PageShape | undefined;
    eachCall(decoFile.functions[i].body, (call) => {
      if (page || call.fn.t !== 'call' || call.args.length !== 1) return;
      const applied = interp.eval(call.args[0], wrapperScope).shapes;
      if (!applied.some((a) => a.k === 'fn' && a.fn.file === file && a.fn.idx === idx)) return;
      const found = interp.eval(call.fn, wrapperScope).shapes.find((p) => p.k === 'cachepage');
      if (found?.k !== 'cachepage') return;
      const passed = (e: Expr | undefined) => (e?.t === 'name' ? factory?.args.get(e.id) : undefined);
      const timeout = passed(call.fn.args[0] ?? call.fn.kw.find((k) => k.name === 'timeout')?.value);
      const alias = passed(call.fn.kw.find((k) => k.name === 'cache')?.value);
      page = {
        ...found,
        ...(timeout ? { timeout: interp.timeoutOf(timeout.expr, timeout.scope) } : {}),
        ...(alias ? { alias: passedAlias(alias.expr) } : {}),
      };
    });
    if (page) return page;
  }
  return undefined;
}

/** The cache alias a factory's argument names: `None` is the default cache; anything but a string is unknown. */
function passedAlias(e: Expr): string {
  if (e.t === 'str') return e.v;
  return e.t === 'const' && e.v === 'None' ? 'default' : '?';
}

/**
 * The scope of the wrapper that stores `fn`'s result: inside the decorator, whose first parameter
 * is the decorated function, inside the factory's call when the decorator came from one.
 */
function memoWrapperScope(
  interp: Interpreter,
  wrapper: Scope,
  decorator: FnRef,
  factoryScope: Scope | undefined,
  file: PythonFacts,
  idx: number,
): Scope {
  const param = decorator.file.functions[decorator.idx].params[0].name;
  const decoScope = interp.scopeFor(
    decorator.file,
    decorator.idx,
    factoryScope ?? interp.moduleScope(decorator.file),
    new Map([[param, { shapes: [{ k: 'fn', fn: { file, idx } } as Shape], deps: [] }]]),
  );
  return interp.scopeFor(wrapper.file, wrapper.fnIdx, decoScope);
}

/**
 * `@factory(60, alias="pages")` where `decorator` is defined inside `factory`: the factory's
 * scope with its parameters bound to the call's arguments (defaults where none is passed), and
 * each parameter's argument expression with the scope to read it in.
 */
function factoryCall(
  interp: Interpreter,
  d: Expr,
  scope: Scope,
  decorator: FnRef,
): { scope: Scope; args: Map<string, { expr: Expr; scope: Scope }> } | undefined {
  if (d.t !== 'call') return undefined;
  const parent = decorator.file.functions[decorator.idx].parent;
  const factory = interp
    .eval(d.fn, scope)
    .shapes.find((s) => s.k === 'fn' && s.fn.file === decorator.file && s.fn.idx === parent);
  if (!factory || factory.k !== 'fn') return undefined;
  const fact = factory.fn.file.functions[factory.fn.idx];
  const defaults = interp.moduleScope(factory.fn.file);
  const args = new Map<string, { expr: Expr; scope: Scope }>();
  const positional = d.args.findIndex((a) => a.t === 'star');
  fact.params.forEach((p, i) => {
    if (p.kind !== 'plain') return;
    const passed =
      d.kw.find((k) => k.name === p.name)?.value ?? (positional === -1 || i < positional ? d.args[i] : undefined);
    if (passed) args.set(p.name, { expr: passed, scope });
    else if (p.default) args.set(p.name, { expr: p.default, scope: defaults });
  });
  const fixed = new Map([...args].map(([name, a]) => [name, interp.eval(a.expr, a.scope)]));
  return { scope: interp.scopeFor(factory.fn.file, factory.fn.idx, defaults, fixed), args };
}

/** The alias of the cache a recorded call was made on, read again in another scope. */
function aliasOf(interp: Interpreter, call: Extract<Expr, { t: 'call' }>, scope: Scope): string | undefined {
  if (call.fn.t !== 'attr') return undefined;
  const cache = interp.eval(call.fn.obj, scope).shapes.find((s) => s.k === 'cache');
  return cache?.k === 'cache' && cache.alias !== '?' ? cache.alias : undefined;
}

/** For view caches and memoize entries the whole function is the value. */
function functionDeps(interp: Interpreter, file: PythonFacts, idx: number): Dep[] {
  const reads = interp.collect(file, idx).reads;
  const fact = file.functions[idx];
  // A method of a class-based view is the view: add what the class declares.
  if (fact.cls !== null)
    return merge({ shapes: [], deps: reads }, { shapes: [], deps: viewClassDeps(interp, file, fact.cls) }).deps;
  return reads;
}

function viewDeps(interp: Interpreter, view: V): Dep[] {
  const out: Dep[][] = [];
  for (const s of view.shapes) {
    if (s.k === 'fn') out.push(functionDeps(interp, s.fn.file, s.fn.idx));
    if (s.k === 'class') out.push(viewClassDeps(interp, s.cls.file, s.cls.idx));
  }
  // `View.as_view()` evaluates to the class's bound method; follow it back to the class.
  for (const s of view.shapes)
    if (s.k === 'bound' && s.recv.k === 'class') out.push(viewClassDeps(interp, s.recv.cls.file, s.recv.cls.idx));
  return merge(...out.map((deps) => ({ shapes: [], deps }))).deps;
}

/** The methods whose reads are a class-based view's, its own or inherited from the project's mixins and bases. */
const VIEW_READ_METHODS = [
  'get_queryset',
  'get_object',
  'get_context_data',
  'get',
  'list',
  'retrieve',
  'get_serializer_context',
];

/** What a class-based view reads: model, queryset, get_queryset/get_object/get_context_data, serializer, template. */
function viewClassDeps(interp: Interpreter, file: PythonFacts, idx: number): Dep[] {
  const cls = { file, idx };
  const parts: V[] = [];
  for (const attr of ['model', 'queryset']) {
    const val = interp.classAttr(cls, attr, null);
    if (!val) continue;
    for (const s of val.shapes) {
      if (s.k === 'model')
        parts.push({
          shapes: [],
          deps: [
            {
              model: s.model,
              via: [`${file.classes[idx].name}.${attr}`],
              path: file.path,
              loc: file.classes[idx].nameLoc,
            },
          ],
        });
    }
    parts.push({ shapes: [], deps: val.deps });
  }
  const serializer = interp.classAttr(cls, 'serializer_class', null);
  for (const s of serializer?.shapes ?? []) if (s.k === 'class') parts.push(interp.serializerValue(s.cls));
  for (const name of VIEW_READ_METHODS) {
    for (const s of interp.classAttr(cls, name, null)?.shapes ?? [])
      if (s.k === 'fn' && !interp.ws.stubs.has(s.fn.file))
        parts.push({ shapes: [], deps: interp.collect(s.fn.file, s.fn.idx).reads });
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
export function renderedFragmentReads(
  interp: Interpreter,
  file: PythonFacts,
  events: Map<string, FnEvents>,
): FragmentReads {
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

export function fragmentEntries(ws: Workspace, models: ModelRegistry, files: FileAnalysis[]): Entry[] {
  const reads: FragmentReads = new Map();
  for (const f of files)
    for (const [key, list] of f.fragmentReads) reads.set(key, [...(reads.get(key) ?? []), ...list]);
  const out: Entry[] = [];
  for (const t of ws.templates)
    inFile(t.path, () => {
      const visit = (nodes: TemplateNode[]) => {
        for (const n of nodes) {
          if (n.t === 'cache') {
            const { deps, rowKeyed } = fragmentRenders(reads, t.path, n.line);
            const timeout = /^\d+$/.test(n.timeout) ? Number(n.timeout) : n.timeout === 'None' ? null : 'unknown';
            out.push({
              id: entryId(t.path, n.line, n.col),
              kind: 'fragment',
              key: { ...fragmentPattern(ws.settings, t.path, n.name), varyCount: n.vary.length },
              alias: n.using ?? 'template_fragments',
              timeout,
              version: null,
              path: t.path,
              loc: [n.line, n.col, n.line, n.col],
              fnId: null,
              deps,
              immutable: false,
              rowKeyed,
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

/** A template argument in quotes; group 2 is the text inside. */
const QUOTED = /^(["'])(.*)\1$/;

/**
 * The key of `{% cache timeout name %}`: Django takes the name as written, quotes and all
 * (`do_cache` keeps `tokens[2]`); django-jinja's and Jinja2 extensions evaluate it, so a quoted
 * name loses its quotes. When the engine is unknown the key carries both names.
 */
function fragmentPattern(settings: Settings, path: string, name: string): KeyPattern {
  const unquoted = QUOTED.exec(name)?.[2];
  if (unquoted === undefined) return { parts: [], fragment: name };
  switch (templateEngine(settings, path)) {
    case 'django':
      return { parts: [], fragment: name };
    case 'jinja2':
      return { parts: [], fragment: unquoted };
    case 'unknown':
      return { parts: [], fragment: name, jinjaFragment: unquoted };
  }
}

/** What the renders of the template at `path` read inside its fragment that starts on `line`, and the models each keys it by a row of. */
function fragmentRenders(reads: FragmentReads, path: string, line: number): { deps: Dep[]; rowKeyed: string[] } {
  const renders = reads.get(fragmentKey(path, line)) ?? [];
  const rowKeyed = renders.length
    ? renders[0].rowModels.filter((m) => renders.every((r) => r.rowModels.includes(m)))
    : [];
  return { deps: merge(...renders.map((r) => r.reads)).deps, rowKeyed };
}

/** Does the template hold a `{% cache %}` or `{% tagged_cache %}` fragment? */
export function holdsFragment(t: TemplateFacts): boolean {
  const any = (nodes: TemplateNode[]): boolean =>
    nodes.some((n) => n.t === 'cache' || isTaggedFragment(t, n) || ('body' in n && any(n.body)));
  return any(t.nodes);
}

function isTaggedFragment(t: TemplateFacts, n: TemplateNode): n is Extract<TemplateNode, { t: 'tag' }> {
  return n.t === 'tag' && n.name === TAGGED_CACHE_TEMPLATE_TAG && n.args.length >= 2 && t.loads.includes('djcache');
}

/** `{% tagged_cache timeout "name" [vary ...] depends_on="..." %}` of the djcache runtime. */
function taggedFragmentEntry(
  models: ModelRegistry,
  path: string,
  n: Extract<TemplateNode, { t: 'tag' }>,
  reads: FragmentReads,
): Entry {
  const [timeoutArg, nameArg, ...rest] = n.args;
  const dependsOn = rest
    .find((a) => a.startsWith('depends_on='))
    ?.slice('depends_on='.length)
    .replace(QUOTED, '$2');
  const loc: Loc = [n.line, n.col, n.line, n.col];
  const timeout = /^\d+$/.test(timeoutArg) ? Number(timeoutArg) : 'unknown';
  return {
    id: entryId(path, n.line, n.col),
    kind: 'fragment',
    key: { parts: [], fragment: nameArg.replace(QUOTED, '$2') },
    alias: 'default',
    timeout,
    version: null,
    path,
    loc,
    fnId: null,
    deps: fragmentRenders(reads, path, n.line).deps,
    immutable: false,
    tags: dependsOn === undefined ? undefined : templateDeclaration(models, dependsOn, path, loc),
  };
}

export function scanCalls(body: Stmt[], f: (call: Extract<Expr, { t: 'call' }>) => void): void {
  const visitExpr = (e: Expr, depth: number): void => {
    if (depth > 30) return;
    if (e.t === 'call') {
      f(e);
      visitExpr(e.fn, depth + 1);
      e.args.forEach((a) => visitExpr(a, depth + 1));
      e.kw.forEach((k) => visitExpr(k.value, depth + 1));
    } else if (e.t === 'seq') e.items.forEach((x) => visitExpr(x, depth + 1));
    else if (e.t === 'bin') {
      visitExpr(e.l, depth + 1);
      visitExpr(e.r, depth + 1);
    }
  };
  for (const s of body) {
    if (s.t === 'assign' || s.t === 'expr') visitExpr(s.value, 0);
    else if (s.t === 'if') {
      scanCalls(s.body, f);
      scanCalls(s.orelse, f);
    }
  }
}
