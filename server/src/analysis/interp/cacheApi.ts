/**
 * Django's cache API: the ops of cache objects (`cache`, `caches[alias]`, the runtime's `tagged`),
 * their keys, timeouts and versions, and project cache wrappers instantiated at their calls.
 */
import type { Expr, FunctionFact, Loc } from '../../syntax/ir';
import { nameTable } from '../../text/nameTable';
import { display, fromParams, isOpaque, type KeyPattern, rowField, UNKNOWN_HOLE } from '../domain/keys';
import { type CacheOp, opPlace } from '../domain/events';
import type { TagDeclaration } from '../domain/tags';
import { dataOf, type Dep, EMPTY, fnId, type FnRef, merge, type Scope, v, type V } from '../domain/values';
import { CACHE_OBJECT, CACHES_HANDLER, syncCacheMethod } from '../django';
import type { Call, FnShape, InterpreterApi, Walk } from './api';
import { argumentFor, bindTarget, functionScope, kwOf, receiverParams, spreadsArguments } from './bindings';
import { globToPattern, keyOf } from './keyHoles';

const UNKNOWN_KEY: KeyPattern = { parts: [UNKNOWN_HOLE] };

/** The cache objects Django names: `django.core.cache.cache` and the `caches` handler. */
export function cacheHandle(q: string): V | undefined {
  if (q === CACHE_OBJECT) return v([{ k: 'cache', alias: 'default' }]);
  if (q === CACHES_HANDLER) return v([{ k: 'caches' }]);
  return undefined;
}

/** `caches["alias"]`: the cache of a literal alias, or of an unknown one ('?'). */
export function cacheOfAlias(idx: V): V {
  const alias = idx.shapes.find((x) => x.k === 'str');
  const name =
    alias && alias.k === 'str' && alias.key.parts.length === 1 && 'lit' in alias.key.parts[0]
      ? alias.key.parts[0].lit
      : undefined;
  return v([{ k: 'cache', alias: name ?? '?' }]);
}

/** An op through `tagged(...)`: the default cache's op, whose entry carries the declared tags. */
export function taggedCacheCall(
  interp: InterpreterApi,
  tags: TagDeclaration,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V {
  const before = walk?.events.ops.length ?? 0;
  const out = cacheCall(interp, 'default', name, e, scope, walk);
  for (const op of walk?.events.ops.slice(before) ?? []) op.tags = tags;
  return out;
}

/** `fn.invalidate(...)` of a memoized function deletes its entries. */
export function memoizedFunctionCall(
  interp: InterpreterApi,
  fn: FnRef,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V {
  if (name === 'invalidate' && walk)
    recordOp(
      interp,
      walk,
      scope,
      e,
      'delete',
      'default',
      { parts: [], builder: `memoize:${fnId(fn.file, fn.idx)}`, memoized: fnId(fn.file, fn.idx) },
      null,
    );
  return EMPTY;
}

/** The cache op for a method on a Django cache object; records it when walking. */
export function cacheCall(
  interp: InterpreterApi,
  alias: string,
  method: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V {
  const m = syncCacheMethod(method);
  if (!m) return EMPTY;
  const keyExpr = e.args[0] ?? e.kw.find((k) => k.name === 'key' || k.name === 'keys' || k.name === 'pattern')?.value;
  const keyV = keyExpr ? interp.eval(keyExpr, scope, walk) : EMPTY;
  const key = keyExpr ? keyOf(interp, keyV, keyExpr, scope) : null;
  if (m === 'get' || m === 'has_key' || m === 'ttl') {
    // A wrapper's get of its key parameter names no key of its own.
    if (walk && !paramName(keyV))
      walk.events.keyReads.push({
        file: scope.file,
        loc: e.loc,
        method: m,
        alias,
        key,
        version: versionArg(interp, e, scope),
        ...dynamicVersionArg(interp, e, scope),
      });
    return v([{ k: 'cached', key, alias }]);
  }
  if (m === 'get_many') return cachedByKey(interp, keyV, alias);
  // django-redis: the keys matching a glob, deleted one by one or with delete_many, delete what the glob matches.
  if (m === 'keys' || m === 'iter_keys')
    return key ? v([{ k: 'list', elem: v([{ k: 'str', key: globToPattern(key) }]) }]) : EMPTY;
  if (m === 'set_many') {
    const dictExpr = e.args[0];
    if (walk && dictExpr?.t === 'dict') {
      for (const item of dictExpr.items) {
        if (!item.key) continue;
        const k = keyOf(interp, interp.eval(item.key, scope), item.key, scope);
        recordOp(
          interp,
          walk,
          scope,
          e,
          'set',
          alias,
          k,
          interp.eval(item.value, scope),
          item.key,
          e.args[1] ?? kwOf(e.kw, 'timeout'),
        );
      }
    }
    return EMPTY;
  }
  if (m === 'delete_many') {
    const arg = e.args[0];
    if (walk) {
      if (arg?.t === 'seq') {
        for (const item of arg.items)
          for (const k of deletedKeys(interp, interp.eval(item, scope), item, scope))
            recordOp(interp, walk, scope, e, 'delete', alias, k, null, item, undefined, item.loc);
      } else if (arg?.t === 'comp') {
        const inner = compScope(interp, arg, scope);
        for (const k of deletedKeys(interp, interp.eval(arg.elt, inner), arg.elt, inner))
          recordOp(interp, walk, scope, e, 'delete', alias, k, null, arg.elt);
      } else if (arg) {
        const elems = interp.element(keyV);
        const keys = elems.shapes.some((s) => s.k === 'str' || s.k === 'member') ? listedKeys(elems) : [null];
        for (const k of keys) recordOp(interp, walk, scope, e, 'delete', alias, k, null, arg);
      }
    }
    return EMPTY;
  }
  if (m === 'clear') {
    if (walk) recordOp(interp, walk, scope, e, 'clear', alias, null, null, undefined);
    return EMPTY;
  }
  if (m === 'delete_pattern') {
    const pattern = key ? globToPattern(key) : null;
    if (walk) recordOp(interp, walk, scope, e, 'delete', alias, pattern, null, keyExpr);
    return EMPTY;
  }
  if (m === 'set' || m === 'add' || m === 'get_or_set') {
    const valueExpr = e.args[1] ?? kwOf(e.kw, m === 'get_or_set' ? 'default' : 'value');
    let value = valueExpr ? interp.eval(valueExpr, scope, walk) : EMPTY;
    if (m === 'get_or_set') value = callableValue(interp, value);
    if (walk) {
      const op = recordOp(
        interp,
        walk,
        scope,
        e,
        m,
        alias,
        key,
        beyondKey(value, keyV),
        keyExpr,
        e.args[2] ?? kwOf(e.kw, 'timeout'),
      );
      if (valueExpr && m !== 'get_or_set') op.members = groupMembers(interp, valueExpr, scope);
    }
    // get_or_set also reads the key back, so a key built from it is versioned by it.
    return m === 'get_or_set' ? merge(value, v([{ k: 'cached', key, alias }])) : EMPTY;
  }
  if (walk && m === 'delete' && keyExpr)
    for (const k of deletedKeys(interp, keyV, keyExpr, scope))
      recordOp(interp, walk, scope, e, m, alias, k, null, keyExpr);
  else if (walk) recordOp(interp, walk, scope, e, m, alias, key, null, keyExpr, e.args[1] ?? kwOf(e.kw, 'timeout'));
  return m === 'incr' || m === 'decr' ? v([{ k: 'const' }]) : EMPTY;
}

/**
 * `cache.get_many(["v:nav", "v:footer"])`: a dict from each constant key to the value read back
 * under it, so `versions["v:nav"]` versions the keys built from it as `cache.get("v:nav")` does.
 */
function cachedByKey(interp: InterpreterApi, keys: V, alias: string): V {
  const items = new Map<string, V>();
  for (const s of interp.element(keys).shapes) {
    if (s.k === 'str' && s.key.parts.every((p) => 'lit' in p))
      items.set(display(s.key), v([{ k: 'cached', key: s.key, alias }]));
  }
  return items.size ? v([{ k: 'dict', items }]) : EMPTY;
}

/**
 * The keys a delete of `val` removes: each literal key it may be (an item of a registry of keys:
 * a dict or list of key templates iterated), each key group it is an item of, or its one key.
 */
function deletedKeys(interp: InterpreterApi, val: V, e: Expr, scope: Scope): KeyPattern[] {
  const several = val.shapes.filter((s) => s.k === 'str').length > 1;
  if (
    (several && val.shapes.every((s) => s.k === 'str' || s.k === 'const')) ||
    val.shapes.some((s) => s.k === 'member')
  )
    return listedKeys(val, keyOf(interp, val, e, scope));
  return [keyOf(interp, val, e, scope)];
}

/**
 * The keys of a list's items: each literal key, and for an item read back from a key group, a key
 * that stands for the group's members (`name` is how it reads). Other items name nothing.
 */
function listedKeys(items: V, name: KeyPattern = UNKNOWN_KEY): KeyPattern[] {
  return items.shapes.flatMap((s) =>
    s.k === 'str' ? [s.key] : s.k === 'member' ? [{ ...name, memberOf: { group: s.group, alias: s.alias } }] : [],
  );
}

/** The parameters whose values a stored list holds: a helper that adds the caller's key to a group. */
function listedParams(value: V | null): string[] {
  return (value?.shapes ?? []).flatMap((s) =>
    s.k === 'list' ? s.elem.shapes.flatMap((x) => (x.k === 'param' ? [x.name] : [])) : [],
  );
}

/**
 * The keys a stored list holds (a key group): the items of the list literals that build it, as
 * written (`[key]`, `keys + [key]`, `keys.append(key)` of a local list), each resolved as a key is.
 * Items that name no key the engine can match are left out.
 */
function groupMembers(interp: InterpreterApi, valueExpr: Expr, scope: Scope): KeyPattern[] | undefined {
  const fnScope = functionScope(scope);
  const seen = new Set<string>();
  const items = (x: Expr, depth: number): Expr[] => {
    if (depth > 6) return [];
    if (x.t === 'seq') return x.items;
    if (x.t === 'bin' && (x.op === '+' || x.op === 'or')) return [...items(x.l, depth + 1), ...items(x.r, depth + 1)];
    if (x.t === 'cond') return [...items(x.a, depth + 1), ...items(x.b, depth + 1)];
    if (x.t !== 'name' || seen.has(x.id)) return [];
    seen.add(x.id);
    return (fnScope?.locals.get(x.id) ?? []).flatMap((b) =>
      b.k === 'assign' && b.index === null ? items(b.value, depth + 1) : [],
    );
  };
  const members = items(valueExpr, 0)
    .map((item) => keyOf(interp, interp.eval(item, scope), item, scope))
    .filter((k) => !isOpaque(k) || k.local);
  return members.length ? members : undefined;
}

function compScope(interp: InterpreterApi, c: Extract<Expr, { t: 'comp' }>, scope: Scope): Scope {
  const fixed = new Map<string, V>();
  const inner: Scope = { ...scope, parent: scope, fixed, locals: new Map(), memo: new Map(), busy: new Set() };
  for (const g of c.gens) bindTarget(g.target, interp.element(interp.eval(g.iter, inner)), fixed);
  return inner;
}

/** get_or_set's default may be a value, a lambda, or a function to call. */
function callableValue(interp: InterpreterApi, val: V): V {
  const out: V[] = [dataOf(val)];
  for (const s of val.shapes) {
    if (s.k === 'lambda') out.push(interp.eval(s.expr.body, interp.lambdaScope(s.expr, s.scope, [])));
    else if (s.k === 'fn') out.push(interp.returns(s.fn, s.closure ?? null, s.self));
    else if (s.k === 'param') out.push(v([{ k: 'paramcall', name: s.name }]));
    else out.push(v([s]));
  }
  return merge(...out);
}

/**
 * The call of `wrapper` cut down to the arguments its `*args`/`**kwargs` take: positional ones past
 * its named parameters, keywords naming none of them. None when the call spreads a sequence itself.
 */
function forwardedArgs(wrapper: FunctionFact, e: Call): Call | undefined {
  if (spreadsArguments(e)) return undefined;
  const named = wrapper.params.filter((p) => p.kind === 'plain');
  const offset = receiverParams(wrapper);
  const takesArgs = wrapper.params.some((p) => p.kind === 'args');
  const takesKwargs = wrapper.params.some((p) => p.kind === 'kwargs');
  return {
    ...e,
    args: takesArgs ? e.args.slice(Math.max(named.length - offset, 0)) : [],
    kw: takesKwargs ? e.kw.filter((k) => !named.some((p) => p.name === k.name)) : [],
  };
}

/** What calling `callable` with the forwarded arguments returns, as the same call written out would. */
function forwardedCallValue(interp: InterpreterApi, callable: V, forwarded: Call, scope: Scope): V {
  const args = forwarded.args.map((a) => interp.eval(a, scope));
  const out: V[] = [dataOf(callable)];
  for (const s of callable.shapes) {
    if (s.k === 'fn') out.push(interp.callFunction(s, forwarded, scope, undefined, () => args));
    else if (s.k === 'lambda') out.push(interp.eval(s.expr.body, interp.lambdaScope(s.expr, s.scope, args)));
    else out.push(callableValue(interp, v([s])));
  }
  return merge(...out);
}

/**
 * The stored value without the data its key holds: columns of the row a model's method runs on
 * (`self`) that the key embeds pick the entry, so a change of them stores under another key and
 * leaves this one right (`f"blog_slug:{self.page}"` caching the slug of the post `self.page`
 * names). Only the same row's columns, and only all of them: a value reading other columns, or the
 * column of another row, still reads it. The key may embed a function of the column
 * (`self.page[2:]`); a value using a part of the column the key drops is not told apart.
 */
function beyondKey(value: V, key: V): V {
  const held = key.deps.filter((k) => k.oneRow && k.columns);
  if (!held.length) return value;
  const inKey = (d: Dep) =>
    d.oneRow &&
    !!d.columns &&
    held.some(
      (k) =>
        k.model === d.model &&
        k.path === d.path &&
        k.loc.join() === d.loc.join() &&
        d.columns!.every((c) => k.columns!.includes(c)),
    );
  return value.deps.some(inKey) ? { shapes: value.shapes, deps: value.deps.filter((d) => !inKey(d)) } : value;
}

function recordOp(
  interp: InterpreterApi,
  walk: Walk,
  scope: Scope,
  e: Call,
  method: string,
  alias: string,
  key: KeyPattern | null,
  value: V | null,
  keyExpr?: Expr,
  timeoutExpr?: Expr,
  loc: Loc = e.loc,
): CacheOp {
  const timeout = timeoutExpr === undefined ? 'default' : timeoutOf(interp, timeoutExpr, scope);
  const versions = dynamicVersionArg(interp, e, scope);
  const keyParam = keyExpr ? paramName(interp.eval(keyExpr, scope)) : null;
  const op: CacheOp = {
    file: scope.file,
    loc,
    method,
    alias,
    key,
    value,
    timeout,
    version: versionArg(interp, e, scope),
    ...versions,
    fnId: walk.id,
    pos: walk.pos,
    inAtomic: walk.atomic && !walk.deferred,
    template: templateOf(scope, e, method, versions.versionCounter, value, keyParam, keyExpr, timeoutExpr),
    ...((fromParams(key) || fromParams(versions.versionCounter)) && { derived: true as const }),
  };
  walk.events.ops.push(op);
  return op;
}

/** The op's template when it is a wrapper's: its key or value is a parameter of the function it is in. */
function templateOf(
  scope: Scope,
  call: Call,
  method: string,
  versionCounter: KeyPattern | undefined,
  value: V | null,
  keyParam: string | null,
  keyExpr: Expr | undefined,
  timeoutExpr: Expr | undefined,
  valueParam: string | null = value ? paramName(value) : null,
): CacheOp['template'] {
  const valueCallsParam = value?.shapes.find((s) => s.k === 'paramcall');
  if (!keyParam && !valueParam && !valueCallsParam) return undefined;
  return {
    keyExpr: keyExpr ?? null,
    keyParam,
    valueParam,
    valueCallsParam: valueCallsParam && valueCallsParam.k === 'paramcall' ? valueCallsParam.name : null,
    valueForwards: valueCallsParam?.k === 'paramcall' && !!valueCallsParam.forwards,
    // A helper that adds its key argument to the group its caller names (`remember(group, key)`).
    memberParams: keyParam && method !== 'delete' ? listedParams(value) : [],
    // The version is built from the parameters (`version=self.generation(key)`): each call's arguments name it.
    derived: fromParams(versionCounter),
    scope,
    call,
    timeoutExpr: timeoutExpr ?? null,
  };
}

/** The call's `version=`: null when not given. */
function versionArg(interp: InterpreterApi, e: Call, scope: Scope): string | null {
  const versionExpr = kwOf(e.kw, 'version');
  return versionExpr ? versionOf(interp, versionExpr, scope) : null;
}

/**
 * Where a dynamic `version=` comes from: a value read back from the cache (`cache.get("ns:version")`,
 * or a helper that returns it), or a column of a row (`site.cache_version`). Code bumps either to
 * drop every entry stored under the old version.
 */
function dynamicVersionArg(
  interp: InterpreterApi,
  e: Call,
  scope: Scope,
): Pick<CacheOp, 'versionCounter' | 'versionRow'> {
  const versionExpr = kwOf(e.kw, 'version');
  if (!versionExpr) return {};
  const [part] = keyOf(interp, interp.eval(versionExpr, scope), versionExpr, scope).parts;
  if (!part || !('hole' in part)) return {};
  if (part.versionOf) return { versionCounter: part.versionOf };
  const row = rowField(part.source);
  return row ? { versionRow: row } : {};
}

/** A literal version (numbers and module constants resolve); anything else is unknown ('?'). */
function versionOf(interp: InterpreterApi, e: Expr, scope: Scope): string {
  if (e.t === 'str') return e.v;
  const n = timeoutOf(interp, e, scope);
  return typeof n === 'number' ? String(n) : '?';
}

/**
 * A call to a project cache wrapper becomes a cache op at the call site, with the caller's
 * arguments. Keys and versions the wrapper builds from its parameters (a namespace cut from the
 * key, the version read under it) are those the wrapper's body builds from this call's arguments.
 */
export function instantiateWrapperOps(interp: InterpreterApi, s: FnShape, e: Call, scope: Scope, walk: Walk): void {
  if (!interp.mayWrap(s.fn)) return;
  const events = interp.collect(s.fn.file, s.fn.idx);
  const fact = s.fn.file.functions[s.fn.idx];
  const argFor = (param: string | null): Expr | undefined => (param ? argumentFor(fact, e, param) : undefined);
  const followed = events.ops.some(
    (op) => op.template?.derived || (op.derived && !op.template && !op.value?.deps.length),
  );
  const twinOf = twins(followed ? interp.boundEvents(s, e, scope)?.ops : undefined);
  const site = { file: scope.file, loc: e.loc, fnId: walk.id, pos: walk.pos, inAtomic: walk.atomic && !walk.deferred };
  for (const op of events.ops) {
    const twin = twinOf(op);
    // An invalidation built from the wrapper's parameters: the one this call makes, for coverage only.
    if (!op.template) {
      if (twin && op.derived && !op.value?.deps.length)
        walk.events.ops.push({
          ...twin,
          ...site,
          template: undefined,
          derived: fromParams(twin.key) || fromParams(twin.versionCounter) ? true : undefined,
          instanceOf: opPlace(op),
        });
      continue;
    }
    const keyArg = argFor(op.template.keyParam);
    if (op.template.keyParam && !keyArg) continue;
    const keyV = keyArg ? interp.eval(keyArg, scope) : undefined;
    const key = keyArg ? keyOf(interp, keyV!, keyArg, scope) : op.key;
    let value = op.value;
    const valueArg = argFor(op.template.valueParam) ?? argFor(op.template.valueCallsParam);
    if (valueArg) {
      const callable = interp.eval(valueArg, scope);
      const forwarded = op.template.valueForwards && !op.template.valueParam ? forwardedArgs(fact, e) : undefined;
      value = forwarded ? forwardedCallValue(interp, callable, forwarded, scope) : callableValue(interp, callable);
    }
    const listed = op.template.memberParams.flatMap((p) => {
      const arg = argFor(p);
      return arg ? [keyOf(interp, interp.eval(arg, scope), arg, scope)] : [];
    });
    const members = [...(op.members ?? []), ...listed.filter((k) => !isOpaque(k))];
    // A timeout the wrapper takes as a parameter is the caller's when it passes a number.
    const timeoutArg = op.template.timeoutExpr?.t === 'name' ? argFor(op.template.timeoutExpr.id) : undefined;
    const passedTimeout = timeoutArg ? timeoutOf(interp, timeoutArg, scope) : undefined;
    // A version this call's arguments name but the engine could not work out is unknown.
    const versions: Pick<CacheOp, 'version' | 'versionCounter' | 'versionRow'> = !op.template.derived
      ? { version: op.version, versionCounter: op.versionCounter, versionRow: op.versionRow }
      : twin
        ? { version: twin.version, versionCounter: twin.versionCounter, versionRow: twin.versionRow }
        : { version: '?', versionCounter: undefined, versionRow: undefined };
    walk.events.ops.push({
      ...op,
      ...site,
      key,
      value,
      ...versions,
      ...(typeof passedTimeout === 'number' && { timeout: passedTimeout }),
      members: members.length ? members : undefined,
      // A wrapper of a wrapper: passing its own parameters on makes it one too.
      template: templateOf(
        scope,
        e,
        op.method,
        versions.versionCounter,
        null,
        passedParam(keyArg, scope),
        keyArg,
        undefined,
        passedParam(valueArg, scope),
      ),
      derived: fromParams(key) || fromParams(versions.versionCounter) ? true : undefined,
    });
  }
}

/** The parameter of the function `scope` is in that an argument passes on as it is (`cached(key, value)` in a wrapper). */
function passedParam(arg: Expr | undefined, scope: Scope): string | null {
  if (arg?.t !== 'name') return null;
  const fnScope = functionScope(scope);
  // `self` and `cls` are the receiver, not an argument the function passes on.
  const own =
    !fnScope?.locals.has(arg.id) &&
    fnScope?.fixed.get(arg.id)?.shapes.some((s) => s.k === 'param' && s.name === arg.id);
  return own ? arg.id : null;
}

/**
 * The op of the wrapper's body walked with the call's arguments that stands at the same place as
 * a generic op: the same call, and as many ops before it there.
 */
function twins(bound: CacheOp[] | undefined): (op: CacheOp) => CacheOp | undefined {
  if (!bound) return () => undefined;
  const byPlace = new Map<string, CacheOp[]>();
  for (const op of bound) byPlace.set(opPlace(op), [...(byPlace.get(opPlace(op)) ?? []), op]);
  const taken = new Map<string, number>();
  return (op) => {
    const at = opPlace(op);
    const n = taken.get(at) ?? 0;
    taken.set(at, n + 1);
    return byPlace.get(at)?.[n];
  };
}

/** Seconds in each keyword unit of `timedelta(...)`. */
const TIMEDELTA_SECONDS = nameTable({ seconds: 1, minutes: 60, hours: 3600, days: 86400, weeks: 604800 });

export function timeoutOf(interp: InterpreterApi, e: Expr, scope: Scope): number | null | 'default' | 'unknown' {
  const lit = numberValue(e, (name) => {
    const sym = interp.ws.resolveGlobal(scope.file, name);
    return sym?.k === 'value' && sym.exprs.length === 1 ? sym.exprs[0] : undefined;
  });
  if (lit === null) return null;
  return typeof lit === 'number' ? lit : 'unknown';
}

function paramName(val: V): string | null {
  const p = val.shapes.find((s) => s.k === 'param');
  return p && p.k === 'param' ? p.name : null;
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
    let total = 0;
    for (const k of e.kw) {
      const n = k.name ? numberValue(k.value, resolve, depth + 1) : undefined;
      const unit = k.name ? TIMEDELTA_SECONDS[k.name] : undefined;
      if (typeof n !== 'number' || unit === undefined) return undefined;
      total += n * unit;
    }
    return total;
  }
  return undefined;
}
