/**
 * The request a view is given: `request.user` is a row of the user model, and an attribute that
 * middleware sets (`request.event = Event.objects.get(...)`) is what every such assignment in the
 * workspace stores. An attribute no code assigns stays unknown.
 */
import type { Expr } from '../../syntax/ir';
import { EMPTY, merge, type Scope, type Shape, v, type V } from '../domain/values';
import type { InterpreterApi } from './api';
import { visitAssigns } from './bindings';

/** The value a parameter named `request` (or `self.request`, `context["request"]`) holds. */
export const REQUEST: Shape = { k: 'param', name: 'request' };

export function isRequest(s: Shape): boolean {
  return s.k === 'param' && s.name === 'request';
}

/** `request.<name>`; undefined when nothing is known of it. */
export function requestAttribute(interp: InterpreterApi, name: string, e: Expr, scope: Scope): V | undefined {
  if (name === 'user') {
    const user = interp.models.byLabel(interp.ws.settings.authUserModel);
    if (!user) return undefined;
    const via = ['request.user'];
    return v([{ k: 'inst', model: user.id, via }], [interp.dep(user.id, via, scope, e)]);
  }
  const assigned = middlewareAssignments(interp, name);
  if (!assigned.shapes.length && !assigned.deps.length) return undefined;
  // A row stored on the request is a row of its model: what the middleware's query also
  // prefetched is read only when the view walks that relation (which adds its own read).
  const rows = assigned.shapes.filter((s) => s.k === 'inst');
  if (!rows.length) return assigned;
  const via = [`request.${name}`];
  return merge(
    v(assigned.shapes),
    ...rows.map((row) => v([], [interp.dep(row.model, [...via, ...row.via], scope, e)])),
  );
}

/** The union of every `request.<name> = value` in the workspace, evaluated where it is written. */
function middlewareAssignments(interp: InterpreterApi, name: string): V {
  const memo = interp.memoTable<V>('requestAttributes');
  const known = memo.get(name);
  if (known) return known;
  memo.set(name, EMPTY);
  const found: V[] = [];
  for (const file of interp.ws.python) {
    file.functions.forEach((fn, idx) => {
      if (!fn.params.some((p) => p.name === 'request')) return;
      visitAssigns(fn.body, (target, value) => {
        if (target.t === 'attr' && target.name === name && target.obj.t === 'name' && target.obj.id === 'request')
          found.push(interp.eval(value, interp.functionScope(file, idx)));
      });
    });
  }
  const out = merge(...found);
  memo.set(name, out);
  return out;
}
