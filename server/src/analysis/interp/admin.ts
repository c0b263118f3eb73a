/**
 * What Django passes a ModelAdmin's methods and actions: `save_model(self, request, obj, ...)`
 * gets a row of the admin's model, an action `(self, request, queryset)` (or a module function
 * `(modeladmin, request, queryset)` listed in an admin's `actions`) a queryset of its rows. The
 * admin's model is the one `site.register(Model, Admin)` or `@admin.register(Model)` registers
 * it (or a subclass of it) for, or an inline's `model`. An admin registered for nothing says
 * nothing: its parameters stay unknown.
 */
import type { PythonFacts } from '../../facts/types';
import { eachCall } from '../../facts/walk';
import type { Expr, FunctionFact } from '../../syntax/ir';
import { ADMIN_BASE, ADMIN_QUERYSET_METHODS, ADMIN_ROW_METHODS } from '../django';
import { type ClsRef, exprText, fnId, type FnRef, v, type V } from '../domain/values';
import type { Call, InterpreterApi } from './api';

/** The parts of `site.register(Model, Admin)` (any `…site` object): what it registers, and with which admin. */
export function siteRegistration(call: Call): { models: Expr; admin: Expr | undefined } | undefined {
  if (call.fn.t !== 'attr' || call.fn.name !== 'register' || !/site$/.test(exprText(call.fn.obj))) return undefined;
  const models = call.args[0];
  return models && { models, admin: call.args[1] };
}

/** `@admin.register(Model, ...)` (or `@register(...)`) on an admin class. */
export function isRegisterDecorator(d: Expr): d is Call {
  return d.t === 'call' && /(^|\.)register$/.test(exprText(d.fn));
}

/** The value Django passes at parameter `index` of the function `fnIdx` of `file`, when it is the admin model's rows. */
export function adminParam(interp: InterpreterApi, file: PythonFacts, fnIdx: number, index: number): V | undefined {
  const fn = file.functions[fnIdx];
  const memo = interp.memoTable<{ one: boolean; models: string[] } | undefined>('adminParams');
  const id = `${fnId(file, fnIdx)}:${index}`;
  if (!memo.has(id)) memo.set(id, adminParamRows(interp, { file, idx: fnIdx }, fn, index));
  const rows = memo.get(id);
  if (!rows?.models.length) return undefined;
  const name = fn.params[index].name;
  return v(
    rows.models.map((model) => ({ k: rows.one ? 'inst' : 'qs', model, via: [`${name} in ${fn.name}()`] }) as const),
    rows.models.map((model) => ({ model, via: [`${name} in ${fn.name}()`], path: file.path, loc: fn.nameLoc })),
  );
}

function adminParamRows(
  interp: InterpreterApi,
  ref: FnRef,
  fn: FunctionFact,
  index: number,
): { one: boolean; models: string[] } | undefined {
  const actionShaped = index === 2 && fn.params[1]?.name === 'request';
  const { file } = ref;
  if (fn.cls !== null) {
    const one = ADMIN_ROW_METHODS[fn.name] === index;
    if (!one && !actionShaped) return undefined;
    // Only an admin's methods: a view's `post(self, request, pk)` asks nothing of the workspace.
    if (!interp.models.inherits(file, fn.cls, ADMIN_BASE)) return undefined;
    const admins = adminClasses(interp, { file, idx: fn.cls });
    if (!admins.models.length) return undefined;
    if (one) return { one, models: admins.models };
    const isAction = ADMIN_QUERYSET_METHODS.has(fn.name) || admins.classes.some((c) => listsAction(interp, c, ref));
    return isAction ? { one: false, models: admins.models } : undefined;
  }
  if (!actionShaped || fn.parent !== null) return undefined;
  const models = new Set<string>();
  for (const cls of listingAdmins(interp, ref)) for (const m of adminClasses(interp, cls).models) models.add(m);
  return { one: false, models: [...models] };
}

/** The admin class `cls` and its registered subclasses, and the models they are registered for. */
function adminClasses(interp: InterpreterApi, cls: ClsRef): { classes: ClsRef[]; models: string[] } {
  const memo = interp.memoTable<{ classes: ClsRef[]; models: string[] }>('adminClasses');
  const id = fnId(cls.file, cls.idx);
  const known = memo.get(id);
  if (known) return known;
  const classes: ClsRef[] = [cls];
  const models = new Set<string>();
  const scope = interp.moduleScope(cls.file);
  for (const d of cls.file.classes[cls.idx].decorators) {
    if (!isRegisterDecorator(d)) continue;
    for (const a of d.args) for (const s of interp.eval(a, scope).shapes) if (s.k === 'model') models.add(s.model);
  }
  for (const s of interp.classAttr(cls, 'model', null)?.shapes ?? []) if (s.k === 'model') models.add(s.model);
  for (const r of registrations(interp)) {
    if (!interp.models.isOrSubclassOf(r.admin, cls)) continue;
    if (!classes.some((c) => c.file === r.admin.file && c.idx === r.admin.idx)) classes.push(r.admin);
    for (const m of r.models) models.add(m);
  }
  const out = { classes, models: [...models] };
  memo.set(id, out);
  return out;
}

/** Every module-level `site.register(Model, Admin)` of the workspace, evaluated once. */
function registrations(interp: InterpreterApi): { admin: ClsRef; models: string[] }[] {
  const memo = interp.memoTable<{ admin: ClsRef; models: string[] }[]>('adminRegistrations');
  const known = memo.get('');
  if (known) return known;
  const out: { admin: ClsRef; models: string[] }[] = [];
  for (const file of interp.ws.python) {
    eachCall(file.body, (call) => {
      const r = siteRegistration(call);
      if (!r?.admin) return;
      const scope = interp.moduleScope(file);
      const admin = interp.eval(r.admin, scope).shapes.find((s) => s.k === 'class');
      if (admin?.k !== 'class') return;
      const items = r.models.t === 'seq' ? r.models.items : [r.models];
      const models = items.flatMap((item) =>
        interp.eval(item, scope).shapes.flatMap((s) => (s.k === 'model' ? [s.model] : [])),
      );
      if (models.length) out.push({ admin: admin.cls, models });
    });
  }
  memo.set('', out);
  return out;
}

/** Whether the admin `cls` lists the function `ref` in its `actions`, by name (`'rescore'`) or as the function itself. */
function listsAction(interp: InterpreterApi, cls: ClsRef, ref: FnRef): boolean {
  const actions = interp.classAttr(cls, 'actions', null);
  if (!actions) return false;
  const name = ref.file.functions[ref.idx].name;
  return interp.element(actions).shapes.some((s) => {
    if (s.k === 'fn') return s.fn.file.path === ref.file.path && s.fn.idx === ref.idx;
    return s.k === 'str' && s.key.parts.length === 1 && 'lit' in s.key.parts[0] && s.key.parts[0].lit === name;
  });
}

/** Admin classes of the module function's file and of the files importing its module that list it in `actions`. */
function listingAdmins(interp: InterpreterApi, ref: FnRef): ClsRef[] {
  const { file } = ref;
  const module = file.module;
  const importers = interp.ws.python.filter(
    (f) => f === file || f.imports.some((i) => i.module === module || `${i.module}.${i.name}` === module),
  );
  return importers.flatMap((f) =>
    f.classes.flatMap((_, idx) => (listsAction(interp, { file: f, idx }, ref) ? [{ file: f, idx }] : [])),
  );
}
