/**
 * Which columns of its model a queryset's data holds. A chain from a manager tracks the columns
 * that choose and order its rows (`filter(active=True)`, `order_by('-created')`) and, after
 * `values()`/`values_list()`, the columns its rows keep. Data read from such a chain holds those
 * columns alone, so a write of other columns leaves it as it was: `values_list('name')` after
 * `filter(active=True)` holds `name` and `active`; `count()` holds only the filter's columns.
 * Anything the chain cannot spell out (a `Q` object, `**kwargs`, `annotate`, a computed field
 * name) makes it read whole rows, as before.
 */
import type { Expr } from '../syntax/ir';
import { type Dep, MAX_SHAPES, type Queryset, union, v, type V } from './domain/values';
import type { ModelRegistry } from './models';

type Call = Extract<Expr, { t: 'call' }>;

/** Chain methods that keep the rows' columns as they are. */
const SAME_COLUMNS = new Set([
  'all',
  'select_related',
  'prefetch_related',
  'using',
  'none',
  'iterator',
  'select_for_update',
  'get_queryset',
  'reverse',
  'first',
  'last',
  'afirst',
  'alast',
  'count',
  'acount',
  'exists',
  'aexists',
  'values',
  'values_list',
]);
/** Methods whose keyword arguments are lookups. */
const LOOKUPS = new Set(['filter', 'exclude', 'get', 'aget']);
/** Methods whose positional arguments name fields, `-` or `?` first. */
const ORDERING = new Set(['order_by', 'distinct', 'earliest', 'latest', 'aearliest', 'alatest']);
/** Methods whose result is the count or presence of the rows, not their data. */
const COUNTING = new Set(['count', 'acount', 'exists', 'aexists']);

/** The field a lookup path starts with: `category__name` → `category`. */
function firstField(path: string): string {
  return path.split('__')[0];
}

function literals(args: Expr[]): string[] | undefined {
  const out: string[] = [];
  for (const a of args) {
    if (a.t !== 'str') return undefined;
    out.push(a.v);
  }
  return out;
}

/** The lookup columns after `name(...)` on a chain with `lookups`; undefined once they are not known. */
function chainLookups(lookups: string[] | undefined, name: string, e: Call): string[] | undefined {
  if (!lookups) return undefined;
  if (SAME_COLUMNS.has(name)) return lookups;
  if (LOOKUPS.has(name)) {
    if (e.args.length || e.kw.some((k) => k.name === null)) return undefined;
    return union(
      lookups,
      e.kw.map((k) => firstField(k.name!)),
    );
  }
  if (ORDERING.has(name)) {
    const fields = e.kw.length ? undefined : literals(e.args);
    return (
      fields &&
      union(
        lookups,
        fields.map((f) => firstField(f.replace(/^[-?]/, ''))).filter((f) => f !== ''),
      )
    );
  }
  return undefined;
}

/**
 * The columns rows keep after `name(...)` on a chain whose rows keep `picked`: those
 * `values('a', 'b__c')` or `values_list('a', flat=True)` name; undefined for whole rows, or for
 * all columns or computed ones.
 */
function pickedAfter(picked: string[] | undefined, name: string, e: Call): string[] | undefined {
  if (name !== 'values' && name !== 'values_list') return picked;
  if (!e.args.length || e.kw.some((k) => name === 'values' || (k.name !== 'flat' && k.name !== 'named')))
    return undefined;
  return literals(e.args)?.map(firstField);
}

/** The queryset `name(...)` returns on `q` when it is a chain method. */
export function chained(q: Queryset, name: string, e: Call): Queryset {
  const lookups = chainLookups(q.lookups, name, e);
  const picked = pickedAfter(q.picked, name, e);
  return {
    k: 'qs',
    model: q.model,
    via: q.via,
    through: q.through,
    ...(lookups && { lookups }),
    ...(lookups && picked && { picked }),
  };
}

/**
 * The columns of the one model whose rows `fn(...)` reads, when every receiver is a chain that
 * spells them out and the call's result holds no more than them: a chain step or row fetch after
 * `values()`/`values_list()`, those calls themselves, and counts.
 */
export function heldColumns(fn: V, e: Call): { model: string; columns: string[] } | undefined {
  if (e.fn.t !== 'attr' || !fn.shapes.length || fn.shapes.length >= MAX_SHAPES) return undefined;
  const name = e.fn.name;
  let model: string | undefined;
  let columns: string[] = [];
  for (const s of fn.shapes) {
    if (s.k !== 'bound' || s.recv.k !== 'qs' || s.recv.through || (model !== undefined && s.recv.model !== model))
      return undefined;
    model = s.recv.model;
    const lookups = chainLookups(s.recv.lookups, name, e);
    const picked = COUNTING.has(name) ? (s.recv.picked ?? []) : pickedAfter(s.recv.picked, name, e);
    if (!lookups || !picked) return undefined;
    columns = union(columns, union(lookups, picked));
  }
  return model === undefined ? undefined : { model, columns };
}

/**
 * `row.name` when `name` is a plain field of the one model `row` is a row of (or None, which holds
 * no column): that column alone, so writes of other columns leave it as it was. Undefined otherwise.
 */
export function rowColumn(models: ModelRegistry, row: V, name: string): V | undefined {
  const model = row.shapes.find((s) => s.k === 'inst')?.model;
  if (!model || !row.shapes.every((s) => (s.k === 'inst' && s.model === model) || s.k === 'const')) return undefined;
  if (!models.hasColumn(model, name)) return undefined;
  return v(
    [],
    row.deps.map((d) => (d.model === model ? { ...d, columns: [name] } : d)),
  );
}

/**
 * `row.category` (a foreign key of the one model `row` is a row of) reads that key's column of the
 * row; `row.reviews` (a reverse or many-to-many relation) only the row's primary key, which no
 * write of other columns changes (a dep already naming its columns keeps them). The related rows
 * are deps of their own. Undefined when `name` is no relation.
 */
export function relationColumn(models: ModelRegistry, row: V, name: string): V | undefined {
  const model = row.shapes.find((s) => s.k === 'inst')?.model;
  if (!model || !row.shapes.every((s) => (s.k === 'inst' && s.model === model) || s.k === 'const')) return undefined;
  const rel = models.relation(model, name);
  if (!rel) return undefined;
  const forwardKey = rel.field === undefined && !rel.many;
  return v(
    [],
    row.deps.map((d): Dep => {
      if (d.model !== model) return d;
      if (forwardKey) return { ...d, columns: [name] };
      return d.columns ? d : { ...d, columns: ['id'] };
    }),
  );
}

/** `x` with its deps on `model` narrowed to `columns` (deps that name columns already keep theirs too). */
export function withColumns(x: V, model: string, columns: string[]): V {
  return {
    shapes: x.shapes,
    deps: x.deps.map((d): Dep =>
      d.model === model ? { ...d, columns: d.columns ? union(d.columns, columns) : columns } : d,
    ),
  };
}

/** Where a model method's summary records what it reads of its receiver row: never a real file. */
const RECEIVER_PATH = '<receiver row>';

/** The dep a model method's summary gives its `self`: what the summary holds of it is what the method reads of its row. */
export function receiverMark(model: string): Dep {
  return { model, via: ['self'], path: RECEIVER_PATH, loc: [0, 0, 0, 0] };
}

export function isReceiverMark(d: Dep): boolean {
  return d.path === RECEIVER_PATH;
}
