/** Abstract values of the interpreter: what an expression may be, and which models its data reads. */
import type { PythonFacts } from '../../facts/types';
import type { Expr, FunctionFact, Loc } from '../../syntax/ir';
import type { Dep } from './deps';
import { display, type KeyPattern } from './keys';
import type { TagDeclaration } from './tags';

export type { Dep } from './deps';

export interface FnRef {
  file: PythonFacts;
  idx: number;
}
export interface ClsRef {
  file: PythonFacts;
  idx: number;
}

/**
 * A class built at run time by `type(name, bases, namespace)` (madeClasses.ts): the namespace's
 * items are its members (its functions are methods), `bases` the workspace classes it inherits
 * from. `path` and `loc` are those of the `type()` call.
 */
export interface MadeClass {
  members: Map<string, V>;
  bases: ClsRef[];
  path: string;
  loc: Loc;
}

export type Shape =
  | { k: 'ext'; q: string }
  | { k: 'mod'; module: string; file: PythonFacts | undefined }
  | { k: 'fn'; fn: FnRef; self?: Shape; closure?: Scope }
  | { k: 'class'; cls: ClsRef }
  | { k: 'model'; model: string }
  /**
   * A manager, queryset or related manager; `through` marks an m2m related manager, `related` a
   * reverse FK one (the foreign key of `model` it sets). `lookups`: the columns that choose and order its rows, when the chain from a
   * manager spells them out; `picked`: the columns its rows keep after `values()`/`values_list()`
   * (querysetColumns.ts).
   */
  | {
      k: 'qs';
      model: string;
      via: string[];
      through?: string;
      related?: string;
      lookups?: string[];
      picked?: string[];
    }
  /** `fresh`: built by calling the model class without naming a key: saving it inserts a row. */
  | { k: 'inst'; model: string; via: string[]; fresh?: true }
  /**
   * An object of a workspace class. `held`: made by a library stub of one of its own classes, it
   * stands for every object of that class or of a project subclass the library holds (the
   * processors extensions register), so its methods run the project's overrides too.
   */
  | { k: 'obj'; cls: ClsRef; held?: true }
  /** A class built by `type()`, and an instance of one. */
  | { k: 'made'; made: MadeClass }
  | { k: 'madeobj'; made: MadeClass }
  | { k: 'cache'; alias: string }
  /** `tagged(...)` of the djcache runtime: a cache whose entries carry the declared tags. */
  | { k: 'tagged'; tags: TagDeclaration }
  | { k: 'caches' }
  | { k: 'signal'; id: string }
  | { k: 'field'; model: string; name: string }
  | { k: 'str'; key: KeyPattern }
  /** A value read back from the cache: keys built from it are versioned by `key`. */
  | { k: 'cached'; key: KeyPattern | null; alias: string }
  /** An item of a list read back from the cache under `group`: one of the keys stored in that key group. */
  | { k: 'member'; group: KeyPattern; alias: string }
  /** A digest of its data (the value's deps are what went in), or a random id (`uuid4()`) that no other value shares. */
  | { k: 'hash'; random?: boolean }
  | { k: 'param'; name: string }
  /** A call of parameter `name`; `forwards`: it passes on the function's own `*args`/`**kwargs` and nothing else. */
  | { k: 'paramcall'; name: string; forwards?: true }
  /** A list or tuple; `items`: a literal's values by position, which unpacking it (`a, b = f()`) keeps apart. */
  | { k: 'list'; elem: V; items?: V[] }
  /** A fixed-position tuple (enumerate/zip/items pairs), so unpacking keeps positions apart. */
  | { k: 'tuple'; items: V[] }
  | { k: 'dict'; items: Map<string, V> }
  | { k: 'lambda'; expr: Extract<Expr, { t: 'lambda' }>; scope: Scope }
  | { k: 'bound'; recv: Shape; name: string }
  | {
      k: 'cachepage';
      timeout: number | null | 'default' | 'unknown';
      alias: string;
      keyPrefix: string;
      loc: Loc;
      path: string;
      tags?: TagDeclaration;
    }
  | { k: 'cursor' }
  /** `qs.count()`: a number that every new row of `model` in the counted rows changes. */
  | { k: 'rowcount'; model: string }
  | { k: 'const' };

export interface V {
  shapes: Shape[];
  deps: Dep[];
}

export type Queryset = Extract<Shape, { k: 'qs' }>;

export const EMPTY: V = { shapes: [], deps: [] };

export const MAX_SHAPES = 12;
const MAX_DEPS = 64;

export function v(shapes: Shape[], deps: Dep[] = []): V {
  return { shapes, deps };
}

export function merge(...vs: V[]): V {
  // Most merges have one side with anything in it: that side is the answer as it is.
  let only: V | undefined;
  for (const x of vs) {
    if (!x.shapes.length && !x.deps.length) continue;
    if (only) return mergeAll(vs);
    only = x;
  }
  return only ?? EMPTY;
}

/** Each name's values merged into one (parameters gathered from several calls). */
export function mergeByName(found: Map<string, V[]>): Map<string, V> {
  return new Map([...found].map(([name, vals]) => [name, merge(...vals)]));
}

function mergeAll(vs: V[]): V {
  const shapes: Shape[] = [];
  const deps: Dep[] = [];
  const at = new Map<string, number>();
  for (const x of vs) {
    for (const s of x.shapes) {
      const i = shapes.findIndex((t) => sameShape(t, s));
      if (i >= 0) {
        if (s.k === 'qs') shapes[i] = joinQuerysets(shapes[i] as Queryset, s);
        else if (s.k === 'inst' && !s.fresh) shapes[i] = s;
      } else if (shapes.length < MAX_SHAPES) shapes.push(s);
    }
    for (const d of x.deps) {
      const i = at.get(d.model);
      // One dep per model; its columns are the union, or the whole row once any read is; its rows
      // are only pointed-to ones while every read says so.
      if (i !== undefined) {
        const cols = deps[i].columns;
        const joined = cols && d.columns && union(cols, d.columns);
        if (cols && joined !== cols) deps[i] = { ...deps[i], columns: joined };
        if (deps[i].pointedTo && !d.pointedTo) deps[i] = { ...deps[i], pointedTo: undefined };
        continue;
      }
      if (deps.length >= MAX_DEPS) continue;
      at.set(d.model, deps.length);
      deps.push(d);
    }
  }
  return { shapes, deps };
}

export function withDeps(x: V, deps: Dep[]): V {
  return deps.length ? merge(x, v([], deps)) : x;
}

export function dataOf(x: V): V {
  return x.deps.length ? v([], x.deps) : EMPTY;
}

/** A value without its model rows: what `obj.field = row` adds to `obj` (the row's data, not its identity). */
export function notARow(x: V): V {
  return v(
    x.shapes.filter((s) => s.k !== 'inst'),
    x.deps,
  );
}

/** `type(x)`: the model of a row, the class of an object; nothing for other values. */
export function classOf(x: V): V {
  const out: Shape[] = [];
  for (const s of x.shapes) {
    if (s.k === 'inst') out.push({ k: 'model', model: s.model });
    else if (s.k === 'obj') out.push({ k: 'class', cls: s.cls });
    else if (s.k === 'madeobj') out.push({ k: 'made', made: s.made });
  }
  return v(out);
}

/** One queryset standing for two of the same model: it depends on the columns either does. */
function joinQuerysets(a: Queryset, b: Queryset): Queryset {
  const lookups = a.lookups && b.lookups && union(a.lookups, b.lookups);
  const picked = lookups && a.picked && b.picked && union(a.picked, b.picked);
  if (lookups === a.lookups && picked === a.picked) return a;
  return {
    k: 'qs',
    model: a.model,
    via: a.via,
    through: a.through,
    related: a.related,
    ...(lookups && { lookups }),
    ...(picked && { picked }),
  };
}

/** `a` with the items of `b` it lacks; `a` itself when it has them all. */
export function union(a: string[], b: string[]): string[] {
  const extra = b.filter((x, i) => !a.includes(x) && b.indexOf(x) === i);
  return extra.length ? [...a, ...extra] : a;
}

function sameShape(a: Shape, b: Shape): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'model':
      return a.model === (b as typeof a).model;
    case 'qs':
      return a.model === (b as typeof a).model && a.through === (b as typeof a).through;
    case 'inst':
    case 'rowcount':
      return a.model === (b as typeof a).model;
    case 'cache':
      return a.alias === (b as typeof a).alias;
    case 'member':
      return a.alias === (b as typeof a).alias && display(a.group) === display((b as typeof a).group);
    case 'ext':
      return a.q === (b as typeof a).q;
    case 'fn':
      return a.fn.file === (b as typeof a).fn.file && a.fn.idx === (b as typeof a).fn.idx;
    case 'class':
      return a.cls.file === (b as typeof a).cls.file && a.cls.idx === (b as typeof a).cls.idx;
    case 'obj':
      return (
        a.cls.file === (b as typeof a).cls.file &&
        a.cls.idx === (b as typeof a).cls.idx &&
        a.held === (b as typeof a).held
      );
    case 'param':
    case 'paramcall':
      return a.name === (b as typeof a).name;
    case 'const':
    case 'hash':
    case 'caches':
    case 'cursor':
      return true;
    default:
      return a === b;
  }
}

/** A function's evaluation scope. A local name's value is what its bindings that reach the use give (see reachingBindings). */
export interface Scope {
  file: PythonFacts;
  fn: FunctionFact | null;
  fnIdx: number;
  parent: Scope | null;
  /** Fixed values for names: self, cls, comprehension and lambda variables, decorator substitutions. */
  fixed: Map<string, V>;
  locals: Map<string, LocalBinding[]>;
  memo: Map<string, V>;
  busy: Set<string>;
  /** The class of a method, for super() and self attributes. */
  cls: ClsRef | null;
  /**
   * The parameters hold one call's arguments (a wrapper followed at its call): functions called
   * from here are followed with their arguments too, so what they build from them is that call's.
   */
  bound?: true;
}

/**
 * Where a binding takes effect: the last line of the statement that binds, and the outermost loop
 * around it (its first and last lines), in which the binding also reaches lines above it.
 */
export interface BindingPlace {
  end: number;
  loop?: [number, number];
  /**
   * For a binding that always runs when its block does (an assignment, a `with ... as`, a `def`;
   * not a loop target or a walrus in a test): its first line and the last line of its block. A use
   * after the binding and inside that span sees it replace every binding that ends above it.
   */
  replaces?: [number, number];
}

export type LocalBinding = BindingPlace &
  /** `items`: `xs.extend(value)`, `counts.update(value)`: what the value holds joins the container, not the value itself. */
  (
    | { k: 'assign'; value: Expr; index: number | null; items?: true }
    /** `obj.attr = value`: the value's data goes into `obj`, but a row assigned to a field does not make `obj` that row. */
    | { k: 'attr'; value: Expr; attr: string }
    | { k: 'iter'; iter: Expr; index: number | null }
    | { k: 'with'; ctx: Expr }
    | { k: 'def'; idx: number }
    | { k: 'class'; idx: number }
  ) & {
    /** Tests of the `if`/`while` and iterables of the `for` around the binding: whether it happens depends on their data. */
    guards?: Expr[];
    /** The nested function whose body mutates this name (`rows.append(x)` in a closure): its values are evaluated there. */
    inFn?: number;
    /** A mutation (`rows.append(x)`, `d["k"] = v`): it adds to the value the name holds, so no rebinding replaces it. */
    adds?: true;
  };

/** Whether a binding can have run before line `line` of its function: above it, or in a loop around both. */
function reaches(b: BindingPlace, line: number): boolean {
  return b.end < line || (!!b.loop && b.loop[0] <= line && line <= b.loop[1]);
}

/**
 * The bindings of a name whose value it can hold at `line`: those that reach it, less those that
 * every path from them to the line rebinds first (`key = "a"` then `key = "b"` in the same or an
 * enclosing block above the use). A binding made in a branch or a loop body the use is outside of
 * replaces nothing there, so branches stay alternatives.
 */
export function reachingBindings(all: LocalBinding[], line: number): LocalBinding[] {
  const reaching = all.filter((b) => reaches(b, line));
  const spans = reaching.flatMap((r) => (r.replaces && r.end < line && line <= r.replaces[1] ? [r.replaces] : []));
  if (!spans.length) return reaching;
  const replaced = (b: LocalBinding) => !b.adds && b.inFn === undefined && spans.some(([first]) => b.end < first);
  return reaching.filter((b) => !replaced(b));
}

/** A row or a queryset of rows: what a parameter typed from its callers may hold. */
export function isRowOrRows(s: Shape): boolean {
  return s.k === 'inst' || s.k === 'qs';
}

export function fnId(file: PythonFacts, idx: number): string {
  return `${file.path}#${idx}`;
}

/** The index in its file's functions of the function `fnId` names. */
export function fnIndex(id: string): number {
  return Number(id.slice(id.lastIndexOf('#') + 1));
}

/** Short source-like text of an expression, for messages: `Product.objects.filter(…)`. */
export function exprText(e: Expr, depth = 0): string {
  if (depth > 6) return '…';
  switch (e.t) {
    case 'name':
      return e.id;
    case 'attr':
      return `${exprText(e.obj, depth + 1)}.${e.name}`;
    case 'call': {
      const args = [
        ...e.args.map((a) => argText(a, depth)),
        ...e.kw.map((k) => (k.name ? `${k.name}=${argText(k.value, depth)}` : '**…')),
      ];
      const inner = args.join(', ');
      return `${exprText(e.fn, depth + 1)}(${inner.length > 40 ? '…' : inner})`;
    }
    case 'str':
      return JSON.stringify(e.v.length > 40 ? `${e.v.slice(0, 37)}...` : e.v);
    case 'fstr':
      return `f"${e.parts.map((p) => (typeof p === 'string' ? p : `{${exprText(p, depth + 1)}}`)).join('')}"`;
    case 'num':
      return String(e.v);
    case 'const':
      return e.v;
    case 'sub':
      return `${exprText(e.obj, depth + 1)}[${exprText(e.idx, depth + 1)}]`;
    case 'bin':
      return `${exprText(e.l, depth + 1)} ${e.op} ${exprText(e.r, depth + 1)}`;
    case 'lambda':
      return 'lambda';
    default:
      return '…';
  }
}

function argText(e: Expr, depth: number): string {
  return e.t === 'str' || e.t === 'num' || e.t === 'name' || e.t === 'const' || e.t === 'attr'
    ? exprText(e, depth + 1)
    : '…';
}
