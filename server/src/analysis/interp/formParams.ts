/**
 * What a form's constructor parameters hold (`def __init__(self, tournament, *args, **kwargs)`),
 * read from the code that builds the form: direct calls `SetRoundForm(self.tournament, data=...)`,
 * and a FormView's `get_form_kwargs()` adding `kwargs["tournament"] = self.tournament` for the
 * view's `form_class` (or a class its `get_form_class()` returns). `self.tournament = tournament`
 * in `__init__` is then a row of Tournament, and `self.tournament.round_set.update(...)` in the
 * form's `save()` a write of Round. Only the shapes are kept (rows, querysets), not what computing
 * them read. A parameter that no construction passes stays unknown.
 */
import type { PythonFacts } from '../../facts/types';
import { eachCall } from '../../facts/walk';
import type { Expr } from '../../syntax/ir';
import { type ClsRef, fnId, merge, v, type V } from '../domain/values';
import type { InterpreterApi } from './api';
import { visitAssigns } from './bindings';

const FORM_BASE = /^django\.forms\./;

/** The values of the parameters of a form's `__init__` (the function `initIdx` of `cls`), by name. */
export function formConstructorParams(interp: InterpreterApi, cls: ClsRef, initIdx: number): Map<string, V> {
  const memo = interp.memoTable<Map<string, V>>('formConstructorParams');
  const id = fnId(cls.file, initIdx);
  const known = memo.get(id);
  if (known) return known;
  // A construction that needs this form's own parameters (a cycle) sees none.
  memo.set(id, new Map());
  const params = cls.file.functions[initIdx].params.slice(1);
  if (!params.some((p) => p.kind === 'plain') || !interp.models.inherits(cls.file, cls.idx, FORM_BASE))
    return new Map();
  const found = new Map<string, V[]>();
  const pass = (name: string, val: V) => {
    if (!val.shapes.length || !params.some((p) => p.kind === 'plain' && p.name === name)) return;
    found.set(name, [...(found.get(name) ?? []), v(val.shapes)]);
  };
  for (const file of interp.ws.python) {
    file.functions.forEach((fn, idx) => {
      if (fn.name === 'get_form_kwargs' && fn.cls !== null && buildsForm(interp, { file, idx: fn.cls }, cls)) {
        const scope = interp.functionScope(file, idx);
        visitAssigns(fn.body, (target, value) => {
          if (target.t === 'sub' && target.idx.t === 'str') pass(target.idx.v, interp.eval(value, scope));
        });
      }
      eachCall(fn.body, (call) => {
        if (!constructs(interp, file, call.fn, cls)) return;
        const scope = interp.functionScope(file, idx);
        const star = call.args.findIndex((a) => a.t === 'star');
        call.args.forEach((arg, i) => {
          const p = params[i];
          if (p?.kind === 'plain' && (star === -1 || i < star)) pass(p.name, interp.eval(arg, scope));
        });
        for (const k of call.kw) if (k.name) pass(k.name, interp.eval(k.value, scope));
      });
    });
  }
  const out = new Map([...found].map(([name, vals]) => [name, merge(...vals)]));
  memo.set(id, out);
  return out;
}

/** Whether `callee`, named in `file`, is the form class `cls` or a subclass of it (resolved without evaluating). */
function constructs(interp: InterpreterApi, file: PythonFacts, callee: Expr, cls: ClsRef): boolean {
  if (callee.t !== 'name' && callee.t !== 'attr') return false;
  // Cheap test first: only a name some workspace form class has can build one.
  if (!formClassNames(interp).has(callee.t === 'name' ? callee.id : callee.name)) return false;
  return interp
    .eval(callee, interp.moduleScope(file))
    .shapes.some((s) => s.k === 'class' && isOrInherits(interp, s.cls, cls));
}

function formClassNames(interp: InterpreterApi): Set<string> {
  const memo = interp.memoTable<Set<string>>('formClassNames');
  let names = memo.get('');
  if (!names) {
    names = new Set();
    for (const file of interp.ws.python)
      file.classes.forEach((c, idx) => {
        if (interp.models.inherits(file, idx, FORM_BASE)) names!.add(c.name);
      });
    memo.set('', names);
  }
  return names;
}

/** A view whose `form_class`, or whatever its `get_form_class()` returns, is `form` or a subclass of it. */
function buildsForm(interp: InterpreterApi, view: ClsRef, form: ClsRef): boolean {
  const self = { k: 'obj', cls: view } as const;
  const classes = [...(interp.classAttr(view, 'form_class', self)?.shapes ?? [])];
  for (const s of interp.classAttr(view, 'get_form_class', self)?.shapes ?? [])
    if (s.k === 'fn') classes.push(...interp.returns(s.fn, null, self).shapes);
  return classes.some((s) => s.k === 'class' && isOrInherits(interp, s.cls, form));
}

function isOrInherits(interp: InterpreterApi, sub: ClsRef, base: ClsRef, depth = 0): boolean {
  if (sub.file === base.file && sub.idx === base.idx) return true;
  if (depth > 10) return false;
  return sub.file.classes[sub.idx].bases.some((b) =>
    interp
      .eval(b, interp.moduleScope(sub.file))
      .shapes.some((s) => s.k === 'class' && isOrInherits(interp, s.cls, base, depth + 1)),
  );
}
