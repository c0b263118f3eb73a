/**
 * In-object memo caches: a dict an object keeps in an attribute (`self.rows = {}` in `__init__`),
 * read as a memo (`self.rows.get(k) or Row.objects…`, `if k in self.rows: return self.rows[k]`)
 * and holding values that read models. Such a cache lives as long as its object, which may be a
 * long-lived singleton, so nothing but the object's own code drops its entries: a write of a
 * model it holds, made by the object's methods (or helpers they call), with no `del`, `pop()`,
 * `clear()`, re-assignment or fresh value stored after it, leaves the cached row stale. Writes
 * made elsewhere are not counted: the object's lifetime is unknown.
 *
 * The syntactic part (which attributes are such caches, where the methods read, store and drop)
 * needs only a file's facts; what the values read needs the interpreter; which writes are left
 * uncovered needs every function's events (staleMemoDicts).
 */
import type { PythonFacts } from '../facts/types';
import type { Expr, Loc, Stmt, Target } from '../syntax/ir';
import { nestedBlocks } from '../facts/walk';
import type { FnEvents, Pos, WriteSite } from './domain/events';
import { fnId, type Shape } from './domain/values';
import type { InterpreterApi } from './interp/api';

/** A statement of a method, as the blocks that hold it from the body down and its index in each. */
type Path = { block: Stmt[]; index: number }[];

/** What a method does with the cache at one statement. */
interface Use {
  kind: 'read' | 'store' | 'drop' | 'reset';
  path: Path;
  /** A read's fallback (`or <query>`) or a stored value: what the cache holds. */
  value?: Expr;
}

interface MethodUses {
  idx: number;
  id: string;
  uses: Use[];
}

/** A dict attribute a class's methods use only as a memo cache. */
export interface MemoDictSite {
  file: PythonFacts;
  cls: number;
  attr: string;
  /** The `self.<attr> = {}` of `__init__`. */
  loc: Loc;
  methods: MethodUses[];
}

/** A model whose rows a memo cache holds, and where a value of them is read. */
export interface MemoRows {
  model: string;
  path: string;
  loc: Loc;
}

/** A memo cache of model rows. */
export interface MemoDict extends MemoDictSite {
  rows: MemoRows[];
}

const READ_METHODS = new Set(['get', 'keys', 'values', 'items', 'copy']);
const DROP_METHODS = new Set(['pop', 'popitem', 'clear']);

function isEmptyDict(e: Expr): boolean {
  return (
    (e.t === 'dict' && e.items.length === 0) ||
    (e.t === 'call' && e.fn.t === 'name' && e.fn.id === 'dict' && !e.args.length && !e.kw.length)
  );
}

function isAttr(e: Expr | Target, self: string, attr: string): boolean {
  return e.t === 'attr' && e.name === attr && e.obj.t === 'name' && e.obj.id === self;
}

/**
 * The dict attributes of a file's classes that are memo caches: made empty in `__init__`, read
 * in some method, and used by the class only through dict reads, stores and drops (a cache
 * handed to other code, or filled other than item by item, is not followed). A cache that a
 * method empties at its start and then reads is per call and left out.
 */
function memoDictSites(file: PythonFacts): MemoDictSite[] {
  const out: MemoDictSite[] = [];
  file.classes.forEach((cls, clsIdx) => {
    const init = cls.methods['__init__'];
    if (init === undefined) return;
    const initFn = file.functions[init];
    const self = initFn.params[0]?.name;
    if (!self) return;
    for (const s of initFn.body) {
      if (s.t !== 'assign' || s.targets.length !== 1 || !isEmptyDict(s.value)) continue;
      const target = s.targets[0];
      if (target.t !== 'attr' || target.obj.t !== 'name' || target.obj.id !== self) continue;
      const methods: MethodUses[] = [];
      let escapes = false;
      for (const idx of Object.values(cls.methods)) {
        if (idx === init) continue;
        const fn = file.functions[idx];
        const me = fn.params[0]?.name;
        if (!me || fn.decorators.some((d) => d.t === 'name' && d.id === 'staticmethod')) continue;
        const found = methodUses(fn.body, me, target.name);
        if (!found) escapes = true;
        else methods.push({ idx, id: fnId(file, idx), uses: found });
      }
      const uses = methods.flatMap((m) => m.uses);
      if (escapes || !uses.some((u) => u.kind === 'read')) continue;
      const perCall = methods.some(
        (m) => m.uses.some((u) => u.kind === 'reset' && u.path.length === 1) && m.uses.some((u) => u.kind === 'read'),
      );
      if (perCall) continue;
      out.push({ file, cls: clsIdx, attr: target.name, loc: attrLoc(target.obj, target.name), methods });
    }
  });
  return out;
}

/** `self.<attr>`: from the start of `self` to the end of the name. */
function attrLoc(self: Expr, attr: string): Loc {
  return [self.loc[0], self.loc[1], self.loc[2], self.loc[3] + 1 + attr.length];
}

/** Every use of `self.<attr>` in a method's statements; undefined when one is not a dict read, store or drop. */
function methodUses(body: Stmt[], self: string, attr: string): Use[] | undefined {
  const uses: Use[] = [];
  let ok = true;
  const visitBlock = (block: Stmt[], outer: Path) => {
    block.forEach((s, index) => {
      const path = [...outer, { block, index }];
      const add = (kind: Use['kind'], value?: Expr) => uses.push({ kind, path, ...(value ? { value } : {}) });
      const expr = (e: Expr) => {
        if (!visitExpr(e, self, attr, add)) ok = false;
      };
      switch (s.t) {
        case 'assign':
          for (const t of s.targets) {
            if (isAttr(t, self, attr)) {
              if (isEmptyDict(s.value)) add('reset');
              else ok = false;
            } else if (t.t === 'sub' && isAttr(t.obj, self, attr)) {
              add('store', s.value);
              expr(t.idx);
            } else if (mentions(t, self, attr)) ok = false;
          }
          expr(s.value);
          break;
        case 'expr':
          if (s.deletes && s.value.t === 'sub' && isAttr(s.value.obj, self, attr)) {
            add('drop');
            expr(s.value.idx);
          } else expr(s.value);
          break;
        case 'return':
          if (s.value) expr(s.value);
          break;
        case 'for':
          if (mentions(s.target, self, attr)) ok = false;
          expr(s.iter);
          break;
        case 'while':
        case 'if':
          expr(s.test);
          break;
        case 'with':
          for (const item of s.items) expr(item.ctx);
          break;
        default:
          break;
      }
      for (const b of nestedBlocks(s)) visitBlock(b, path);
    });
  };
  visitBlock(body, []);
  return ok ? uses : undefined;
}

/**
 * Records the cache uses of an expression through `add`; false when the expression uses the
 * cache some other way (passes it on, iterates it in place, rebinds it).
 */
function visitExpr(
  e: Expr,
  self: string,
  attr: string,
  add: (kind: Use['kind'], value?: Expr) => void,
  depth = 0,
): boolean {
  if (depth > 60) return true;
  const sub = (x: Expr) => visitExpr(x, self, attr, add, depth + 1);
  if (isAttr(e, self, attr)) return false;
  switch (e.t) {
    case 'call': {
      if (e.fn.t === 'attr' && isAttr(e.fn.obj, self, attr)) {
        const method = e.fn.name;
        if (READ_METHODS.has(method)) add('read');
        else if (DROP_METHODS.has(method)) add('drop');
        // `setdefault(k, value)` keeps an entry already there: a read whose value is what the cache holds.
        else if (method === 'setdefault') add('read', e.args[1]);
        else if (method === 'update') add('store');
        else return false;
        return e.args.every(sub) && e.kw.every((k) => sub(k.value));
      }
      if (e.fn.t === 'name' && e.fn.id === 'len' && e.args.length === 1 && isAttr(e.args[0], self, attr)) {
        add('read');
        return true;
      }
      return sub(e.fn) && e.args.every(sub) && e.kw.every((k) => sub(k.value));
    }
    case 'sub':
      if (isAttr(e.obj, self, attr)) {
        add('read');
        return sub(e.idx);
      }
      return sub(e.obj) && sub(e.idx);
    case 'bin':
      if ((e.op === 'in' || e.op === 'not in') && isAttr(e.r, self, attr)) {
        add('read');
        return sub(e.l);
      }
      return sub(e.l) && sub(e.r);
    case 'cond':
      // `self.rows.get(k) or <query>`: the query is what the cache stands for.
      if (e.bool === 'or' && e.a.t === 'call' && e.a.fn.t === 'attr' && isAttr(e.a.fn.obj, self, attr))
        add('read', e.b);
      return sub(e.a) && sub(e.b) && (!e.test || sub(e.test));
    default:
      return mentionsExpr(e, self, attr, sub);
  }
}

/** Visits the sub-expressions of the other expression kinds; false when one is the bare cache. */
function mentionsExpr(e: Expr, self: string, attr: string, sub: (x: Expr) => boolean): boolean {
  switch (e.t) {
    case 'attr':
      return sub(e.obj);
    case 'fstr':
      return e.parts.every((p) => typeof p === 'string' || sub(p));
    case 'seq':
      return e.items.every(sub);
    case 'dict':
      return e.items.every((i) => (!i.key || sub(i.key)) && sub(i.value));
    case 'lambda':
      return sub(e.body);
    case 'comp':
      return sub(e.elt) && e.gens.every((g) => sub(g.iter) && !mentions(g.target, self, attr));
    case 'star':
      return sub(e.e);
    default:
      return true;
  }
}

/** Whether a target or expression names `self.<attr>` anywhere. */
function mentions(node: unknown, self: string, attr: string, depth = 0): boolean {
  if (depth > 60 || !node || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some((x) => mentions(x, self, attr, depth + 1));
  const o = node as Expr;
  if (isAttr(o, self, attr)) return true;
  return Object.entries(o).some(
    ([k, val]) => k !== 'loc' && typeof val === 'object' && mentions(val, self, attr, depth + 1),
  );
}

/** The function ids of the methods of memo caches' classes: a whole-workspace analysis walks them (demand.ts roots). */
export function memoDictMethods(file: PythonFacts): string[] {
  return memoDictSites(file).flatMap((site) => site.methods.map((m) => m.id));
}

/**
 * A file's memo caches with the models whose rows (or querysets) their values are; caches that
 * hold no rows are left out, and so are caches of model instances: a row lives for a request or
 * a query, and keeps its related rows unrefreshed the same way Django's own caches on it do.
 */
export function fileMemoDicts(interp: InterpreterApi, file: PythonFacts): MemoDict[] {
  const out: MemoDict[] = [];
  const modelClasses = new Set(
    [...interp.models.byId.values()].filter((m) => m.file === file && m.cls !== undefined).map((m) => m.cls),
  );
  for (const site of memoDictSites(file)) {
    if (modelClasses.has(site.cls)) continue;
    const rows: MemoRows[] = [];
    for (const m of site.methods) {
      const values = m.uses.flatMap((u) => (u.value ? [u.value] : []));
      if (!values.length) continue;
      const scope = interp.functionScope(file, m.idx);
      for (const value of values) {
        const val = interp.eval(value, scope);
        for (const model of rowModels(val.shapes)) {
          if (rows.some((r) => r.model === model)) continue;
          const dep = val.deps.find((d) => d.model === model);
          rows.push({ model, path: dep?.path ?? file.path, loc: dep?.loc ?? value.loc });
        }
      }
    }
    if (rows.length) out.push({ ...site, rows });
  }
  return out;
}

/** The models of the rows and querysets a value is, or a list of. */
function rowModels(shapes: readonly Shape[]): string[] {
  return shapes.flatMap((sh) =>
    sh.k === 'inst' || sh.k === 'qs' ? [sh.model] : sh.k === 'list' ? rowModels(sh.elem.shapes) : [],
  );
}

/** The statement a recorded event sits at, found from its position's lines and indexes. */
function pathOf(body: Stmt[], pos: Pos | null): Path | undefined {
  if (!pos) return undefined;
  const chain: Pos[] = [];
  for (let p: Pos | undefined = pos; p; p = p.outer) chain.unshift(p);
  const path: Path = [];
  let blocks: Stmt[][] = [body];
  for (const p of chain) {
    const block = blocks.find((b) => b[p.index]?.line === p.line);
    if (!block) return undefined;
    path.push({ block, index: p.index });
    blocks = nestedBlocks(block[p.index]);
  }
  return path;
}

/**
 * Whether the statement at `later` runs after the one at `w` whenever `w` runs (no exception or
 * return between): it sits later in `w`'s block or in a block around it.
 */
function runsAfter(later: Path, w: Path): boolean {
  const k = later.length - 1;
  if (k < 0 || k >= w.length) return false;
  for (let j = 0; j < k; j++) if (later[j].block !== w[j].block || later[j].index !== w[j].index) return false;
  return later[k].block === w[k].block && later[k].index > w[k].index;
}

function samePlace(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((x, i) => x.block === b[i].block && x.index === b[i].index);
}

/** An instance's own `save()` (`row.save()`): the row may be the cached object itself, saved as it is held. */
function savesHeldRow(w: WriteSite): boolean {
  return w.kind === 'save' && !w.insertsOnly && /\.a?save\(\)$/.test(w.how);
}

/**
 * For each memo cache and model its values read, the writes of that model made by the class's
 * methods (or helpers they call) that no drop, reset or store of the cache follows in the method
 * the write is made from, or in a method of the class calling it.
 */
export function staleMemoDicts(
  dicts: readonly MemoDict[],
  events: ReadonlyMap<string, FnEvents>,
): { dict: MemoDict; model: string; writes: WriteSite[] }[] {
  const reachMemo = new Map<string, WriteSite[]>();
  // Every write a function makes, itself or through its callees (not deferred ones).
  const reachable = (id: string, seen: Set<string>): WriteSite[] => {
    const memo = reachMemo.get(id);
    if (memo) return memo;
    const ev = events.get(id);
    if (!ev || seen.has(id)) return [];
    seen.add(id);
    const out = [...ev.writes, ...ev.calls.filter((c) => !c.deferred).flatMap((c) => reachable(c.to, seen))];
    seen.delete(id);
    reachMemo.set(id, out);
    return out;
  };
  const out: { dict: MemoDict; model: string; writes: WriteSite[] }[] = [];
  for (const dict of dicts) {
    const models = new Set(dict.rows.map((r) => r.model));
    const byId = new Map(dict.methods.map((m) => [m.id, m]));
    const body = (m: MethodUses) => dict.file.functions[m.idx].body;
    const callsOf = (m: MethodUses) => (events.get(m.id)?.calls ?? []).filter((c) => !c.deferred);
    // Methods that drop or replace entries, themselves or through other methods of the class.
    const invalidating = new Set(dict.methods.filter((m) => m.uses.some((u) => u.kind !== 'read')).map((m) => m.id));
    for (let grew = true; grew;) {
      grew = false;
      for (const m of dict.methods) {
        if (invalidating.has(m.id) || !callsOf(m).some((c) => invalidating.has(c.to))) continue;
        invalidating.add(m.id);
        grew = true;
      }
    }
    // Where a method drops or replaces entries (`at`: in the same statement as the write, as a
    // computed value stored, or `after` it); and where it reads one with a fallback, whose writes
    // are made on a miss, when the cache holds nothing for the key (that statement only). A call
    // of an invalidating method covers only what comes before it, not the writes inside it.
    const covers = (m: MethodUses): { path: Path; when: 'at' | 'after' | 'atOrAfter' }[] => [
      ...m.uses
        .filter((u) => u.kind !== 'read' || u.value)
        .map((u) => ({ path: u.path, when: u.kind === 'read' ? ('at' as const) : ('atOrAfter' as const) })),
      ...callsOf(m)
        .filter((c) => invalidating.has(c.to))
        .flatMap((c) => {
          const path = pathOf(body(m), c.pos);
          return path ? [{ path, when: 'after' as const }] : [];
        }),
    ];
    const exposedMemo = new Map<string, WriteSite[]>();
    const exposed = (m: MethodUses, seen: Set<string>): WriteSite[] => {
      const memo = exposedMemo.get(m.id);
      if (memo) return memo;
      if (seen.has(m.id)) return [];
      seen.add(m.id);
      const ev = events.get(m.id);
      const after = covers(m);
      const left = (pos: Pos | null) => {
        const path = pathOf(body(m), pos);
        return (
          !path ||
          !after.some(
            (c) => (c.when !== 'after' && samePlace(c.path, path)) || (c.when !== 'at' && runsAfter(c.path, path)),
          )
        );
      };
      const writes: WriteSite[] = [];
      for (const w of ev?.writes ?? []) if (left(w.pos)) writes.push(w);
      for (const c of callsOf(m)) {
        if (!left(c.pos)) continue;
        const callee = byId.get(c.to);
        writes.push(...(callee ? exposed(callee, seen) : reachable(c.to, new Set())));
      }
      seen.delete(m.id);
      exposedMemo.set(m.id, writes);
      return writes;
    };
    const called = new Set(dict.methods.flatMap((m) => callsOf(m).map((c) => c.to)));
    const stale = new Map<string, WriteSite[]>();
    for (const m of dict.methods) {
      if (called.has(m.id)) continue;
      for (const w of exposed(m, new Set())) {
        if (!models.has(w.model) || savesHeldRow(w)) continue;
        const list = stale.get(w.model) ?? [];
        if (!list.includes(w)) list.push(w);
        stale.set(w.model, list);
      }
    }
    for (const [model, writes] of stale) out.push({ dict, model, writes });
  }
  return out;
}
