/**
 * Objects a library holds and calls back (python-markdown's processors, registered by extensions
 * the project builds at run time): a library stub makes one of its own base class
 * (`Preprocessor(self).run(lines)`), which stands for every object of that class or of a project
 * subclass. Calling one of its methods runs each project override too, as class-hierarchy analysis
 * does; what an override reads counts as what it gives back, for processors often hand their
 * output over by changing the tree they were passed rather than by returning it.
 */
import { type ClsRef, merge, type Scope, type Shape, v, type V } from '../domain/values';
import type { Args, Call, FnShape, InterpreterApi, Walk } from './api';

type Held = Extract<Shape, { k: 'obj' }>;

/** An object of `cls` made at a site in `scope`: held when a stub makes one of its own classes. */
export function madeObject(interp: InterpreterApi, cls: ClsRef, scope: Scope): Held {
  return interp.ws.stubs.has(scope.file) && interp.ws.stubs.has(cls.file)
    ? { k: 'obj', cls, held: true }
    : { k: 'obj', cls };
}

/** The project overrides of method `name` of a held object's class; none for other objects. */
export function projectOverrides(interp: InterpreterApi, recv: Held, name: string): FnShape[] {
  if (!recv.held) return [];
  const out: FnShape[] = [];
  for (const sub of projectSubclasses(interp, recv.cls)) {
    for (const m of interp.classAttr(sub, name, { k: 'obj', cls: sub })?.shapes ?? []) {
      if (m.k !== 'fn' || interp.ws.stubs.has(m.fn.file)) continue;
      if (!out.some((o) => o.fn.file === m.fn.file && o.fn.idx === m.fn.idx)) out.push(m);
    }
  }
  return out;
}

/** What the project overrides of a held object's method give and read, called with the call's arguments. */
export function overridesCall(
  interp: InterpreterApi,
  overrides: FnShape[],
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
  args: Args,
): V {
  return merge(
    ...overrides.map((m) =>
      merge(interp.callFunction(m, e, scope, walk, args), v([], interp.collect(m.fn.file, m.fn.idx).reads)),
    ),
  );
}

/** The project classes that inherit `base`, found once per base. */
function projectSubclasses(interp: InterpreterApi, base: ClsRef): ClsRef[] {
  const memo = interp.memoTable<ClsRef[]>('projectSubclasses');
  const id = `${base.file.path}:${base.file.classes[base.idx].qual}`;
  let found = memo.get(id);
  if (!found) {
    found = [];
    for (const file of interp.ws.python)
      file.classes.forEach((_, idx) => {
        if (interp.models.isOrSubclassOf({ file, idx }, base)) found?.push({ file, idx });
      });
    memo.set(id, found);
  }
  return found;
}
