/** Calls of Python's standard library and builtins: what they pass on of their arguments' data. */
import { fromParams } from '../domain/keys';
import { classOf, dataOf, EMPTY, merge, type Scope, v, type V, withDeps } from '../domain/values';
import { HASH_FUNCTIONS, PASS_THROUGH } from '../django';
import { classBases } from '../models';
import type { CallHandler, InterpreterApi } from './api';
import { nameTable } from '../../text/nameTable';
import { isSerializer, serializerValue } from './forms';
import { keyOf } from './keyHoles';
import { typeCall } from './madeClasses';

/** A digest keeps the data of what it hashes: the key then covers that data, and no other. */
export const hashCall: CallHandler = (interp, { e, scope, walk, args }) =>
  v([{ k: 'hash' }], interp.argumentData(e, scope, walk, args).deps);

/** Hash functions of whole modules (`hashlib.*`, `xxhash.*`, ...), matched by prefix. */
export function isHashFunction(q: string): boolean {
  return HASH_FUNCTIONS.test(q);
}

/**
 * `str(key)`, `force_str(key)`: literal text stays that text; in a wrapper, a parameter stays the
 * parameter (named as written, so a key built from it reads as before), and the text a call
 * passes for it stays that text. Anything else keeps only its data.
 */
export const asText: CallHandler = (interp, { e, scope, args }) => {
  const vals = args();
  const [val] = vals;
  const text =
    val?.shapes.some(
      (s) => s.k === 'str' && (scope.bound || fromParams(s.key) || s.key.parts.every((p) => 'lit' in p)),
    ) && val.shapes.every((s) => s.k === 'str' || s.k === 'const');
  if (!val || vals.length !== 1 || e.kw.length || (!text && !val.shapes.some((s) => s.k === 'param')))
    return dataOf(merge(...vals));
  return withDeps(v([{ k: 'str', key: keyOf(interp, val, text ? e.args[0] : e, scope) }]), val.deps);
};

/** A random id: no other value shares it. */
const randomId: CallHandler = () => v([{ k: 'hash', random: true }]);

/** A builtin that passes its arguments' data on: containers keep their elements, the rest keeps the data. */
function passThroughBuiltin(name: string): CallHandler {
  return (interp, { e, scope, walk, args }) => {
    const vals = args();
    const all = merge(...vals, ...e.kw.map((k) => interp.eval(k.value, scope, walk)));
    if (
      name === 'list' ||
      name === 'sorted' ||
      name === 'tuple' ||
      name === 'set' ||
      name === 'reversed' ||
      name === 'frozenset'
    ) {
      return v([{ k: 'list', elem: interp.element(merge(...vals)) }], all.deps);
    }
    if (name === 'dict') return all;
    if (name === 'next') return interp.element(merge(...vals));
    if (name === 'enumerate')
      return v([
        { k: 'list', elem: v([{ k: 'tuple', items: [v([{ k: 'const' }]), interp.element(vals[0] ?? EMPTY)] }]) },
      ]);
    if (name === 'zip') return v([{ k: 'list', elem: v([{ k: 'tuple', items: vals.map((x) => interp.element(x)) }]) }]);
    return dataOf(all);
  };
}

/**
 * `super()` in a method: an object of each workspace base, or a row of a model base. In a DRF
 * serializer it also carries what the serializer's output reads: DRF's `to_representation`
 * renders this class's fields, so `super().to_representation(instance)` is that output.
 */
function superValue(interp: InterpreterApi, scope: Scope): V {
  for (let s: Scope | null = scope; s; s = s.parent) {
    if (!s.cls || !s.fn) continue;
    const fact = s.cls.file.classes[s.cls.idx];
    const out: V[] = [];
    for (const b of classBases(fact)) {
      const base = interp.eval(b, interp.moduleScope(s.cls.file));
      for (const sh of base.shapes) {
        if (sh.k === 'class') out.push(v([{ k: 'obj', cls: sh.cls }]));
        if (sh.k === 'model') out.push(v([{ k: 'inst', model: sh.model, via: [`super()`] }]));
      }
    }
    const base = merge(...out);
    return isSerializer(interp, s.cls) ? withDeps(base, serializerValue(interp, s.cls).deps) : base;
  }
  return EMPTY;
}

export const PYTHON_CALLS = nameTable<CallHandler>({
  'uuid.uuid4': randomId,
  'uuid.uuid1': randomId,
  'uuid.uuid5': hashCall,
  'uuid.uuid3': hashCall,
  'builtins.hash': hashCall,
  'functools.partial': (_, { args }) => {
    const first = args()[0];
    return first ? v(first.shapes.filter((s) => s.k === 'fn')) : EMPTY;
  },
  'builtins.super': (interp, { scope }) => superValue(interp, scope),
  // `type(x)`: the class of `x` (a row's model); three arguments build a class.
  'builtins.type': (interp, call) =>
    call.e.args.length === 1 && !call.e.kw.length ? classOf(call.args()[0]) : typeCall(interp, call),
  ...Object.fromEntries([...PASS_THROUGH].map((name) => [`builtins.${name}`, passThroughBuiltin(name)])),
  'builtins.str': asText,
  // Helpers named without `builtins.` (`json.dumps`) pass on their positional arguments' data.
  ...Object.fromEntries(
    [...PASS_THROUGH].map((q): [string, CallHandler] => [q, (_, { args }) => dataOf(merge(...args()))]),
  ),
});
