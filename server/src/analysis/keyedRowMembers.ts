/**
 * A method or property of a row that a `{% cache %}` fragment varies on. The key holds the row
 * (its str()), so the row's identity is not data of the fragment: `{{ tournament.billable_teams }}`,
 * a cached_property counting `self.team_set`, reads Team rows, not Tournament. Django templates
 * call a method without arguments, so its value is what it returns, evaluated with `self` standing
 * for that identity; the columns of the row it reads (`self.name`) stay reads of the row.
 */
import type { Dep, Shape, V } from './domain/values';
import { v } from './domain/values';
import type { InterpreterApi } from './interp/api';
import type { PythonFacts } from '../facts/types';

/** Marks the keyed row's own deps while a method runs: a column name no model can have. */
const ROW_IDENTITY = ' row identity';

/**
 * What `row.member` renders when `member` is a method or property of the row's model (not a
 * column or relation); undefined for anything else, which the template reads as before.
 */
export function keyedRowMember(
  interp: InterpreterApi,
  row: Extract<Shape, { k: 'inst' }>,
  member: string,
): V | undefined {
  const method = templateCallable(interp, row, member);
  if (!method) return undefined;
  const identity: Dep = {
    model: row.model,
    via: [...row.via, `.${member}`],
    path: method.file.path,
    loc: method.file.functions[method.idx].nameLoc,
    columns: [ROW_IDENTITY],
  };
  const value = interp.returnsWith(method.file, method.idx, new Map([[method.self, v([row], [identity])]]));
  return v(value.shapes, value.deps.flatMap(withoutIdentity));
}

/**
 * What `row.member` renders for a row the template reads as it is (`rowValue`: the row and how it
 * was chosen), when `member` is a method or property of its model: what the method returns with
 * `self` that row, so that it reads the columns it uses (`self.is_full_markup`) rather than the
 * whole row. Undefined when the method gives nothing djcache can see, which keeps the whole row.
 */
export function rowMember(
  interp: InterpreterApi,
  row: Extract<Shape, { k: 'inst' }>,
  rowValue: V,
  member: string,
): V | undefined {
  const method = templateCallable(interp, row, member);
  if (!method) return undefined;
  const value = interp.returnsWith(method.file, method.idx, new Map([[method.self, v([row], rowValue.deps)]]));
  return value.deps.length ? value : undefined;
}

/** The method or property `member` of the row's model that a template can call: no argument past `self` without a default. */
function templateCallable(
  interp: InterpreterApi,
  row: Extract<Shape, { k: 'inst' }>,
  member: string,
): { file: PythonFacts; idx: number; self: string } | undefined {
  if (interp.models.relation(row.model, member) || interp.models.hasColumn(row.model, member)) return undefined;
  for (const info of interp.models.lineage(row.model)) {
    if (!info.file || info.cls === undefined || info.synthetic) continue;
    const method = interp.classAttr({ file: info.file, idx: info.cls }, member, row)?.shapes.find((s) => s.k === 'fn');
    if (method?.k !== 'fn') continue;
    const { file, idx } = method.fn;
    const fn = file.functions[idx];
    const self = fn.params[0]?.name;
    if (!self || fn.params.slice(1).some((p) => p.kind === 'plain' && !p.default)) return undefined;
    return { file, idx, self };
  }
  return undefined;
}

/** A dep without the row-identity mark: gone when the row was read for its identity alone. */
function withoutIdentity(d: Dep): Dep[] {
  if (!d.columns?.includes(ROW_IDENTITY)) return [d];
  const columns = d.columns.filter((c) => c !== ROW_IDENTITY);
  return columns.length ? [{ ...d, columns }] : [];
}
