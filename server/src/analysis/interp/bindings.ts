/** Names a function body binds, read from the IR without evaluating: locals, tuple targets, returns, assignments. */
import type { PythonFacts } from '../../facts/types';
import type { DictItem, Expr, FunctionFact, Kwarg, Stmt, Target } from '../../syntax/ir';
import { nestedBlocks } from '../../facts/walk';
import {
  type BindingPlace,
  dataOf,
  EMPTY,
  exprText,
  type LocalBinding,
  merge,
  type Scope,
  type Shape,
  union,
  v,
  type V,
} from '../domain/values';

/** The scope of the function a (comprehension or lambda) scope belongs to. */
export function functionScope(scope: Scope): Scope | undefined {
  let s = scope;
  while (s.parent && s.parent.fn === s.fn && s.parent.fnIdx === s.fnIdx) s = s.parent;
  return s.fn ? s : undefined;
}

export function kwOf(kw: Kwarg[], name: string): Expr | undefined {
  return kw.find((k) => k.name === name)?.value;
}

/** The argument a call passes for parameter `param` of `fact`: by keyword, or by position after a method's receiver. */
export function argumentFor(fact: FunctionFact, call: { args: Expr[]; kw: Kwarg[] }, param: string): Expr | undefined {
  const i = fact.params.findIndex((p) => p.name === param);
  return kwOf(call.kw, param) ?? (i >= 0 ? call.args[i - receiverParams(fact)] : undefined);
}

/** The positional arguments whose place is known: those before a spread (`f(a, *xs, b)` gives `a`). */
export function positionalBeforeSpread(call: { args: Expr[] }): Expr[] {
  const star = call.args.findIndex((a) => a.t === 'star');
  return star === -1 ? call.args : call.args.slice(0, star);
}

/** Whether a call spreads a sequence or a dict (`f(*xs)`, `f(**kw)`): which argument fills which parameter is unknown. */
export function spreadsArguments(call: { args: Expr[]; kw: Kwarg[] }): boolean {
  return call.args.some((a) => a.t === 'star') || call.kw.some((k) => k.name === null);
}

/** 1 for a method called on its object or class (its first parameter is not in the call's arguments), else 0. */
export function receiverParams(fact: FunctionFact): number {
  return fact.cls !== null && !fact.decorators.some((d) => exprText(d) === 'staticmethod') ? 1 : 0;
}

export function pick(val: V, index: number | null): V {
  if (index === null) return val;
  const tuples = val.shapes.filter((s): s is Extract<Shape, { k: 'tuple' }> => s.k === 'tuple');
  // A known tuple gives each position its own value; the index of enumerate() carries no data.
  if (tuples.length === val.shapes.length && tuples.length) return merge(...tuples.map((t) => t.items[index] ?? EMPTY));
  const out: V[] = [];
  for (const s of val.shapes) {
    if (s.k === 'list') out.push(s.items ? (s.items[index] ?? EMPTY) : s.elem);
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

export function bindTarget(t: Target, val: V, into: Map<string, V>): void {
  if (t.t === 'name') into.set(t.id, val);
  else if (t.t === 'tuple') bindTuple(t, val, into);
}

/**
 * The name whose container a mutation fills: `rows` in `rows.append(x)`, `d[k].append(x)`,
 * `d.setdefault(k, []).append(x)` and `d[k][j] = x`.
 */
function containerName(e: Expr): string | undefined {
  if (e.t === 'name') return e.id;
  if (e.t === 'sub') return containerName(e.obj);
  if (e.t === 'call' && e.fn.t === 'attr' && (e.fn.name === 'setdefault' || e.fn.name === 'get'))
    return containerName(e.fn.obj);
  return undefined;
}

/** Names a statement list assigns, nested blocks included. */
function assignedNames(blocks: Stmt[][]): Set<string> {
  const out = new Set<string>();
  const addTarget = (t: Target) => {
    if (t.t === 'name') out.add(t.id);
    else if (t.t === 'tuple') t.items.forEach(addTarget);
  };
  for (const b of blocks) visitAssigns(b, addTarget);
  return out;
}

/** Whether an expression reads one of `names`. */
function mentionsAny(e: Expr, names: Set<string>): boolean {
  if (!names.size) return false;
  return e.t === 'name' ? names.has(e.id) : subExpressions(e).some((x) => mentionsAny(x, names));
}

/** The expressions an expression is made of (a comprehension's iterables, not its targets). */
function subExpressions(e: Expr): Expr[] {
  switch (e.t) {
    case 'attr':
      return [e.obj];
    case 'call':
      return [e.fn, ...e.args, ...e.kw.map((k) => k.value)];
    case 'bin':
      return [e.l, e.r];
    case 'cond':
      return e.test ? [e.a, e.test, e.b] : [e.a, e.b];
    case 'sub':
      return [e.obj, e.idx];
    case 'seq':
      return e.items;
    case 'star':
      return [e.e];
    case 'fstr':
      return e.parts.filter((x): x is Expr => typeof x !== 'string');
    case 'dict':
      return e.items.flatMap((x) => (x.key ? [x.value, x.key] : [x.value]));
    case 'comp':
      return [e.elt, ...e.gens.map((g) => g.iter)];
    case 'lambda':
      return [e.body];
    default:
      return [];
  }
}

const MUTATORS = /^(append|extend|update|add|insert|setdefault|appendleft)$/;
const ONE_ITEM_MUTATORS = new Set(['append', 'add', 'insert', 'appendleft']);

type Binding = DistributiveOmit<LocalBinding, keyof BindingPlace>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The last line a statement spans, its nested blocks included. */
function lastLine(s: Stmt): number {
  const own =
    s.t === 'assign' || s.t === 'expr' ? s.value.loc[2] : s.t === 'return' ? (s.value?.loc[2] ?? s.line) : s.line;
  return Math.max(own, ...nestedBlocks(s).flatMap((b) => b.map(lastLine)));
}

/** The line a statement's bindings take effect after: a loop's or a `with`'s header, another statement's end. */
function bindingEnd(s: Stmt): number {
  if (s.t === 'for') return s.iter.loc[2];
  if (s.t === 'with') return Math.max(s.line, ...s.items.map((item) => item.ctx.loc[2]));
  if (s.t === 'assign' || s.t === 'expr' || s.t === 'return') return lastLine(s);
  return s.line;
}

/**
 * Whether a statement binds its names whenever its block runs. A walrus (`if (x := f()) and ...`)
 * becomes an assignment just before the statement holding it, which starts on its line or above:
 * it may not run, so it surely binds nothing; nor does a loop target (see collectLocals).
 */
function surelyBinds(s: Stmt, next: Stmt | undefined): boolean {
  if (s.t === 'assign') return !next || next.line > lastLine(s);
  return s.t === 'with' || s.t === 'def' || s.t === 'class';
}

/**
 * `params`: the function's parameters. A parameter's dict items (`kwargs["k"] = v`,
 * `context.update({...})`) are its own in the body, as a local dict's are; its other mutations
 * (`self.x = v`, `rows.append(x)`) leave it as the caller typed it.
 */
export function collectLocals(
  body: Stmt[],
  into: Map<string, LocalBinding[]>,
  file: PythonFacts,
  params: readonly string[] = [],
): void {
  let place: BindingPlace = { end: 0 };
  /** Where the statement being visited surely rebinds the names it binds (see BindingPlace.replaces). */
  let replaces: [number, number] | undefined;
  /** Tests and iterables around the statement being visited, and the nested function it is in. */
  let guards: Expr[] = [];
  let inFn: number | undefined;
  // A closure may run after any statement of this function: what it binds reaches every line.
  const placed = (b: Binding): LocalBinding =>
    ({
      ...b,
      ...(inFn === undefined ? place : { end: -1 }),
      ...(guards.length ? { guards } : {}),
      ...(inFn !== undefined ? { inFn } : {}),
    }) as LocalBinding;
  // Mutations (`x.append(v)`, `x["k"] = v`) add data only to names the function binds itself.
  const mutations: [string, LocalBinding][] = [];
  const mutate = (name: string, b: Binding) => mutations.push([name, { ...placed(b), adds: true }]);
  const paramFills: [string, LocalBinding][] = [];
  const fill = (name: string, b: Binding) => {
    if (params.includes(name)) paramFills.push([name, { ...placed(b), adds: true }]);
    else mutate(name, b);
  };
  // `d["k"] = v` items of one name make one dict, so each item stays readable by its key (a render context).
  const items = new Map<string, { item: DictItem; place: BindingPlace }[]>();
  const add = (name: string, b: LocalBinding) => {
    const list = into.get(name);
    if (list) list.push(b);
    else into.set(name, [b]);
  };
  const bindT = (t: Target, make: (index: number | null) => Binding, index: number | null = null) => {
    if (inFn !== undefined) return; // a nested function's own names are its locals, not ours
    if (t.t === 'name') add(t.id, { ...placed(make(index)), ...(replaces && { replaces }) });
    else if (t.t === 'tuple') t.items.forEach((item, i) => bindT(item, make, i));
  };
  const guarded = (test: Expr, blocks: Stmt[][], loop: [number, number] | undefined) => {
    const saved = guards;
    // `if rows is None: rows = ...` tests what it assigns: the value does not depend on itself.
    if (!mentionsAny(test, assignedNames(blocks))) guards = [...guards, test];
    blocks.forEach((b) => visit(b, loop));
    guards = saved;
  };
  const visit = (stmts: Stmt[], loop?: [number, number]): void => {
    const blockEnd = stmts.length ? lastLine(stmts[stmts.length - 1]) : 0;
    stmts.forEach((s, i) => {
      const inner: [number, number] | undefined =
        loop ?? (s.t === 'for' || s.t === 'while' ? [s.line, lastLine(s)] : undefined);
      place = { end: bindingEnd(s), ...(loop && { loop }) };
      replaces = surelyBinds(s, stmts[i + 1]) ? [s.line, blockEnd] : undefined;
      switch (s.t) {
        case 'assign':
          for (const t of s.targets) {
            bindT(t, (index) => ({ k: 'assign', value: s.value, index }));
            // `d["k"] = v` and `obj.attr = v` add data to the container variable.
            if (t.t === 'sub' && t.obj.t === 'name' && t.idx.t === 'str' && inFn === undefined) {
              const list = items.get(t.obj.id) ?? [];
              list.push({ item: { key: t.idx, value: s.value }, place });
              items.set(t.obj.id, list);
            } else if (t.t === 'sub') {
              const name = containerName(t.obj);
              if (name) mutate(name, { k: 'assign', value: s.value, index: null });
            } else if (t.t === 'attr' && t.obj.t === 'name')
              mutate(t.obj.id, { k: 'attr', value: s.value, attr: t.name });
          }
          break;
        case 'expr': {
          // `items.append(x)` / `data.update(...)` / `d[k].append(x)` add data to the container variable.
          const e = s.value;
          const name = e.t === 'call' && e.fn.t === 'attr' && MUTATORS.test(e.fn.name) && containerName(e.fn.obj);
          if (e.t === 'call' && e.fn.t === 'attr' && name) {
            const one = ONE_ITEM_MUTATORS.has(e.fn.name);
            for (const a of e.args)
              (e.fn.name === 'update' && e.fn.obj.t === 'name' ? fill : mutate)(
                name,
                one
                  ? { k: 'assign', value: { t: 'seq', items: [a], loc: a.loc }, index: null }
                  : { k: 'assign', value: a, index: null, items: true },
              );
          }
          break;
        }
        case 'if':
        case 'while':
          guarded(s.test, nestedBlocks(s), inner);
          break;
        case 'for':
          place = { end: bindingEnd(s), loop: inner };
          replaces = undefined;
          bindT(s.target, (index) => ({ k: 'iter', iter: s.iter, index }));
          guarded(s.iter, nestedBlocks(s), inner);
          break;
        case 'with':
          for (const item of s.items) if (item.as) bindT(item.as, () => ({ k: 'with', ctx: item.ctx }));
          visit(s.body, loop);
          break;
        case 'def': {
          if (inFn === undefined)
            add(file.functions[s.fn].name, { ...placed({ k: 'def', idx: s.fn }), ...(replaces && { replaces }) });
          // A nested function (a closure) may fill this function's containers.
          const saved = [guards, inFn] as const;
          [guards, inFn] = [[], s.fn];
          visit(file.functions[s.fn].body);
          [guards, inFn] = saved;
          break;
        }
        case 'class':
          if (inFn === undefined)
            add(file.classes[s.cls].name, { ...placed({ k: 'class', idx: s.cls }), ...(replaces && { replaces }) });
          break;
        default:
          nestedBlocks(s).forEach((b) => visit(b, inner));
          break;
      }
    });
  };
  visit(body);
  for (const [name, list] of items) {
    // One dict for all the items: it binds where the first does (later items may count too early, never too late).
    place = list[0].place;
    const dictItems = list.map((x) => x.item);
    fill(name, { k: 'assign', value: { t: 'dict', items: dictItems, loc: dictItems[0].value.loc }, index: null });
  }
  for (const [name, b] of mutations) into.get(name)?.push(b);
  for (const [name, b] of paramFills) add(name, b);
}

/**
 * The keys a local dict spreads (`update(**changes)`) when the function only ever fills it with
 * literal keys: `changes = {"a": …}`, `changes["b"] = …`, `changes.update({"c": …})`. Undefined for
 * a parameter, a computed key, or a name bound any other way.
 */
export function literalDictKeys(name: string, scope: Scope): string[] | undefined {
  const fnScope = functionScope(scope);
  const bindings = fnScope?.locals.get(name);
  if (!fnScope?.fn || !bindings || fnScope.fn.params.some((p) => p.name === name)) return undefined;
  if (fillsUnseen(fnScope.fn.body, name)) return undefined;
  let keys: string[] = [];
  for (const b of bindings) {
    if (b.k !== 'assign' || b.index !== null || b.value.t !== 'dict') return undefined;
    for (const item of b.value.items) {
      if (item.key?.t !== 'str') return undefined;
      keys = union(keys, [item.key.v]);
    }
  }
  return keys;
}

/**
 * Whether the body adds keys to dict `name` that collectLocals does not bind as dict items: a
 * computed key (`d[k] = value` is recorded as a binding of `value`), keywords (`d.update(c=1)`),
 * or a use that hands the dict itself on (`fill(d)`, `other = d`), which may add any.
 */
function fillsUnseen(body: Stmt[], name: string): boolean {
  return body.some((s) => {
    if (ownExpressions(s).some((e) => escapes(e, name))) return true;
    if (
      s.t === 'assign' &&
      s.targets.some(
        (t) => t.t === 'sub' && containerName(t.obj) === name && !(t.obj.t === 'name' && t.idx.t === 'str'),
      )
    )
      return true;
    const e = s.t === 'expr' ? s.value : undefined;
    if (
      e?.t === 'call' &&
      e.kw.length &&
      e.fn.t === 'attr' &&
      MUTATORS.test(e.fn.name) &&
      containerName(e.fn.obj) === name
    )
      return true;
    return nestedBlocks(s).some((b) => fillsUnseen(b, name));
  });
}

/** The expressions a statement evaluates itself, not those of its nested blocks. */
function ownExpressions(s: Stmt): Expr[] {
  switch (s.t) {
    case 'assign':
    case 'expr':
      return [s.value];
    case 'return':
      return s.value ? [s.value] : [];
    case 'if':
    case 'while':
      return [s.test];
    case 'for':
      return [s.iter];
    case 'with':
      return s.items.map((item) => item.ctx);
    default:
      return [];
  }
}

/**
 * Whether `e` uses dict `name` other than through its methods, its items or `**name`: an alias
 * (`other = d`) or an argument (`fill(d)`) may gain keys where the function does not show them.
 */
function escapes(e: Expr, name: string): boolean {
  const isName = (x: Expr) => x.t === 'name' && x.id === name;
  if (isName(e)) return true;
  if (e.t === 'attr' && isName(e.obj)) return false;
  if (e.t === 'sub' && isName(e.obj)) return escapes(e.idx, name);
  const parts =
    e.t === 'call'
      ? [e.fn, ...e.args, ...e.kw.filter((k) => k.name || !isName(k.value)).map((k) => k.value)]
      : subExpressions(e);
  return parts.some((x) => escapes(x, name));
}

export function visitReturns(body: Stmt[], f: (e: Expr, yields?: true | 'from') => void): void {
  for (const s of body) {
    if (s.t === 'return' && s.value) f(s.value, s.yields);
    nestedBlocks(s).forEach((b) => visitReturns(b, f));
  }
}

export function visitAssigns(body: Stmt[], f: (t: Target, value: Expr) => void): void {
  for (const s of body) {
    if (s.t === 'assign') s.targets.forEach((t) => f(t, s.value));
    nestedBlocks(s).forEach((b) => visitAssigns(b, f));
  }
}
