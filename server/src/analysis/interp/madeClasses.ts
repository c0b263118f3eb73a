/**
 * Classes built at run time with `type(name, bases, namespace)`, as a form factory does:
 * `type("SettingForm", (forms.BaseForm,), {"settings": settings, "save": save_settings_form})`.
 * The namespace's items are the class's members and its functions its methods, so
 * `form.save()` calls `save_settings_form(form)`, and there `self.settings` is what the factory
 * put in the namespace. The walk of such a function types its `self` from the factory's callers
 * (`build_settings_form(request.user, Setting.objects.filter(...))`): only the shapes are kept
 * (rows, querysets), not what computing them read. A namespace that is no known dict makes no class.
 */
import type { PythonFacts } from '../../facts/types';
import { eachCall } from '../../facts/walk';
import type { MadeClass, Scope, Shape, V } from '../domain/values';
import { EMPTY, fnId, type FnRef, merge, v } from '../domain/values';
import type { Args, Call, CallHandler, InterpreterApi, Walk } from './api';
import { spreadsArguments } from './bindings';

type MadeObj = Extract<Shape, { k: 'madeobj' }>;

/** `type(name, bases, namespace)` with a dict namespace: the class it builds (one-argument `type(x)` is pythonCalls.ts's). */
export const typeCall: CallHandler = (interp, { e, scope, args }) => {
  if (e.args.length !== 3 || e.kw.length || spreadsArguments(e)) return undefined;
  const [, bases, namespace] = args();
  const dicts = namespace.shapes.filter((s) => s.k === 'dict');
  if (!dicts.length || dicts.length !== namespace.shapes.length) return undefined;
  const members = new Map<string, V>();
  for (const d of dicts) d.items.forEach((val, key) => members.set(key, merge(members.get(key) ?? EMPTY, val)));
  const made: MadeClass = {
    members,
    bases: interp.element(bases).shapes.flatMap((s) => (s.k === 'class' ? [s.cls] : [])),
    path: scope.file.path,
    loc: e.loc,
  };
  return v([{ k: 'made', made }]);
};

/**
 * A member of a made class: its namespace's item, else one of its workspace bases'. On an
 * instance (`self` given) a function member is a method bound to it, called through madeMethodCall.
 */
export function madeMember(interp: InterpreterApi, made: MadeClass, name: string, self: MadeObj | null): V | undefined {
  const own = made.members.get(name);
  if (own) {
    if (!self || !own.shapes.some((s) => s.k === 'fn')) return own;
    return v(
      own.shapes.map((s) => (s.k === 'fn' ? { k: 'bound', recv: self, name } : s)),
      own.deps,
    );
  }
  for (const base of made.bases) {
    const inherited = interp.classAttr(base, name, self);
    if (inherited) return inherited;
  }
  return undefined;
}

/**
 * `obj.name(...)` on an instance of a made class: a namespace function is called with the
 * instance as its first argument (`save_settings_form(form)`); a base's method as that base's.
 */
export function madeMethodCall(
  interp: InterpreterApi,
  recv: MadeObj,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
  args: Args,
): V | undefined {
  const own = recv.made.members.get(name);
  const member = own ?? madeMember(interp, recv.made, name, recv);
  if (!member) return undefined;
  const withSelf: Call = e.fn.t === 'attr' ? { ...e, args: [e.fn.obj, ...e.args] } : e;
  const out: V[] = [];
  for (const m of member.shapes) {
    if (m.k !== 'fn') continue;
    if (own && !m.self) out.push(interp.callFunction(m, withSelf, scope, walk, () => [v([recv]), ...args()]));
    else out.push(interp.callFunction(m, e, scope, walk, args));
  }
  return out.length ? merge(...out) : undefined;
}

/** A `type()` call of the workspace, in the function `idx` of `file` (-1: the module body). */
interface TypeSite {
  file: PythonFacts;
  idx: number;
  call: Call;
}

/**
 * What the first parameter of `fn` is when `fn` is a method of made classes: instances of the
 * classes its `type()` calls build, with the members the factory's callers give them, or undefined.
 */
export function madeSelf(interp: InterpreterApi, fn: FnRef): V | undefined {
  const sites = madeMethods(interp).get(fnId(fn.file, fn.idx));
  if (!sites) return undefined;
  const memo = interp.memoTable<V | undefined>('madeSelf');
  const id = fnId(fn.file, fn.idx);
  if (memo.has(id)) return memo.get(id);
  // A factory whose callers need this method's own `self` (a cycle) sees none.
  memo.set(id, undefined);
  const out = sites.flatMap((site) => builtAt(interp, site).map((made) => v([{ k: 'madeobj', made }])));
  const self = out.length ? merge(...out) : undefined;
  memo.set(id, self);
  return self;
}

/** The functions the namespaces of the workspace's `type()` calls hold, by function id, with those calls. */
function madeMethods(interp: InterpreterApi): Map<string, TypeSite[]> {
  const memo = interp.memoTable<Map<string, TypeSite[]>>('madeMethods');
  const known = memo.get('');
  if (known) return known;
  const methods = new Map<string, TypeSite[]>();
  memo.set('', methods);
  for (const site of typeSites(interp)) {
    for (const s of interp.eval(site.call.args[2], siteScope(interp, site)).shapes) {
      if (s.k !== 'dict') continue;
      for (const item of s.items.values())
        for (const m of item.shapes) {
          if (m.k !== 'fn') continue;
          const id = fnId(m.fn.file, m.fn.idx);
          const at = methods.get(id) ?? [];
          if (!at.includes(site)) methods.set(id, [...at, site]);
        }
    }
  }
  return methods;
}

function siteScope(interp: InterpreterApi, site: TypeSite): Scope {
  return site.idx >= 0 ? interp.functionScope(site.file, site.idx) : interp.moduleScope(site.file);
}

/** The classes a `type()` call builds: as its own function has them, and as each caller of that function does. */
function builtAt(interp: InterpreterApi, site: TypeSite): MadeClass[] {
  const here = (m: MadeClass) => m.path === site.file.path && m.loc.join() === site.call.loc.join();
  const made = (val: V) =>
    val.shapes.flatMap((s) =>
      s.k === 'made' && here(s.made) ? [{ ...s.made, members: shapesOnly(s.made.members) }] : [],
    );
  const found = made(interp.eval(site.call, siteScope(interp, site)));
  if (site.idx < 0) return found;
  const factory = site.file.functions[site.idx];
  for (const caller of callsNamed(interp, factory.name)) {
    const scope = caller.idx >= 0 ? interp.functionScope(caller.file, caller.idx) : interp.moduleScope(caller.file);
    const callee = interp.eval(caller.call.fn, scope).shapes;
    if (!callee.some((s) => s.k === 'fn' && s.fn.file === site.file && s.fn.idx === site.idx)) continue;
    found.push(...made(interp.eval(caller.call, scope)));
  }
  return found;
}

/** Members without what computing them read: the factory's caller read it, not the method. */
function shapesOnly(members: Map<string, V>): Map<string, V> {
  return new Map([...members].map(([name, val]) => [name, v(val.shapes)]));
}

/** The workspace's `type(name, bases, namespace)` calls, found once by name. */
function typeSites(interp: InterpreterApi): TypeSite[] {
  const memo = interp.memoTable<TypeSite[]>('typeSites');
  const known = memo.get('');
  if (known) return known;
  const sites: TypeSite[] = [];
  const visit = (file: PythonFacts, idx: number, body: unknown) =>
    eachCall(body, (call) => {
      if (call.fn.t === 'name' && call.fn.id === 'type' && call.args.length === 3 && !call.kw.length)
        sites.push({ file, idx, call });
    });
  for (const file of interp.ws.python) {
    visit(file, -1, file.body);
    file.functions.forEach((fn, idx) => visit(file, idx, fn.body));
  }
  memo.set('', sites);
  return sites;
}

/** Calls whose callee is named `name` (`name(...)`, `mod.name(...)`), in the function `idx` of `file`. */
function callsNamed(interp: InterpreterApi, name: string): TypeSite[] {
  const memo = interp.memoTable<TypeSite[]>('callsNamed');
  const known = memo.get(name);
  if (known) return known;
  const calls: TypeSite[] = [];
  const visit = (file: PythonFacts, idx: number, body: unknown) =>
    eachCall(body, (call) => {
      const callee = call.fn.t === 'name' ? call.fn.id : call.fn.t === 'attr' ? call.fn.name : undefined;
      if (callee === name) calls.push({ file, idx, call });
    });
  for (const file of interp.ws.python) {
    visit(file, -1, file.body);
    file.functions.forEach((fn, idx) => visit(file, idx, fn.body));
  }
  memo.set(name, calls);
  return calls;
}
