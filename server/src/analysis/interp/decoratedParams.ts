/**
 * What a project decorator's wrapper passes the function it decorates: django-wiki's `get_article`
 * looks the article up and calls `func(request, article, *args, **kwargs)`, so the `article`
 * parameter of a view decorated with it (directly or through `method_decorator`) is that row.
 * Only rows and querysets go in, by position, and only their types, not what looking them up read.
 * A wrapper is a function nested in the decorator (or in what the decorator returns) that calls a
 * parameter of the function enclosing it; an argument passed after a spread fills no known position.
 */
import type { PythonFacts } from '../../facts/types';
import { eachCall } from '../../facts/walk';
import type { Expr } from '../../syntax/ir';
import { exprText, fnId, isRowOrRows, mergeByName, v, type V } from '../domain/values';
import type { FnShape, InterpreterApi } from './api';
import { positionalBeforeSpread, receiverParams } from './bindings';

/** The parameters of function `idx` of `file` that its decorators' wrappers pass rows or querysets to, by name. */
export function decoratedParams(interp: InterpreterApi, file: PythonFacts, idx: number): Map<string, V> {
  const fact = file.functions[idx];
  if (!fact.decorators.length) return new Map();
  // A wrapper whose own scope needs these parameters (a cycle) sees none.
  return interp.memoized('decoratedParams', fnId(file, idx), new Map<string, V>(), () => {
    const found = new Map<string, V[]>();
    for (const d of fact.decorators) {
      const viaMethodDecorator = d.t === 'call' && /(^|\.)method_decorator$/.test(exprText(d.fn));
      const decorator = viaMethodDecorator && d.t === 'call' ? d.args[0] : d;
      // `method_decorator` passes the bound method: the wrapper's first argument fills the parameter after `self`.
      const skip = viaMethodDecorator ? receiverParams(fact) : 0;
      if (!decorator || (!viaMethodDecorator && receiverParams(fact))) continue;
      for (const wrapper of wrappers(interp, interp.eval(decorator, interp.moduleScope(file))))
        for (const args of wrappedCalls(interp, wrapper)) {
          args.forEach((arg, i) => {
            const p = fact.params[i + skip];
            if (!p || p.kind !== 'plain' || !arg.shapes.length) return;
            found.set(p.name, [...(found.get(p.name) ?? []), arg]);
          });
        }
    }
    return mergeByName(found);
  });
}

/** Project functions a decorator value may wrap with: itself, what it returns, what a lambda it is returns. */
function wrappers(interp: InterpreterApi, decorator: V, depth = 0): FnShape[] {
  const out: FnShape[] = [];
  for (const s of decorator.shapes) {
    if (s.k === 'fn') {
      out.push(s);
      if (depth < 2) out.push(...wrappers(interp, interp.returns(s.fn, s.closure ?? null), depth + 1));
    } else if (s.k === 'lambda' && depth < 2) {
      const body = interp.eval(s.expr.body, interp.lambdaScope(s.expr, s.scope, []));
      out.push(...wrappers(interp, body, depth + 1));
    }
  }
  return out.filter((w, i) => out.findIndex((o) => o.fn.file === w.fn.file && o.fn.idx === w.fn.idx) === i);
}

/** The rows and querysets of the positional arguments a wrapper passes the function it wraps, per call. */
function wrappedCalls(interp: InterpreterApi, wrapper: FnShape): V[][] {
  const { file, idx } = wrapper.fn;
  const fact = file.functions[idx];
  if (fact.parent === null) return [];
  const wrapped = new Set(file.functions[fact.parent].params.map((p) => p.name));
  for (const p of fact.params) wrapped.delete(p.name);
  if (!wrapped.size) return [];
  const calls: Expr[][] = [];
  eachCall(fact.body, (call) => {
    if (call.fn.t !== 'name' || !wrapped.has(call.fn.id)) return;
    calls.push(positionalBeforeSpread(call));
  });
  if (!calls.length) return [];
  const scope = interp.functionScope(file, idx);
  return calls.map((args) => args.map((a) => v(interp.eval(a, scope).shapes.filter(isRowOrRows))));
}
