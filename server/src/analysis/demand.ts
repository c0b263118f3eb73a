/**
 * Which functions a whole-workspace analysis walks. Every event the interpreter records (cache
 * operations, ORM writes, signal hookups and sends, template renders) comes from a call it knows
 * by name, from a decorated nested `def`, or from a call of a project cache wrapper. A function
 * that mentions none of those names has no events of its own, so its walk is skipped unless
 * something needs it: receivers and change hooks (their calls carry triggers), functions a write
 * or a trigger reaches through calls (coverage follows those), and callees that may be wrappers,
 * walked at their calls. Entries that read a whole function walk it on demand. On netbox this
 * walks about a quarter of the bodies.
 */
import type { PythonFacts } from '../facts/types';
import type { Expr, Stmt, Target } from '../syntax/ir';
import { nestedBlocks } from '../facts/walk';
import { CACHE_METHODS, INSTANCE_WRITES, M2M_WRITES, QS_WRITES, RENDER_FUNCTIONS, SIGNAL_SEND_METHODS } from './django';
import { projectSignalReceivers } from './domain/events';
import { fnId } from './domain/values';
import { inFile } from './fileError';
import type { InterpreterApi } from './interp/api';
import { writingStubNames } from './interp/stubWrites';

/** Cache methods, sync and async: a cache wrapper calls one. */
const CACHE_CALLS = [...CACHE_METHODS, ...[...CACHE_METHODS].map((m) => `a${m}`)];

/** Names of the calls that record events: `cache.get`, `qs.update`, `signal.send`, `render`... */
const EVENT_NAMES: ReadonlySet<string> = new Set([
  ...CACHE_CALLS,
  ...Object.keys(QS_WRITES),
  ...M2M_WRITES,
  ...Object.keys(INSTANCE_WRITES),
  ...SIGNAL_SEND_METHODS,
  'connect',
  'execute',
  'executemany',
  'raw',
  'invalidate',
  ...Object.keys(RENDER_FUNCTIONS).map((q) => q.slice(q.lastIndexOf('.') + 1)),
]);

/** What one function body (or module body, idx -1) names, walked once. */
interface BodyNames {
  file: PythonFacts;
  idx: number;
  id: string;
  /** Every identifier and attribute name the body mentions. */
  names: Set<string>;
  /** It defines a decorated function (`@receiver` hooks it up from here). */
  decoratedDef: boolean;
  /** Names of the callees it passes one of its parameters to as it is (`set_cached_value(key, value)`). */
  forwards: Set<string>;
}

/**
 * Walks what can matter: functions that mention an event name or an alias of one, and `roots`
 * (change hooks); then, until nothing new turns up, receivers of the hookups found and functions
 * that mention a cache wrapper found so far.
 */
export function collectWhatMatters(
  interp: InterpreterApi,
  files: readonly PythonFacts[],
  roots: ReadonlySet<string>,
): void {
  const bodies: BodyNames[] = [];
  for (const file of files) {
    inFile(file.path, () => {
      bodies.push(bodyNames(file, -1, file.body));
      file.functions.forEach((fn, idx) => bodies.push(bodyNames(file, idx, fn.body)));
    });
  }
  const byId = new Map(bodies.map((b) => [b.id, b]));
  const aliases = aliasesOf(files);
  let names = withAliases([...EVENT_NAMES, ...writingStubNames(interp.ws.stubs)], aliases);
  const cacheNames = withAliases(CACHE_CALLS, aliases);
  // Only a function that names a cache method, or passes its parameters on to a wrapper, can be a
  // wrapper; other callees are walked below when a write or a trigger reaches them.
  const wraps = wrapperTest(interp, bodies, cacheNames, aliases);
  interp.mayWrap = (fn) => {
    const b = byId.get(fnId(fn.file, fn.idx));
    return !b || wraps(b);
  };
  let wanted = (b: BodyNames) => b.decoratedDef || roots.has(b.id) || mentionsAny(b, names);
  const tried = new Set<string>();
  for (;;) {
    const round = bodies.filter((b) => !tried.has(b.id) && wanted(b));
    if (!round.length) break;
    for (const b of round) {
      tried.add(b.id);
      inFile(b.file.path, () => interp.collect(b.file, b.idx));
    }
    const receivers = new Set<string>();
    const wrappers: string[] = [];
    for (const [id, ev] of interp.walked()) {
      for (const h of ev.hookups) receivers.add(h.receiver);
      const b = byId.get(id);
      if (b && b.idx >= 0 && ev.ops.some((op) => op.template)) wrappers.push(b.file.functions[b.idx].name);
    }
    names = withAliases([...names, ...wrappers], aliases);
    wanted = (b) => receivers.has(b.id) || mentionsAny(b, names);
  }
  walkReachable(interp, byId, roots);
}

/**
 * Walks every function a write or a trigger reaches through calls: coverage follows calls from
 * a write to the invalidations after it, and from receivers and change hooks to theirs.
 */
function walkReachable(interp: InterpreterApi, byId: ReadonlyMap<string, BodyNames>, roots: ReadonlySet<string>): void {
  const walked = [...interp.walked()];
  const receivers = projectSignalReceivers(walked.map(([, ev]) => ev));
  const queue: string[] = [...roots];
  for (const [id, ev] of walked) {
    if (ev.writes.length) queue.push(id);
    for (const h of ev.hookups) queue.push(h.receiver);
  }
  const seen = new Set(queue);
  for (let head = 0; head < queue.length; head++) {
    const b = byId.get(queue[head]);
    if (!b) continue;
    const ev = inFile(b.file.path, () => interp.collect(b.file, b.idx));
    const next = [...ev.calls.map((c) => c.to), ...ev.sends.flatMap((send) => receivers.get(send.signal) ?? [])];
    for (const id of next) {
      if (!seen.has(id)) {
        seen.add(id);
        queue.push(id);
      }
    }
  }
}

/**
 * May a function be a cache wrapper? One that names a cache method may. One that does not is one
 * only by passing its own parameters on to a wrapper (`cache_price(item, price)` calling
 * `set_cached_value(key, price)`): a callee it passes them to, by name, must be a wrapper with a
 * template. Those callees are walked to see: they name a cache method, or pass their parameters on
 * to a wrapper, so the rounds below walk them anyway. Each body is tested once.
 */
function wrapperTest(
  interp: InterpreterApi,
  bodies: readonly BodyNames[],
  cacheNames: ReadonlySet<string>,
  aliases: ReadonlyMap<string, string[]>,
): (b: BodyNames) => boolean {
  const byName = new Map<string, BodyNames[]>();
  for (const b of bodies)
    if (b.idx >= 0)
      for (const name of withAliases([b.file.functions[b.idx].name], aliases))
        byName.set(name, [...(byName.get(name) ?? []), b]);
  const tested = new Map<string, boolean>();
  const isTemplated = (b: BodyNames) =>
    inFile(b.file.path, () => interp.collect(b.file, b.idx)).ops.some((op) => op.template);
  const test = (b: BodyNames): boolean => {
    if (mentionsAny(b, cacheNames)) return true;
    const known = tested.get(b.id);
    if (known !== undefined) return known;
    // Calls that go round in a cycle prove nothing.
    tested.set(b.id, false);
    const found = [...b.forwards].some((name) => (byName.get(name) ?? []).some((c) => test(c) && isTemplated(c)));
    tested.set(b.id, found);
    return found;
  };
  return test;
}

function mentionsAny(b: BodyNames, names: ReadonlySet<string>): boolean {
  for (const n of b.names) if (names.has(n)) return true;
  return false;
}

/**
 * Names that may stand for another name, by it: `from m import render as r` (render → r) and
 * assignments of a bare reference at module or class level (`get = cache.get`: get → get).
 */
function aliasesOf(files: readonly PythonFacts[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (from: string, to: string) => {
    if (from !== to) out.set(from, [...(out.get(from) ?? []), to]);
  };
  const assignments = (body: Stmt[]) => {
    for (const s of body) {
      if (s.t !== 'assign') continue;
      const from = s.value.t === 'name' ? s.value.id : s.value.t === 'attr' ? s.value.name : undefined;
      if (from !== undefined) for (const t of s.targets) if (t.t === 'name') add(from, t.id);
    }
  };
  for (const file of files) {
    for (const imp of file.imports) if (imp.name) add(imp.name, imp.local);
    assignments(file.body);
    for (const cls of file.classes) assignments(cls.body);
  }
  return out;
}

/** `names` and every name that may stand for one of them, transitively. */
function withAliases(names: Iterable<string>, aliases: ReadonlyMap<string, string[]>): Set<string> {
  const out = new Set(names);
  const queue = [...out];
  for (let head = 0; head < queue.length; head++) {
    for (const alias of aliases.get(queue[head]) ?? []) {
      if (!out.has(alias)) {
        out.add(alias);
        queue.push(alias);
      }
    }
  }
  return out;
}

function bodyNames(file: PythonFacts, idx: number, body: Stmt[]): BodyNames {
  const out: BodyNames = {
    file,
    idx,
    id: fnId(file, idx),
    names: new Set(),
    decoratedDef: false,
    forwards: new Set(),
  };
  // The receiver (`self`, `cls`) is not an argument a wrapper passes on.
  const params = new Set(
    idx >= 0 ? file.functions[idx].params.map((p) => p.name).filter((n) => n !== 'self' && n !== 'cls') : [],
  );
  const isParam = (e: Expr): boolean => (e.t === 'star' ? isParam(e.e) : e.t === 'name' && params.has(e.id));
  const call = (e: Extract<Expr, { t: 'call' }>): void => {
    const callee = e.fn.t === 'name' ? e.fn.id : e.fn.t === 'attr' ? e.fn.name : undefined;
    if (callee !== undefined && (e.args.some(isParam) || e.kw.some((k) => isParam(k.value)))) out.forwards.add(callee);
  };
  const expr = (e: Expr): void => {
    switch (e.t) {
      case 'name':
        out.names.add(e.id);
        return;
      case 'attr':
        out.names.add(e.name);
        expr(e.obj);
        return;
      case 'call':
        call(e);
        expr(e.fn);
        e.args.forEach(expr);
        e.kw.forEach((k) => expr(k.value));
        return;
      case 'fstr':
        for (const p of e.parts) if (typeof p !== 'string') expr(p);
        return;
      case 'bin':
        expr(e.l);
        expr(e.r);
        return;
      case 'seq':
        e.items.forEach(expr);
        return;
      case 'dict':
        for (const item of e.items) {
          if (item.key) expr(item.key);
          expr(item.value);
        }
        return;
      case 'sub':
        expr(e.obj);
        expr(e.idx);
        return;
      case 'lambda':
        expr(e.body);
        return;
      case 'comp':
        expr(e.elt);
        for (const g of e.gens) {
          target(g.target);
          expr(g.iter);
        }
        return;
      case 'cond':
        expr(e.a);
        if (e.test) expr(e.test);
        expr(e.b);
        return;
      case 'star':
        expr(e.e);
        return;
      default:
        return;
    }
  };
  const target = (t: Target): void => {
    if (t.t === 'attr') expr(t.obj);
    else if (t.t === 'sub') {
      expr(t.obj);
      expr(t.idx);
    } else if (t.t === 'tuple') t.items.forEach(target);
  };
  const stmts = (list: Stmt[]): void => {
    for (const s of list) {
      switch (s.t) {
        case 'assign':
          s.targets.forEach(target);
          expr(s.value);
          break;
        case 'expr':
          expr(s.value);
          break;
        case 'return':
          if (s.value) expr(s.value);
          break;
        case 'for':
          target(s.target);
          expr(s.iter);
          break;
        case 'while':
        case 'if':
          expr(s.test);
          break;
        case 'with':
          for (const item of s.items) {
            expr(item.ctx);
            if (item.as) target(item.as);
          }
          break;
        case 'def':
          if (file.functions[s.fn].decorators.length) out.decoratedDef = true;
          break;
        default:
          break;
      }
      nestedBlocks(s).forEach(stmts);
    }
  };
  stmts(body);
  return out;
}
