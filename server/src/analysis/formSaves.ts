/**
 * The `save()` methods of workspace forms that run with no call the engine sees. Django saves an
 * admin's (or inline's) `form`, a formset factory's form, and the form of a create or update view
 * (or an auth or third-party view) that keeps its own form_valid(); a view method that builds its form with
 * `get_form()` and saves it calls save() on a value the engine does not type. Coverage credits an
 * invalidation in a form method's callers only when none of these may call it.
 */
import type { PythonFacts } from '../facts/types';
import { eachCall } from '../facts/walk';
import type { FunctionFact, Stmt } from '../syntax/ir';
import { ADMIN_FORM_ATTRS, FORM_BASE, FORM_SAVING_VIEW_BASE } from './django';
import { type ClsRef, fnId, type Shape } from './domain/values';
import type { Interpreter } from './interp';
import { visitAssigns } from './interp/bindings';
import { viewForms } from './interp/formParams';
import { classBases, type ModelRegistry } from './models';

/** The ids of the `save()` methods of the forms this file defines. */
export function formSaves(models: ModelRegistry, file: PythonFacts): string[] {
  return file.classes.flatMap((cls, idx) =>
    cls.methods.save !== undefined && models.inherits(file, idx, FORM_BASE) ? [fnId(file, cls.methods.save)] : [],
  );
}

/** The ids of the `save()` methods that this file's uses of forms call with no call the engine sees. */
export function unseenFormSaves(interp: Interpreter, models: ModelRegistry, file: PythonFacts): string[] {
  const forms: ClsRef[] = [];
  const formsOf = (shapes: readonly Shape[]) => {
    for (const s of shapes) if (s.k === 'class' && models.inherits(s.cls.file, s.cls.idx, FORM_BASE)) forms.push(s.cls);
  };
  file.classes.forEach((cls, idx) => {
    const ref = { file, idx };
    for (const attr of ADMIN_FORM_ATTRS)
      if (assignsName(cls.body, attr)) formsOf(interp.classAttr(ref, attr, null)?.shapes ?? []);
    // Only a view (a class with a library base) that names a form class builds one (viewForms).
    if (!models.externalBases(file, idx).size) return;
    const namesForm =
      !!interp.classAttr(ref, 'form_class', null) ||
      !!interp.classAttr(ref, 'get_form_class', null) ||
      Object.values(cls.methods).some((m) => assignsSelfFormClass(file.functions[m]));
    if (!namesForm) return;
    const savingView = models.inherits(file, idx, FORM_SAVING_VIEW_BASE) && keepsLibraryFormValid(interp, ref);
    const savesBuiltForm = Object.values(cls.methods).some(
      (m) => calls(file.functions[m].body, 'get_form') && calls(file.functions[m].body, 'save'),
    );
    if (savingView || savesBuiltForm) formsOf((viewForms(interp, ref) ?? []).map((cls) => ({ k: 'class', cls })));
  });
  // A formset factory's formsets save each of their forms.
  const scanFactories = (body: Stmt[], fnIdx: number) =>
    eachCall(body, (call) => {
      const name = call.fn.t === 'name' ? call.fn.id : call.fn.t === 'attr' ? call.fn.name : '';
      if (!name.endsWith('formset_factory')) return;
      const scope = fnIdx >= 0 ? interp.functionScope(file, fnIdx) : interp.moduleScope(file);
      for (const arg of [...call.args, ...call.kw.map((k) => k.value)]) formsOf(interp.eval(arg, scope).shapes);
    });
  scanFactories(file.body, -1);
  file.classes.forEach((cls) => scanFactories(cls.body, -1));
  file.functions.forEach((fn, idx) => scanFactories(fn.body, idx));
  const out = new Set<string>();
  for (const form of forms) for (const id of mroSaves(interp, form)) out.add(id);
  return [...out];
}

/** Whether a library form_valid() runs for this view: it has no workspace form_valid(), or that one calls the base's. */
function keepsLibraryFormValid(interp: Interpreter, view: ClsRef): boolean {
  const own = interp.classAttr(view, 'form_valid', null)?.shapes.find((s) => s.k === 'fn');
  if (own?.k !== 'fn' || interp.ws.stubs.has(own.fn.file)) return true;
  return calls(own.fn.file.functions[own.fn.idx].body, 'form_valid');
}

/** Whether a body calls a function or method of this name. */
function calls(body: Stmt[], name: string): boolean {
  let found = false;
  eachCall(body, (call) => {
    found ||= (call.fn.t === 'attr' ? call.fn.name : call.fn.t === 'name' ? call.fn.id : '') === name;
  });
  return found;
}

function assignsSelfFormClass(fn: FunctionFact): boolean {
  let found = false;
  visitAssigns(fn.body, (target) => {
    found ||=
      target.t === 'attr' &&
      target.name === 'form_class' &&
      target.obj.t === 'name' &&
      target.obj.id === fn.params[0]?.name;
  });
  return found;
}

function assignsName(body: Stmt[], name: string): boolean {
  return body.some((s) => s.t === 'assign' && s.targets.some((t) => t.t === 'name' && t.id === name));
}

/** The `save()` methods of a class and of its workspace bases: the one called, and those it may call with super(). */
function mroSaves(interp: Interpreter, cls: ClsRef, depth = 0): string[] {
  if (depth > 10) return [];
  const fact = cls.file.classes[cls.idx];
  const own = fact.methods.save;
  const out = own !== undefined ? [fnId(cls.file, own)] : [];
  for (const b of classBases(fact))
    for (const s of interp.eval(b, interp.moduleScope(cls.file)).shapes)
      if (s.k === 'class' && !interp.ws.stubs.has(s.cls.file)) out.push(...mroSaves(interp, s.cls, depth + 1));
  return out;
}
