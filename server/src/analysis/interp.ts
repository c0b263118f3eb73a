/**
 * The abstract interpreter. It evaluates the IR of each function to abstract values (which models
 * a value's data reads, which cache or queryset an object is) and records, per function, the
 * events rules need: cache operations, ORM writes, calls, signal hookups and template renders.
 * Function results are memoised summaries; recursion and import cycles are cut by in-progress marks.
 */
import { errorText } from '../facts/extract';
import type { FailedFile } from './fileError';
import type { DictItem, Expr, FunctionFact, Kwarg, Loc, PythonFacts, Stmt, Target } from '../facts/types';
import { classifySql } from '../syntax/sql';
import {
  CACHE_OBJECT, CACHES_HANDLER, HASH_FUNCTIONS, INSTANCE_WRITES, LOOKUP_ARG_METHODS, M2M_WRITES, MODEL_SIGNALS,
  PASS_THROUGH, QS_CHAIN, QS_DATA, QS_INSTANCE, QS_WRITES, RECEIVER_DECORATOR, RENDER_FUNCTIONS,
  SIGNAL_CLASS, SIGNAL_SEND_METHODS, syncCacheMethod, MODEL_FORM_BASES,
} from './django';
import { nestedBlocks } from '../facts/walk';
import { emptyEvents, type FnEvents, type Pos } from './events';
import { concat, display, type KeyCall, lit, type KeyPart, type KeyPattern, UNKNOWN_HOLE } from './keys';
import type { HoleSource } from '../findings';
import { ModelRegistry, type ModelInfo } from './models';
import { chained, heldColumns, withColumns } from './querysetColumns';
import { dependsOnItems, pythonDeclaration, TAGGED, TAGGED_CACHE_PAGE } from './tags';
import { contextItems, templateReads } from './templates';
import {
  type ClsRef, type Dep, EMPTY, exprText, fnId, type FnRef, type LocalBinding, merge, type Queryset, type Scope, type Shape, v, type V, withDeps, dataOf,
} from './values';
import { builtinSym, type Sym, Workspace } from './workspace';

type Call = Extract<Expr, { t: 'call' }>;

/** One row of a queryset: an instance, or plain data after values()/values_list(). */
function rowOf(q: Queryset): Shape {
  return q.picked ? { k: 'const' } : { k: 'inst', model: q.model, via: q.via };
}

const MAX_CALL_DEPTH = 40;
/**
 * Values worked out inside one another (a name's binding, a global, a function's returns): past
 * this many, a chain as long as the source makes it (`a2 = a1`, `a1 = a0`, ...) is cut off
 * instead of overflowing the stack.
 */
const MAX_NESTED_VALUES = 300;
/** Expression evaluations one function's walk may spend, callees' summaries included. */
const EVAL_BUDGET = 1_000_000;

/** Per-walk state: where events go and what surrounds the statement being evaluated. */
interface Walk {
  events: FnEvents;
  id: string;
  pos: Pos;
  atomic: boolean;
  deferred: boolean;
}

export class Interpreter {
  private readonly summaries = new Map<string, V>();
  private readonly summaryBusy = new Set<string>();
  private readonly collected = new Map<string, FnEvents>();
  private readonly collecting = new Set<string>();
  private readonly classValueMemo = new Map<string, V>();
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

  constructor(readonly ws: Workspace, readonly models: ModelRegistry) {}

  // ---------------------------------------------------------------- scopes

  scopeFor(file: PythonFacts, idx: number, parent: Scope | null = null, fixed = new Map<string, V>()): Scope {
    const fn = idx >= 0 ? file.functions[idx] : null;
    const locals = new Map<string, LocalBinding[]>();
    if (fn) collectLocals(fn.body, locals, file);
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
    const row = (model: string, via: string[]) => v([{ k: 'inst', model, via }], [{ model, via, path: file.path, loc: fn.nameLoc }]);
    // Scopes are built per call: read the decorators only when there is an `instance` to type.
    const received = fn.params.some((p) => p.name === 'instance') ? this.receivedModels(fn, scope) : undefined;
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
          // An abstract model's row is its one concrete subclass's; with several, which one is unknown.
          const concrete = model.abstract ? this.models.concreteOf(model.id) : [model];
          const via = [`self in ${model.name}.${fn.name}()`];
          scope.fixed.set(p.name, concrete.length === 1 ? row(concrete[0].id, via) : v([{ k: 'inst', model: model.id, via }]));
        }
        else scope.fixed.set(p.name, v([this.selfShape(cls)]));
        return;
      }
      scope.fixed.set(p.name, v([{ k: 'param', name: p.name }]));
    });
  }

  /**
   * The models whose rows a function decorated with `@receiver(pre_/post_save or _delete,
   * sender=M)` gets as `instance`: the sender of each such decorator, when every receiver
   * decorator names one and only save and delete signals (m2m_changed's instance may be either
   * side). Receivers hooked up with `.connect()` elsewhere are not typed.
   */
  private receivedModels(fn: FunctionFact, scope: Scope): string[] | undefined {
    const models = new Set<string>();
    for (const d of fn.decorators) {
      const r = this.receiverDecoration(d, scope);
      if (!r) continue;
      const rowSignals = r.signals.length > 0 && r.signals.every((s) => s.k === 'ext' && (MODEL_SIGNALS[s.q]?.kind === 'save' || MODEL_SIGNALS[s.q]?.kind === 'delete'));
      if (!rowSignals || r.senders?.length !== 1) return undefined;
      models.add(r.senders[0]);
    }
    return models.size ? [...models] : undefined;
  }

  /** For `@receiver(signal | [signals], sender=...)`: the signals' shapes and the senders (null: any). */
  private receiverDecoration(d: Expr, scope: Scope): { signals: Shape[]; senders: string[] | null } | undefined {
    if (d.t !== 'call' || !this.eval(d.fn, scope).shapes.some((s) => s.k === 'ext' && s.q === RECEIVER_DECORATOR)) return undefined;
    const sigExpr = d.args[0] ?? kwOf(d.kw, 'signal');
    if (!sigExpr) return undefined;
    const senderExpr = kwOf(d.kw, 'sender');
    const senders = senderExpr ? this.sendersOf(senderExpr, scope) : null;
    return { signals: (sigExpr.t === 'seq' ? sigExpr.items : [sigExpr]).flatMap((sig) => this.eval(sig, scope).shapes), senders };
  }

  /** `self` in a manager or queryset class is a queryset of its model; elsewhere an object of the class. */
  private selfShape(cls: ClsRef): Shape {
    const model = this.models.managedModel(cls.file, cls.idx);
    return model ? { k: 'qs', model: model.id, via: [`${model.name}.objects`] } : { k: 'obj', cls };
  }

  // ---------------------------------------------------------------- names

  lookup(scope: Scope, name: string): V {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const fixed = s.fixed.get(name);
      // A parameter the body reassigns (`if qs is None: qs = M.objects.all()`) is either value.
      if (fixed) return s.locals.has(name) ? merge(fixed, this.localValue(s, name)) : fixed;
      if (s.locals.has(name)) return this.localValue(s, name);
    }
    const sym = this.ws.resolveGlobal(scope.file, name);
    if (sym) return this.symValue(sym);
    const builtin = builtinSym(name);
    return builtin ? this.symValue(builtin) : EMPTY;
  }

  private localValue(s: Scope, name: string): V {
    return this.once(s.memo, s.busy, name, () => {
      const parts: V[] = [];
      for (const b of s.locals.get(name) ?? []) {
        if (b.k === 'assign') parts.push(pick(this.eval(b.value, s), b.index));
        else if (b.k === 'iter') parts.push(pick(this.element(this.eval(b.iter, s)), b.index));
        else if (b.k === 'with') parts.push(this.eval(b.ctx, s));
        else if (b.k === 'def') parts.push(v([{ k: 'fn', fn: { file: s.file, idx: b.idx }, closure: s }]));
        else parts.push(this.classShapeValue({ file: s.file, idx: b.idx }));
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
      case 'fn': return v([{ k: 'fn', fn: { file: sym.file, idx: sym.idx } }]);
      case 'class': return this.classShapeValue({ file: sym.file, idx: sym.idx });
      case 'mod': return v([{ k: 'mod', module: sym.module, file: sym.file }]);
      case 'ext': {
        const builtin = this.models.modelOfSym(sym);
        if (builtin) return v([{ k: 'model', model: builtin.id }]);
        if (sym.q === CACHE_OBJECT) return v([{ k: 'cache', alias: 'default' }]);
        if (sym.q === CACHES_HANDLER) return v([{ k: 'caches' }]);
        return v([{ k: 'ext', q: sym.q }]);
      }
      case 'value': {
        const scope = this.moduleScope(sym.file);
        return this.once(scope.memo, scope.busy, `global:${sym.name}`, () => merge(...sym.exprs.map((e) => this.globalValue(e, scope, sym.name))));
      }
    }
  }

  /** A module-level `x = Signal()` is a project signal named by where it lives. */
  private globalValue(e: Expr, scope: Scope, name: string): V {
    const val = this.eval(e, scope);
    if (val.shapes.some((s) => s.k === 'ext' && SIGNAL_CLASS.has(s.q))) return v([{ k: 'signal', id: `${scope.file.module}.${name}` }]);
    return val;
  }

  private readonly moduleScopes = new Map<PythonFacts, Scope>();

  moduleScope(file: PythonFacts): Scope {
    let s = this.moduleScopes.get(file);
    if (!s) {
      s = { file, fn: null, fnIdx: -1, parent: null, fixed: new Map(), locals: new Map(), memo: new Map(), busy: new Set(), cls: null };
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
      case 'name': return this.lookup(scope, e.id);
      case 'attr': return this.attr(this.eval(e.obj, scope, walk), e.name, e, scope);
      case 'call': return this.call(e, scope, walk);
      case 'str': return v([{ k: 'str', key: lit(e.v) }]);
      case 'fstr': {
        const parts: KeyPattern[] = [];
        const deps: V[] = [];
        for (const p of e.parts) {
          if (typeof p === 'string') parts.push(lit(p));
          else {
            const pv = this.eval(p, scope, walk);
            deps.push(dataOf(pv));
            parts.push(this.keyOf(pv, p, scope));
          }
        }
        return withDeps(v([{ k: 'str', key: concat(...parts) }]), merge(...deps).deps);
      }
      case 'num': return v([{ k: 'const' }]);
      case 'const': return v([{ k: 'const' }]);
      case 'bin': return this.binary(e, scope, walk);
      case 'seq': {
        const items = e.items.map((x) => this.eval(x, scope, walk));
        return v([{ k: 'list', elem: merge(...items) }], merge(...items).deps);
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
      case 'sub': return this.subscript(e, scope, walk);
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
      case 'cond': return merge(this.eval(e.a, scope, walk), this.eval(e.b, scope, walk));
      case 'star': return this.eval(e.e, scope, walk);
      default: return EMPTY;
    }
  }

  private lambdaScope(e: Extract<Expr, { t: 'lambda' }>, scope: Scope, args: V[]): Scope {
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
      return withDeps(v([{ k: 'str', key: concat(this.keyOf(l, e.l, scope), this.keyOf(r, e.r, scope)) }]), deps);
    }
    if (e.op === '%' && lStr && lStr.k === 'str') {
      const values = e.r.t === 'seq' ? e.r.items : [e.r];
      return withDeps(v([{ k: 'str', key: this.substitute(lStr.key, /%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdrifx]/g, values, scope) }]), deps);
    }
    if (e.op === '+' && (l.shapes.some((s) => s.k === 'list') || r.shapes.some((s) => s.k === 'list'))) {
      return v([{ k: 'list', elem: merge(this.element(l), this.element(r)) }], deps);
    }
    return v([], deps);
  }

  /** Fills `%s` / `{}` placeholders of a literal pattern with the given expressions as holes. */
  private substitute(p: KeyPattern, placeholder: RegExp, values: Expr[], scope: Scope): KeyPattern {
    const out: KeyPattern[] = [];
    let i = 0;
    for (const part of p.parts) {
      if (!('lit' in part)) {
        out.push({ parts: [part] });
        continue;
      }
      let last = 0;
      for (const m of part.lit.matchAll(placeholder)) {
        out.push(lit(part.lit.slice(last, m.index)));
        const valueExpr = values[i++];
        // `%s`, `%d`, `{}` print the value as str() does; `%05d` or `{:x}` do not, so the source is lost.
        const plain = /^(%[sdi]|\{\w*\})$/.test(m[0]);
        out.push(valueExpr ? this.keyOf(this.eval(valueExpr, scope), valueExpr, plain ? scope : undefined) : { parts: [UNKNOWN_HOLE] });
        last = (m.index ?? 0) + m[0].length;
      }
      out.push(lit(part.lit.slice(last)));
    }
    return concat(...out);
  }

  /**
   * The key pattern a value contributes: its literal pattern, or a hole that says where it came
   * from. Without a scope (or where the value is formatted, as `%05d`) the hole's origin is unknown.
   */
  keyOf(val: V, e: Expr, scope?: Scope): KeyPattern {
    const str = val.shapes.find((s) => s.k === 'str');
    if (str && str.k === 'str' && val.shapes.length === 1) return str.key;
    const cached = val.shapes.find((s) => s.k === 'cached');
    const name = exprText(e);
    if (cached && cached.k === 'cached') {
      const constant = cached.key && !cached.key.fragment && !cached.key.page && cached.key.parts.every((p) => 'lit' in p) ? display(cached.key) : null;
      return { parts: [{ hole: name, source: { kind: 'version', key: constant, alias: cached.alias }, versionOf: cached.key ?? undefined }] };
    }
    if (val.shapes.some((s) => s.k === 'hash')) {
      const random = val.shapes.some((s) => s.k === 'hash' && s.random);
      return { parts: [{ hole: name, source: { kind: 'unknown' }, immutable: true, covers: random ? undefined : val.deps }] };
    }
    return { parts: [{ hole: name, source: scope ? this.holeSource(e, scope, 0) : { kind: 'unknown' } }] };
  }

  /**
   * A hole is a model field only when that is certain: an attribute of a value that is always an
   * instance of one model, or a name this function looks that model's rows up by exactly.
   */
  private holeSource(e: Expr, scope: Scope, depth: number): HoleSource {
    const at = { path: scope.file.path, loc: e.loc };
    if (e.t === 'attr') {
      const obj = this.eval(e.obj, scope);
      const models = new Set(obj.shapes.map((s) => (s.k === 'inst' ? s.model : '')));
      if (models.size === 1 && !models.has('')) return { kind: 'field', model: [...models][0], field: e.name, at };
      // `category.pk` where the function filters on `category=category`: the row's foreign key column.
      const lookup = e.obj.t === 'name' && (e.name === 'pk' || e.name === 'id') ? this.lookupValue(e.obj.id, scope) : undefined;
      if (lookup?.relation) return { kind: 'field', model: lookup.model, field: `${lookup.field}_id`, at };
      return { kind: 'unknown' };
    }
    if (e.t !== 'name') return { kind: 'unknown' };
    const lookup = this.lookupValue(e.id, scope);
    if (lookup && !lookup.relation) return { kind: 'field', model: lookup.model, field: lookup.field, at };
    // `pk = product.pk` then `f"p:{pk}"`: the name has the source of its only assignment.
    const fnScope = functionScope(scope);
    const bindings = fnScope?.locals.get(e.id);
    if (depth < 4 && bindings?.length === 1 && bindings[0].k === 'assign' && bindings[0].index === null) {
      const inner = this.holeSource(bindings[0].value, fnScope!, depth + 1);
      return inner.kind === 'field' ? { ...inner, at } : inner;
    }
    return { kind: 'unknown' };
  }

  private readonly lookupMemo = new Map<string, Map<string, LookupValue>>();

  /** The field a parameter or local name equals, when its function passes it as an exact lookup value. */
  private lookupValue(name: string, scope: Scope): LookupValue | undefined {
    const fnScope = functionScope(scope);
    if (!fnScope?.fn || !(fnScope.fixed.has(name) || fnScope.locals.has(name))) return undefined;
    // A comprehension or lambda variable of the same name is another value.
    for (let s: Scope | null = scope; s && s !== fnScope; s = s.parent) if (s.fixed.has(name)) return undefined;
    const id = fnId(fnScope.file, fnScope.fnIdx);
    let values = this.lookupMemo.get(id);
    if (!values) {
      values = new Map();
      this.lookupMemo.set(id, values);
      this.collectLookupValues(fnScope.fn.body, fnScope, values);
    }
    return values.get(name);
  }

  private collectLookupValues(body: Stmt[], scope: Scope, into: Map<string, LookupValue>): void {
    // Names a lambda binds itself are not the function's.
    const visit = (e: Expr, depth: number, shadowed: readonly string[] = []): void => {
      if (depth > 20) return;
      switch (e.t) {
        case 'call': {
          const model = this.lookupModel(e, scope);
          if (model) {
            for (const k of e.kw) {
              if (!k.name || k.value.t !== 'name' || into.has(k.value.id) || shadowed.includes(k.value.id) || k.name === 'defaults' || k.name === 'create_defaults') continue;
              const field = this.exactLookupField(model, k.name);
              if (field) into.set(k.value.id, { model, ...field });
            }
          }
          visit(e.fn, depth + 1, shadowed);
          e.args.forEach((a) => visit(a, depth + 1, shadowed));
          e.kw.forEach((k) => visit(k.value, depth + 1, shadowed));
          return;
        }
        case 'attr': return visit(e.obj, depth + 1, shadowed);
        case 'bin': visit(e.l, depth + 1, shadowed); return visit(e.r, depth + 1, shadowed);
        case 'seq': return e.items.forEach((x) => visit(x, depth + 1, shadowed));
        case 'dict': return e.items.forEach((x) => visit(x.value, depth + 1, shadowed));
        case 'cond': visit(e.a, depth + 1, shadowed); return visit(e.b, depth + 1, shadowed);
        case 'sub': visit(e.obj, depth + 1, shadowed); return visit(e.idx, depth + 1, shadowed);
        case 'lambda': return visit(e.body, depth + 1, [...shadowed, ...e.params]);
        default: return;
      }
    };
    for (const s of body) {
      if (s.t === 'assign' || s.t === 'expr') visit(s.value, 0);
      else if (s.t === 'return' && s.value) visit(s.value, 0);
      else if (s.t === 'for') visit(s.iter, 0);
      else if (s.t === 'if' || s.t === 'while') visit(s.test, 0);
      else if (s.t === 'with') s.items.forEach((i) => visit(i.ctx, 0));
      nestedBlocks(s).forEach((b) => this.collectLookupValues(b, scope, into));
    }
  }

  /** The model whose rows a call looks up by its keyword arguments: `get`/`filter` on its querysets, `get_object_or_404(M, ...)`. */
  private lookupModel(e: Call, scope: Scope): string | undefined {
    const one = (shapes: Shape[]) => {
      const models = new Set(shapes.map((s) => (s.k === 'qs' && !s.through ? s.model : s.k === 'model' ? s.model : '')));
      return models.size === 1 && !models.has('') ? [...models][0] : undefined;
    };
    if (e.fn.t === 'attr' && EXACT_LOOKUP_METHODS.has(e.fn.name)) {
      const recv = this.eval(e.fn.obj, scope).shapes;
      return recv.every((s) => s.k === 'qs') ? one(recv) : undefined;
    }
    const fn = this.eval(e.fn, scope).shapes;
    if (e.args[0] && fn.some((s) => s.k === 'ext' && (s.q === 'django.shortcuts.get_object_or_404' || s.q === 'django.shortcuts.get_list_or_404'))) {
      return one(this.eval(e.args[0], scope).shapes);
    }
    return undefined;
  }

  /** `pk`, `slug`, `slug__exact`, `category_id`, `category__pk` (→ category_id); `category` is a relation whose value may be an instance or a key. */
  private exactLookupField(model: string, lookup: string): { field: string; relation: boolean } | undefined {
    const segs = lookup.replace(/__exact$/, '').split('__');
    const forward = (name: string) => this.models.lineage(model).map((m) => m.fields.get(name)).find((f) => f && f.kind !== 'm2m');
    if (segs.length === 2 && (segs[1] === 'pk' || segs[1] === 'id') && forward(segs[0])) return { field: `${segs[0]}_id`, relation: false };
    if (segs.length !== 1) return undefined;
    if (segs[0] === 'pk' || segs[0] === 'id') return { field: segs[0], relation: false };
    if (forward(segs[0])) return { field: segs[0], relation: true };
    return this.models.lookupRelation(model, segs[0]) ? undefined : { field: segs[0], relation: false };
  }

  private subscript(e: Extract<Expr, { t: 'sub' }>, scope: Scope, walk?: Walk): V {
    const obj = this.eval(e.obj, scope, walk);
    const idx = this.eval(e.idx, scope, walk);
    const out: V[] = [dataOf(obj)];
    for (const s of obj.shapes) {
      if (s.k === 'caches') {
        const alias = idx.shapes.find((x) => x.k === 'str');
        const name = alias && alias.k === 'str' && alias.key.parts.length === 1 && 'lit' in alias.key.parts[0] ? alias.key.parts[0].lit : undefined;
        out.push(v([{ k: 'cache', alias: name ?? '?' }]));
      } else if (s.k === 'dict' && e.idx.t === 'str') {
        const item = s.items.get(e.idx.v);
        if (item) out.push(item);
      } else if (s.k === 'list') out.push(s.elem);
      else if (s.k === 'qs') out.push(v([e.idx.t === 'unknown' || e.idx.t === 'num' ? rowOf(s) : s]));
      else if (s.k === 'ext' && s.q === 'os.environ') out.push(EMPTY);
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
    }
    return merge(...out);
  }

  // ---------------------------------------------------------------- attributes

  attr(obj: V, name: string, e: Expr, scope: Scope): V {
    // The primary key of a row never changes when the row is saved: caching it is not caching the row.
    if ((name === 'pk' || name === 'id') && obj.shapes.some((sh) => sh.k === 'inst') && obj.shapes.every((sh) => sh.k === 'inst' || sh.k === 'const')) return v([{ k: 'const' }]);
    const out: V[] = [];
    for (const s of obj.shapes) out.push(this.shapeAttr(s, name, e, scope));
    // A plain field of a row holds that column alone: writes of other columns leave it as it was.
    const inst = obj.shapes[0]?.k === 'inst' ? obj.shapes[0].model : undefined;
    if (inst && obj.shapes.every((sh) => sh.k === 'inst' && sh.model === inst) && this.models.hasColumn(inst, name)) {
      return merge(...out, v([], obj.deps.map((d) => (d.model === inst ? { ...d, columns: [name] } : d))));
    }
    // The data of an attribute is derived from its object's data.
    return merge(...out, dataOf(obj));
  }

  private shapeAttr(s: Shape, name: string, e: Expr, scope: Scope): V {
    switch (s.k) {
      case 'mod': {
        const sym = this.ws.moduleAttr(s.module, s.file, name);
        return sym ? this.symValue(sym) : EMPTY;
      }
      case 'ext': {
        if (MODEL_SIGNALS[s.q]) return v([{ k: 'bound', recv: s, name }]);
        const q = `${s.q}.${name}`;
        if (q === CACHE_OBJECT) return v([{ k: 'cache', alias: 'default' }]);
        if (q === CACHES_HANDLER) return v([{ k: 'caches' }]);
        return this.symValue({ k: 'ext', q });
      }
      case 'model': {
        const m = this.models.byId.get(s.model);
        if (!m) return EMPTY;
        if (name === 'objects' || name === '_default_manager' || name === '_base_manager' || m.managers.has(name)) {
          return v([{ k: 'qs', model: m.id, via: [`${m.name}.${name}`], lookups: [] }], [this.dep(m.id, [`${m.name}.${name}`], scope, e)]);
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
          const dep = this.dep(rel.target, via, scope, e);
          const deps = rel.through ? [dep, this.dep(rel.through, via, scope, e)] : [dep];
          if (!rel.many) return v([{ k: 'inst', model: rel.target, via }], deps);
          return v([{ k: 'qs', model: rel.target, via, through: rel.through, related: !rel.through }], deps);
        }
        const m = this.models.byId.get(s.model);
        const member = m ? this.classMember(m, name, s) : undefined;
        if (member) return member;
        return v([{ k: 'bound', recv: s, name }]);
      }
      case 'class': {
        const member = this.classAttr(s.cls, name, null);
        return member ?? EMPTY;
      }
      case 'obj': {
        const member = this.classAttr(s.cls, name, s);
        if (member) return member;
        const selfAttr = this.selfAttribute(s.cls, name);
        if (selfAttr) return selfAttr;
        if (name === 'data' && this.models.inherits(s.cls.file, s.cls.idx, /^rest_framework\.serializers\./)) return this.serializerValue(s.cls);
        return v([{ k: 'bound', recv: s, name }]);
      }
      case 'fn':
        if (name === '__name__' || name === '__qualname__') return v([{ k: 'str', key: lit(s.fn.file.functions[s.fn.idx].name) }]);
        if (name === '__module__') return v([{ k: 'str', key: lit(s.fn.file.module) }]);
        return v([{ k: 'bound', recv: s, name }]);
      case 'param':
        return v([{ k: 'bound', recv: s, name }]);
      default:
        return v([{ k: 'bound', recv: s, name }]);
    }
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
    const m = fact.methods[name];
    if (m !== undefined) return v([{ k: 'fn', fn: { file: cls.file, idx: m }, self: self ?? undefined }]);
    for (const s of fact.body) {
      if (s.t === 'assign' && s.targets.some((t) => t.t === 'name' && t.id === name)) {
        return this.memoised(`${fnId(cls.file, cls.idx)}.${name}`, () => this.eval(s.value, this.classScope(cls)));
      }
    }
    const nested = fact.nested[name];
    if (nested !== undefined) return this.classShapeValue({ file: cls.file, idx: nested });
    for (const b of fact.bases) {
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
    return { file: cls.file, fn: null, fnIdx: -1, parent: this.moduleScope(cls.file), fixed: new Map(), locals: new Map(), memo: new Map(), busy: new Set(), cls };
  }

  /** `self.x = caches["x"]` in any method makes `self.x` that value. */
  private selfAttribute(cls: ClsRef, name: string): V | undefined {
    const found = this.memoised(`${fnId(cls.file, cls.idx)}.self.${name}`, () => merge(...this.selfAssignments(cls, name)));
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
          found.push(this.eval(value, this.scopeFor(cls.file, idx)));
        }
      });
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
      // A method's result is derived from its receiver's data (queryset chains keep their reads).
      const out: V[] = [dataOf(fnV)];
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

  private callShape(s: Shape, e: Call, scope: Scope, walk: Walk | undefined, args: (w?: Walk) => V[]): V | undefined {
    switch (s.k) {
      case 'bound': return this.methodCall(s.recv, s.name, e, scope, walk, args);
      case 'fn': return this.callFunction(s, e, scope, walk, args);
      case 'model': return v([{ k: 'inst', model: s.model, via: [`${s.model} instance`] }]);
      case 'class': return this.instantiate(s.cls, e, scope, walk, args);
      case 'ext': return this.extCall(s.q, e, scope, walk, args);
      case 'lambda': {
        const inner = this.lambdaScope(s.expr, s.scope, args());
        return this.eval(s.expr.body, inner);
      }
      case 'cachepage': return undefined;
      case 'param': return v([{ k: 'paramcall', name: s.name }]);
      default: return undefined;
    }
  }

  /** The data of a call's positional and keyword arguments together. */
  private argumentData(e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]): V {
    return merge(...args().map(dataOf), ...e.kw.map((k) => dataOf(this.eval(k.value, scope, walk))));
  }

  private instantiate(cls: ClsRef, e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]): V {
    const argDeps = this.argumentData(e, scope, walk, args);
    if (this.models.inherits(cls.file, cls.idx, SIGNAL_CLASS_RE)) return EMPTY;
    const serializer = this.models.inherits(cls.file, cls.idx, /^rest_framework\.serializers\./);
    return v([{ k: 'obj', cls }], serializer ? merge(argDeps, this.serializerValue(cls)).deps : argDeps.deps);
  }

  callFunction(s: Extract<Shape, { k: 'fn' }>, e: Call | null, scope: Scope, walk: Walk | undefined, args: () => V[]): V {
    const id = fnId(s.fn.file, s.fn.idx);
    if (walk) walk.events.calls.push({ to: id, pos: walk.pos, deferred: walk.deferred });
    if (walk && e) this.instantiateWrapperOps(s, e, scope, walk);
    const fact = s.fn.file.functions[s.fn.idx];
    const ret = withBuilder(this.returns(s.fn, s.closure ?? null, s.self), id, () => (e ? this.keyCall(s.fn, e, scope) : undefined));
    // A factory whose return is the parameter data (`def get(key): return cache.get(key)`) stays unknown.
    if (fact.params.length && ret.shapes.some((x) => x.k === 'param' || x.k === 'paramcall')) return merge(ret, ...args().map(dataOf));
    return ret;
  }

  /** A call of a module-level function with literal or traceable arguments, so a fix can make it again. */
  private keyCall(fn: FnRef, e: Call, scope: Scope): KeyCall | undefined {
    const fact = fn.file.functions[fn.idx];
    if (fact.parent !== null || fact.cls !== null || e.args.some((a) => a.t === 'star') || e.kw.some((k) => !k.name)) return undefined;
    const arg = (a: Expr): KeyPart => {
      const key = this.keyOf(this.eval(a, scope), a, scope);
      return key.parts.length === 1 && !key.fragment && !key.page ? key.parts[0] : { hole: exprText(a), source: { kind: 'unknown' } };
    };
    return { module: fn.file.module, path: fn.file.path, name: fact.name, args: e.args.map(arg), kwargs: e.kw.map((k) => [k.name!, arg(k.value)]) };
  }

  /** The summary of what a function returns, solved once; a call cycle sees the empty value. */
  returns(fn: FnRef, closure: Scope | null, self?: Shape): V {
    // A queryset's columns are part of it: a method's rows depend on those of its receiver.
    const selfKey = self?.k === 'inst' ? `:inst:${self.model}` : self?.k === 'qs' ? `:qs:${self.model}:${self.lookups ?? '?'}:${self.picked ?? '?'}` : '';
    const id = `${fnId(fn.file, fn.idx)}${selfKey}`;
    return this.once(this.summaries, this.summaryBusy, id, () => {
      const fact = fn.file.functions[fn.idx];
      const fixed = new Map<string, V>();
      if (self && fact.params[0]) fixed.set(fact.params[0].name, v([self]));
      return this.evalReturns(this.scopeFor(fn.file, fn.idx, closure ?? this.moduleScope(fn.file), fixed));
    });
  }

  private methodCall(recv: Shape, name: string, e: Call, scope: Scope, walk: Walk | undefined, args: (w?: Walk) => V[]): V | undefined {
    switch (recv.k) {
      case 'qs': return this.querysetCall(recv, name, e, scope, walk, args);
      case 'inst': return this.instanceCall(recv, name, e, scope, walk);
      case 'cache': return this.cacheCall(recv.alias, name, e, scope, walk);
      case 'tagged': {
        const before = walk?.events.ops.length ?? 0;
        const out = this.cacheCall('default', name, e, scope, walk);
        for (const op of walk?.events.ops.slice(before) ?? []) op.tags = recv.tags;
        return out;
      }
      case 'obj': {
        const member = this.classAttr(recv.cls, name, recv);
        if (member) return merge(...member.shapes.map((m) => (m.k === 'fn' ? this.callFunction(m, e, scope, walk, args) : EMPTY)));
        if (name === 'save' && walk) {
          const model = this.formModel(recv.cls);
          if (model) this.recordWrite(walk, scope, e, model, 'save', true, `${recv.cls.file.classes[recv.cls.idx].name}.save()`);
        }
        return undefined;
      }
      case 'signal':
        if (walk && SIGNAL_SEND_METHODS.has(name)) walk.events.sends.push({ signal: recv.id, pos: walk.pos });
        if (walk && name === 'connect') this.recordConnect(walk, scope, e, { custom: recv.id });
        return EMPTY;
      case 'ext': {
        const sig = MODEL_SIGNALS[recv.q];
        if (sig && name === 'connect') {
          if (walk) this.recordConnect(walk, scope, e, { model: sig.kind });
          return EMPTY;
        }
        return this.extCall(`${recv.q}.${name}`, e, scope, walk, args);
      }
      case 'str': return withDeps(this.stringMethod(recv.key, name, e, scope), merge(...args().map(dataOf)).deps);
      case 'hash': return v([{ k: 'hash' }]);
      case 'cursor':
        if (name === 'execute' || name === 'executemany') return this.rawSql(e.args[0], scope, walk, e);
        return undefined;
      case 'fn':
        if (name === 'invalidate' && walk) this.recordOp(walk, scope, e, 'delete', 'default', { parts: [], builder: `memoize:${fnId(recv.fn.file, recv.fn.idx)}` }, null);
        return EMPTY;
      case 'list':
        if (name === 'copy' || name === 'values' || name === 'items' || name === 'keys' || name === 'get' || name === 'pop') return v([{ k: 'list', elem: recv.elem }], recv.elem.deps);
        return undefined;
      case 'dict':
        if (name === 'get' || name === 'pop' || name === 'setdefault') {
          const k = e.args[0];
          const item = k?.t === 'str' ? recv.items.get(k.v) : undefined;
          return item ?? merge(...recv.items.values());
        }
        if (name === 'items') return v([{ k: 'list', elem: v([{ k: 'tuple', items: [v([{ k: 'const' }]), merge(...recv.items.values())] }]) }]);
        if (name === 'values') return v([{ k: 'list', elem: merge(...recv.items.values()) }], merge(...recv.items.values()).deps);
        return undefined;
      case 'param':
        return v([{ k: 'paramcall', name: recv.name }]);
      default:
        return undefined;
    }
  }

  private stringMethod(key: KeyPattern, name: string, e: Call, scope: Scope): V {
    if (name === 'format') return v([{ k: 'str', key: this.substitute(key, /\{[^{}]*\}/g, e.args, scope) }]);
    if (name === 'join' && e.args[0]) {
      const sep = key.parts.length === 1 && 'lit' in key.parts[0] ? key.parts[0].lit : '';
      const arg = e.args[0];
      if (arg.t === 'seq') {
        const pieces: KeyPattern[] = [];
        arg.items.forEach((item, i) => {
          if (i) pieces.push(lit(sep));
          pieces.push(this.keyOf(this.eval(item, scope), item, scope));
        });
        return v([{ k: 'str', key: concat(...pieces) }]);
      }
      return v([{ k: 'str', key: { parts: [{ hole: exprText(arg), source: { kind: 'unknown' } }] } }]);
    }
    if (name === 'encode' || name === 'lower' || name === 'upper' || name === 'strip' || name === 'replace') {
      return v([{ k: 'str', key: name === 'encode' || name === 'strip' ? key : { parts: key.parts.map((p) => ('lit' in p ? { lit: name === 'lower' ? p.lit.toLowerCase() : name === 'upper' ? p.lit.toUpperCase() : p.lit } : p)) } }]);
    }
    return v([{ k: 'const' }]);
  }

  // ---------------------------------------------------------------- ORM

  private querysetCall(q: Queryset, name: string, e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]): V {
    const m = this.models.byId.get(q.model);
    const base = this.dep(q.model, q.via, scope, e);
    const text = `${q.via[q.via.length - 1]}.${name}(…)`;
    if (q.through && M2M_WRITES.has(name)) {
      if (walk) this.recordWrite(walk, scope, e, q.through, 'm2m', true, `${exprText(e.fn)}()`);
      return EMPTY;
    }
    if (q.related && M2M_WRITES.has(name)) {
      // A reverse foreign-key manager's add/remove/clear/set runs an UPDATE (bulk=True by default).
      if (walk) this.recordWrite(walk, scope, e, q.model, 'bulk', false, `${exprText(e.fn)}()`);
      return EMPTY;
    }
    const write = QS_WRITES[name];
    if (write) {
      if (walk) {
        this.recordWrite(walk, scope, e, q.model, write.kind, write.signals, `${exprText(e.fn)}()`, writtenColumns(name, e));
        // A delete cascades: models holding a CASCADE foreign key to this one are deleted too.
        if (write.kind === 'delete') this.recordCascade(walk, scope, e, q.model);
      }
      if (name === 'create' || name === 'get_or_create' || name === 'update_or_create' || name === 'acreate') {
        return v([{ k: 'inst', model: q.model, via: [text] }], [base]);
      }
      return v([{ k: 'const' }]);
    }
    const custom = this.customQuerysetMethod(m, name, q);
    if (custom) return custom(e, scope, walk, args);
    // Subquery/Exists/querysets as arguments are reads; an instance as a lookup value is only its key.
    const argData = [...e.args, ...e.kw.map((k) => k.value)].flatMap((a) => {
      if (a.t === 'str' || a.t === 'num') return [];
      const val = this.eval(a, scope);
      return val.shapes.length && val.shapes.every((sh) => sh.k === 'inst') ? [] : val.deps;
    });
    const deps = [base, ...this.lookupDeps(q.model, name, e, scope, [...q.via, `${name}(…)`]), ...argData];
    if (name === 'raw') return merge(v([{ k: 'qs', model: q.model, via: q.via }], deps), this.rawSql(e.args[0], scope, walk, e));
    // Rows after values()/values_list() are dicts, tuples or values, not instances.
    if (QS_INSTANCE.has(name)) return v([rowOf(q)], deps);
    if (QS_DATA.has(name)) return v([{ k: 'const' }], deps);
    if (QS_CHAIN.has(name)) return v([chained(q, name, e)], deps);
    if (!m) return v([{ k: 'qs', model: q.model, via: q.via, through: q.through }], deps);
    // An unknown method on a manager (a library's or a dynamic one) most likely returns rows of it.
    return v([{ k: 'qs', model: q.model, via: q.via }], deps);
  }

  private customQuerysetMethod(m: ModelInfo | undefined, name: string, q: Queryset) {
    if (!m) return undefined;
    for (const mgr of m.managers.values()) {
      if (!mgr) continue;
      const member = this.classAttr(mgr, name, q);
      const fnShape = member?.shapes.find((s) => s.k === 'fn');
      if (fnShape && fnShape.k === 'fn') {
        return (e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]) => {
          const r = this.callFunction(fnShape, e, scope, walk, args);
          return r.shapes.length || r.deps.length ? r : v([{ k: 'qs', model: m.id, via: q.via } as Shape], [this.dep(m.id, q.via, scope, e)]);
        };
      }
    }
    return undefined;
  }

  /** Models reached through lookups, select_related/prefetch_related paths, F/Q/Count arguments. */
  lookupDeps(model: string, method: string, e: Call, scope: Scope, via: string[]): Dep[] {
    const paths: string[] = [];
    const scanExpr = (x: Expr, depth: number) => {
      if (depth > 8) return;
      if (x.t === 'call') {
        for (const a of x.args) {
          if (a.t === 'str') paths.push(a.v);
          else scanExpr(a, depth + 1);
        }
        for (const k of x.kw) {
          if (k.name) paths.push(k.name);
          scanExpr(k.value, depth + 1);
        }
      } else if (x.t === 'bin') {
        scanExpr(x.l, depth + 1);
        scanExpr(x.r, depth + 1);
      }
    };
    for (const a of e.args) {
      if (a.t === 'str' && (LOOKUP_ARG_METHODS.has(method) || method === 'annotate' || method === 'aggregate')) paths.push(a.v.replace(/^-/, ''));
      else scanExpr(a, 0);
    }
    for (const k of e.kw) {
      if (k.name && !['defaults', 'create_defaults', 'flat', 'named', 'using', 'batch_size'].includes(k.name)) {
        if (method === 'annotate' || method === 'aggregate' || method === 'alias') scanExpr(k.value, 0);
        else paths.push(k.name);
      }
    }
    const deps: Dep[] = [];
    // Loading and aggregating over a relation (Count("reviews")) reads its table even at the end of a path.
    const loadsRelated = /^(select_related|prefetch_related|annotate|aggregate|alias)$/.test(method);
    for (const p of paths) {
      let cur = model;
      const segs = p.split('__');
      for (let i = 0; i < segs.length; i++) {
        const rel = this.models.lookupRelation(cur, segs[i]);
        if (!rel) break;
        const hop = `${method}(${JSON.stringify(p)})`;
        // `filter(site=obj)` compares the key column; only a further field (`site__name`) joins the table.
        const next = segs[i + 1];
        if (loadsRelated || (next !== undefined && !KEY_LOOKUPS.has(next))) deps.push(this.dep(rel.target, [...via.slice(0, -1), hop], scope, e));
        if (rel.through) deps.push(this.dep(rel.through, [...via.slice(0, -1), hop], scope, e));
        cur = rel.target;
      }
    }
    return deps;
  }

  private instanceCall(inst: Extract<Shape, { k: 'inst' }>, name: string, e: Call, scope: Scope, walk: Walk | undefined): V | undefined {
    const write = INSTANCE_WRITES[name];
    if (write) {
      if (walk && !isSuperCall(e)) {
        this.recordWrite(walk, scope, e, inst.model, write.kind, write.signals, `${exprText(e.fn)}()`, writtenColumns(name, e));
        if (write.kind === 'delete') this.recordCascade(walk, scope, e, inst.model);
      }
      return v([{ k: 'const' }]);
    }
    if (name === 'refresh_from_db') return v([{ k: 'const' }], [this.dep(inst.model, inst.via, scope, e)]);
    return undefined;
  }

  private recordCascade(walk: Walk, scope: Scope, e: Call, model: string): void {
    for (const m of this.models.byId.values()) {
      for (const f of m.fields.values()) {
        if (f.target === model && f.kind !== 'm2m' && (f.onDelete === 'CASCADE' || f.onDelete === null) && m.id !== model) {
          this.recordWrite(walk, scope, e, m.id, 'delete', true, `cascade of ${exprText(e.fn)}() through ${m.name}.${f.name}`);
        }
      }
    }
  }

  recordWrite(walk: Walk, scope: Scope, e: Expr, model: string, kind: 'save' | 'delete' | 'm2m' | 'bulk', signals: boolean, how: string, columns?: string[]): void {
    // Writing an explicit through model directly sends its own post_save, never m2m_changed.
    const throughWrite = kind !== 'm2m' && this.models.isExplicitThrough(model);
    walk.events.writes.push({ file: scope.file, loc: e.loc, model, kind, signals, how, fnId: walk.id, pos: walk.pos, throughWrite, columns });
    const info = this.models.byId.get(model);
    // Multi-table inheritance writes every parent table too.
    for (const parent of info?.parents ?? []) {
      walk.events.writes.push({ file: scope.file, loc: e.loc, model: parent, kind, signals, how: `${how} (parent table of ${info!.name})`, fnId: walk.id, pos: walk.pos, columns });
    }
  }

  private rawSql(sqlExpr: Expr | undefined, scope: Scope, walk: Walk | undefined, e: Call): V {
    if (!sqlExpr) return EMPTY;
    const text = sqlText(sqlExpr);
    if (text === undefined) return EMPTY;
    const sql = classifySql(text);
    const deps: Dep[] = [];
    for (const t of sql.reads) {
      const model = this.models.byTable.get(t);
      if (model) deps.push(this.dep(model, [`raw SQL reading ${t}`], scope, e));
    }
    if (walk) {
      for (const t of sql.writes) {
        const model = this.models.byTable.get(t);
        if (model) this.recordWrite(walk, scope, e, model, 'bulk', false, `raw SQL ${sql.kind.toUpperCase()} ${t}`);
      }
    }
    return v([{ k: 'const' }], deps);
  }

  private formModel(cls: ClsRef): string | undefined {
    if (!this.models.inherits(cls.file, cls.idx, MODEL_FORM_RE)) return undefined;
    return this.metaModel(cls)?.id;
  }

  metaModel(cls: ClsRef, depth = 0): ModelInfo | undefined {
    if (depth > 10) return undefined;
    const fact = cls.file.classes[cls.idx];
    const meta = fact.nested.Meta;
    if (meta !== undefined) {
      for (const s of cls.file.classes[meta].body) {
        if (s.t === 'assign' && s.targets.some((t) => t.t === 'name' && t.id === 'model')) {
          return this.models.modelFromExpr(cls.file, s.value);
        }
      }
    }
    for (const b of fact.bases) {
      const base = this.eval(b, this.moduleScope(cls.file));
      for (const sh of base.shapes) if (sh.k === 'class') {
        const r = this.metaModel(sh.cls, depth + 1);
        if (r) return r;
      }
    }
    return undefined;
  }

  /** What a DRF serializer's output reads: Meta.model, nested serializers, source paths, method fields. */
  serializerValue(cls: ClsRef, depth = 0): V {
    const key = `${fnId(cls.file, cls.idx)}:ser`;
    const memo = this.classValueMemo.get(key);
    if (memo) return memo;
    if (depth > 6) return EMPTY;
    this.classValueMemo.set(key, EMPTY);
    const fact = cls.file.classes[cls.idx];
    const name = fact.name;
    const model = this.metaModel(cls);
    const parts: V[] = [];
    const scope = this.moduleScope(cls.file);
    if (model) parts.push(v([], [{ model: model.id, via: [`${name}.Meta.model`], path: cls.file.path, loc: fact.nameLoc }]));
    for (const s of fact.body) {
      if (s.t !== 'assign' || s.value.t !== 'call') continue;
      const fieldName = s.targets[0]?.t === 'name' ? s.targets[0].id : '';
      const fieldV = this.eval(s.value.fn, scope);
      const source = s.value.kw.find((k) => k.name === 'source')?.value;
      const path = source?.t === 'str' ? source.v : fieldName;
      for (const sh of fieldV.shapes) {
        if (sh.k === 'class' && this.models.inherits(sh.cls.file, sh.cls.idx, SERIALIZER_RE)) {
          parts.push(this.serializerValue(sh.cls, depth + 1));
        }
      }
      if (model && path) {
        let cur = model.id;
        for (const seg of path.split('.')) {
          const rel = this.models.relation(cur, seg);
          if (!rel) break;
          parts.push(v([], [{ model: rel.target, via: [`${name}.${fieldName}`, `source=${JSON.stringify(path)}`], path: cls.file.path, loc: s.value.loc }]));
          cur = rel.target;
        }
      }
    }
    for (const [mname, idx] of Object.entries(fact.methods)) {
      if (!mname.startsWith('get_') || !model) continue;
      const fn = cls.file.functions[idx];
      const objParam = fn.params[1]?.name;
      if (!objParam) continue;
      const fixed = new Map<string, V>([[objParam, v([{ k: 'inst', model: model.id, via: [`${name}.${mname}(obj)`] }])]]);
      parts.push(dataOf(this.returnsWith(cls.file, idx, fixed)));
    }
    const out = merge(...parts);
    this.classValueMemo.set(key, out);
    return out;
  }

  /** Returns of a function evaluated with some parameters fixed (not memoised: the binding differs). */
  returnsWith(file: PythonFacts, idx: number, fixed: Map<string, V>): V {
    return this.evalReturns(this.scopeFor(file, idx, this.moduleScope(file), new Map(fixed)));
  }

  /** The union of a function's return expressions, evaluated in its scope. */
  private evalReturns(scope: Scope): V {
    const out: V[] = [];
    if (scope.fn) visitReturns(scope.fn.body, (r) => out.push(this.eval(r, scope)));
    return merge(...out);
  }

  // ---------------------------------------------------------------- external calls

  private extCall(q: string, e: Call, scope: Scope, walk: Walk | undefined, args: (w?: Walk) => V[]): V | undefined {
    if (q === 'django.shortcuts.get_object_or_404' || q === 'django.shortcuts.get_list_or_404') {
      const first = args()[0] ?? EMPTY;
      const many = q.endsWith('list_or_404');
      const out: V[] = [dataOf(first)];
      for (const s of first.shapes) {
        const model = s.k === 'model' ? s.model : s.k === 'qs' ? s.model : undefined;
        if (!model) continue;
        const via = s.k === 'qs' ? s.via : [`${exprText(e.fn)}(${this.models.byId.get(model)?.name ?? model})`];
        const deps = [this.dep(model, via, scope, e), ...this.lookupDeps(model, 'get', e, scope, [...via, 'get(…)'])];
        out.push(v([many ? { k: 'qs', model, via } : { k: 'inst', model, via }], deps));
      }
      return merge(...out);
    }
    if (q === 'django.contrib.auth.get_user_model') {
      const m = this.models.byLabel(this.ws.settings.authUserModel);
      return m ? v([{ k: 'model', model: m.id }]) : EMPTY;
    }
    if (q === 'django.apps.apps.get_model') {
      const label = e.args.map((a) => (a.t === 'str' ? a.v : '')).join('.');
      const m = this.models.byLabel(label.replace(/\.\./, '.'));
      return m ? v([{ k: 'model', model: m.id }]) : EMPTY;
    }
    const render = RENDER_FUNCTIONS[q];
    if (render) return this.renderCall(e, render, scope, walk);
    if (q === 'django.core.cache.utils.make_template_fragment_key') {
      const name = e.args[0]?.t === 'str' ? e.args[0].v : undefined;
      return v([{ k: 'str', key: name !== undefined ? { parts: [], fragment: name } : { parts: [UNKNOWN_HOLE] } }]);
    }
    if (q === 'django.utils.cache.get_cache_key' || q === 'django.utils.cache.learn_cache_key') {
      return v([{ k: 'str', key: { parts: [{ lit: 'views.decorators.cache.cache_page.' }, UNKNOWN_HOLE], page: true } }]);
    }
    if (q === 'uuid.uuid4' || q === 'uuid.uuid1') return v([{ k: 'hash', random: true }]);
    // A digest keeps the data of what it hashes: the key then covers that data, and no other.
    if (HASH_FUNCTIONS.test(q) || q === 'builtins.hash' || q === 'uuid.uuid5' || q === 'uuid.uuid3') return v([{ k: 'hash' }], this.argumentData(e, scope, walk, args).deps);
    if (q === 'django.db.transaction.on_commit') {
      if (e.args[0] && walk) {
        const inner: Walk = { ...walk, atomic: false, deferred: true };
        const val = args(inner)[0];
        for (const s of val.shapes) {
          if (s.k === 'fn') this.callFunction(s, null, scope, inner, () => []);
          if (s.k === 'lambda') this.eval(s.expr.body, this.lambdaScope(s.expr, s.scope, []), inner);
        }
      }
      return EMPTY;
    }
    if (q === 'functools.partial') {
      const first = args()[0];
      return first ? v(first.shapes.filter((s) => s.k === 'fn')) : EMPTY;
    }
    if (q === 'django.db.connection.cursor' || /^django\.db\.connections\.?.*cursor$/.test(q) || q.endsWith('.cursor')) {
      return q.startsWith('django.db') ? v([{ k: 'cursor' }]) : undefined;
    }
    if (q === TAGGED) return v([{ k: 'tagged', tags: pythonDeclaration(this, e.args, scope, e.loc) }]);
    if (q === 'django.views.decorators.cache.cache_page' || q === TAGGED_CACHE_PAGE) {
      const t = e.args[0];
      const dependsOn = q === TAGGED_CACHE_PAGE ? dependsOnItems(e.kw) : undefined;
      const timeout = t ? this.timeoutOf(t, scope) : 'unknown';
      const aliasKw = e.kw.find((k) => k.name === 'cache')?.value;
      const prefix = e.kw.find((k) => k.name === 'key_prefix')?.value;
      return v([{
        k: 'cachepage', timeout, alias: aliasKw?.t === 'str' ? aliasKw.v : 'default',
        keyPrefix: prefix?.t === 'str' ? prefix.v : '', loc: e.loc, path: scope.file.path,
        tags: dependsOn && pythonDeclaration(this, dependsOn.items, scope, dependsOn.loc),
      }]);
    }
    if (SIGNAL_CLASS.has(q)) return v([{ k: 'ext', q }]);
    if (q === RECEIVER_DECORATOR) return EMPTY;
    if (q.startsWith('builtins.')) {
      const name = q.slice('builtins.'.length);
      if (name === 'super') return this.superValue(scope);
      if (PASS_THROUGH.has(name)) {
        const vals = args();
        const all = merge(...vals, ...e.kw.map((k) => this.eval(k.value, scope, walk)));
        if (name === 'list' || name === 'sorted' || name === 'tuple' || name === 'set' || name === 'reversed' || name === 'frozenset') {
          return v([{ k: 'list', elem: this.element(merge(...vals)) }], all.deps);
        }
        if (name === 'dict') return all;
        if (name === 'next') return this.element(merge(...vals));
        if (name === 'enumerate') return v([{ k: 'list', elem: v([{ k: 'tuple', items: [v([{ k: 'const' }]), this.element(vals[0] ?? EMPTY)] }]) }]);
        if (name === 'zip') return v([{ k: 'list', elem: v([{ k: 'tuple', items: vals.map((x) => this.element(x)) }]) }]);
        return dataOf(all);
      }
      if (name === 'getattr' || name === 'isinstance' || name === 'hasattr' || name === 'print' || name === 'type') return undefined;
    }
    if (PASS_THROUGH.has(q)) return dataOf(merge(...args()));
    return undefined;
  }

  private superValue(scope: Scope): V {
    for (let s: Scope | null = scope; s; s = s.parent) {
      if (!s.cls || !s.fn) continue;
      const fact = s.cls.file.classes[s.cls.idx];
      const out: V[] = [];
      for (const b of fact.bases) {
        const base = this.eval(b, this.moduleScope(s.cls.file));
        for (const sh of base.shapes) {
          if (sh.k === 'class') out.push(v([{ k: 'obj', cls: sh.cls }]));
          if (sh.k === 'model') out.push(v([{ k: 'inst', model: sh.model, via: [`super()`] }]));
        }
      }
      return merge(...out);
    }
    return EMPTY;
  }

  timeoutOf(e: Expr, scope: Scope): number | null | 'default' | 'unknown' {
    const lit = numberValue(e, (name) => {
      const sym = this.ws.resolveGlobal(scope.file, name);
      return sym?.k === 'value' && sym.exprs.length === 1 ? sym.exprs[0] : undefined;
    });
    if (lit === null) return null;
    return typeof lit === 'number' ? lit : 'unknown';
  }

  private renderCall(e: Call, render: { template: number; context: number }, scope: Scope, walk: Walk | undefined): V {
    const tArg = e.args[render.template] ?? e.kw.find((k) => k.name === 'template_name')?.value;
    const cArg = e.args[render.context] ?? e.kw.find((k) => k.name === 'context')?.value;
    const context = cArg ? this.eval(cArg, scope) : EMPTY;
    const names = tArg ? templateNames(tArg) : [];
    const out: V[] = [dataOf(context)];
    for (const name of names) {
      if (walk) walk.events.renders.push({ template: name, context, fnId: walk.id, site: { file: scope.file, loc: e.loc } });
      out.push(this.templateValue(name, context));
    }
    return merge(...out);
  }

  /** Data a template reads from its context, through relations its variables walk. */
  templateValue(name: string, context: V): V {
    const t = this.ws.findTemplate(name);
    if (!t) return EMPTY;
    return templateReads(this, t, contextItems(context));
  }

  /** The cache op for a method on a Django cache object; records it when walking. */
  private cacheCall(alias: string, method: string, e: Call, scope: Scope, walk: Walk | undefined): V {
    const m = syncCacheMethod(method);
    if (!m) return EMPTY;
    const keyExpr = e.args[0] ?? e.kw.find((k) => k.name === 'key' || k.name === 'keys' || k.name === 'pattern')?.value;
    const keyV = keyExpr ? this.eval(keyExpr, scope, walk) : EMPTY;
    const key = keyExpr ? this.keyOf(keyV, keyExpr, scope) : null;
    if (m === 'get' || m === 'has_key' || m === 'ttl') {
      // A wrapper's get of its key parameter names no key of its own.
      if (walk && !paramName(keyV)) walk.events.keyReads.push({ file: scope.file, loc: e.loc, method: m, alias, key, version: this.versionArg(e, scope) });
      return v([{ k: 'cached', key, alias }]);
    }
    if (m === 'get_many' || m === 'keys' || m === 'iter_keys') return EMPTY;
    if (m === 'set_many') {
      const dictExpr = e.args[0];
      if (walk && dictExpr?.t === 'dict') {
        for (const item of dictExpr.items) {
          if (!item.key) continue;
          const k = this.keyOf(this.eval(item.key, scope), item.key, scope);
          this.recordOp(walk, scope, e, 'set', alias, k, this.eval(item.value, scope), item.key, e.args[1] ?? kwOf(e.kw, 'timeout'));
        }
      }
      return EMPTY;
    }
    if (m === 'delete_many') {
      const arg = e.args[0];
      if (walk) {
        if (arg?.t === 'seq') {
          for (const item of arg.items) this.recordOp(walk, scope, e, 'delete', alias, this.keyOf(this.eval(item, scope), item, scope), null, item, undefined, item.loc);
        } else if (arg?.t === 'comp') {
          this.recordOp(walk, scope, e, 'delete', alias, this.keyOf(this.eval(arg.elt, this.compScope(arg, scope)), arg.elt), null, arg.elt);
        } else if (arg) {
          const elems = this.element(keyV);
          const strs = elems.shapes.filter((s) => s.k === 'str');
          if (strs.length) for (const s of strs) this.recordOp(walk, scope, e, 'delete', alias, (s as { key: KeyPattern }).key, null, arg);
          else this.recordOp(walk, scope, e, 'delete', alias, null, null, arg);
        }
      }
      return EMPTY;
    }
    if (m === 'clear') {
      if (walk) this.recordOp(walk, scope, e, 'clear', alias, null, null, undefined);
      return EMPTY;
    }
    if (m === 'delete_pattern') {
      const pattern = key ? globToPattern(key) : null;
      if (walk) this.recordOp(walk, scope, e, 'delete', alias, pattern, null, keyExpr);
      return EMPTY;
    }
    if (m === 'set' || m === 'add' || m === 'get_or_set') {
      const valueExpr = e.args[1] ?? kwOf(e.kw, m === 'get_or_set' ? 'default' : 'value');
      let value = valueExpr ? this.eval(valueExpr, scope, walk) : EMPTY;
      if (m === 'get_or_set') value = this.callableValue(value);
      if (walk) this.recordOp(walk, scope, e, m, alias, key, value, keyExpr, e.args[2] ?? kwOf(e.kw, 'timeout'));
      // get_or_set also reads the key back, so a key built from it is versioned by it.
      return m === 'get_or_set' ? merge(value, v([{ k: 'cached', key, alias }])) : EMPTY;
    }
    if (walk) this.recordOp(walk, scope, e, m, alias, key, null, keyExpr, e.args[1] ?? kwOf(e.kw, 'timeout'));
    return m === 'incr' || m === 'decr' ? v([{ k: 'const' }]) : EMPTY;
  }

  private compScope(c: Extract<Expr, { t: 'comp' }>, scope: Scope): Scope {
    const fixed = new Map<string, V>();
    const inner: Scope = { ...scope, parent: scope, fixed, locals: new Map(), memo: new Map(), busy: new Set() };
    for (const g of c.gens) bindTarget(g.target, this.element(this.eval(g.iter, inner)), fixed);
    return inner;
  }

  /** get_or_set's default may be a value, a lambda, or a function to call. */
  private callableValue(val: V): V {
    const out: V[] = [dataOf(val)];
    for (const s of val.shapes) {
      if (s.k === 'lambda') out.push(this.eval(s.expr.body, this.lambdaScope(s.expr, s.scope, [])));
      else if (s.k === 'fn') out.push(this.returns(s.fn, s.closure ?? null, s.self));
      else if (s.k === 'param') out.push(v([{ k: 'paramcall', name: s.name }]));
      else out.push(v([s]));
    }
    return merge(...out);
  }

  recordOp(walk: Walk, scope: Scope, e: Call, method: string, alias: string, key: KeyPattern | null, value: V | null, keyExpr?: Expr, timeoutExpr?: Expr, loc: Loc = e.loc): void {
    const timeout = timeoutExpr === undefined ? 'default' : this.timeoutOf(timeoutExpr, scope);
    const keyParam = keyExpr ? paramName(this.eval(keyExpr, scope)) : null;
    const valueParam = value ? paramName(value) : null;
    const valueCallsParam = value?.shapes.find((s) => s.k === 'paramcall');
    const template = keyParam || valueParam || valueCallsParam
      ? { keyExpr: keyExpr ?? null, keyParam, valueParam, valueCallsParam: valueCallsParam && valueCallsParam.k === 'paramcall' ? valueCallsParam.name : null, scope }
      : undefined;
    walk.events.ops.push({
      file: scope.file, loc, method, alias, key, value, timeout,
      version: this.versionArg(e, scope),
      fnId: walk.id, pos: walk.pos, inAtomic: walk.atomic && !walk.deferred, template,
    });
  }

  /** The call's `version=`: null when not given. */
  private versionArg(e: Call, scope: Scope): string | null {
    const versionExpr = kwOf(e.kw, 'version');
    return versionExpr ? this.versionOf(versionExpr, scope) : null;
  }

  /** A literal version (numbers and module constants resolve); anything else is unknown ('?'). */
  private versionOf(e: Expr, scope: Scope): string {
    if (e.t === 'str') return e.v;
    const n = this.timeoutOf(e, scope);
    return typeof n === 'number' ? String(n) : '?';
  }

  /** A call to a project cache wrapper becomes a cache op at the call site, with the caller's arguments. */
  private instantiateWrapperOps(s: Extract<Shape, { k: 'fn' }>, e: Call, scope: Scope, walk: Walk): void {
    if (!this.mayWrap(s.fn)) return;
    const events = this.collect(s.fn.file, s.fn.idx);
    const fact = s.fn.file.functions[s.fn.idx];
    const argFor = (param: string | null): Expr | undefined => {
      if (!param) return undefined;
      const i = fact.params.findIndex((p) => p.name === param);
      const offset = fact.cls !== null && !fact.decorators.some((d) => exprText(d) === 'staticmethod') ? 1 : 0;
      return kwOf(e.kw, param) ?? (i >= 0 ? e.args[i - offset] : undefined);
    };
    for (const op of events.ops) {
      if (!op.template) continue;
      const keyArg = argFor(op.template.keyParam);
      const key = keyArg ? this.keyOf(this.eval(keyArg, scope), keyArg, scope) : op.key;
      let value: V | null = op.value;
      const valueArg = argFor(op.template.valueParam) ?? argFor(op.template.valueCallsParam);
      if (valueArg) value = this.callableValue(this.eval(valueArg, scope));
      if (op.template.keyParam && !keyArg) continue;
      walk.events.ops.push({ ...op, file: scope.file, loc: e.loc, key, value, fnId: walk.id, pos: walk.pos, inAtomic: walk.atomic && !walk.deferred, template: undefined });
    }
  }

  private recordConnect(walk: Walk, scope: Scope, e: Call, signal: { model: 'save' | 'delete' | 'm2m' | 'bulk' } | { custom: string }): void {
    const recv = e.args[0] ?? kwOf(e.kw, 'receiver');
    const senderExpr = kwOf(e.kw, 'sender') ?? e.args[1];
    if (!recv) return;
    const fns = this.eval(recv, scope).shapes.filter((s): s is Extract<Shape, { k: 'fn' }> => s.k === 'fn');
    const senders = senderExpr ? this.sendersOf(senderExpr, scope) : null;
    for (const f of fns) {
      walk.events.hookups.push({ file: scope.file, loc: e.loc, signal, receiver: fnId(f.fn.file, f.fn.idx), senders });
    }
  }

  sendersOf(e: Expr, scope: Scope): string[] {
    const items = e.t === 'seq' ? e.items : [e];
    const out: string[] = [];
    for (const item of items) {
      if (item.t === 'str') {
        const m = this.models.byLabel(item.v);
        if (m) out.push(m.id);
        continue;
      }
      for (const s of this.eval(item, scope).shapes) if (s.k === 'model') out.push(s.model);
    }
    return out;
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
    const parentScope = fn && fn.parent !== null ? this.scopeFor(file, fn.parent, this.moduleScope(file)) : this.moduleScope(file);
    const scope = idx >= 0 ? this.scopeFor(file, idx, parentScope) : this.moduleScope(file);
    const atomic = !!fn && (fn.decorators.some((d) => /(^|\.)atomic(\(|$)/.test(exprText(d))) || (this.ws.settings.atomicRequests && this.isView(file, fn)));
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

  /** Under ATOMIC_REQUESTS a view's body runs in a transaction: function views and HTTP methods of view classes. */
  private isView(file: PythonFacts, fn: FunctionFact): boolean {
    if (fn.decorators.some((d) => /non_atomic_requests/.test(exprText(d)))) return false;
    if (fn.cls !== null) {
      return /^(get|post|put|patch|delete|dispatch|form_valid|perform_(create|update|destroy)|create|update|destroy|list|retrieve)$/.test(fn.name)
        && this.models.inherits(file, fn.cls, /^(django\.views\.|rest_framework\.(views|generics|viewsets|mixins)\.)/);
    }
    return fn.parent === null && fn.params[0]?.name === 'request' && /(^|\.)(views|api)(\.|$)/.test(file.module);
  }

  private walkBlock(body: Stmt[], scope: Scope, walk: Walk): void {
    const block = ++this.blockCounter;
    body.forEach((s, index) => {
      walk.pos = { block, index, line: s.line };
      this.walkStmt(s, scope, walk);
    });
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
        this.evalStmt(s.value, scope, walk);
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
        this.walkBlock(s.body, scope, walk);
        s.handlers.forEach((h) => this.walkBlock(h, scope, walk));
        this.walkBlock(s.orelse, scope, walk);
        this.walkBlock(s.final, scope, walk);
        return;
      case 'def': {
        const fn = scope.file.functions[s.fn];
        for (const d of fn.decorators) this.decorator(d, { file: scope.file, idx: s.fn }, scope, walk);
        return;
      }
      case 'class':
        return;
    }
  }

  /** `@receiver(...)` hooks a function up; other decorators are read by the entry finder. */
  private decorator(d: Expr, fn: FnRef, scope: Scope, walk: Walk): void {
    const r = this.receiverDecoration(d, scope);
    if (!r) return;
    for (const s of r.signals) {
      const signal = s.k === 'ext' && MODEL_SIGNALS[s.q] ? { model: MODEL_SIGNALS[s.q].kind } : s.k === 'signal' ? { custom: s.id } : undefined;
      if (signal) walk.events.hookups.push({ file: scope.file, loc: d.loc, signal, receiver: fnId(fn.file, fn.idx), senders: r.senders });
    }
  }
}

/** Queryset methods whose keyword arguments pick rows by exact value. */
const EXACT_LOOKUP_METHODS = new Set(['get', 'aget', 'filter', 'get_or_create', 'aget_or_create', 'update_or_create', 'aupdate_or_create']);

/** A name passed as an exact lookup value: the field of `model` it equals; `relation` when the field is a foreign key compared by instance or key. */
interface LookupValue { model: string; field: string; relation: boolean }

/** The scope of the function a (comprehension or lambda) scope belongs to. */
function functionScope(scope: Scope): Scope | undefined {
  let s = scope;
  while (s.parent && s.parent.fn === s.fn && s.parent.fnIdx === s.fnIdx) s = s.parent;
  return s.fn ? s : undefined;
}

/** Lookups on a relation that read only its key column, never the related table. */
const KEY_LOOKUPS = new Set(['pk', 'id', 'in', 'exact', 'isnull']);
const SIGNAL_CLASS_RE = /^django\.dispatch\.(dispatcher\.)?Signal$/;
const MODEL_FORM_RE = new RegExp(`^(${[...MODEL_FORM_BASES].map((x) => x.replace(/\./g, '\\.')).join('|')})$`);
const SERIALIZER_RE = /^rest_framework\.serializers\.\w*Serializer$/;

/** Keys a workspace function returns remember it (and how it was called), so the same builder on both sides is a strong match. */
function withBuilder(val: V, builder: string, call: () => KeyCall | undefined): V {
  if (!val.shapes.some((s) => s.k === 'str' && !s.key.builder && s.key.fragment === undefined && !s.key.page)) return val;
  const made = call();
  return { ...val, shapes: val.shapes.map((s) => (s.k === 'str' && !s.key.builder && s.key.fragment === undefined && !s.key.page ? { k: 'str', key: { ...s.key, builder, call: made } } : s)) };
}

function kwOf(kw: Kwarg[], name: string): Expr | undefined {
  return kw.find((k) => k.name === name)?.value;
}

function isSuperCall(e: Call): boolean {
  return e.fn.t === 'attr' && e.fn.obj.t === 'call' && e.fn.obj.fn.t === 'name' && e.fn.obj.fn.id === 'super';
}

function paramName(val: V): string | null {
  const p = val.shapes.find((s) => s.k === 'param');
  return p && p.k === 'param' ? p.name : null;
}

function pick(val: V, index: number | null): V {
  if (index === null) return val;
  const tuples = val.shapes.filter((s): s is Extract<Shape, { k: 'tuple' }> => s.k === 'tuple');
  // A known tuple gives each position its own value; the index of enumerate() carries no data.
  if (tuples.length === val.shapes.length && tuples.length) return merge(...tuples.map((t) => t.items[index] ?? EMPTY));
  const out: V[] = [];
  for (const s of val.shapes) {
    if (s.k === 'list') out.push(s.elem);
    else if (s.k === 'tuple') out.push(s.items[index] ?? EMPTY);
    else if (s.k === 'inst' && index === 0) out.push(v([s]));
  }
  return merge(...out, dataOf(val));
}

function bindTuple(t: Target, val: V, into: Map<string, V>): void {
  if (t.t !== 'tuple') return;
  t.items.forEach((item, i) => {
    const part = pick(val, i);
    if (item.t === 'name') into.set(item.id, part);
    else bindTuple(item, part, into);
  });
}

function bindTarget(t: Target, val: V, into: Map<string, V>): void {
  if (t.t === 'name') into.set(t.id, val);
  else if (t.t === 'tuple') bindTuple(t, val, into);
}

function collectLocals(body: Stmt[], into: Map<string, LocalBinding[]>, file: PythonFacts): void {
  // Mutations (`x.append(v)`, `x["k"] = v`) add data only to names the function binds itself.
  const mutations: [string, LocalBinding][] = [];
  const mutate = (name: string, b: LocalBinding) => mutations.push([name, b]);
  // `d["k"] = v` items of one name make one dict, so each item stays readable by its key (a render context).
  const items = new Map<string, DictItem[]>();
  const add = (name: string, b: LocalBinding) => {
    const list = into.get(name);
    if (list) list.push(b);
    else into.set(name, [b]);
  };
  const bindT = (t: Target, make: (index: number | null) => LocalBinding, index: number | null = null) => {
    if (t.t === 'name') add(t.id, make(index));
    else if (t.t === 'tuple') t.items.forEach((item, i) => bindT(item, make, i));
  };
  const visit = (stmts: Stmt[]) => {
    for (const s of stmts) {
      switch (s.t) {
        case 'assign':
          for (const t of s.targets) {
            bindT(t, (index) => ({ k: 'assign', value: s.value, index }));
            // `d["k"] = v` and `obj.attr = v` add data to the container variable.
            if (t.t === 'sub' && t.obj.t === 'name' && t.idx.t === 'str') {
              const list = items.get(t.obj.id) ?? [];
              list.push({ key: t.idx, value: s.value });
              items.set(t.obj.id, list);
            } else if ((t.t === 'sub' || t.t === 'attr') && t.obj.t === 'name') mutate(t.obj.id, { k: 'assign', value: s.value, index: null });
          }
          break;
        case 'expr': {
          // `items.append(x)` / `data.update(...)` add data to the container variable.
          const e = s.value;
          if (e.t === 'call' && e.fn.t === 'attr' && e.fn.obj.t === 'name' && /^(append|extend|update|add|insert|setdefault)$/.test(e.fn.name)) {
            for (const a of e.args) mutate(e.fn.obj.id, { k: 'assign', value: e.fn.name === 'append' || e.fn.name === 'add' || e.fn.name === 'insert' ? { t: 'seq', items: [a], loc: a.loc } : a, index: null });
          }
          break;
        }
        case 'for':
          bindT(s.target, (index) => ({ k: 'iter', iter: s.iter, index }));
          nestedBlocks(s).forEach(visit);
          break;
        case 'with':
          for (const item of s.items) if (item.as) bindT(item.as, () => ({ k: 'with', ctx: item.ctx }));
          visit(s.body);
          break;
        case 'def':
          add(file.functions[s.fn].name, { k: 'def', idx: s.fn });
          break;
        case 'class':
          add(file.classes[s.cls].name, { k: 'class', idx: s.cls });
          break;
        default:
          nestedBlocks(s).forEach(visit);
          break;
      }
    }
  };
  visit(body);
  for (const [name, list] of items) mutate(name, { k: 'assign', value: { t: 'dict', items: list, loc: list[0].value.loc }, index: null });
  for (const [name, b] of mutations) into.get(name)?.push(b);
}

export function visitReturns(body: Stmt[], f: (e: Expr) => void): void {
  for (const s of body) {
    if (s.t === 'return' && s.value) f(s.value);
    nestedBlocks(s).forEach((b) => visitReturns(b, f));
  }
}

function visitAssigns(body: Stmt[], f: (t: Target, value: Expr) => void): void {
  for (const s of body) {
    if (s.t === 'assign') s.targets.forEach((t) => f(t, s.value));
    nestedBlocks(s).forEach((b) => visitAssigns(b, f));
  }
}

function numberValue(e: Expr, resolve: (name: string) => Expr | undefined, depth = 0): number | null | undefined {
  if (depth > 5) return undefined;
  if (e.t === 'num') return e.v;
  if (e.t === 'const' && e.v === 'None') return null;
  if (e.t === 'name') {
    const r = resolve(e.id);
    return r ? numberValue(r, resolve, depth + 1) : undefined;
  }
  if (e.t === 'bin') {
    const l = numberValue(e.l, resolve, depth + 1);
    const r = numberValue(e.r, resolve, depth + 1);
    if (typeof l !== 'number' || typeof r !== 'number') return undefined;
    if (e.op === '*') return l * r;
    if (e.op === '+') return l + r;
    if (e.op === '-') return l - r;
    if (e.op === '//' || e.op === '/') return r ? l / r : undefined;
  }
  if (e.t === 'call' && e.fn.t === 'name' && e.fn.id === 'timedelta') {
    const units: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400, weeks: 604800 };
    let total = 0;
    for (const k of e.kw) {
      const n = k.name ? numberValue(k.value, resolve, depth + 1) : undefined;
      if (typeof n !== 'number' || !k.name || !(k.name in units)) return undefined;
      total += n * units[k.name];
    }
    return total;
  }
  return undefined;
}

/** The columns a write names: `update(a=…)`, `save(update_fields=["a"])`; undefined when it may write any. */
function writtenColumns(method: string, e: Call): string[] | undefined {
  if (method === 'update') return !e.args.length && e.kw.length && e.kw.every((k) => k.name) ? e.kw.map((k) => k.name!) : undefined;
  const fields = method === 'save' || method === 'asave' ? kwOf(e.kw, 'update_fields') : undefined;
  if (fields?.t !== 'seq' || !fields.items.length || !fields.items.every((x) => x.t === 'str')) return undefined;
  return fields.items.map((x) => (x as Extract<Expr, { t: 'str' }>).v);
}

/** SQL text of a literal or f-string argument; holes become a placeholder identifier. */
function sqlText(e: Expr): string | undefined {
  if (e.t === 'str') return e.v;
  if (e.t === 'fstr') return e.parts.map((p) => (typeof p === 'string' ? p : '_djcache_hole_')).join('');
  if (e.t === 'bin' && e.op === '%') return sqlText(e.l);
  return undefined;
}

function templateNames(e: Expr): string[] {
  if (e.t === 'str') return [e.v];
  if (e.t === 'seq') return e.items.flatMap(templateNames);
  if (e.t === 'cond') return [...templateNames(e.a), ...templateNames(e.b)];
  return [];
}


/** `delete_pattern("product:*")` and `keys("product:*")`: glob stars become holes. */
function globToPattern(p: KeyPattern): KeyPattern {
  const parts: KeyPart[] = [];
  for (const part of p.parts) {
    if (!('lit' in part)) {
      parts.push(part);
      continue;
    }
    part.lit.split('*').forEach((piece, i) => {
      if (i) parts.push({ hole: '*', source: { kind: 'unknown' } });
      if (piece) parts.push({ lit: piece });
    });
  }
  return { parts };
}
