/** The ORM: queryset and manager calls, instance writes, cascades, multi-table parents and raw SQL. */
import type { PythonFacts } from '../../facts/types';
import type { Expr, FunctionFact } from '../../syntax/ir';
import { classifySql } from '../../syntax/sql';
import type { WriteKind, WriteSite } from '../domain/events';
import {
  type Dep,
  EMPTY,
  exprText,
  merge,
  type Queryset,
  type Scope,
  type Shape,
  union,
  v,
  type V,
} from '../domain/values';
import {
  INSTANCE_WRITES,
  LOOKUP_ARG_METHODS,
  M2M_WRITES,
  QS_CHAIN,
  QS_DATA,
  QS_INSERTS,
  QS_INSTANCE,
  QS_WRITES,
  CACHEOPS_INVALIDATED_WRITES,
} from '../django';
import type { ModelInfo } from '../models';
import { chained } from '../querysetColumns';
import type { Call, InterpreterApi, Walk } from './api';
import { kwOf, literalDictKeys } from './bindings';

/** One row of a queryset: an instance, or plain data after values()/values_list(). */
export function rowOf(q: Queryset): Shape {
  return q.picked ? { k: 'const' } : { k: 'inst', model: q.model, via: q.via };
}

export function querysetCall(
  interp: InterpreterApi,
  q: Queryset,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
  args: () => V[],
): V {
  const m = interp.models.byId.get(q.model);
  const base = interp.dep(q.model, q.via, scope, e);
  const text = `${q.via[q.via.length - 1]}.${name}(…)`;
  if (q.through && M2M_WRITES.has(name)) {
    if (walk) recordWrite(interp, walk, scope, e, q.through, 'm2m', true, `${exprText(e.fn)}()`);
    return EMPTY;
  }
  if (q.related && M2M_WRITES.has(name)) {
    // A reverse foreign-key manager's add/remove/clear/set runs an UPDATE (bulk=True by default) of that key alone.
    if (walk)
      recordWrite(interp, walk, scope, e, q.model, 'bulk', false, `${exprText(e.fn)}()`, { columns: [q.related] });
    return EMPTY;
  }
  const write = QS_WRITES[name];
  if (write) {
    if (walk) {
      recordWrite(interp, walk, scope, e, q.model, write.kind, write.signals, `${exprText(e.fn)}()`, {
        columns: writtenColumns(name, e, scope),
        insertsOnly: QS_INSERTS.has(name) && !upserts(e),
        cacheopsInvalidated: CACHEOPS_INVALIDATED_WRITES.has(name),
        // QuerySet.delete() deletes in SQL: the model's delete() override never runs.
        skipsOverride: write.kind === 'delete',
      });
      // A delete cascades: models holding a CASCADE foreign key to this one are deleted too.
      if (write.kind === 'delete') recordCascade(interp, walk, scope, e, q.model);
    }
    if (name === 'create' || name === 'get_or_create' || name === 'update_or_create' || name === 'acreate') {
      return v([{ k: 'inst', model: q.model, via: [text] }], [base]);
    }
    return v([{ k: 'const' }]);
  }
  const custom = customQuerysetMethod(interp, m, name, q);
  if (custom) return custom(e, scope, walk, args);
  // Subquery/Exists/querysets as arguments are reads; an instance as a lookup value is only its key.
  const argData = [...e.args, ...e.kw.map((k) => k.value)].flatMap((a) =>
    a.t === 'str' || a.t === 'num' ? [] : lookupValueData(interp.eval(a, scope)),
  );
  const deps = [base, ...lookupDeps(interp, q.model, name, e, scope, [...q.via, `${name}(…)`]), ...argData];
  if (name === 'raw')
    return merge(v([{ k: 'qs', model: q.model, via: q.via }], deps), rawSql(interp, e.args[0], scope, walk, e));
  // Rows after values()/values_list() are dicts, tuples or values, not instances.
  if (QS_INSTANCE.has(name)) return v([rowOf(q)], deps);
  if (name === 'count' || name === 'acount') return v([{ k: 'rowcount', model: q.model }], deps);
  if (QS_DATA.has(name)) return v([{ k: 'const' }], deps);
  if (QS_CHAIN.has(name)) return v([chained(q, name, e)], deps);
  if (!m) return v([{ k: 'qs', model: q.model, via: q.via, through: q.through }], deps);
  // An unknown method on a manager (a library's or a dynamic one) most likely returns rows of it.
  return v([{ k: 'qs', model: q.model, via: q.via }], deps);
}

/** The data a lookup value reads: a row as a lookup value is only its key, which never changes. */
export function lookupValueData(val: V): Dep[] {
  return val.shapes.length && val.shapes.every((sh) => sh.k === 'inst') ? [] : val.deps;
}

function customQuerysetMethod(interp: InterpreterApi, m: ModelInfo | undefined, name: string, q: Queryset) {
  if (!m) return undefined;
  for (const mgr of m.managers.values()) {
    if (!mgr) continue;
    const member = interp.classAttr(mgr, name, q);
    const fnShape = member?.shapes.find((s) => s.k === 'fn');
    if (fnShape && fnShape.k === 'fn') {
      return (e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]) => {
        const r = interp.callFunction(fnShape, e, scope, walk, args);
        return r.shapes.length || r.deps.length
          ? r
          : v([{ k: 'qs', model: m.id, via: q.via } as Shape], [interp.dep(m.id, q.via, scope, e)]);
      };
    }
  }
  return undefined;
}

/** Models reached through lookups, select_related/prefetch_related paths, F/Q/Count arguments. */
export function lookupDeps(
  interp: InterpreterApi,
  model: string,
  method: string,
  e: Call,
  scope: Scope,
  via: string[],
): Dep[] {
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
    if (a.t === 'str' && (LOOKUP_ARG_METHODS.has(method) || method === 'annotate' || method === 'aggregate'))
      paths.push(a.v.replace(/^-/, ''));
    else scanExpr(a, 0);
  }
  for (const k of e.kw) {
    if (k.name && !['defaults', 'create_defaults', 'flat', 'named', 'using', 'batch_size'].includes(k.name)) {
      if (method === 'annotate' || method === 'aggregate' || method === 'alias') scanExpr(k.value, 0);
      else paths.push(k.name);
    }
  }
  const deps: Dep[] = [];
  // select_related/prefetch_related load the related rows whole.
  const loadsRows = method === 'select_related' || method === 'prefetch_related';
  const aggregates = method === 'annotate' || method === 'aggregate' || method === 'alias';
  for (const p of paths) {
    let cur = model;
    const segs = p.split('__');
    for (let i = 0; i < segs.length; i++) {
      const rel = interp.models.lookupRelation(cur, segs[i]);
      if (!rel) break;
      const hop = `${method}(${JSON.stringify(p)})`;
      // Rows joined through a key the previous table holds exist already: inserts do not change the join.
      const pointed = interp.models.pointsTo(cur, segs[i]) !== undefined;
      const read = (target: string, columns?: string[]) => {
        const d = interp.dep(target, [...via.slice(0, -1), hop], scope, e);
        deps.push({ ...d, ...(columns && { columns }), ...(pointed && target === rel.target && { pointedTo: true }) });
      };
      // `filter(site=obj)` compares the key column; only a further field (`site__name`) joins the table.
      const next = segs[i + 1];
      if (loadsRows) read(rel.target);
      else if (next !== undefined && !KEY_LOOKUPS.has(next)) read(rel.target, joinedColumns(interp, rel, next));
      // Aggregating over a relation (`Count("reviews")`) reads its rows, unless it is this table's own key column.
      else if (next === undefined && aggregates && !keyColumnOnly(rel)) read(rel.target);
      if (rel.through) read(rel.through);
      cur = rel.target;
    }
  }
  return deps;
}

/**
 * The columns of a table a lookup path joins through (`hop` leads into it) that the path uses: the
 * one it goes on to (`folder__owner`: the folder's `owner`), or only the key when it goes on
 * through a relation the other table holds (`team__members`); and, joined from the other side
 * (`reviews__rating`), the foreign key pointing back. Undefined when the next step is not known.
 */
function joinedColumns(
  interp: InterpreterApi,
  hop: { target: string; forward: boolean; kind: string; field?: string },
  next: string,
): string[] | undefined {
  const back = !hop.forward && hop.kind !== 'm2m' ? (hop.field ? [hop.field] : undefined) : [];
  if (!back) return undefined;
  if (interp.models.hasColumn(hop.target, next)) return [next, ...back];
  const rel = interp.models.lookupRelation(hop.target, next);
  if (!rel) return undefined;
  return rel.forward && rel.kind !== 'm2m' ? [next, ...back] : ['id', ...back];
}

/**
 * Whether a path ending on this relation reads only the key column of the table it starts from
 * (`Count("project_locale__locale")` counts locale ids): a foreign key declared there. Deleting a
 * target row then deletes or blocks the pointing rows (written as a cascade), unless the key is set
 * to null or a default, which the engine does not record as a write: those still read the target.
 */
function keyColumnOnly(rel: { forward: boolean; kind: string; onDelete?: string | null }): boolean {
  return rel.forward && rel.kind !== 'm2m' && !/^SET/.test(rel.onDelete ?? '');
}

export function instanceCall(
  interp: InterpreterApi,
  inst: Extract<Shape, { k: 'inst' }>,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V | undefined {
  const write = INSTANCE_WRITES[name];
  if (write) {
    if (walk && !isSuperCall(e) && !refusesWrite(interp, inst.model, name)) {
      recordWrite(interp, walk, scope, e, inst.model, write.kind, write.signals, `${exprText(e.fn)}()`, {
        columns: writtenColumns(name, e, scope),
        insertsOnly: QS_INSERTS.has(name) || (name === 'save' && savesNewRow(interp, inst, e, scope)),
      });
      if (write.kind === 'delete') recordCascade(interp, walk, scope, e, inst.model);
    }
    return v([{ k: 'const' }]);
  }
  if (name === 'refresh_from_db') return v([{ k: 'const' }], [interp.dep(inst.model, inst.via, scope, e)]);
  return undefined;
}

/**
 * A model whose `save()` or `delete()` only raises (a stand-in row, `managed = False`, that is
 * never stored): calling it writes nothing.
 */
function refusesWrite(interp: InterpreterApi, model: string, name: string): boolean {
  const info = interp.models.byId.get(model);
  if (!info?.file || info.cls === undefined || info.synthetic) return false;
  const method = interp.classAttr({ file: info.file, idx: info.cls }, name, null)?.shapes.find((s) => s.k === 'fn');
  if (method?.k !== 'fn') return false;
  const body = method.fn.file.functions[method.fn.idx].body.filter((s) => !(s.t === 'expr' && s.value.t === 'str'));
  return body.length === 1 && body[0].t === 'expr' && !!body[0].raises;
}

function recordCascade(interp: InterpreterApi, walk: Walk, scope: Scope, e: Call, model: string): void {
  for (const m of interp.models.byId.values()) {
    for (const f of m.fields.values()) {
      if (
        f.target === model &&
        f.kind !== 'm2m' &&
        (f.onDelete === 'CASCADE' || f.onDelete === null) &&
        m.id !== model
      ) {
        recordWrite(
          interp,
          walk,
          scope,
          e,
          m.id,
          'delete',
          true,
          `cascade of ${exprText(e.fn)}() through ${m.name}.${f.name}`,
          // The collector deletes cascaded rows in SQL: their delete() overrides never run.
          { skipsOverride: true },
        );
      }
    }
  }
}

export function recordWrite(
  interp: InterpreterApi,
  walk: Walk,
  scope: Scope,
  e: Expr,
  model: string,
  kind: WriteKind,
  signals: boolean,
  how: string,
  facts: Pick<WriteSite, 'columns' | 'insertsOnly' | 'cacheopsInvalidated' | 'skipsOverride'> = {},
): void {
  const { columns, insertsOnly, cacheopsInvalidated, skipsOverride } = facts;
  // Writing an explicit through model directly sends its own post_save, never m2m_changed.
  const throughWrite = kind !== 'm2m' && interp.models.isExplicitThrough(model);
  walk.events.writes.push({
    file: scope.file,
    loc: e.loc,
    model,
    kind,
    signals,
    how,
    fnId: walk.id,
    pos: walk.pos,
    throughWrite,
    columns,
    ...(insertsOnly ? { insertsOnly } : {}),
    ...(cacheopsInvalidated ? { cacheopsInvalidated } : {}),
    ...(skipsOverride ? { skipsOverride } : {}),
  });
  const info = interp.models.byId.get(model);
  // Multi-table inheritance writes every parent table too.
  for (const parent of info?.parents ?? []) {
    walk.events.writes.push({
      file: scope.file,
      loc: e.loc,
      model: parent,
      kind,
      signals,
      how: `${how} (parent table of ${info!.name})`,
      fnId: walk.id,
      pos: walk.pos,
      columns,
      ...(insertsOnly ? { insertsOnly } : {}),
      ...(skipsOverride ? { skipsOverride } : {}),
    });
  }
}

export function rawSql(
  interp: InterpreterApi,
  sqlExpr: Expr | undefined,
  scope: Scope,
  walk: Walk | undefined,
  e: Call,
): V {
  if (!sqlExpr) return EMPTY;
  const text = sqlText(sqlExpr);
  if (text === undefined) return EMPTY;
  const sql = classifySql(text);
  const deps: Dep[] = [];
  for (const t of sql.reads) {
    const model = interp.models.byTable.get(t);
    if (model) deps.push(interp.dep(model, [`raw SQL reading ${t}`], scope, e));
  }
  if (walk) {
    for (const t of sql.writes) {
      const model = interp.models.byTable.get(t);
      if (model) recordWrite(interp, walk, scope, e, model, 'bulk', false, `raw SQL ${sql.kind.toUpperCase()} ${t}`);
    }
  }
  return v([{ k: 'const' }], deps);
}

/** Lookups on a relation that read only its key column, never the related table. */
const KEY_LOOKUPS = new Set(['pk', 'id', 'in', 'exact', 'isnull']);

/** `super().method(...)` or `super(Cls, self).method(...)`. */
export function isSuperCall(e: Call): boolean {
  return e.fn.t === 'attr' && e.fn.obj.t === 'call' && e.fn.obj.fn.t === 'name' && e.fn.obj.fn.id === 'super';
}

/** `bulk_create(..., update_conflicts=True)` updates the rows already there that conflict. */
function upserts(e: Call): boolean {
  const flag = kwOf(e.kw, 'update_conflicts');
  return !!flag && !(flag.t === 'const' && flag.v !== 'True');
}

/**
 * The columns a write names: `update(a=…)`, `update(**changes)` of a dict with literal keys,
 * `save(update_fields=["a"])`; undefined when it may write any.
 */
function writtenColumns(method: string, e: Call, scope: Scope): string[] | undefined {
  if (method === 'update') {
    if (e.args.length || !e.kw.length) return undefined;
    let columns: string[] = [];
    for (const k of e.kw) {
      const named = k.name ? [k.name] : k.value.t === 'name' ? literalDictKeys(k.value.id, scope) : undefined;
      if (!named) return undefined;
      columns = union(columns, named);
    }
    return columns;
  }
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

/** Under ATOMIC_REQUESTS a view's body runs in a transaction: function views and HTTP methods of view classes. */
export function isView(interp: InterpreterApi, file: PythonFacts, fn: FunctionFact): boolean {
  if (fn.decorators.some((d) => /non_atomic_requests/.test(exprText(d)))) return false;
  if (fn.cls !== null) {
    return (
      /^(get|post|put|patch|delete|dispatch|form_valid|perform_(create|update|destroy)|create|update|destroy|list|retrieve)$/.test(
        fn.name,
      ) && interp.models.inherits(file, fn.cls, /^(django\.views\.|rest_framework\.(views|generics|viewsets|mixins)\.)/)
    );
  }
  return fn.parent === null && fn.params[0]?.name === 'request' && /(^|\.)(views|api)(\.|$)/.test(file.module);
}

/**
 * Whether `x.save()` inserts a row: `x` was built by calling the model class with no arguments
 * (`fresh`) in this function (not a parameter), which sets neither `x.pk` nor `x.id` and saves `x`
 * only here, outside loops; the save names
 * no options (`force_update`, `update_fields`), and the model declares no primary key of its own
 * (one a later assignment could name an existing row by).
 */
function savesNewRow(interp: InterpreterApi, inst: Extract<Shape, { k: 'inst' }>, e: Call, scope: Scope): boolean {
  if (!inst.fresh || e.args.length || e.kw.length || e.fn.t !== 'attr' || e.fn.obj.t !== 'name') return false;
  const x = e.fn.obj.id;
  const bindings = scope.locals.get(x) ?? [];
  if (!bindings.some((b) => b.k === 'assign') || bindings.some((b) => b.k === 'attr' && KEY_NAMES.has(b.attr)))
    return false;
  if (!scope.fn || scope.fn.params.some((p) => p.name === x) || savesOf(scope.fn.body, x) !== 1) return false;
  return !interp.models.lineage(inst.model).some((m) => !m.file || m.cls === undefined || declaresKey(m.file, m.cls));
}

/** How many `x.save(...)` calls a function body may run (nested functions included; one in a loop counts twice). */
function savesOf(node: unknown, x: string): number {
  if (Array.isArray(node)) return node.reduce((n: number, c) => n + savesOf(c, x), 0);
  if (!node || typeof node !== 'object') return 0;
  const o = node as Record<string, unknown>;
  const own = o.t === 'call' && isSaveOf(o.fn, x) ? 1 : 0;
  const inner = Object.values(o).reduce((n: number, c) => n + savesOf(c, x), 0);
  return own + (o.t === 'for' || o.t === 'while' ? 2 * inner : inner);
}

const KEY_NAMES = new Set(['pk', 'id']);

function isSaveOf(fn: unknown, x: string): boolean {
  const f = fn as Expr | undefined;
  return f?.t === 'attr' && f.name === 'save' && f.obj.t === 'name' && f.obj.id === x;
}

/** Whether a model class body declares a field with `primary_key=`. */
function declaresKey(file: PythonFacts, cls: number): boolean {
  return file.classes[cls].body.some(
    (s) => s.t === 'assign' && s.value.t === 'call' && s.value.kw.some((k) => k.name === 'primary_key'),
  );
}
