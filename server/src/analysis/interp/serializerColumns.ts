/**
 * What a DRF serializer's fields read, column by column: a `source="a.b"` path reads the foreign
 * key `a` of the serialized row and column `b` of the row it points to; a ModelSerializer's
 * `Meta.fields` list names the columns of its model that the output holds.
 */
import type { Loc } from '../../syntax/ir';
import type { ClsRef } from '../domain/values';
import type { Dep } from '../domain/deps';
import type { InterpreterApi } from './api';

/** The reads of one source path: the serialized row's columns it uses, and the rows it reaches. */
interface PathReads {
  /** Columns of the serialized model; undefined: any (an attribute the engine does not know, a property). */
  own: string[] | undefined;
  deps: Dep[];
}

/**
 * Walks `path` from `model`. Each step uses one column of the row it starts from: a foreign key
 * (`exercise`), a plain field (`uuid`), or, across a reverse or many-to-many relation, only the
 * row's key. A row reached through forward foreign keys alone is one that existing rows point to:
 * `pointedTo`, so inserting rows of its model cannot change it (unless a key has no database
 * constraint: `db_constraint=False` lets it name a row inserted later). A path that ends on a relation,
 * or goes on through an attribute the engine does not know, reads the last row whole.
 */
export function sourcePathReads(
  interp: InterpreterApi,
  model: string,
  path: string,
  at: { via: string[]; path: string; loc: Loc },
): PathReads {
  const reads: PathReads = { own: [], deps: [] };
  let cur = model;
  let pointed = true;
  for (const seg of path.split('.')) {
    const rel = interp.models.relation(cur, seg);
    const key = rel && !rel.many ? interp.models.lookupRelation(cur, seg) : undefined;
    const forward = key?.forward === true;
    const used = rel
      ? forward
        ? [seg]
        : []
      : interp.models.hasColumn(cur, seg) || KEY_NAMES.has(seg)
        ? [seg]
        : undefined;
    const last = reads.deps[reads.deps.length - 1];
    if (!last) reads.own = used;
    else if (used) last.columns = used;
    if (!rel) break;
    // A key without a database constraint may name a row inserted later.
    pointed &&= forward && !key.unconstrained;
    reads.deps.push({
      model: rel.target,
      via: at.via,
      path: at.path,
      loc: at.loc,
      ...(pointed && { pointedTo: true }),
    });
    cur = rel.target;
  }
  return reads;
}

/**
 * The columns of the serialized model that a ModelSerializer's own `Meta.fields` names, besides the
 * `declared` fields (which say themselves what they read): plain fields and foreign keys (their
 * key column), nothing for reverse and many-to-many relations (only this row's key). Undefined
 * when the output may hold any column: no literal list, `"__all__"`, `exclude`, `depth`, a name
 * the engine does not know (a property), or a Meta of a base class.
 */
export function metaFieldColumns(
  interp: InterpreterApi,
  cls: ClsRef,
  model: string,
  declared: Set<string>,
): string[] | undefined {
  const meta = cls.file.classes[cls.idx].nested.Meta;
  if (meta === undefined) return undefined;
  let fields: string[] | undefined;
  for (const s of cls.file.classes[meta].body) {
    if (s.t !== 'assign') continue;
    const names = s.targets.flatMap((t) => (t.t === 'name' ? [t.id] : []));
    if (names.includes('exclude') || names.includes('depth')) return undefined;
    if (!names.includes('fields')) continue;
    const list = s.value;
    if (list.t !== 'seq' || !list.items.every((x) => x.t === 'str')) return undefined;
    fields = list.items.map((x) => (x as { v: string }).v);
  }
  if (!fields) return undefined;
  const columns: string[] = [];
  for (const name of fields) {
    if (declared.has(name)) continue;
    const rel = interp.models.relation(model, name);
    if (rel) {
      if (!rel.many && interp.models.lookupRelation(model, name)?.forward) columns.push(name);
      continue;
    }
    if (!interp.models.hasColumn(model, name) && !KEY_NAMES.has(name)) return undefined;
    columns.push(name);
  }
  return columns;
}

/** The primary key: a column no write changes. */
const KEY_NAMES = new Set(['id', 'pk']);
