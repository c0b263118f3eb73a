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
  if (interp.models.relation(row.model, member) || interp.models.hasColumn(row.model, member)) return undefined;
  for (const info of interp.models.lineage(row.model)) {
    if (!info.file || info.cls === undefined || info.synthetic) continue;
    const method = interp.classAttr({ file: info.file, idx: info.cls }, member, row)?.shapes.find((s) => s.k === 'fn');
    if (method?.k !== 'fn') continue;
    const { file, idx } = method.fn;
    const fn = file.functions[idx];
    const self = fn.params[0]?.name;
    // Only what a template can call: no argument past self without a default.
    if (!self || fn.params.slice(1).some((p) => p.kind === 'plain' && !p.default)) return undefined;
    const identity: Dep = {
      model: row.model,
      via: [...row.via, `.${member}`],
      path: file.path,
      loc: fn.nameLoc,
      columns: [ROW_IDENTITY],
    };
    const value = interp.returnsWith(file, idx, new Map([[self, v([row], [identity])]]));
    return v(value.shapes, value.deps.flatMap(withoutIdentity));
  }
  return undefined;
}

/** A dep without the row-identity mark: gone when the row was read for its identity alone. */
function withoutIdentity(d: Dep): Dep[] {
  if (!d.columns?.includes(ROW_IDENTITY)) return [d];
  const columns = d.columns.filter((c) => c !== ROW_IDENTITY);
  return columns.length ? [{ ...d, columns }] : [];
}
