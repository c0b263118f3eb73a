/**
 * A helper that saves or deletes a row it is given (`def save_as_editor(request, obj): ...;
 * obj.save()`) runs the save() or delete() override of the model whose row its caller passes:
 * the call is a call of that override, as `row.save()` in the caller itself is (the method is
 * resolved on the row). What the override invalidates then runs in the caller's request at the
 * call, and the override runs on whatever triggers the caller. One helper deep: a helper handing
 * the row on to another helper is not followed.
 */
import type { OverriddenWrite, WriteKind } from '../domain/events';
import { fnId, type Scope, type V } from '../domain/values';
import type { Call, FnShape, InterpreterApi, Walk } from './api';
import { argumentFor } from './bindings';

export function isOverridden(kind: WriteKind): kind is OverriddenWrite {
  return kind === 'save' || kind === 'delete';
}

/**
 * The function a save() or delete() of `model`'s rows runs: its own override, or one it inherits
 * from a workspace base. Looked up once per interpreter: calls passing rows are many, bases are few.
 */
function overrideOf(interp: InterpreterApi, model: string, kind: OverriddenWrite): string | undefined {
  const known = interp.memoTable<string | undefined>('saveOverrides');
  const key = `${model} ${kind}`;
  if (known.has(key)) return known.get(key);
  const info = interp.models.byId.get(model);
  let id: string | undefined;
  if (info?.file && info.cls !== undefined) {
    const own = info.file.classes[info.cls].methods[kind];
    const inherited = own === undefined ? interp.models.inheritedMethod(info.file, info.cls, kind) : undefined;
    id = own !== undefined ? fnId(info.file, own) : inherited && fnId(inherited.file, inherited.fn);
  }
  known.set(key, id);
  return id;
}

/** A save() or delete() of a row of `model`, at the walk's statement, calls the model's override. */
function callOverride(interp: InterpreterApi, walk: Walk, model: string, kind: OverriddenWrite): void {
  const id = overrideOf(interp, model, kind);
  if (id) walk.events.calls.push({ to: id, pos: walk.pos, deferred: walk.deferred });
}

/**
 * A save() or delete() override writing another row of its own model (`successor.save()` in
 * `Photo.delete()`), not the row it is called on: that row exists only as the data has it (the
 * next cover photo, a parent, siblings to renumber), so what its override invalidates is that
 * write's invalidation, not one of every write that runs this override.
 */
export function isOtherRowOfOverride(interp: InterpreterApi, s: FnShape, e: Call, scope: Scope): boolean {
  const caller = scope.fn;
  const writes = (name: string) => name === 'save' || name === 'delete';
  if (!caller || caller.cls === null || s.self?.k !== 'inst') return false;
  if (!writes(caller.name) || !writes(s.fn.file.functions[s.fn.idx].name)) return false;
  const receiver = e.fn.t === 'attr' ? e.fn.obj : undefined;
  if (!receiver || (receiver.t === 'name' && receiver.id === caller.params[0]?.name)) return false;
  const own = interp.models.modelOfClass(scope.file, caller.cls);
  if (!own) return false;
  const rows = own.abstract ? interp.models.concreteOf(own.id).map((m) => m.id) : [own.id];
  return rows.includes(s.self.model);
}

/** `param.save()` in a helper: whatever row its callers pass there is saved. */
export function recordParamWrite(walk: Walk, param: string, kind: OverriddenWrite): void {
  if (!walk.events.paramWrites.some((w) => w.param === param && w.kind === kind))
    walk.events.paramWrites.push({ param, kind });
}

/** A call of a helper that saves or deletes a parameter runs the override of each model whose row the call passes for it. */
export function callOverridesOfArguments(
  interp: InterpreterApi,
  s: FnShape,
  e: Call,
  scope: Scope,
  walk: Walk,
  args: () => V[],
): void {
  const fact = s.fn.file.functions[s.fn.idx];
  const overridden = (model: string) => !!overrideOf(interp, model, 'save') || !!overrideOf(interp, model, 'delete');
  // The helper is walked only when the call passes a row whose model overrides a write.
  const passed = fact.params.flatMap((p) => {
    const arg = argumentFor(fact, e, p.name);
    if (!arg) return [];
    const position = e.args.indexOf(arg);
    const val = position >= 0 ? args()[position] : interp.eval(arg, scope);
    const models = val.shapes.flatMap((x) => (x.k === 'inst' && overridden(x.model) ? [x.model] : []));
    return models.length ? [{ param: p.name, models }] : [];
  });
  if (!passed.length) return;
  for (const w of interp.collect(s.fn.file, s.fn.idx).paramWrites)
    for (const model of passed.find((p) => p.param === w.param)?.models ?? [])
      callOverride(interp, walk, model, w.kind);
}
