/**
 * Class-based views' own lookups, dispatched the way Django's and DRF's generic views do:
 * `self.get_queryset()` is the class's `queryset` (or its `model`'s rows), `self.get_object()`
 * one row of what `get_queryset()` returns (the project's override first), and
 * `self.get_serializer(...)` an instance of `serializer_class`.
 */
import { type ClsRef, EMPTY, merge, type Scope, type Shape, v, type V } from '../domain/values';
import type { Call, InterpreterApi, Walk } from './api';
import { isSerializer, serializerValue } from './forms';

const GENERIC_VIEWS = /^(django\.views\.generic\.|rest_framework\.(generics|viewsets|mixins)\.)/;

/** A generic view's `self.<name>(...)` that the class does not define; undefined for any other call. */
export function genericViewCall(
  interp: InterpreterApi,
  self: Extract<Shape, { k: 'obj' }>,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V | undefined {
  const { cls } = self;
  if (!interp.models.inherits(cls.file, cls.idx, GENERIC_VIEWS)) return undefined;
  if (name === 'get_queryset') return declaredRows(interp, cls, scope, e);
  if (name === 'get_object') return interp.element(viewRows(interp, self, scope, walk, e));
  if (name === 'get_serializer') {
    const serializers = (interp.classAttr(cls, 'serializer_class', null) ?? EMPTY).shapes.filter(
      (s) => s.k === 'class' && isSerializer(interp, s.cls),
    );
    return merge(
      ...serializers.map((s) =>
        s.k === 'class' ? v([{ k: 'obj', cls: s.cls }], serializerValue(interp, s.cls).deps) : EMPTY,
      ),
    );
  }
  return undefined;
}

/** What `self.get_queryset()` returns: the project's override when it gives rows, else the declared ones. */
function viewRows(
  interp: InterpreterApi,
  self: Extract<Shape, { k: 'obj' }>,
  scope: Scope,
  walk: Walk | undefined,
  e: Call,
): V {
  const override = interp.classAttr(self.cls, 'get_queryset', self);
  const rows = merge(
    ...(override?.shapes ?? []).map((m) =>
      m.k === 'fn' ? interp.callFunction(m, null, scope, walk, () => []) : EMPTY,
    ),
  );
  return rows.shapes.some((s) => s.k === 'qs') ? rows : declaredRows(interp, self.cls, scope, e);
}

/** The class's `queryset`, or all rows of its `model`. */
function declaredRows(interp: InterpreterApi, cls: ClsRef, scope: Scope, e: Call): V {
  const queryset = interp.classAttr(cls, 'queryset', null);
  if (queryset?.shapes.some((s) => s.k === 'qs')) return queryset;
  const out: V[] = [];
  for (const s of interp.classAttr(cls, 'model', null)?.shapes ?? []) {
    if (s.k !== 'model') continue;
    const via = [`${cls.file.classes[cls.idx].name}.model`];
    out.push(v([{ k: 'qs', model: s.model, via }], [interp.dep(s.model, via, scope, e)]));
  }
  return merge(...out);
}
