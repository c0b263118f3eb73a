/**
 * The abstract interpreter. It evaluates the IR of each function to abstract values (which models
 * a value's data reads, which cache or queryset an object is) and records, per function, the
 * events rules need: cache operations, ORM writes, calls, signal hookups and template renders.
 * Function results are memoised summaries; recursion and import cycles are cut by in-progress marks.
 */
import { errorText } from '../../facts/extract';
import type { PythonFacts } from '../../facts/types';
import type { Expr, FunctionFact, Param, Stmt } from '../../syntax/ir';
import { emptyEvents, type FnEvents } from '../domain/events';
import { concat, fromParams, type KeyPattern, lit, withoutParams } from '../domain/keys';
import {
  type ClsRef,
  dataOf,
  type Dep,
  EMPTY,
  exprText,
  fnId,
  type FnRef,
  type LocalBinding,
  merge,
  notARow,
  reachingBindings,
  type Scope,
  type Shape,
  v,
  type V,
  union,
  withDeps,
} from '../domain/values';
import { INSTANCE_WRITES, MODEL_SIGNALS, USER_CONSTANT_ATTRIBUTES } from '../django';
import { classBases, type ModelInfo, type ModelRegistry } from '../models';
import type { FailedFile } from '../fileError';
import { heldColumns, isReceiverMark, receiverMark, relationColumn, rowColumn, withColumns } from '../querysetColumns';
import { builtinSym, type Sym, type Workspace } from '../workspace';
import type { Args, Call, FnShape, InterpreterApi, Walk } from './api';
import {
  argumentFor,
  bindTarget,
  collectLocals,
  pick,
  receiverParams,
  spreadsArguments,
  visitAssigns,
  visitReturns,
} from './bindings';
import {
  cacheCall,
  cacheHandle,
  cacheOfAlias,
  instantiateWrapperOps,
  memoizedFunctionCall,
  taggedCacheCall,
  timeoutOf,
} from './cacheApi';
import { externalCall } from './djangoCalls';
import { formSave, isSerializer, metaModel, serializedData, serializerValue } from './forms';
import { formConstructorParams, viewFormParam } from './formParams';
import { adminParam } from './admin';
import { keyCall, keyOf, stringMethod, substitute, withBuilder } from './keyHoles';
import { instanceCall, isView, querysetCall, rawSql, rowOf } from './orm';
import { isRequest, REQUEST, requestAttribute } from './request';
import { genericViewCall } from './views';
import { recordStubWrites } from './stubWrites';
import { callerParams } from './callerParams';
import { madeMember, madeMethodCall, madeSelf } from './madeClasses';
import { decoratedParams } from './decoratedParams';
import { superCallParams } from './superCalls';
import { madeObject, overridesCall, projectOverrides } from './heldObjects';
import { callOverridesOfArguments, isOtherRowOfOverride, isOverridden, recordParamWrite } from './saveOverrides';
import {
  modelSignalConnect,
  projectSignal,
  projectSignalCall,
  receivedModels,
  receiverDecorator,
  SIGNAL_CLASS_RE,
} from './signals';

const MAX_CALL_DEPTH = 40;
/** Wrappers and key builders followed with one call's arguments inside one another. */
const MAX_FOLLOWED = 6;
/** Class-based views and DRF views and serializers: `self.request` is the request they serve. */
const VIEW_BASES = /^(django\.views\.|rest_framework\.)/;

/** A method bound to an instance and decorated as a property: reading it runs the getter. */
function isGetter(s: Shape): boolean {
  return (
    s.k === 'fn' &&
    s.self !== undefined &&
    s.fn.file.functions[s.fn.idx].decorators.some((d) => /(^|\.)(cached_)?property$/.test(exprText(d)))
  );
}

/** A template context or a serializer's `self.context`: `context["request"]` is the request. */
function isContext(s: Shape): boolean {
  return (s.k === 'param' && s.name === 'context') || (s.k === 'bound' && s.name === 'context');
}
/**
 * Values worked out inside one another (a name's binding, a global, a function's returns): past
 * this many, a chain as long as the source makes it (`a2 = a1`, `a1 = a0`, ...) is cut off
 * instead of overflowing the stack.
 */
const MAX_NESTED_VALUES = 300;
/** Expression evaluations one function's walk may spend, callees' summaries included. */
const EVAL_BUDGET = 1_000_000;

export class Interpreter implements InterpreterApi {
  private readonly summaries = new Map<string, V>();
  private readonly typedSummaries = new Map<string, V>();
  private readonly summaryBusy = new Set<string>();
  private readonly collected = new Map<string, FnEvents>();
  private readonly collecting = new Set<string>();
  private readonly classValueMemo = new Map<string, V>();
  private readonly memoTables = new Map<string, Map<string, unknown>>();
  private blockCounter = 0;
  private depth = 0;
  private nestedValues = 0;
  private budget = EVAL_BUDGET;
  /** Walks that threw (a bug of ours), by the file of the function walked: their events are partial. */
  readonly failedWalks: FailedFile[] = [];

  /**
   * Whether a called function may be a cache wrapper, so that its walk is needed at the call.
   * Every function may be unless the caller knows better (demand.ts); walking a callee also
   * records its events, which is all a per-file unit gets of them.
   */
  mayWrap: (fn: FnRef) => boolean = () => true;

  constructor(
    readonly ws: Workspace,
    readonly models: ModelRegistry,
  ) {}

  // ---------------------------------------------------------------- scopes

  scopeFor(file: PythonFacts, idx: number, parent: Scope | null = null, fixed = new Map<string, V>()): Scope {
    const fn = idx >= 0 ? file.functions[idx] : null;
    const locals = new Map<string, LocalBinding[]>();
    if (fn)
      collectLocals(
        fn.body,
        locals,
        file,
        fn.params.slice(receiverParams(fn)).map((p) => p.name),
      );
    const cls = fn && fn.cls !== null ? { file, idx: fn.cls } : null;
    const scope: Scope = { file, fn, fnIdx: idx, parent, fixed, locals, memo: new Map(), busy: new Set(), cls };
    if (fn) this.bindParams(scope, fn);
    return scope;
  }

  private bindParams(scope: Scope, fn: FunctionFact): void {
    const { file } = scope;
    const decorators = fn.decorators.map((d) => exprText(d));
    const isStatic = decorators.includes('staticmethod');
    const isClassMethod = decorators.includes('classmethod');
    // A row of `model` that the function's own body reads (`self.slug`, `instance.data`).
    // `self` is the row a model's method has at hand (`oneRow`); a receiver's instance is a row
    // that other code may look up again by its id.
    const row = (model: string, via: string[], oneRow?: true) =>
      v([{ k: 'inst', model, via }], [{ model, via, path: file.path, loc: fn.nameLoc, oneRow }]);
    // Scopes are built per call: read the decorators only when there is an `instance` to type.
    const received = fn.params.some((p) => p.name === 'instance') ? receivedModels(this, fn, scope) : undefined;
    fn.params.forEach((p, i) => {
      if (scope.fixed.has(p.name)) return;
      if (received && p.name === 'instance') {
        scope.fixed.set(p.name, merge(...received.map((model) => row(model, [`instance in ${fn.name}()`]))));
        return;
      }
      if (i === 0 && fn.cls !== null && !isStatic) {
        const model = this.models.modelOfClass(file, fn.cls);
        const cls = { file, idx: fn.cls };
        if (isClassMethod) scope.fixed.set(p.name, v([model ? { k: 'model', model: model.id } : { k: 'class', cls }]));
        else if (model) {
          // A model's own method reads its row through `self` (`self.slug`); `self.pk` stays data-free (see attr).
          // An abstract model's row is a row of any of its concrete subclasses.
          const concrete = model.abstract ? this.models.concreteOf(model.id) : [model];
          const via = [`self in ${model.name}.${fn.name}()`];
          scope.fixed.set(
            p.name,
            concrete.length
              ? merge(...concrete.map((c) => row(c.id, via, true)))
              : v([{ k: 'inst', model: model.id, via }]),
          );
        } else scope.fixed.set(p.name, v([this.selfShape(cls)]));
        return;
      }
      // A function put in the namespace of a `type()`-built class is a method of that class.
      const made = i === 0 && fn.cls === null && !isStatic ? madeSelf(this, { file, idx: scope.fnIdx }) : undefined;
      if (made) {
        scope.fixed.set(p.name, merge(v([{ k: 'param', name: p.name }]), made));
        return;
      }
      // Django calls admin hooks and actions with the registered model's rows.
      const admin = i >= 2 && scope.fnIdx >= 0 ? adminParam(this, file, scope.fnIdx, i) : undefined;
      if (admin) {
        scope.fixed.set(p.name, admin);
        return;
      }
      // Django's form views pass form_valid() the form their form class builds.
      const form = scope.fnIdx >= 0 ? viewFormParam(this, file, scope.fnIdx, i) : undefined;
      if (form) {
        scope.fixed.set(p.name, merge(v([{ k: 'param', name: p.name }]), form));
        return;
      }
      const decorated = decoratedParams(this, file, scope.fnIdx).get(p.name) ?? EMPTY;
      const called = callerParams(this, file, scope.fnIdx).get(p.name) ?? EMPTY;
      scope.fixed.set(
        p.name,
        merge(v([{ k: 'param', name: p.name }]), this.classDefault(p.default, scope), decorated, called),
      );
    });
  }

  /**
   * A class given as a parameter's default (`form_class=PhotoForm`) is what a caller that passes
   * nothing (a URL route) runs with; other defaults stay out, so that keys keep their holes.
   */
  private classDefault(value: Expr | null, scope: Scope): V {
    if (!value || (value.t !== 'name' && value.t !== 'attr')) return EMPTY;
    const shapes = this.eval(value, this.moduleScope(scope.file)).shapes.filter((sh) => sh.k === 'class');
    return shapes.length ? v(shapes) : EMPTY;
  }

  /** `self` in a manager or queryset class is a queryset of its model; elsewhere an object of the class. */
  private selfShape(cls: ClsRef): Shape {
    const model = this.models.managedModel(cls.file, cls.idx);
    return model ? { k: 'qs', model: model.id, via: [`${model.name}.objects`] } : { k: 'obj', cls };
  }

  functionScope(file: PythonFacts, idx: number): Scope {
    const fn = file.functions[idx];
    const parentScope =
      fn.parent !== null ? this.scopeFor(file, fn.parent, this.moduleScope(file)) : this.moduleScope(file);
    return this.scopeFor(file, idx, parentScope);
  }

  // ---------------------------------------------------------------- names

  /** The value of `name` in `scope`; at `line` of its own function, only what the bindings that can run before it give. */
  lookup(scope: Scope, name: string, line?: number): V {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const fixed = s.fixed.get(name);
      // A closure may run after any later binding of its function's names: it sees them all.
      const at = line !== undefined && s.fn === scope.fn && s.fnIdx === scope.fnIdx ? line : undefined;
      // A parameter the body reassigns (`if qs is None: qs = M.objects.all()`) is either value.
      if (fixed) return s.locals.has(name) ? merge(fixed, this.localValue(s, name, at, true)) : fixed;
      if (s.locals.has(name)) return this.localValue(s, name, at, false);
    }
    const sym = this.ws.resolveGlobal(scope.file, name);
    if (sym) return this.symValue(sym);
    const builtin = builtinSym(name);
    return builtin ? this.symValue(builtin) : EMPTY;
  }

  /**
   * What the bindings of `name` in `s` give it: those that can run before line `at` when given
   * and are not surely rebound on the way (`qs = qs.filter(...)` reads the `qs` bound above; a
   * queryset bound after `cache.set()` is not in the stored value; after `key = "a"` and then
   * `key = "b"`, `key` is "b"). A name no binding reaches (used before any, as code the IR does not order
   * may) has every binding's value, unless it is a parameter, which then has its own.
   */
  private localValue(s: Scope, name: string, at: number | undefined, isParam: boolean): V {
    const all = s.locals.get(name) ?? [];
    let bindings = at === undefined ? all : reachingBindings(all, at);
    if (!bindings.length && !isParam) bindings = all;
    const key = bindings.length === all.length ? name : `${name}@${bindings.map((b) => all.indexOf(b)).join(',')}`;
    return this.once(s.memo, s.busy, key, () => {
      const parts: V[] = [];
      for (const b of bindings) {
        // A closure's mutation is evaluated in the closure, which sees this scope's names.
        const where = b.inFn === undefined ? s : this.scopeFor(s.file, b.inFn, s);
        if (b.k === 'assign' && b.items) parts.push(containerItems(this, this.eval(b.value, where)));
        else if (b.k === 'assign') parts.push(pick(this.eval(b.value, where), b.index));
        else if (b.k === 'attr') parts.push(notARow(this.eval(b.value, where)));
        else if (b.k === 'iter') parts.push(pick(this.element(this.eval(b.iter, where)), b.index));
        else if (b.k === 'with') parts.push(this.eval(b.ctx, where));
        else if (b.k === 'def') parts.push(v([{ k: 'fn', fn: { file: s.file, idx: b.idx }, closure: s }]));
        else parts.push(this.classShapeValue({ file: s.file, idx: b.idx }));
        // `if qs.exists(): flag = True`: which value the name holds depends on the test's data.
        for (const g of b.guards ?? []) parts.push(dataOf(this.eval(g, where)));
      }
      return parts.length ? merge(...parts) : EMPTY;
    });
  }

  /**
   * `compute()` once per key, memoised in `memo`; EMPTY while the key is being computed (a cycle)
   * or past MAX_NESTED_VALUES. The busy mark goes even when compute throws, so a walk that fails
   * does not leave values empty for the walks after it.
   */
  private once(memo: Map<string, V>, busy: Set<string>, key: string, compute: () => V): V {
    const known = memo.get(key);
    if (known) return known;
    if (busy.has(key) || this.nestedValues >= MAX_NESTED_VALUES) return EMPTY;
    busy.add(key);
    this.nestedValues++;
    try {
      const out = compute();
      memo.set(key, out);
      return out;
    } finally {
      busy.delete(key);
      this.nestedValues--;
    }
  }

  symValue(sym: Sym): V {
    switch (sym.k) {
      case 'fn':
        return v([{ k: 'fn', fn: { file: sym.file, idx: sym.idx } }]);
      case 'class':
        return this.classShapeValue({ file: sym.file, idx: sym.idx });
      case 'mod':
        return v([{ k: 'mod', module: sym.module, file: sym.file }]);
      case 'ext': {
        const builtin = this.models.modelOfSym(sym);
        if (builtin) return v([{ k: 'model', model: builtin.id }]);
        return cacheHandle(sym.q) ?? v([{ k: 'ext', q: sym.q }]);
      }
      case 'value': {
        const scope = this.moduleScope(sym.file);
        // A `global` assignment in a function is evaluated among that function's names.
        const where = (i: number) => {
          const fn = sym.inFn[i];
          return fn === null ? scope : this.functionScope(sym.file, fn);
        };
        return this.once(scope.memo, scope.busy, `global:${sym.name}`, () =>
          importSnapshot(merge(...sym.exprs.map((e, i) => projectSignal(this.eval(e, where(i)), where(i), sym.name)))),
        );
      }
    }
  }

  private readonly moduleScopes = new Map<PythonFacts, Scope>();

  moduleScope(file: PythonFacts): Scope {
    let s = this.moduleScopes.get(file);
    if (!s) {
      s = {
        file,
        fn: null,
        fnIdx: -1,
        parent: null,
        fixed: new Map(),
        locals: new Map(),
        memo: new Map(),
        busy: new Set(),
        cls: null,
      };
      this.moduleScopes.set(file, s);
    }
    return s;
  }

  classShapeValue(cls: ClsRef): V {
    const model = this.models.modelOfClass(cls.file, cls.idx);
    return v([model ? { k: 'model', model: model.id } : { k: 'class', cls }]);
  }

  // ---------------------------------------------------------------- expressions

  eval(e: Expr, scope: Scope, walk?: Walk): V {
    // Hostile or enormous code gets partial results in bounded time instead of a hang.
    if (--this.budget < 0) return EMPTY;
    switch (e.t) {
      case 'name':
        return this.lookup(scope, e.id, e.loc[0]);
      case 'attr':
        return this.attr(this.eval(e.obj, scope, walk), e.name, e, scope);
      case 'call':
        return this.call(e, scope, walk);
      case 'str':
        return v([{ k: 'str', key: lit(e.v) }]);
      case 'fstr': {
        const parts: KeyPattern[] = [];
        const deps: V[] = [];
        for (const p of e.parts) {
          if (typeof p === 'string') parts.push(lit(p));
          else {
            const pv = this.eval(p, scope, walk);
            deps.push(dataOf(pv));
            parts.push(keyOf(this, pv, p, scope));
          }
        }
        return withDeps(v([{ k: 'str', key: concat(...parts) }]), merge(...deps).deps);
      }
      case 'num':
        return v([{ k: 'const' }]);
      case 'const':
        return v([{ k: 'const' }]);
      case 'bin':
        return this.binary(e, scope, walk);
      case 'seq': {
        const items = e.items.map((x) => this.eval(x, scope, walk));
        return v([{ k: 'list', elem: merge(...items), items }], merge(...items).deps);
      }
      case 'dict': {
        const items = new Map<string, V>();
        const all: V[] = [];
        for (const it of e.items) {
          const val = this.eval(it.value, scope, walk);
          all.push(val);
          if (it.key?.t === 'str') items.set(it.key.v, val);
          else if (!it.key) {
            for (const s of val.shapes) if (s.k === 'dict') s.items.forEach((x, k) => items.set(k, x));
          } else all.push(dataOf(this.eval(it.key, scope, walk)));
        }
        return v([{ k: 'dict', items }], merge(...all).deps);
      }
      case 'sub':
        return this.subscript(e, scope, walk);
      case 'lambda': {
        if (walk) {
          // The body runs later (often via on_commit); evaluate it now so its events are recorded.
          const inner = this.lambdaScope(e, scope, []);
          this.eval(e.body, inner, walk);
        }
        return v([{ k: 'lambda', expr: e, scope }]);
      }
      case 'comp': {
        const fixed = new Map<string, V>();
        const inner: Scope = { ...scope, parent: scope, fixed, locals: new Map(), memo: new Map(), busy: new Set() };
        const iters: V[] = [];
        for (const g of e.gens) {
          const it = this.eval(g.iter, inner, walk);
          iters.push(dataOf(it));
          bindTarget(g.target, this.element(it), fixed);
        }
        const elt = this.eval(e.elt, inner, walk);
        return v([{ k: 'list', elem: elt }], merge(elt, ...iters).deps);
      }
      case 'cond':
        // Which operand `a if test else b` gives depends on the test's data.
        return merge(
          this.eval(e.a, scope, walk),
          this.eval(e.b, scope, walk),
          e.test ? dataOf(this.eval(e.test, scope, walk)) : EMPTY,
        );
      case 'star':
        return this.eval(e.e, scope, walk);
      default:
        return EMPTY;
    }
  }

  lambdaScope(e: Extract<Expr, { t: 'lambda' }>, scope: Scope, args: V[]): Scope {
    const fixed = new Map<string, V>();
    e.params.forEach((p, i) => fixed.set(p, args[i] ?? EMPTY));
    return { ...scope, parent: scope, fixed, locals: new Map(), memo: new Map(), busy: new Set() };
  }

  private binary(e: Extract<Expr, { t: 'bin' }>, scope: Scope, walk?: Walk): V {
    const l = this.eval(e.l, scope, walk);
    const r = this.eval(e.r, scope, walk);
    const deps = merge(dataOf(l), dataOf(r)).deps;
    const lStr = l.shapes.find((s) => s.k === 'str');
    const rStr = r.shapes.find((s) => s.k === 'str');
    if (e.op === '+' && (lStr || rStr)) {
      return withDeps(v([{ k: 'str', key: concat(keyOf(this, l, e.l, scope), keyOf(this, r, e.r, scope)) }]), deps);
    }
    if (e.op === '%' && lStr && lStr.k === 'str') {
      const values = e.r.t === 'seq' ? e.r.items : [e.r];
      return withDeps(
        v([
          { k: 'str', key: substitute(this, lStr.key, /%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifx]/g, values, scope) },
        ]),
        deps,
      );
    }
    if (e.op === '+' && (l.shapes.some((s) => s.k === 'list') || r.shapes.some((s) => s.k === 'list'))) {
      return v([{ k: 'list', elem: merge(this.element(l), this.element(r)) }], deps);
    }
    return v([], deps);
  }

  private subscript(e: Extract<Expr, { t: 'sub' }>, scope: Scope, walk?: Walk): V {
    const obj = this.eval(e.obj, scope, walk);
    const idx = this.eval(e.idx, scope, walk);
    const out: V[] = [dataOf(obj)];
    for (const s of obj.shapes) {
      if (s.k === 'caches') out.push(cacheOfAlias(idx));
      else if (s.k === 'dict' && e.idx.t === 'str') {
        const item = s.items.get(e.idx.v);
        if (item) out.push(item);
      } else if (s.k === 'list') out.push(s.elem);
      else if (s.k === 'tuple' && e.idx.t === 'num') out.push(s.items[e.idx.v] ?? EMPTY);
      else if (s.k === 'qs') out.push(v([e.idx.t === 'unknown' || e.idx.t === 'num' ? rowOf(s) : s]));
      else if (s.k === 'ext' && s.q === 'os.environ') out.push(EMPTY);
      else if (e.idx.t === 'str' && e.idx.v === 'request' && isContext(s)) out.push(v([REQUEST]));
    }
    return merge(...out);
  }

  /** Elements of an iterable value: rows of a queryset, items of a list. */
  element(val: V): V {
    const out: V[] = [dataOf(val)];
    for (const s of val.shapes) {
      if (s.k === 'qs') out.push(v([rowOf(s)]));
      else if (s.k === 'list') out.push(s.elem);
      else if (s.k === 'dict') out.push(...s.items.values());
      // A list read back from the cache holds the keys stored in that group.
      else if (s.k === 'cached' && s.key) out.push(v([{ k: 'member', group: s.key, alias: s.alias }]));
    }
    return merge(...out);
  }

  // ---------------------------------------------------------------- attributes

  attr(obj: V, name: string, e: Expr, scope: Scope): V {
    // The primary key of a row never changes when the row is saved: caching it is not caching the row.
    if (
      (name === 'pk' || name === 'id') &&
      obj.shapes.some((sh) => sh.k === 'inst') &&
      obj.shapes.every((sh) => sh.k === 'inst' || sh.k === 'const')
    )
      return v([{ k: 'const' }]);
    if (USER_CONSTANT_ATTRIBUTES.has(name) && obj.shapes.some((sh) => sh.k === 'inst')) return v([{ k: 'const' }]);
    const out: V[] = [];
    for (const s of obj.shapes) out.push(this.shapeAttr(s, name, e, scope, obj.deps));
    const column = rowColumn(this.models, obj, name) ?? relationColumn(this.models, obj, name);
    if (column) return merge(...out, column);
    // The data of an attribute is derived from its object's data.
    return merge(...out, dataOf(obj));
  }

  private shapeAttr(s: Shape, name: string, e: Expr, scope: Scope, objDeps: Dep[]): V {
    switch (s.k) {
      case 'mod': {
        const sym = this.ws.moduleAttr(s.module, s.file, name);
        return sym ? this.symValue(sym) : EMPTY;
      }
      case 'ext': {
        if (MODEL_SIGNALS[s.q]) return v([{ k: 'bound', recv: s, name }]);
        const q = `${s.q}.${name}`;
        return cacheHandle(q) ?? this.symValue({ k: 'ext', q });
      }
      case 'model': {
        const m = this.models.byId.get(s.model);
        if (!m) return EMPTY;
        if (name === 'objects' || name === '_default_manager' || name === '_base_manager' || m.managers.has(name)) {
          return v(
            [{ k: 'qs', model: m.id, via: [`${m.name}.${name}`], lookups: [] }],
            [this.dep(m.id, [`${m.name}.${name}`], scope, e)],
          );
        }
        const rel = this.models.relation(m.id, name);
        if (rel) return v([{ k: 'field', model: m.id, name }]);
        const method = this.classMember(m, name);
        if (method) return method;
        return EMPTY;
      }
      case 'field': {
        if (name === 'through') {
          const rel = this.models.relation(s.model, s.name);
          if (rel?.through) return v([{ k: 'model', model: rel.through }]);
        }
        return EMPTY;
      }
      case 'inst': {
        const rel = this.models.relation(s.model, name);
        if (rel) {
          const via = [...s.via, `.${name}`];
          // The row a key of a row the value reads points to: inserts of its model leave it as it is.
          const pointed = objDeps.some((d) => d.model === s.model) && this.models.pointsTo(s.model, name);
          const dep = { ...this.dep(rel.target, via, scope, e), ...(pointed && { pointedTo: true as const }) };
          const deps = rel.through ? [dep, this.dep(rel.through, via, scope, e)] : [dep];
          if (!rel.many) return v([{ k: 'inst', model: rel.target, via }], deps);
          return v(
            [{ k: 'qs', model: rel.target, via, through: rel.through, related: rel.through ? undefined : rel.field }],
            deps,
          );
        }
        const generic = this.models.genericTargets(s.model, name);
        if (generic) {
          const via = [...s.via, `.${name}`];
          return v(
            generic.map((model) => ({ k: 'inst', model, via })),
            generic.map((model) => this.dep(model, via, scope, e)),
          );
        }
        const m = this.models.byId.get(s.model);
        const member = m ? this.classMember(m, name, s) : undefined;
        // An overridden save()/delete() is the write itself (its `super()` call is not recorded
        // again) plus whatever the override does.
        if (member && INSTANCE_WRITES[name]) return merge(member, v([{ k: 'bound', recv: s, name }]));
        if (member) return this.getterValue(member, scope);
        return v([{ k: 'bound', recv: s, name }]);
      }
      case 'class': {
        const member = this.classAttr(s.cls, name, null);
        return member ?? EMPTY;
      }
      case 'made':
        return madeMember(this, s.made, name, null) ?? EMPTY;
      case 'madeobj':
        return madeMember(this, s.made, name, s) ?? v([{ k: 'bound', recv: s, name }]);
      case 'obj': {
        // A held object's method is called through methodCall, which runs the project's overrides too.
        if (projectOverrides(this, s, name).length) return v([{ k: 'bound', recv: s, name }]);
        const member = this.classAttr(s.cls, name, s);
        if (member) return this.getterValue(member, scope);
        const selfAttr = this.selfAttribute(s.cls, name);
        if (selfAttr) return selfAttr;
        if (name === 'data' && isSerializer(this, s.cls)) return serializerValue(this, s.cls);
        if (name === 'request' && this.models.inherits(s.cls.file, s.cls.idx, VIEW_BASES)) return v([REQUEST]);
        return v([{ k: 'bound', recv: s, name }]);
      }
      case 'fn':
        if (name === '__name__' || name === '__qualname__')
          return v([{ k: 'str', key: lit(s.fn.file.functions[s.fn.idx].name) }]);
        if (name === '__module__') return v([{ k: 'str', key: lit(this.ws.moduleName(s.fn.file)) }]);
        return v([{ k: 'bound', recv: s, name }]);
      case 'param':
        return (isRequest(s) && requestAttribute(this, name, e, scope)) || v([{ k: 'bound', recv: s, name }]);
      default:
        return v([{ k: 'bound', recv: s, name }]);
    }
  }

  /** An instance's `@property` or `cached_property` member is what its getter returns; other members stay as they are. */
  private getterValue(member: V, scope: Scope): V {
    if (!member.shapes.some(isGetter)) return member;
    return merge(
      dataOf(member),
      ...member.shapes.map((m) =>
        m.k === 'fn' && isGetter(m) ? this.callFunction(m, null, scope, undefined, () => []) : v([m]),
      ),
    );
  }

  /** A method or class attribute of a model class (through its lineage), bound to `self` when given. */
  private classMember(m: ModelInfo, name: string, self?: Shape): V | undefined {
    for (const info of this.models.lineage(m.id)) {
      if (!info.file || info.cls === undefined || info.synthetic) continue;
      const r = this.classAttr({ file: info.file, idx: info.cls }, name, self ?? null);
      if (r) return r;
    }
    return undefined;
  }

  /** Methods and class-level assignments of a workspace class and its workspace bases. */
  classAttr(cls: ClsRef, name: string, self: Shape | null, depth = 0): V | undefined {
    if (depth > 15) return undefined;
    const fact = cls.file.classes[cls.idx];
    const m = Object.hasOwn(fact.methods, name) ? fact.methods[name] : undefined;
    if (m !== undefined) return v([{ k: 'fn', fn: { file: cls.file, idx: m }, self: self ?? undefined }]);
    for (const s of fact.body) {
      if (s.t === 'assign' && s.targets.some((t) => t.t === 'name' && t.id === name)) {
        return this.memoised(`${fnId(cls.file, cls.idx)}.${name}`, () => this.eval(s.value, this.classScope(cls)));
      }
    }
    const nested = Object.hasOwn(fact.nested, name) ? fact.nested[name] : undefined;
    if (nested !== undefined) return this.classShapeValue({ file: cls.file, idx: nested });
    for (const b of classBases(fact)) {
      const base = this.eval(b, this.moduleScope(cls.file));
      for (const sh of base.shapes) {
        if (sh.k === 'class') {
          const r = this.classAttr(sh.cls, name, self, depth + 1);
          if (r) return r;
        }
      }
    }
    return undefined;
  }

  /** Class bodies see module globals; class-level names are read through classAttr instead. */
  private classScope(cls: ClsRef): Scope {
    return {
      file: cls.file,
      fn: null,
      fnIdx: -1,
      parent: this.moduleScope(cls.file),
      fixed: new Map(),
      locals: new Map(),
      memo: new Map(),
      busy: new Set(),
      cls,
    };
  }

  /** `self.x = caches["x"]` in any method makes `self.x` that value. */
  private selfAttribute(cls: ClsRef, name: string): V | undefined {
    const found = this.memoised(`${fnId(cls.file, cls.idx)}.self.${name}`, () =>
      merge(...this.selfAssignments(cls, name), ...this.baseSelfAssignments(cls, cls, name)),
    );
    return found.shapes.length || found.deps.length ? found : undefined;
  }

  private selfAssignments(cls: ClsRef, name: string): V[] {
    const fact = cls.file.classes[cls.idx];
    const found: V[] = [];
    for (const idx of Object.values(fact.methods)) {
      const fn = cls.file.functions[idx];
      const selfName = fn.params[0]?.name;
      if (!selfName) continue;
      visitAssigns(fn.body, (target, value) => {
        if (target.t === 'attr' && target.name === name && target.obj.t === 'name' && target.obj.id === selfName) {
          // A form's constructor parameters hold what the code that builds the form passes.
          const passed = fn.name === '__init__' ? new Map(formConstructorParams(this, cls, idx)) : undefined;
          found.push(this.eval(value, this.scopeFor(cls.file, idx, null, passed)));
        }
      });
    }
    return found;
  }

  /**
   * The rows and querysets the workspace bases of `cls` assign to `self.<name>`, their methods'
   * parameters typed by what `cls`'s overrides pass on to them (superCalls.ts). Other values a base
   * assigns stay out: without the subclass's arguments they would be the base's own parameters.
   */
  private baseSelfAssignments(cls: ClsRef, of: ClsRef, name: string, depth = 0): V[] {
    if (depth > 5) return [];
    const found: V[] = [];
    for (const b of classBases(of.file.classes[of.idx])) {
      for (const sh of this.eval(b, this.moduleScope(of.file)).shapes) {
        if (sh.k !== 'class' || this.ws.stubs.has(sh.cls.file)) continue;
        const base = sh.cls;
        for (const idx of Object.values(base.file.classes[base.idx].methods)) {
          const fn = base.file.functions[idx];
          const selfName = fn.params[0]?.name;
          if (!selfName) continue;
          visitAssigns(fn.body, (target, value) => {
            if (target.t !== 'attr' || target.name !== name || target.obj.t !== 'name' || target.obj.id !== selfName)
              return;
            const passed = superCallParams(this, cls, base, idx);
            const val = this.eval(value, this.scopeFor(base.file, idx, null, passed));
            const rows = val.shapes.filter((x) => x.k === 'inst' || x.k === 'qs');
            if (rows.length) found.push(v(rows, val.deps));
          });
        }
        found.push(...this.baseSelfAssignments(cls, base, name, depth + 1));
      }
    }
    return found;
  }

  /** Values that depend only on the class, computed once; a cycle through them sees the empty value. */
  private memoised(key: string, compute: () => V): V {
    const memo = this.classValueMemo.get(key);
    if (memo) return memo;
    this.classValueMemo.set(key, EMPTY);
    const val = compute();
    this.classValueMemo.set(key, val);
    return val;
  }

  dep(model: string, via: string[], scope: Scope, e: Expr): Dep {
    return { model, via, path: scope.file.path, loc: e.loc };
  }

  // ---------------------------------------------------------------- calls

  call(e: Call, scope: Scope, walk?: Walk): V {
    if (this.depth > MAX_CALL_DEPTH) return EMPTY;
    this.depth++;
    try {
      const fnV = this.eval(e.fn, scope, walk);
      let argVals: V[] | undefined;
      // Arguments are evaluated once; on_commit evaluates its callable under a deferred walk.
      const getArgs = (w: Walk | undefined = walk) => (argVals ??= e.args.map((a) => this.eval(a, scope, w)));
      // A method's result is derived from its receiver's data (queryset chains keep their reads);
      // a model method's, from the columns of its row it reads (`self.name`).
      const receiver = this.receiverColumns(fnV);
      const out: V[] = [receiver ? withColumns(dataOf(fnV), receiver.model, receiver.columns) : dataOf(fnV)];
      let handled = false;
      for (const s of fnV.shapes) {
        const r = this.callShape(s, e, scope, walk, getArgs);
        if (r) {
          out.push(r);
          handled = true;
        }
      }
      if (!handled) {
        // Unknown callee: the result's data comes from its inputs.
        out.push(this.argumentData(e, scope, walk, getArgs));
      } else if (walk) {
        // Arguments are evaluated for their events even when the callee did not need them.
        getArgs();
        for (const k of e.kw) this.eval(k.value, scope, walk);
      }
      const held = heldColumns(fnV, e);
      return held ? withColumns(merge(...out), held.model, held.columns) : merge(...out);
    } finally {
      this.depth--;
    }
  }

  private callShape(s: Shape, e: Call, scope: Scope, walk: Walk | undefined, args: Args): V | undefined {
    switch (s.k) {
      case 'bound':
        return this.methodCall(s.recv, s.name, e, scope, walk, args);
      case 'fn': {
        const explicit = this.explicitReceiver(s, e, scope);
        return explicit
          ? this.callFunction(explicit.fn, explicit.call, scope, walk, () => args().slice(1))
          : this.callFunction(s, e, scope, walk, args);
      }
      case 'model':
        return v([
          {
            k: 'inst',
            model: s.model,
            via: [`${s.model} instance`],
            ...(!e.args.length && !e.kw.length && { fresh: true as const }),
          },
        ]);
      case 'class':
        return this.instantiate(s.cls, e, scope, walk, args);
      case 'made':
        return v([{ k: 'madeobj', made: s.made }], this.argumentData(e, scope, walk, args).deps);
      case 'ext':
        return externalCall(this, { q: s.q, e, scope, walk, args });
      case 'lambda': {
        const inner = this.lambdaScope(s.expr, s.scope, args());
        return this.eval(s.expr.body, inner);
      }
      case 'cachepage':
        return undefined;
      case 'param':
        return v([
          { k: 'paramcall', name: s.name, ...(forwardsVariadics(e, scope.fn) && { forwards: true as const }) },
        ]);
      default:
        return undefined;
    }
  }

  /**
   * `Base.method(self, ...)`: a method called on its class with the object as the first argument is
   * that object's method, as `self.method(...)` would be (the object keeps its own class, whose
   * attributes the base's body reads).
   */
  private explicitReceiver(s: FnShape, e: Call, scope: Scope): { fn: FnShape; call: Call } | undefined {
    const fact = s.fn.file.functions[s.fn.idx];
    const first = e.args[0];
    if (s.self || !first || first.t === 'star' || receiverParams(fact) !== 1) return undefined;
    if (fact.decorators.some((d) => exprText(d) === 'classmethod')) return undefined;
    const recv = this.eval(first, scope).shapes;
    if (recv.length !== 1 || (recv[0].k !== 'obj' && recv[0].k !== 'inst')) return undefined;
    return { fn: { ...s, self: recv[0] }, call: { ...e, args: e.args.slice(1) } };
  }

  /** The data of a call's positional and keyword arguments together. */
  argumentData(e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]): V {
    return merge(...args().map(dataOf), ...e.kw.map((k) => dataOf(this.eval(k.value, scope, walk))));
  }

  private instantiate(cls: ClsRef, e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]): V {
    const data = isSerializer(this, cls)
      ? serializedData(this, cls, e, scope, walk, args)
      : this.argumentData(e, scope, walk, args);
    if (this.models.inherits(cls.file, cls.idx, SIGNAL_CLASS_RE)) return EMPTY;
    return v([madeObject(this, cls, scope)], data.deps);
  }

  callFunction(s: FnShape, e: Call | null, scope: Scope, walk: Walk | undefined, args: () => V[]): V {
    const id = fnId(s.fn.file, s.fn.idx);
    if (walk && !(e && isOtherRowOfOverride(this, s, e, scope)))
      walk.events.calls.push({ to: id, pos: walk.pos, deferred: walk.deferred });
    if (walk && e) {
      instantiateWrapperOps(this, s, e, scope, walk);
      recordStubWrites(this, s, e, scope, walk);
      callOverridesOfArguments(this, s, e, scope, walk, args);
    }
    const fact = s.fn.file.functions[s.fn.idx];
    const untyped = this.returns(s.fn, s.closure ?? null, s.self);
    let generic = untyped;
    // A key the function builds from its parameters: inside a wrapper followed at its call, the
    // one this call's arguments make; elsewhere the function's own text, still built from
    // parameters when the caller passes its own (so the caller's op is a wrapper's too).
    if (e && builtFromParams(generic)) {
      const followed = scope.bound ? this.boundReturns(s, e, scope) : undefined;
      generic = followed ?? (args().some(builtFromParams) ? generic : withoutParamKeys(generic));
    }
    // Rows and querysets the call passes type the parameters they fill (unless followed above).
    const typed = e && !s.closure && generic === untyped ? this.typedReturns(s, e, scope, args) : undefined;
    const ret = withBuilder(typed ?? generic, id, () => (e ? keyCall(this, s.fn, e, scope) : undefined));
    // A factory whose return is the parameter data (`def get(key): return cache.get(key)`) stays unknown.
    if (fact.params.length && untyped.shapes.some((x) => x.k === 'param' || x.k === 'paramcall'))
      return merge(ret, ...args().map(dataOf));
    return ret;
  }

  /**
   * What a function returns when the call passes rows or querysets (`post_titles(author)` reads
   * `author.posts`): its returns with those parameters typed, solved once per function and typing.
   * Only the types go in, not the arguments' reads, which stay the caller's; undefined when no
   * argument is a row or a queryset, or the call spreads a sequence or a dict.
   */
  private typedReturns(s: FnShape, e: Call, scope: Scope, args: () => V[]): V | undefined {
    if (spreadsArguments(e)) return undefined;
    const fact = s.fn.file.functions[s.fn.idx];
    const own = s.self ? receiverParams(fact) : 0;
    const params = fact.params.filter((p) => p.kind === 'plain');
    const fixed = new Map<string, V>();
    const typing: string[] = [];
    params.slice(own).forEach((p, i) => {
      const kw = e.kw.find((k) => k.name === p.name);
      const arg = kw ? this.eval(kw.value, scope) : e.args[i] ? args()[i] : undefined;
      const rows = arg?.shapes.filter((sh) => sh.k === 'inst' || sh.k === 'qs') ?? [];
      if (!rows.length) return;
      fixed.set(p.name, v(rows));
      typing.push(`${p.name}=${rows.map(rowTyping).join('|')}`);
    });
    if (!fixed.size) return undefined;
    if (own && s.self) fixed.set(params[0].name, v([s.self]));
    const key = `${fnId(s.fn.file, s.fn.idx)}(${typing.join(',')})${s.self ? rowTyping(s.self) : ''}`;
    return this.once(this.typedSummaries, this.summaryBusy, key, () => this.returnsWith(s.fn.file, s.fn.idx, fixed));
  }

  /** Functions followed with one call's arguments, innermost last: a cycle through them is cut. */
  private readonly following: string[] = [];

  /**
   * The scope of a function's body with its parameters bound to one call's arguments, evaluated
   * where the call is: text and the caller's parameters become the caller's key text (so a hole
   * keeps the caller's name and source), other values stay as they are; a parameter the call does
   * not pass holds its default. Undefined on a cycle or past MAX_FOLLOWED nested calls.
   */
  private boundScope(s: FnShape, e: Call, scope: Scope): Scope | undefined {
    const id = fnId(s.fn.file, s.fn.idx);
    if (this.following.includes(id) || this.following.length >= MAX_FOLLOWED) return undefined;
    const fact = s.fn.file.functions[s.fn.idx];
    const spread = spreadsArguments(e);
    const fixed = new Map<string, V>();
    fact.params.forEach((p, i) => {
      if (i === 0 && s.self) {
        fixed.set(p.name, v([s.self]));
        return;
      }
      const arg = spread ? undefined : argumentFor(fact, e, p.name);
      if (arg) fixed.set(p.name, this.argumentText(this.eval(arg, scope), arg, scope));
      else fixed.set(p.name, p.default && !spread ? this.eval(p.default, this.moduleScope(s.fn.file)) : EMPTY);
    });
    const inner = this.scopeFor(s.fn.file, s.fn.idx, s.closure ?? this.moduleScope(s.fn.file), fixed);
    inner.bound = true;
    return inner;
  }

  private argumentText(val: V, arg: Expr, scope: Scope): V {
    const scalar = val.shapes.every(
      (x) => x.k === 'const' || x.k === 'cached' || x.k === 'hash' || x.k === 'rowcount' || x.k === 'param',
    );
    if (!scalar || val.shapes.some((x) => x.k === 'str')) return val;
    return withDeps(v([{ k: 'str', key: keyOf(this, val, arg, scope) }]), val.deps);
  }

  /** What a function returns for one call's arguments (not memoised: each call binds its own). */
  private boundReturns(s: FnShape, e: Call, scope: Scope): V | undefined {
    const inner = this.boundScope(s, e, scope);
    if (!inner) return undefined;
    this.following.push(fnId(s.fn.file, s.fn.idx));
    try {
      return this.evalReturns(inner);
    } finally {
      this.following.pop();
    }
  }

  boundEvents(s: FnShape, e: Call, scope: Scope): FnEvents | undefined {
    const inner = this.boundScope(s, e, scope);
    if (!inner?.fn) return undefined;
    const id = fnId(s.fn.file, s.fn.idx);
    this.following.push(id);
    const walk: Walk = {
      events: emptyEvents(),
      id,
      pos: { block: 0, index: 0, line: 0 },
      atomic: false,
      deferred: false,
    };
    try {
      this.walkBlock(inner.fn.body, inner, walk);
      return walk.events;
    } catch (error) {
      this.failedWalks.push({ path: s.fn.file.path, error: errorText(error) });
      return undefined;
    } finally {
      this.following.pop();
    }
  }

  /** The summary of what a function returns, solved once; a call cycle sees the empty value. */
  returns(fn: FnRef, closure: Scope | null, self?: Shape): V {
    const ret = this.summary(fn, closure, self);
    return ret.deps.some(isReceiverMark)
      ? v(
          ret.shapes,
          ret.deps.filter((d) => !isReceiverMark(d)),
        )
      : ret;
  }

  /**
   * The columns of their row that the model methods `fnV` calls return (`return self.name`), when
   * every one is a method of one model's instances and each is known to read its row by columns.
   */
  private receiverColumns(fnV: V): { model: string; columns: string[] } | undefined {
    let model: string | undefined;
    let columns: string[] = [];
    for (const s of fnV.shapes) {
      if (s.k !== 'fn' || s.self?.k !== 'inst' || (model !== undefined && s.self.model !== model)) return undefined;
      model = s.self.model;
      const read = this.summary(s.fn, s.closure ?? null, s.self).deps.find(isReceiverMark);
      if (!read?.columns) return undefined;
      columns = union(columns, read.columns);
    }
    return model === undefined ? undefined : { model, columns };
  }

  /** `returns` with what the function reads of its receiver row, as a dep marked by receiverMark. */
  private summary(fn: FnRef, closure: Scope | null, self?: Shape): V {
    // A queryset's columns are part of it: a method's rows depend on those of its receiver.
    const selfKey =
      self?.k === 'inst'
        ? `:inst:${self.model}`
        : self?.k === 'qs'
          ? `:qs:${self.model}:${self.lookups ?? '?'}:${self.picked ?? '?'}`
          : self?.k === 'obj'
            ? `:obj:${fnId(self.cls.file, self.cls.idx)}${self.held ? ':held' : ''}`
            : '';
    const id = `${fnId(fn.file, fn.idx)}${selfKey}`;
    return this.once(this.summaries, this.summaryBusy, id, () => {
      const fact = fn.file.functions[fn.idx];
      const fixed = new Map<string, V>();
      if (self && fact.params[0])
        fixed.set(fact.params[0].name, self.k === 'inst' ? v([self], [receiverMark(self.model)]) : v([self]));
      return this.evalReturns(this.scopeFor(fn.file, fn.idx, closure ?? this.moduleScope(fn.file), fixed));
    });
  }

  private methodCall(
    recv: Shape,
    name: string,
    e: Call,
    scope: Scope,
    walk: Walk | undefined,
    args: Args,
  ): V | undefined {
    switch (recv.k) {
      case 'qs':
        return querysetCall(this, recv, name, e, scope, walk, args);
      case 'inst':
        return instanceCall(this, recv, name, e, scope, walk);
      case 'cache':
        return cacheCall(this, recv.alias, name, e, scope, walk);
      case 'tagged':
        return taggedCacheCall(this, recv.tags, name, e, scope, walk);
      case 'obj': {
        const member = this.classAttr(recv.cls, name, recv);
        const overrides = projectOverrides(this, recv, name);
        const overridden = overrides.length ? overridesCall(this, overrides, e, scope, walk, args) : EMPTY;
        if (member)
          return merge(
            ...member.shapes.map((m) => (m.k === 'fn' ? this.callFunction(m, e, scope, walk, args) : EMPTY)),
            overridden,
          );
        if (overrides.length) return overridden;
        const saved = name === 'save' ? formSave(this, recv.cls, e, scope, walk) : undefined;
        if (saved) return saved;
        return genericViewCall(this, recv, name, e, scope, walk);
      }
      case 'madeobj':
        return madeMethodCall(this, recv, name, e, scope, walk, args);
      case 'signal':
        return projectSignalCall(this, recv.id, name, e, scope, walk);
      case 'ext':
        return (
          modelSignalConnect(this, recv.q, name, e, scope, walk) ??
          externalCall(this, { q: `${recv.q}.${name}`, e, scope, walk, args })
        );
      case 'str':
        return withDeps(stringMethod(this, recv.key, name, e, scope), merge(...args().map(dataOf)).deps);
      case 'hash':
        return v([{ k: 'hash' }]);
      case 'cursor':
        if (name === 'execute' || name === 'executemany') return rawSql(this, e.args[0], scope, walk, e);
        return undefined;
      case 'fn':
        return memoizedFunctionCall(this, recv.fn, name, e, scope, walk);
      case 'list':
        if (
          name === 'copy' ||
          name === 'values' ||
          name === 'items' ||
          name === 'keys' ||
          name === 'get' ||
          name === 'pop'
        )
          return v([{ k: 'list', elem: recv.elem }], recv.elem.deps);
        return undefined;
      case 'dict':
        if (name === 'get' || name === 'pop' || name === 'setdefault') {
          const k = e.args[0];
          const item = k?.t === 'str' ? recv.items.get(k.v) : undefined;
          return item ?? merge(...recv.items.values());
        }
        if (name === 'items')
          return v([
            { k: 'list', elem: v([{ k: 'tuple', items: [v([{ k: 'const' }]), merge(...recv.items.values())] }]) },
          ]);
        if (name === 'values')
          return v([{ k: 'list', elem: merge(...recv.items.values()) }], merge(...recv.items.values()).deps);
        return undefined;
      case 'param': {
        const write = INSTANCE_WRITES[name];
        if (walk && write && isOverridden(write.kind)) recordParamWrite(walk, recv.name, write.kind);
        return v([{ k: 'paramcall', name: recv.name }]);
      }
      default:
        return undefined;
    }
  }

  /** Returns of a function evaluated with some parameters fixed (not memoised: the binding differs). */
  returnsWith(file: PythonFacts, idx: number, fixed: Map<string, V>): V {
    return this.evalReturns(this.scopeFor(file, idx, this.moduleScope(file), new Map(fixed)));
  }

  /** The union of a function's return expressions, evaluated in its scope. */
  private evalReturns(scope: Scope): V {
    const out: V[] = [];
    // A generator's value is what it hands out: the items of `yield from xs`, each `yield x`.
    if (scope.fn)
      visitReturns(scope.fn.body, (r, yields) => {
        const val = this.eval(r, scope);
        out.push(yields === true ? v([{ k: 'list', elem: val }], val.deps) : val);
      });
    return merge(...out);
  }

  // ---------------------------------------------------------------- for feature modules and the entry finder

  memoTable<T>(name: string): Map<string, T> {
    let table = this.memoTables.get(name);
    if (!table) {
      table = new Map();
      this.memoTables.set(name, table);
    }
    return table as Map<string, T>;
  }

  memoized<T>(name: string, id: string, whileComputing: T, compute: () => T): T {
    const table = this.memoTable<T>(name);
    if (table.has(id)) return table.get(id) as T;
    table.set(id, whileComputing);
    const value = compute();
    table.set(id, value);
    return value;
  }

  keyOf(val: V, e: Expr, scope?: Scope): KeyPattern {
    return keyOf(this, val, e, scope);
  }

  timeoutOf(e: Expr, scope: Scope): number | null | 'default' | 'unknown' {
    return timeoutOf(this, e, scope);
  }

  metaModel(cls: ClsRef): ModelInfo | undefined {
    return metaModel(this, cls);
  }

  serializerValue(cls: ClsRef): V {
    return serializerValue(this, cls);
  }

  // ---------------------------------------------------------------- walking function bodies

  /** Events of one function (or module body with idx -1), computed once. */
  collect(file: PythonFacts, idx: number): FnEvents {
    const id = fnId(file, idx);
    const memo = this.collected.get(id);
    if (memo) return memo;
    if (this.collecting.has(id)) return emptyEvents();
    this.collecting.add(id);
    if (this.collecting.size === 1) this.budget = EVAL_BUDGET;
    const events = emptyEvents();
    const fn = idx >= 0 ? file.functions[idx] : null;
    const scope = idx >= 0 ? this.functionScope(file, idx) : this.moduleScope(file);
    const atomic =
      !!fn &&
      (fn.decorators.some((d) => /(^|\.)atomic(\(|$)/.test(exprText(d))) ||
        (this.ws.settings.atomicRequests && isView(this, file, fn)));
    const walk: Walk = { events, id, pos: { block: 0, index: 0, line: 0 }, atomic, deferred: false };
    try {
      this.walkBlock(fn ? fn.body : file.body, scope, walk);
    } catch (error) {
      // A shape the interpreter does not know must not sink the workspace; keep what was found, and say so.
      this.failedWalks.push({ path: file.path, error: errorText(error) });
    }
    this.collecting.delete(id);
    this.collected.set(id, events);
    return events;
  }

  /** The events of every function walked so far, by function id. */
  walked(): IterableIterator<[string, FnEvents]> {
    return this.collected.entries();
  }

  /** The events of a file's walked functions: the module body first, then in function order. */
  walkedEvents(file: PythonFacts): Map<string, FnEvents> {
    const out = new Map<string, FnEvents>();
    for (let idx = -1; idx < file.functions.length; idx++) {
      const id = fnId(file, idx);
      const events = this.collected.get(id);
      if (events) out.set(id, events);
    }
    return out;
  }

  /** `ranThrough`: every path past the statement holding the block ran it to its end (Pos.ranThrough). */
  private walkBlock(body: Stmt[], scope: Scope, walk: Walk, ranThrough = false): void {
    const block = ++this.blockCounter;
    // The statement holding this block (block 0 is the start of a walk: a function's own body).
    const holder = walk.pos;
    const outer = holder.block ? holder : undefined;
    body.forEach((s, index) => {
      walk.pos = outer
        ? { block, index, line: s.line, outer, ...(ranThrough && { ranThrough: true as const }) }
        : { block, index, line: s.line };
      this.walkStmt(s, scope, walk);
    });
    walk.pos = holder;
  }

  private evalStmt(e: Expr, scope: Scope, walk: Walk): V {
    const val = this.eval(e, scope, walk);
    for (const d of val.deps) if (!walk.events.reads.some((r) => r.model === d.model)) walk.events.reads.push(d);
    return val;
  }

  private walkStmt(s: Stmt, scope: Scope, walk: Walk): void {
    switch (s.t) {
      case 'assign':
        this.evalStmt(s.value, scope, walk);
        return;
      case 'expr':
        // `del x[k]` removes an item: no read of its value.
        if (!s.deletes) this.evalStmt(s.value, scope, walk);
        return;
      case 'return':
        if (s.value) this.evalStmt(s.value, scope, walk);
        return;
      case 'for':
        this.evalStmt(s.iter, scope, walk);
        this.walkBlock(s.body, scope, walk);
        this.walkBlock(s.orelse, scope, walk);
        return;
      case 'while':
        this.evalStmt(s.test, scope, walk);
        this.walkBlock(s.body, scope, walk);
        return;
      case 'if':
        this.evalStmt(s.test, scope, walk);
        this.walkBlock(s.body, scope, walk);
        this.walkBlock(s.orelse, scope, walk);
        return;
      case 'with': {
        let atomic = walk.atomic;
        for (const item of s.items) {
          if (/(^|\.)atomic(\(|$)/.test(exprText(item.ctx))) atomic = true;
          this.evalStmt(item.ctx, scope, walk);
        }
        const saved = walk.atomic;
        walk.atomic = atomic;
        this.walkBlock(s.body, scope, walk);
        walk.atomic = saved;
        return;
      }
      case 'try':
        this.walkBlock(s.body, scope, walk, !!s.handlersLeave);
        s.handlers.forEach((h) => this.walkBlock(h, scope, walk));
        this.walkBlock(s.orelse, scope, walk, !!s.handlersLeave);
        this.walkBlock(s.final, scope, walk, true);
        return;
      case 'def': {
        const fn = scope.file.functions[s.fn];
        for (const d of fn.decorators) receiverDecorator(this, d, { file: scope.file, idx: s.fn }, scope, walk);
        return;
      }
      case 'class':
        return;
    }
  }
}

/**
 * What `xs.extend(value)` or `counts.update(value)` adds to a container: a queryset's rows (the
 * container does not become the queryset); other values as they are (a dict's items).
 */
function containerItems(interp: Interpreter, val: V): V {
  const querysets = val.shapes.filter((s) => s.k === 'qs');
  if (!querysets.length) return val;
  const rows = interp.element(v(querysets));
  return v([...val.shapes.filter((s) => s.k !== 'qs'), { k: 'list', elem: rows }], val.deps);
}

/** Whether a value holds keys built from the parameters of the function it was worked out in, or a parameter itself. */
function builtFromParams(val: V): boolean {
  return val.shapes.some((s) => s.k === 'param' || ((s.k === 'str' || s.k === 'cached') && fromParams(s.key)));
}

/** The value with keys that no longer say they come from parameters: the caller's are not the callee's. */
function withoutParamKeys(val: V): V {
  return {
    ...val,
    shapes: val.shapes.map((s) =>
      (s.k === 'str' || s.k === 'cached') && s.key && fromParams(s.key) ? { ...s, key: withoutParams(s.key) } : s,
    ),
  };
}

/**
 * A module-level text worked out when the module is imported (`BASE_URL = static(...)`) keeps what
 * the tables held then: later writes do not change it, so its reads are not the reads of values
 * built from it. Querysets, rows and other lazy values keep their data: they are read when used.
 */
function importSnapshot(val: V): V {
  const text = val.shapes.every((s) => s.k === 'str' || s.k === 'const' || s.k === 'hash');
  return text && val.deps.length ? v(val.shapes) : val;
}

/** `fn(*args, **kwargs)`, `fn(*args)`, `fn(**kwargs)`: a call passing on `fn`'s caller's own variadic parameters, and nothing else. */
function forwardsVariadics(e: Call, fn: FunctionFact | null): boolean {
  if (!fn || (!e.args.length && !e.kw.length)) return false;
  const variadic = (x: Expr, kind: Param['kind']) =>
    x.t === 'name' && fn.params.some((p) => p.kind === kind && p.name === x.id);
  return (
    e.args.every((a) => a.t === 'star' && variadic(a.e, 'args')) &&
    e.kw.every((k) => k.name === null && variadic(k.value, 'kwargs'))
  );
}

/** A row or queryset shape as a typed summary tells it apart: its model, how it was reached, which columns. */
function rowTyping(sh: Shape): string {
  if (sh.k === 'inst') return `inst:${sh.model}:${sh.via.join('>')}`;
  if (sh.k === 'qs')
    return `qs:${sh.model}:${sh.via.join('>')}:${sh.lookups ?? '?'}:${sh.picked ?? '?'}:${sh.through ?? ''}`;
  return sh.k;
}
