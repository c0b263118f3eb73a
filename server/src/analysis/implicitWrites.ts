/** Writes the code does not spell out: admin registrations (and their inlines), generic editing views. */
import type { PythonFacts } from '../facts/types';
import type { Loc } from '../syntax/ir';
import { WRITING_VIEWS } from './django';
import type { WriteSite } from './domain/events';
import type { Interpreter } from './interp';
import { isRegisterDecorator, siteRegistration } from './interp/admin';
import type { ModelRegistry } from './models';
import { scanCalls } from './entries';

export function implicitWrites(
  interp: Interpreter,
  models: ModelRegistry,
  file: PythonFacts,
  adminRegistered: Set<string>,
): WriteSite[] {
  const out: WriteSite[] = [];
  // A form's m2m fields are saved right after its row (save_m2m), so they go with that save.
  const addModelWrites = (
    model: string,
    loc: Loc,
    how: string,
    owner?: { file: PythonFacts; idx: number },
    kinds: ('save' | 'delete')[] = ['save', 'delete'],
    savedWith?: string,
  ) => {
    for (const kind of kinds)
      out.push({ file, loc, model, kind, signals: true, how, fnId: null, pos: null, owner, savedWith });
    const info = models.byId.get(model);
    for (const f of info?.fields.values() ?? []) {
      if (f.kind === 'm2m' && f.through && kinds.includes('save'))
        out.push({
          file,
          loc,
          model: f.through,
          kind: 'm2m',
          signals: true,
          how: `${how} (${info!.name}.${f.name})`,
          fnId: null,
          pos: null,
          owner,
          savedWith: model,
        });
    }
  };
  // Inlines of a registered admin save and delete their own model after the admin saved `parent`.
  const addInlineWrites = (admin: { file: PythonFacts; idx: number }, parent: string, loc: Loc) => {
    const inlines = interp.classAttr(admin, 'inlines', null);
    for (const s of inlines ? interp.element(inlines).shapes : []) {
      if (s.k !== 'class') continue;
      for (const m of interp.classAttr(s.cls, 'model', null)?.shapes ?? []) {
        if (m.k === 'model')
          addModelWrites(m.model, loc, `admin inline ${s.cls.file.classes[s.cls.idx].name}`, admin, undefined, parent);
      }
    }
  };
  const scope = interp.moduleScope(file);
  scanCalls(file.body, (call) => {
    const registration = siteRegistration(call);
    if (!registration) return;
    const { models: first, admin } = registration;
    const adminCls = admin ? interp.eval(admin, scope).shapes.find((s) => s.k === 'class') : undefined;
    for (const item of first.t === 'seq' ? first.items : [first]) {
      for (const s of interp.eval(item, scope).shapes) {
        if (s.k !== 'model') continue;
        adminRegistered.add(s.model);
        const owner = adminCls && adminCls.k === 'class' ? adminCls.cls : undefined;
        addModelWrites(s.model, call.loc, 'the admin', owner, owner ? adminWriteKinds(interp, owner) : undefined);
        if (owner) addInlineWrites(owner, s.model, call.loc);
      }
    }
  });
  file.classes.forEach((cls, idx) => {
    for (const d of cls.decorators) {
      if (!isRegisterDecorator(d)) continue;
      for (const a of d.args) {
        for (const s of interp.eval(a, scope).shapes) {
          if (s.k !== 'model') continue;
          adminRegistered.add(s.model);
          addModelWrites(s.model, d.loc, 'the admin', { file, idx }, adminWriteKinds(interp, { file, idx }));
          addInlineWrites({ file, idx }, s.model, d.loc);
        }
      }
    }
    const bases = models.externalBases(file, idx);
    const kinds = [...bases].flatMap((q) => WRITING_VIEWS[q] ?? []);
    if (kinds.length) {
      const model = viewModel(interp, file, idx);
      if (model) addModelWrites(model, cls.nameLoc, cls.name, { file, idx }, [...new Set(kinds)]);
    }
  });
  return out;
}

/** What a ModelAdmin lets users do to its model: no delete when `has_delete_permission` is `return False`. */
function adminWriteKinds(interp: Interpreter, admin: { file: PythonFacts; idx: number }): ('save' | 'delete')[] {
  const permission = interp.classAttr(admin, 'has_delete_permission', null)?.shapes.find((s) => s.k === 'fn');
  if (permission?.k !== 'fn') return ['save', 'delete'];
  const body = permission.fn.file.functions[permission.fn.idx].body.filter(
    (st) => !(st.t === 'expr' && st.value.t === 'str'),
  );
  const deniesAll =
    body.length === 1 && body[0].t === 'return' && body[0].value?.t === 'const' && body[0].value.v === 'False';
  return deniesAll ? ['save'] : ['save', 'delete'];
}

function viewModel(interp: Interpreter, file: PythonFacts, idx: number): string | undefined {
  const cls = { file, idx };
  for (const attr of ['model', 'queryset']) {
    for (const s of interp.classAttr(cls, attr, null)?.shapes ?? [])
      if (s.k === 'model' || s.k === 'qs') return s.model;
  }
  for (const attr of ['serializer_class', 'form_class']) {
    for (const s of interp.classAttr(cls, attr, null)?.shapes ?? [])
      if (s.k === 'class') return interp.metaModel(s.cls)?.id;
  }
  return undefined;
}
