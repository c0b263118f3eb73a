/**
 * Field-change guards: an invalidation that runs only when some columns of the saved row change
 * (`if old.status != self.status:`, `if self.tracker.has_changed("status"):`,
 * `if "status" in (update_fields or []):`, or an early `return` when they did not change).
 * Such an invalidation covers the saves that change those columns, not every save.
 * A test the engine cannot read is no guard: the invalidation stays unconditional.
 */
import type { PythonFacts } from '../facts/types';
import type { Expr, Loc, Stmt } from '../syntax/ir';
import type { WriteSite } from './domain/events';
import type { Dep } from './domain/values';

export interface FieldGuard {
  /** The invalidation runs only when one of these columns changes. */
  columns: string[];
  /** It tests `update_fields`: a save that does not name a column (a plain `save()`) never runs it. */
  named: boolean;
  path: string;
  loc: Loc;
}

/** The field-change guard of the op at `line` in function `fnId` of `file`, if its test says one. */
export function fieldGuardOf(file: PythonFacts, fnId: string, line: number): FieldGuard | undefined {
  if (!fnId.startsWith(`${file.path}#`)) return undefined;
  const fn = file.functions[Number(fnId.slice(file.path.length + 1))];
  if (!fn) return undefined;
  const found = guardIn(fn.body, line);
  return found && { ...found, path: file.path };
}

interface Tested {
  columns: string[];
  named: boolean;
}

function guardIn(body: Stmt[], line: number): (Tested & { loc: Loc }) | undefined {
  const i = body.findIndex((s, k) => s.line <= line && (k + 1 === body.length || body[k + 1].line > line));
  if (i < 0) return undefined;
  // `if <unchanged>: return` before the op: the rest of the block runs only on a change.
  for (const s of body.slice(0, i)) {
    if (s.t !== 'if' || s.orelse.length) continue;
    const last = s.body[s.body.length - 1];
    if (last?.t !== 'return' || last.yields) continue;
    const tested = changedColumns(s.test, false);
    if (tested) return { ...tested, loc: s.test.loc };
  }
  const s = body[i];
  if (s.t === 'if') {
    const inBody = !s.orelse.length || s.orelse[0].line > line;
    const tested = changedColumns(s.test, inBody);
    if (tested) return { ...tested, loc: s.test.loc };
    return guardIn(inBody ? s.body : s.orelse, line);
  }
  if (s.t === 'with' || s.t === 'for' || s.t === 'while') return guardIn(s.body, line);
  if (s.t === 'try') return guardIn(s.body, line);
  return undefined;
}

/**
 * The columns whose change `test` stands for when it holds (`holds`) or when it fails: `a.x != b.x`
 * holds on a change of x, `a.x == b.x` fails on one. Undefined when the test is not such a check.
 */
function changedColumns(test: Expr, holds: boolean): Tested | undefined {
  if (test.t === 'bin' && test.op === 'not') return changedColumns(test.l, !holds);
  if (test.t === 'cond' && test.bool) {
    const a = changedColumns(test.a, holds);
    const b = changedColumns(test.b, holds);
    // `x changed or y changed` (or `x same and y same`, failing) runs on a change of either;
    // with `and` the delete needs both, and either side's columns claim no gap that is not there.
    const either = (test.bool === 'or') === holds;
    if (!either) return a ?? b;
    return a && b ? { columns: [...a.columns, ...b.columns], named: a.named && b.named } : undefined;
  }
  if (test.t === 'call' && test.fn.t === 'attr' && test.fn.name === 'has_changed' && test.args[0]?.t === 'str')
    return holds ? { columns: [test.args[0].v], named: false } : undefined;
  if (test.t !== 'bin') return undefined;
  const changedOp = holds ? '!=' : '==';
  // A saved row keeps its primary key: `a.pk != b.pk` compares two rows, not a change.
  const field = test.l.t === 'attr' && test.r.t === 'attr' && test.l.name === test.r.name ? test.l.name : undefined;
  if (test.op === changedOp && field && field !== 'pk' && field !== 'id') return { columns: [field], named: false };
  const inOp = holds ? 'in' : 'not in';
  if (test.op === inOp && test.l.t === 'str') {
    const named = namesChangedFields(test.r);
    if (named !== undefined) return { columns: [test.l.v], named };
  }
  return undefined;
}

/**
 * Whether `e` lists the fields a save names (`update_fields`, `kwargs.get("update_fields")`,
 * `(update_fields or [])`: true) or those whose values changed (`self.get_dirty_fields()`,
 * `form.changed_data`: false); undefined for anything else.
 */
function namesChangedFields(e: Expr): boolean | undefined {
  switch (e.t) {
    case 'name':
      return e.id === 'update_fields' ? true : undefined;
    case 'attr':
      return e.name === 'update_fields' ? true : e.name === 'changed_data' ? false : undefined;
    case 'cond':
      return e.bool === 'or' ? namesChangedFields(e.a) : undefined;
    case 'sub':
      return e.idx.t === 'str' && e.idx.v === 'update_fields' ? true : undefined;
    case 'call':
      if (e.fn.t === 'attr' && e.fn.name === 'get_dirty_fields') return false;
      return e.fn.t === 'attr' && e.fn.name === 'get' && e.args[0]?.t === 'str' && e.args[0].v === 'update_fields'
        ? true
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Whether a guarded invalidation runs on write `w` as far as `dep` cares: a save naming its
 * columns runs it when it names a guarded one; a save of any column does, as far as the entry
 * cares, only when the entry reads nothing but guarded columns and the guard tests values, not
 * `update_fields` (which a plain save leaves empty). Deletes and other writes are not what such
 * guards test.
 */
export function guardRunsOn(guard: FieldGuard, w: WriteSite, dep: Dep): boolean {
  if (w.kind !== 'save') return true;
  const guarded = new Set(guard.columns.map(column));
  if (w.columns) return w.columns.some((c) => guarded.has(column(c)));
  return !guard.named && !!dep.columns && dep.columns.every((c) => guarded.has(column(c)));
}

/** The columns the entry reads that the guard does not test: null when it reads the whole row. */
export function unguardedColumns(guard: FieldGuard, dep: Dep): string[] | null {
  if (!dep.columns) return null;
  const guarded = new Set(guard.columns.map(column));
  return dep.columns.filter((c) => !guarded.has(column(c)));
}

/** A foreign key `x` is column `x_id`. */
function column(name: string): string {
  return name.replace(/_id$/, '');
}
