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
import { FORM_BASE } from '../django';
import { classBases } from '../models';
import { type ClsRef, fnId, mergeByName, type Shape, v, type V } from '../domain/values';
import type { Call, InterpreterApi } from './api';
import { positionalBeforeSpread, visitAssigns } from './bindings';

/** The values of the parameters of a form's `__init__` (the function `initIdx` of `cls`), by name. */
export function formConstructorParams(interp: InterpreterApi, cls: ClsRef, initIdx: number): Map<string, V> {
  // A construction that needs this form's own parameters (a cycle) sees none.
  return interp.memoized('formConstructorParams', fnId(cls.file, initIdx), new Map<string, V>(), () =>
    constructorParams(interp, cls, initIdx),
  );
}

function constructorParams(interp: InterpreterApi, cls: ClsRef, initIdx: number): Map<string, V> {
  const params = cls.file.functions[initIdx].params.slice(1);
  if (!params.some((p) => p.kind === 'plain') || !interp.models.inherits(cls.file, cls.idx, FORM_BASE))
    return new Map();
  const found = new Map<string, V[]>();
  // A caller's own parameter says nothing here (and a `request` of the caller's is no request of the form's).
  const pass = (name: string, val: V) => {
    const shapes = val.shapes.filter((s) => s.k !== 'param' && s.k !== 'paramcall');
    if (!shapes.length || !params.some((p) => p.kind === 'plain' && p.name === name)) return;
    found.set(name, [...(found.get(name) ?? []), v(shapes)]);
  };
  const sites = constructionSites(interp);
  for (const { file, idx } of sites.formKwargs) {
    const fn = file.functions[idx];
    if (fn.cls === null || !buildsForm(interp, { file, idx: fn.cls }, cls)) continue;
    const scope = interp.functionScope(file, idx);
    visitAssigns(fn.body, (target, value) => {
      if (target.t === 'sub' && target.idx.t === 'str') pass(target.idx.v, interp.eval(value, scope));
    });
  }
  for (const { file, idx, call } of sites.calls) {
    const built = interp.eval(call.fn, interp.moduleScope(file)).shapes;
    if (!built.some((s) => s.k === 'class' && interp.models.isOrSubclassOf(s.cls, cls))) continue;
    const scope = interp.functionScope(file, idx);
    positionalBeforeSpread(call).forEach((arg, i) => {
      const p = params[i];
      if (p?.kind === 'plain') pass(p.name, interp.eval(arg, scope));
    });
    for (const k of call.kw) if (k.name) pass(k.name, interp.eval(k.value, scope));
  }
  return mergeByName(found);
}

interface ConstructionSites {
  /** Calls whose callee is named like a workspace form class, in the function `idx` of `file`. */
  calls: { file: PythonFacts; idx: number; call: Call }[];
  /** Methods named `get_form_kwargs`. */
  formKwargs: { file: PythonFacts; idx: number }[];
}

/** Where the workspace may build forms, found once by name (nothing evaluated). */
function constructionSites(interp: InterpreterApi): ConstructionSites {
  const memo = interp.memoTable<ConstructionSites>('formConstructionSites');
  const known = memo.get('');
  if (known) return known;
  const names = new Set<string>();
  for (const file of interp.ws.python)
    file.classes.forEach((c, idx) => {
      if (interp.models.inherits(file, idx, FORM_BASE)) names.add(c.name);
    });
  const sites: ConstructionSites = { calls: [], formKwargs: [] };
  for (const file of interp.ws.python)
    file.functions.forEach((fn, idx) => {
      if (fn.name === 'get_form_kwargs' && fn.cls !== null) sites.formKwargs.push({ file, idx });
      eachCall(fn.body, (call) => {
        const callee = call.fn.t === 'name' ? call.fn.id : call.fn.t === 'attr' ? call.fn.name : undefined;
        if (callee !== undefined && names.has(callee)) sites.calls.push({ file, idx, call });
      });
    });
  memo.set('', sites);
  return sites;
}

/** A view whose `form_class`, or whatever its `get_form_class()` returns, is `form` or a subclass of it. */
function buildsForm(interp: InterpreterApi, view: ClsRef, form: ClsRef): boolean {
  const self = { k: 'obj', cls: view } as const;
  const classes = [...(interp.classAttr(view, 'form_class', self)?.shapes ?? [])];
  for (const s of interp.classAttr(view, 'get_form_class', self)?.shapes ?? [])
    if (s.k === 'fn') classes.push(...interp.returns(s.fn, null, self).shapes);
  return classes.some((s) => s.k === 'class' && interp.models.isOrSubclassOf(s.cls, form));
}

/** Django's form views call these with the form `get_form()` built from `get_form_class()`. */
const FORM_HANDLERS = new Set(['form_valid', 'form_invalid']);

/**
 * The form a view's `form_valid(self, form)` or `form_invalid(self, form)` is given: an instance
 * of one of its form classes (viewForms). Undefined when none is named, or when one of them is
 * not a known class: the form is then left untyped.
 */
export function viewFormParam(interp: InterpreterApi, file: PythonFacts, fnIdx: number, index: number): V | undefined {
  const fn = file.functions[fnIdx];
  if (index !== 1 || fn.cls === null || !FORM_HANDLERS.has(fn.name)) return undefined;
  const classes = viewForms(interp, { file, idx: fn.cls });
  return classes?.length ? v(classes.map((cls) => ({ k: 'obj', cls }) as const)) : undefined;
}

/**
 * The form classes a view (or a workspace subclass, which `self` may be) builds: named in
 * `form_class`, assigned to `self.form_class` or returned from `get_form_class()`; null when one of
 * them is not a known class.
 */
export function viewForms(interp: InterpreterApi, view: ClsRef): ClsRef[] | null {
  // A form class worked out through this view's own handlers (a cycle) is not known.
  return interp.memoized<ClsRef[] | null>('viewForms', fnId(view.file, view.idx), null, () =>
    viewFormClasses(interp, view),
  );
}

function viewFormClasses(interp: InterpreterApi, view: ClsRef): ClsRef[] | null {
  const shapes: Shape[] = [];
  const related = relatedClasses(interp, view);
  for (const cls of related.subclasses) {
    const self = { k: 'obj', cls } as const;
    shapes.push(...(interp.classAttr(cls, 'form_class', self)?.shapes ?? []));
    for (const s of interp.classAttr(cls, 'get_form_class', self)?.shapes ?? [])
      shapes.push(...(s.k === 'fn' ? interp.returns(s.fn, null, self).shapes : [s]));
  }
  for (const cls of [...related.bases, ...related.subclasses])
    for (const idx of Object.values(cls.file.classes[cls.idx].methods)) {
      const fn = cls.file.functions[idx];
      const selfName = fn.params[0]?.name;
      if (!selfName) continue;
      visitAssigns(fn.body, (target, value) => {
        if (
          target.t === 'attr' &&
          target.name === 'form_class' &&
          target.obj.t === 'name' &&
          target.obj.id === selfName
        )
          shapes.push(...interp.eval(value, interp.functionScope(cls.file, idx)).shapes);
      });
    }
  if (shapes.some((s) => s.k !== 'class')) return null;
  const classes: ClsRef[] = [];
  for (const s of shapes)
    if (s.k === 'class' && !classes.some((c) => c.file === s.cls.file && c.idx === s.cls.idx)) classes.push(s.cls);
  return classes;
}

/** The workspace classes `cls` inherits from, and those that are `cls` or inherit from it. */
function relatedClasses(interp: InterpreterApi, cls: ClsRef): { bases: ClsRef[]; subclasses: ClsRef[] } {
  const { basesOf, subclassesOf } = classIndex(interp);
  const walk = (from: ClsRef, next: Map<string, ClsRef[]>): ClsRef[] => {
    const seen = new Map<string, ClsRef>([[fnId(from.file, from.idx), from]]);
    const queue = [from];
    for (let head = 0; head < queue.length && head < 10_000; head++)
      for (const c of next.get(fnId(queue[head].file, queue[head].idx)) ?? []) {
        const id = fnId(c.file, c.idx);
        if (!seen.has(id)) {
          seen.set(id, c);
          queue.push(c);
        }
      }
    return queue;
  };
  return { bases: walk(cls, basesOf).slice(1), subclasses: walk(cls, subclassesOf) };
}

/** Each workspace class's workspace bases and direct subclasses, worked out once. */
function classIndex(interp: InterpreterApi): { basesOf: Map<string, ClsRef[]>; subclassesOf: Map<string, ClsRef[]> } {
  const memo = interp.memoTable<{ basesOf: Map<string, ClsRef[]>; subclassesOf: Map<string, ClsRef[]> }>('classIndex');
  const known = memo.get('');
  if (known) return known;
  const basesOf = new Map<string, ClsRef[]>();
  const subclassesOf = new Map<string, ClsRef[]>();
  for (const file of interp.ws.python)
    file.classes.forEach((fact, idx) => {
      const id = fnId(file, idx);
      for (const b of classBases(fact))
        for (const s of interp.eval(b, interp.moduleScope(file)).shapes) {
          if (s.k !== 'class') continue;
          basesOf.set(id, [...(basesOf.get(id) ?? []), s.cls]);
          const baseId = fnId(s.cls.file, s.cls.idx);
          subclassesOf.set(baseId, [...(subclassesOf.get(baseId) ?? []), { file, idx }]);
        }
    });
  const index = { basesOf, subclassesOf };
  memo.set('', index);
  return index;
}
