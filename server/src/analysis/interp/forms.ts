/** Forms and DRF serializers: the model a model form saves, and what a serializer's output reads. */
import {
  type ClsRef,
  type Dep,
  dataOf,
  EMPTY,
  fnId,
  merge,
  type Scope,
  type Shape,
  union,
  v,
  type V,
} from '../domain/values';
import { MODEL_FORM_BASES } from '../django';
import type { ModelInfo } from '../models';
import type { Call, InterpreterApi, Walk } from './api';
import { recordWrite } from './orm';
import { metaFieldColumns, sourcePathReads } from './serializerColumns';
import { withColumns } from '../querysetColumns';

/** A DRF serializer class: its `.data` and its instances read what serializerValue finds. */
export function isSerializer(interp: InterpreterApi, cls: ClsRef): boolean {
  return interp.models.inherits(cls.file, cls.idx, /^rest_framework\.serializers\./);
}

/**
 * A model form's or model serializer's `.save()`: a write of its model, recorded when walking, and
 * what it returns, a row of that model (the one it was given, or a new one).
 */
export function formSave(
  interp: InterpreterApi,
  cls: ClsRef,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V | undefined {
  const model = formModel(interp, cls);
  if (!model) return undefined;
  const via = `${cls.file.classes[cls.idx].name}.save()`;
  if (walk) recordWrite(interp, walk, scope, e, model, 'save', true, via);
  return v([{ k: 'inst', model, via: [via] }]);
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

/**
 * What a DRF serializer's output reads: Meta.model (the columns its fields name, when the engine
 * sees them all), nested serializers, source paths (column by column), method fields.
 */
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
  const fieldParts: V[] = [];
  const scope = interp.moduleScope(cls.file);
  const declared = new Set<string>();
  // The serialized model's columns the declared fields use; undefined once one may use any.
  let own: string[] | undefined = [];
  for (const s of fact.body) {
    if (s.t !== 'assign' || s.value.t !== 'call') continue;
    const fieldName = s.targets[0]?.t === 'name' ? s.targets[0].id : '';
    declared.add(fieldName);
    const fieldV = interp.eval(s.value.fn, scope);
    // A method field's value is what its get_ method returns (read below).
    if (fieldV.shapes.some((sh) => isMethodField(interp, sh))) continue;
    const source = s.value.kw.find((k) => k.name === 'source')?.value;
    const path = source?.t === 'str' ? source.v : fieldName;
    for (const sh of fieldV.shapes) {
      if (sh.k === 'class' && interp.models.inherits(sh.cls.file, sh.cls.idx, SERIALIZER_RE)) {
        fieldParts.push(serializerValue(interp, sh.cls, depth + 1));
      }
    }
    if (model && path) {
      const at = {
        via: [`${name}.${fieldName}`, `source=${JSON.stringify(path)}`],
        path: cls.file.path,
        loc: s.value.loc,
      };
      const reads = sourcePathReads(interp, model.id, path, at);
      fieldParts.push(v([], reads.deps));
      own = own && reads.own && union(own, reads.own);
    }
  }
  const parts: V[] = [];
  if (model) {
    // An overridden to_representation, or fields a base class declares, may put any column in the output.
    const columns =
      own && !fact.methods.to_representation && !hasWorkspaceBase(interp, cls)
        ? metaFieldColumns(interp, cls, model.id, declared)
        : undefined;
    const read: Dep = { model: model.id, via: [`${name}.Meta.model`], path: cls.file.path, loc: fact.nameLoc };
    parts.push(v([], [columns && own ? { ...read, columns: union(columns, own) } : read]));
  }
  parts.push(...fieldParts);
  for (const [mname, idx] of Object.entries(fact.methods)) {
    if (!mname.startsWith('get_') || !model) continue;
    const fn = cls.file.functions[idx];
    const objParam = fn.params[1]?.name;
    if (!objParam) continue;
    // The row is data here: the method's output holds the columns it reads of it.
    const via = [`${name}.${mname}(obj)`];
    const row = v(
      [{ k: 'inst', model: model.id, via }],
      [{ model: model.id, via, path: cls.file.path, loc: fn.nameLoc }],
    );
    parts.push(dataOf(interp.returnsWith(cls.file, idx, new Map([[objParam, row]]))));
  }
  const out = merge(...parts);
  memo.set(key, out);
  return out;
}

/**
 * What `SomeSerializer(instance, ...)` holds: what the serializer reads, the other arguments'
 * data, and of the instance's rows of Meta.model only the columns the serializer names (with those
 * that chose a queryset's rows), as reading those attributes of them would.
 */
export function serializedData(
  interp: InterpreterApi,
  cls: ClsRef,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
  args: () => V[],
): V {
  const out = serializerValue(interp, cls);
  const positional = args();
  const instanceKw = e.kw.find((k) => k.name === 'instance');
  const instance = instanceKw ? interp.eval(instanceKw.value, scope, walk) : positional[0];
  const others = merge(
    ...positional.slice(instanceKw ? 0 : 1).map(dataOf),
    ...e.kw.filter((k) => k !== instanceKw).map((k) => dataOf(interp.eval(k.value, scope, walk))),
  );
  const model = metaModel(interp, cls)?.id;
  const columns = model && instance && out.deps.find((d) => d.model === model)?.columns;
  const chosen = columns && chosenColumns(instance, model);
  const held = chosen ? withColumns(dataOf(instance), model!, union(columns, chosen)) : instance && dataOf(instance);
  return merge(...(held ? [held] : []), others, out);
}

/** The columns that choose the instance's rows of `model`: a queryset's lookups; undefined when one does not spell them out. */
function chosenColumns(instance: V, model: string): string[] | undefined {
  let chosen: string[] = [];
  for (const s of instance.shapes) {
    if (s.k !== 'qs' || s.model !== model) continue;
    if (!s.lookups) return undefined;
    chosen = union(chosen, s.lookups);
  }
  return chosen;
}

/** `SerializerMethodField()`, or a project subclass of it. */
function isMethodField(interp: InterpreterApi, sh: Shape): boolean {
  if (sh.k === 'ext') return METHOD_FIELD_RE.test(sh.q);
  return sh.k === 'class' && interp.models.inherits(sh.cls.file, sh.cls.idx, METHOD_FIELD_RE);
}

/** A base class of the project's own: the engine does not collect the fields and methods it declares. */
function hasWorkspaceBase(interp: InterpreterApi, cls: ClsRef): boolean {
  const scope = interp.moduleScope(cls.file);
  return cls.file.classes[cls.idx].bases.some((b) => interp.eval(b, scope).shapes.some((sh) => sh.k === 'class'));
}

const METHOD_FIELD_RE = /^rest_framework\.(serializers|fields)\.SerializerMethodField$/;

const MODEL_FORM_RE = new RegExp(`^(${[...MODEL_FORM_BASES].map((x) => x.replace(/\./g, '\\.')).join('|')})$`);

const SERIALIZER_RE = /^rest_framework\.serializers\.\w*Serializer$/;
