/**
 * What a method passes on to the method it overrides (`super().dispatch(request, article, ...)`
 * or `ArticleMixin.dispatch(self, request, article, ...)`): the base method's parameters hold the
 * rows and querysets of those arguments, so that `self.article = article` in a base class's method
 * types `self.article` for the subclass. Only the types go in, by position before any spread.
 */
import type { ClsRef, V } from '../domain/values';
import { isRowOrRows, mergeByName, v } from '../domain/values';
import { eachCall } from '../../facts/walk';
import type { InterpreterApi } from './api';
import { positionalBeforeSpread } from './bindings';

/** The parameters of `base`'s method `idx` that `cls`'s override of it passes rows or querysets to, by name. */
export function superCallParams(interp: InterpreterApi, cls: ClsRef, base: ClsRef, idx: number): Map<string, V> {
  const method = base.file.functions[idx];
  const own = cls.file.classes[cls.idx].methods;
  const override = Object.hasOwn(own, method.name) ? own[method.name] : undefined;
  const out = new Map<string, V[]>();
  if (override === undefined) return new Map();
  const scope = interp.functionScope(cls.file, override);
  eachCall(cls.file.functions[override].body, (call) => {
    if (call.fn.t !== 'attr' || call.fn.name !== method.name) return;
    const target = call.fn.obj;
    // super().m(a, b) passes a, b after self; Base.m(self, a, b) passes self first.
    const viaSuper = target.t === 'call' && target.fn.t === 'name' && target.fn.id === 'super';
    const viaBase = !viaSuper && interp.eval(target, interp.moduleScope(cls.file)).shapes.some((s) => s.k === 'class');
    if (!viaSuper && !viaBase) return;
    const args = positionalBeforeSpread(call).slice(viaBase ? 1 : 0);
    args.forEach((arg, i) => {
      const p = method.params[i + 1];
      const rows = interp.eval(arg, scope).shapes.filter(isRowOrRows);
      if (p?.kind === 'plain' && rows.length) out.set(p.name, [...(out.get(p.name) ?? []), v(rows)]);
    });
  });
  return mergeByName(out);
}
