/** Forms and DRF serializers: the model a model form saves, and what a serializer's output reads. */
import { type ClsRef, dataOf, EMPTY, fnId, merge, type Scope, v, type V } from '../domain/values';
import { MODEL_FORM_BASES } from '../django';
import type { ModelInfo } from '../models';
import type { Call, InterpreterApi, Walk } from './api';
import { recordWrite } from './orm';

/** A DRF serializer class: its `.data` and its instances read what serializerValue finds. */
export function isSerializer(interp: InterpreterApi, cls: ClsRef): boolean {
  return interp.models.inherits(cls.file, cls.idx, /^rest_framework\.serializers\./);
}

/** `form.save()` of a model form or model serializer writes its Meta.model. */
export function formSave(interp: InterpreterApi, cls: ClsRef, e: Call, scope: Scope, walk: Walk): void {
  const model = formModel(interp, cls);
  if (model) recordWrite(interp, walk, scope, e, model, 'save', true, `${cls.file.classes[cls.idx].name}.save()`);
}

/** The model a model form's or model serializer's `.save()` writes. */
function formModel(interp: InterpreterApi, cls: ClsRef): string | undefined {
  if (!interp.models.inherits(cls.file, cls.idx, MODEL_FORM_RE)) return undefined;
  return metaModel(interp, cls)?.id;
}

export function metaModel(interp: InterpreterApi, cls: ClsRef, depth = 0): ModelInfo | undefined {
  if (depth > 10) return undefined;
  const fact = cls.file.classes[cls.idx];
  const meta = fact.nested.Meta;
  if (meta !== undefined) {
    for (const s of cls.file.classes[meta].body) {
      if (s.t === 'assign' && s.targets.some((t) => t.t === 'name' && t.id === 'model')) {
        return interp.models.modelFromExpr(cls.file, s.value);
      }
    }
  }
  for (const b of fact.bases) {
    const base = interp.eval(b, interp.moduleScope(cls.file));
    for (const sh of base.shapes)
      if (sh.k === 'class') {
        const r = metaModel(interp, sh.cls, depth + 1);
        if (r) return r;
      }
  }
  return undefined;
}

/** What a DRF serializer's output reads: Meta.model, nested serializers, source paths, method fields. */
export function serializerValue(interp: InterpreterApi, cls: ClsRef, depth = 0): V {
  const key = `${fnId(cls.file, cls.idx)}:ser`;
  const memo = interp.memoTable<V>('serializers');
  const known = memo.get(key);
  if (known) return known;
  if (depth > 6) return EMPTY;
  memo.set(key, EMPTY);
  const fact = cls.file.classes[cls.idx];
  const name = fact.name;
  const model = metaModel(interp, cls);
  const parts: V[] = [];
  const scope = interp.moduleScope(cls.file);
  if (model)
    parts.push(v([], [{ model: model.id, via: [`${name}.Meta.model`], path: cls.file.path, loc: fact.nameLoc }]));
  for (const s of fact.body) {
    if (s.t !== 'assign' || s.value.t !== 'call') continue;
    const fieldName = s.targets[0]?.t === 'name' ? s.targets[0].id : '';
    const fieldV = interp.eval(s.value.fn, scope);
    const source = s.value.kw.find((k) => k.name === 'source')?.value;
    const path = source?.t === 'str' ? source.v : fieldName;
    for (const sh of fieldV.shapes) {
      if (sh.k === 'class' && interp.models.inherits(sh.cls.file, sh.cls.idx, SERIALIZER_RE)) {
        parts.push(serializerValue(interp, sh.cls, depth + 1));
      }
    }
    if (model && path) {
      let cur = model.id;
      for (const seg of path.split('.')) {
        const rel = interp.models.relation(cur, seg);
        if (!rel) break;
        parts.push(
          v(
            [],
            [
              {
                model: rel.target,
                via: [`${name}.${fieldName}`, `source=${JSON.stringify(path)}`],
                path: cls.file.path,
                loc: s.value.loc,
              },
            ],
          ),
        );
        cur = rel.target;
      }
    }
  }
  for (const [mname, idx] of Object.entries(fact.methods)) {
    if (!mname.startsWith('get_') || !model) continue;
    const fn = cls.file.functions[idx];
    const objParam = fn.params[1]?.name;
    if (!objParam) continue;
    const fixed = new Map<string, V>([[objParam, v([{ k: 'inst', model: model.id, via: [`${name}.${mname}(obj)`] }])]]);
    parts.push(dataOf(interp.returnsWith(cls.file, idx, fixed)));
  }
  const out = merge(...parts);
  memo.set(key, out);
  return out;
}

const MODEL_FORM_RE = new RegExp(`^(${[...MODEL_FORM_BASES].map((x) => x.replace(/\./g, '\\.')).join('|')})$`);

const SERIALIZER_RE = /^rest_framework\.serializers\.\w*Serializer$/;
