/**
 * Key holes: how a value becomes a key pattern, and where each hole of a key comes from (a model
 * field, a cache version, a hash of data, or unknown), so fixes can rebuild the key elsewhere.
 */
import type { Expr, Stmt } from '../../syntax/ir';
import { nestedBlocks } from '../../facts/walk';
import {
  concat,
  display,
  type HoleSource,
  type KeyCall,
  type KeyPart,
  type KeyPattern,
  fromParams,
  lit,
  splitHead,
  UNKNOWN_HOLE,
} from '../domain/keys';
import { exprText, fnId, type FnRef, reachingBindings, type Scope, type Shape, v, type V } from '../domain/values';
import { GET_LIST_OR_404, GET_OBJECT_OR_404 } from '../django';
import type { Call, InterpreterApi } from './api';
import { functionScope, spreadsArguments } from './bindings';

/**
 * Fills `%s` / `{}` placeholders of a literal pattern with the given expressions as holes:
 * `{0}` by position, `{slug}` by keyword (`named`, for `str.format`). A placeholder with no value
 * is a hole named after it (`{slug}`), so the key keeps reading as written.
 */
export function substitute(
  interp: InterpreterApi,
  p: KeyPattern,
  placeholder: RegExp,
  values: Expr[],
  scope: Scope,
  named?: ReadonlyMap<string, Expr>,
): KeyPattern {
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
      const field = /^\{(\w+)/.exec(m[0])?.[1];
      const valueExpr =
        field === undefined ? values[i++] : /^\d+$/.test(field) ? values[Number(field)] : named?.get(field);
      // `%s`, `%d`, `{}` print the value as str() does; `%05d` or `{:x}` do not, so the source is lost.
      const plain = /^(%[sdi]|\{\w*\})$/.test(m[0]);
      const missing: KeyPart =
        field === undefined || /^\d+$/.test(field) ? UNKNOWN_HOLE : { hole: field, source: { kind: 'unknown' } };
      out.push(
        valueExpr
          ? keyOf(interp, interp.eval(valueExpr, scope), valueExpr, plain ? scope : undefined)
          : { parts: [missing] },
      );
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
export function keyOf(interp: InterpreterApi, val: V, e: Expr, scope?: Scope): KeyPattern {
  // A helper that returns None for bad input (`if not items: return None`) still builds its key.
  // After `key = [a, b]; key = '.'.join(key)` the name used as a key is the joined text.
  if (e.t === 'name' && scope && listBinding(e.id, scope)?.rejoined)
    val = { ...val, shapes: val.shapes.filter((s) => s.k !== 'list') };
  // Two bindings of one name to the same template (`key = "a.%s" % x` in each branch) are one key.
  const strs = val.shapes.filter((s) => s.k === 'str');
  const oneKey = strs.every((s) => s.k === 'str' && strs[0].k === 'str' && sameText(s.key, strs[0].key));
  if (strs.length && oneKey && strs[0].k === 'str' && val.shapes.every((s) => s.k === 'str' || s.k === 'const'))
    return strs[0].key;
  const cached = val.shapes.find((s) => s.k === 'cached');
  const name = exprText(e);
  if (cached && cached.k === 'cached') {
    const constant =
      cached.key && !cached.key.fragment && !cached.key.page && cached.key.parts.every((p) => 'lit' in p)
        ? display(cached.key)
        : null;
    return {
      parts: [
        {
          hole: name,
          source: { kind: 'version', key: constant, alias: cached.alias },
          versionOf: cached.key ?? undefined,
        },
      ],
    };
  }
  const counted = val.shapes.find((s) => s.k === 'rowcount');
  if (counted && counted.k === 'rowcount' && val.shapes.every((s) => s.k === 'rowcount' && s.model === counted.model))
    return { parts: [{ hole: name, source: { kind: 'rowCount', model: counted.model } }] };
  if (val.shapes.some((s) => s.k === 'hash')) {
    const random = val.shapes.some((s) => s.k === 'hash' && s.random);
    return {
      parts: [{ hole: name, source: { kind: 'unknown' }, immutable: true, covers: random ? undefined : val.deps }],
    };
  }
  const hole: KeyPart = {
    hole: name,
    source: scope ? holeSource(interp, e, scope, 0) : { kind: 'unknown' },
    ...(scope && ownParam(val, scope) && { fromParam: true }),
  };
  const local = scope && e.t === 'name' ? localName(e.id, e.loc[0], scope) : undefined;
  return local ? { parts: [hole], local } : { parts: [hole] };
}

/** Whether the value is a parameter of the function `scope` is in. */
function ownParam(val: V, scope: Scope): boolean {
  const params = functionScope(scope)?.fn?.params;
  return !!params && val.shapes.some((s) => s.k === 'param' && params.some((p) => p.name === s.name));
}

function sameText(a: KeyPattern, b: KeyPattern): boolean {
  return (
    a === b ||
    (display(a) === display(b) && a.fragment === b.fragment && !a.page && !b.page && !a.builder && !b.builder)
  );
}

/**
 * The list literal a local name holds where `join` reads it: its one binding, or its one list
 * binding when every other is a join of the name stored back in it (`rejoined`:
 * `key = [a, b]; key = '.'.join(key)`). A name also appended to or bound elsewhere is no known list.
 */
function listBinding(name: string, scope: Scope): { list: Expr; rejoined: boolean } | undefined {
  const bindings = functionScope(scope)?.locals.get(name);
  if (!bindings) return undefined;
  const lists = bindings.filter((b) => b.k === 'assign' && b.index === null && b.value.t === 'seq');
  const joinsItself = (x: Expr) =>
    x.t === 'call' && x.fn.t === 'attr' && x.fn.name === 'join' && x.args[0]?.t === 'name' && x.args[0].id === name;
  const rest = bindings.filter((b) => !lists.includes(b));
  if (lists.length !== 1 || !rest.every((b) => b.k === 'assign' && joinsItself(b.value))) return undefined;
  return { list: (lists[0] as { value: Expr }).value, rejoined: rest.length > 0 };
}

/**
 * The function (fnId) whose local variable `name` is, unless a comprehension or lambda variable
 * shadows it; for a name bound more than once, with the bindings that reach `line`, so a name
 * rebound between two uses does not name one key at both.
 */
function localName(name: string, line: number, scope: Scope): string | undefined {
  const fnScope = functionScope(scope);
  const bindings = fnScope?.fn ? fnScope.locals.get(name) : undefined;
  if (!bindings) return undefined;
  for (let s: Scope | null = scope; s && s !== fnScope; s = s.parent) if (s.fixed.has(name)) return undefined;
  const id = fnId(fnScope!.file, fnScope!.fnIdx);
  if (bindings.length === 1) return id;
  return `${id}@${reachingBindings(bindings, line).map((b) => bindings.indexOf(b))}`;
}

/**
 * A hole is a model field only when that is certain: an attribute of a value that is always an
 * instance of one model, or a name this function looks that model's rows up by exactly.
 */
function holeSource(interp: InterpreterApi, e: Expr, scope: Scope, depth: number): HoleSource {
  const at = { path: scope.file.path, loc: e.loc };
  if (e.t === 'attr') {
    const obj = interp.eval(e.obj, scope);
    const models = new Set(obj.shapes.map((s) => (s.k === 'inst' ? s.model : '')));
    if (models.size === 1 && !models.has('')) return { kind: 'field', model: [...models][0], field: e.name, at };
    // `self.pk` in an abstract model's method: the field of whichever concrete row, named by the abstract model.
    const abstract = !models.has('') && models.size > 1 ? interp.models.sharedAbstractParent([...models]) : undefined;
    if (abstract) return { kind: 'field', model: abstract, field: e.name, at };
    // `category.pk` where the function filters on `category=category`: the row's foreign key column.
    const lookup =
      e.obj.t === 'name' && (e.name === 'pk' || e.name === 'id') ? lookupValue(interp, e.obj.id, scope) : undefined;
    if (lookup?.relation) return { kind: 'field', model: lookup.model, field: `${lookup.field}_id`, at };
    return { kind: 'unknown' };
  }
  if (e.t !== 'name') return { kind: 'unknown' };
  const lookup = lookupValue(interp, e.id, scope);
  if (lookup && !lookup.relation) return { kind: 'field', model: lookup.model, field: lookup.field, at };
  // `pk = product.pk` then `f"p:{pk}"`: the name has the source of the one assignment that reaches it.
  const fnScope = functionScope(scope);
  const all = fnScope?.locals.get(e.id);
  const bindings = all && reachingBindings(all, e.loc[0]);
  if (depth < 4 && bindings?.length === 1 && bindings[0].k === 'assign' && bindings[0].index === null) {
    const inner = holeSource(interp, bindings[0].value, fnScope!, depth + 1);
    return inner.kind === 'field' ? { ...inner, at } : inner;
  }
  return { kind: 'unknown' };
}

/** The field a parameter or local name equals, when its function passes it as an exact lookup value. */
function lookupValue(interp: InterpreterApi, name: string, scope: Scope): LookupValue | undefined {
  const fnScope = functionScope(scope);
  if (!fnScope?.fn || !(fnScope.fixed.has(name) || fnScope.locals.has(name))) return undefined;
  // A comprehension or lambda variable of the same name is another value.
  for (let s: Scope | null = scope; s && s !== fnScope; s = s.parent) if (s.fixed.has(name)) return undefined;
  const id = fnId(fnScope.file, fnScope.fnIdx);
  const memo = interp.memoTable<Map<string, LookupValue>>('lookupValues');
  let values = memo.get(id);
  if (!values) {
    values = new Map();
    memo.set(id, values);
    collectLookupValues(interp, fnScope.fn.body, fnScope, values);
  }
  return values.get(name);
}

function collectLookupValues(interp: InterpreterApi, body: Stmt[], scope: Scope, into: Map<string, LookupValue>): void {
  // Names a lambda binds itself are not the function's.
  const visit = (e: Expr, depth: number, shadowed: readonly string[] = []): void => {
    if (depth > 20) return;
    switch (e.t) {
      case 'call': {
        const model = lookupModel(interp, e, scope);
        if (model) {
          for (const k of e.kw) {
            if (
              !k.name ||
              k.value.t !== 'name' ||
              into.has(k.value.id) ||
              shadowed.includes(k.value.id) ||
              k.name === 'defaults' ||
              k.name === 'create_defaults'
            )
              continue;
            const field = exactLookupField(interp, model, k.name);
            if (field) into.set(k.value.id, { model, ...field });
          }
        }
        visit(e.fn, depth + 1, shadowed);
        e.args.forEach((a) => visit(a, depth + 1, shadowed));
        e.kw.forEach((k) => visit(k.value, depth + 1, shadowed));
        return;
      }
      case 'attr':
        return visit(e.obj, depth + 1, shadowed);
      case 'bin':
        visit(e.l, depth + 1, shadowed);
        return visit(e.r, depth + 1, shadowed);
      case 'seq':
        return e.items.forEach((x) => visit(x, depth + 1, shadowed));
      case 'dict':
        return e.items.forEach((x) => visit(x.value, depth + 1, shadowed));
      case 'cond':
        visit(e.a, depth + 1, shadowed);
        return visit(e.b, depth + 1, shadowed);
      case 'sub':
        visit(e.obj, depth + 1, shadowed);
        return visit(e.idx, depth + 1, shadowed);
      case 'lambda':
        return visit(e.body, depth + 1, [...shadowed, ...e.params]);
      default:
        return;
    }
  };
  for (const s of body) {
    if (s.t === 'assign' || s.t === 'expr') visit(s.value, 0);
    else if (s.t === 'return' && s.value) visit(s.value, 0);
    else if (s.t === 'for') visit(s.iter, 0);
    else if (s.t === 'if' || s.t === 'while') visit(s.test, 0);
    else if (s.t === 'with') s.items.forEach((i) => visit(i.ctx, 0));
    nestedBlocks(s).forEach((b) => collectLookupValues(interp, b, scope, into));
  }
}

/** The model whose rows a call looks up by its keyword arguments: `get`/`filter` on its querysets, `get_object_or_404(M, ...)`. */
function lookupModel(interp: InterpreterApi, e: Call, scope: Scope): string | undefined {
  const one = (shapes: Shape[]) => {
    const models = new Set(shapes.map((s) => (s.k === 'qs' && !s.through ? s.model : s.k === 'model' ? s.model : '')));
    return models.size === 1 && !models.has('') ? [...models][0] : undefined;
  };
  if (e.fn.t === 'attr' && EXACT_LOOKUP_METHODS.has(e.fn.name)) {
    const recv = interp.eval(e.fn.obj, scope).shapes;
    return recv.every((s) => s.k === 'qs') ? one(recv) : undefined;
  }
  const fn = interp.eval(e.fn, scope).shapes;
  if (e.args[0] && fn.some((s) => s.k === 'ext' && (s.q === GET_OBJECT_OR_404 || s.q === GET_LIST_OR_404))) {
    return one(interp.eval(e.args[0], scope).shapes);
  }
  return undefined;
}

/** `pk`, `slug`, `slug__exact`, `category_id`, `category__pk` (→ category_id); `category` is a relation whose value may be an instance or a key. */
function exactLookupField(
  interp: InterpreterApi,
  model: string,
  lookup: string,
): { field: string; relation: boolean } | undefined {
  const segs = lookup.replace(/__exact$/, '').split('__');
  const forward = (name: string) =>
    interp.models
      .lineage(model)
      .map((m) => m.fields.get(name))
      .find((f) => f && f.kind !== 'm2m');
  if (segs.length === 2 && (segs[1] === 'pk' || segs[1] === 'id') && forward(segs[0]))
    return { field: `${segs[0]}_id`, relation: false };
  if (segs.length !== 1) return undefined;
  if (segs[0] === 'pk' || segs[0] === 'id') return { field: segs[0], relation: false };
  if (forward(segs[0])) return { field: segs[0], relation: true };
  return interp.models.lookupRelation(model, segs[0]) ? undefined : { field: segs[0], relation: false };
}

/** A call of a module-level function with literal or traceable arguments, so a fix can make it again. */
export function keyCall(interp: InterpreterApi, fn: FnRef, e: Call, scope: Scope): KeyCall | undefined {
  const fact = fn.file.functions[fn.idx];
  if (fact.parent !== null || fact.cls !== null || spreadsArguments(e)) return undefined;
  const arg = (a: Expr): KeyPart => {
    const key = keyOf(interp, interp.eval(a, scope), a, scope);
    return key.parts.length === 1 && !key.fragment && !key.page
      ? key.parts[0]
      : { hole: exprText(a), source: { kind: 'unknown' } };
  };
  return {
    module: interp.ws.moduleName(fn.file),
    path: fn.file.path,
    name: fact.name,
    args: e.args.map(arg),
    kwargs: e.kw.map((k) => [k.name!, arg(k.value)]),
  };
}

/** Queryset methods whose keyword arguments pick rows by exact value. */
const EXACT_LOOKUP_METHODS = new Set([
  'get',
  'aget',
  'filter',
  'get_or_create',
  'aget_or_create',
  'update_or_create',
  'aupdate_or_create',
]);

/** A name passed as an exact lookup value: the field of `model` it equals; `relation` when the field is a foreign key compared by instance or key. */
interface LookupValue {
  model: string;
  field: string;
  relation: boolean;
}

/** `str` methods on a key pattern: `format`, `join`, case and encoding. */
export function stringMethod(interp: InterpreterApi, key: KeyPattern, name: string, e: Call, scope: Scope): V {
  if (name === 'format') {
    const named = new Map(e.kw.flatMap((k) => (k.name ? [[k.name, k.value] as const] : [])));
    return v([{ k: 'str', key: substitute(interp, key, /\{[^{}]*\}/g, e.args, scope, named) }]);
  }
  if (name === 'join' && e.args[0]) {
    const sep = key.parts.length === 1 && 'lit' in key.parts[0] ? key.parts[0].lit : '';
    const arg = e.args[0];
    // `[a, b] + items`: the listed items keep their text; an unknown list is one hole.
    const listed = (x: Expr): (Expr | { rest: Expr })[] => {
      if (x.t === 'seq') return x.items;
      if (x.t === 'bin' && x.op === '+') return [...listed(x.l), ...listed(x.r)];
      const built = x.t === 'name' ? listBinding(x.id, scope) : undefined;
      return built ? listed(built.list) : [{ rest: x }];
    };
    const items = listed(arg);
    if (items.some((item) => !('rest' in item))) {
      const pieces: KeyPattern[] = [];
      items.forEach((item, i) => {
        if (i) pieces.push(lit(sep));
        pieces.push(
          'rest' in item
            ? { parts: [{ hole: exprText(item.rest), source: { kind: 'unknown' } }] }
            : keyOf(interp, interp.eval(item, scope), item, scope),
        );
      });
      return v([{ k: 'str', key: concat(...pieces) }]);
    }
    return v([{ k: 'str', key: { parts: [{ hole: exprText(arg), source: { kind: 'unknown' } }] } }]);
  }
  // `key.split(":", 1)[0]`: the namespace before the first separator (the other items are not
  // known), where a wrapper cuts it from the key it is given.
  const sep =
    name === 'split' && e.args[0] && (scope.bound || fromParams(key))
      ? literalOf(interp.eval(e.args[0], scope))
      : undefined;
  if (sep) return v([{ k: 'const' }, { k: 'tuple', items: [v([{ k: 'str', key: splitHead(key, sep) }])] }]);
  if (name === 'encode' || name === 'lower' || name === 'upper' || name === 'strip' || name === 'replace') {
    return v([
      {
        k: 'str',
        key:
          name === 'encode' || name === 'strip'
            ? key
            : {
                parts: key.parts.map((p) =>
                  'lit' in p
                    ? { lit: name === 'lower' ? p.lit.toLowerCase() : name === 'upper' ? p.lit.toUpperCase() : p.lit }
                    : p,
                ),
              },
      },
    ]);
  }
  // Text made from a parameter some other way is still the parameter's: which text depends on the call.
  if (fromParams(key))
    return v([{ k: 'str', key: { parts: [{ hole: exprText(e), source: { kind: 'unknown' }, fromParam: true }] } }]);
  return v([{ k: 'const' }]);
}

/** The text of a value that is one literal string. */
function literalOf(val: V): string | undefined {
  const [only] = val.shapes;
  if (val.shapes.length !== 1 || only.k !== 'str' || only.key.parts.length !== 1 || !('lit' in only.key.parts[0]))
    return undefined;
  return only.key.parts[0].lit;
}

/** Keys a workspace function returns remember it (and how it was called), so the same builder on both sides is a strong match. */
export function withBuilder(val: V, builder: string, call: () => KeyCall | undefined): V {
  if (!val.shapes.some((s) => s.k === 'str' && !s.key.builder && s.key.fragment === undefined && !s.key.page))
    return val;
  const made = call();
  return {
    ...val,
    shapes: val.shapes.map((s) =>
      s.k === 'str' && !s.key.builder && s.key.fragment === undefined && !s.key.page
        ? { k: 'str', key: { ...s.key, builder, call: made } }
        : s,
    ),
  };
}

/** `delete_pattern("product:*")` and `keys("product:*")`: glob stars become holes. */
export function globToPattern(p: KeyPattern): KeyPattern {
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
