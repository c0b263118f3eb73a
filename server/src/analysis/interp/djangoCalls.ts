/**
 * Calls of library functions and classes, by qualified name: Django's (shortcuts, apps, render
 * functions, key makers, on_commit, cursors, cache_page, signals), the djcache runtime's and
 * Python's (pythonCalls.ts). A new library is a module of rows spread into EXTERNAL_CALLS.
 */
import type { Expr } from '../../syntax/ir';
import { type KeyPattern, lit, UNKNOWN_HOLE } from '../domain/keys';
import { dataOf, EMPTY, exprText, merge, type Scope, v, type V, withDeps } from '../domain/values';
import {
  CACHE_PAGE,
  DB_CURSOR,
  DB_CURSORS,
  DB_MODULE,
  FRAGMENT_KEY,
  GET_LIST_OR_404,
  GET_MODEL,
  GET_OBJECT_OR_404,
  GET_USER_MODEL,
  ON_COMMIT,
  Q_OBJECTS,
  PAGE_KEY_FUNCTIONS,
  REQUEST_FACTORIES,
  URL_PARSERS,
  URL_REVERSERS,
  RECEIVER_DECORATOR,
  RENDER_FUNCTIONS,
  SIGNAL_CLASS,
  SLUGIFY,
  TEXT_FUNCTIONS,
} from '../django';
import { SWAPPER_LOAD_MODEL } from '../libraries';
import { calledModelLabel, staticModelLabel } from '../modelLabels';
import { dependsOnItems, pythonDeclaration, TAGGED, TAGGED_CACHE_PAGE } from '../tags';
import { contextItems, templateReads } from '../templates';
import type { Call, CallHandler, ExternalCall, InterpreterApi, Walk } from './api';
import { timeoutOf } from './cacheApi';
import { keyOf } from './keyHoles';
import { lookupDeps, lookupValueData } from './orm';
import { asText, hashCall, isHashFunction, PYTHON_CALLS } from './pythonCalls';
import { nameTable } from '../../text/nameTable';

/** `get_object_or_404(M or qs, **lookups)`: a row (or with `many`, rows) of the model, read by the lookups. */
function getOr404(many: boolean): CallHandler {
  return (interp, { e, scope, args }) => {
    const first = args()[0] ?? EMPTY;
    const out: V[] = [dataOf(first)];
    for (const s of first.shapes) {
      const model = s.k === 'model' ? s.model : s.k === 'qs' ? s.model : undefined;
      if (!model) continue;
      const via = s.k === 'qs' ? s.via : [`${exprText(e.fn)}(${interp.models.byId.get(model)?.name ?? model})`];
      const deps = [
        interp.dep(model, via, scope, e),
        ...lookupDeps(interp, model, 'get', e, scope, [...via, 'get(…)']),
      ];
      out.push(v([many ? { k: 'qs', model, via } : { k: 'inst', model, via }], deps));
    }
    return merge(...out);
  };
}

/**
 * A call that returns a model named by a label (`get_user_model()`, `apps.get_model(...)`,
 * `swapper.load_model(...)`); an argument is a label as written, as a setting, or as a local
 * name holding literal text.
 */
const modelByLabel: CallHandler = (interp, { q, e, scope }) => {
  const label = calledModelLabel(
    interp.ws,
    q,
    e.args,
    (a) => staticModelLabel(interp.ws, scope.file, a) ?? literalText(interp.eval(a, scope)),
  );
  const m = label !== undefined ? interp.models.byLabel(label) : undefined;
  return m ? v([{ k: 'model', model: m.id }]) : EMPTY;
};

/** The text of a value that is one literal string. */
function literalText(val: V): string | undefined {
  const [only] = val.shapes;
  if (val.shapes.length !== 1 || only.k !== 'str' || !only.key.parts.every((p) => 'lit' in p)) return undefined;
  return only.key.parts.map((p) => ('lit' in p ? p.lit : '')).join('');
}

function renderCall(
  interp: InterpreterApi,
  e: Call,
  render: { template: number; context: number },
  scope: Scope,
  walk: Walk | undefined,
): V {
  const tArg = e.args[render.template] ?? e.kw.find((k) => k.name === 'template_name')?.value;
  const cArg = e.args[render.context] ?? e.kw.find((k) => k.name === 'context')?.value;
  const context = cArg ? interp.eval(cArg, scope) : EMPTY;
  const names = tArg ? templateNames(tArg) : [];
  const out: V[] = [dataOf(context)];
  for (const name of names) {
    if (walk)
      walk.events.renders.push({ template: name, context, fnId: walk.id, site: { file: scope.file, loc: e.loc } });
    out.push(templateValue(interp, name, context));
  }
  return merge(...out);
}

/** Data a template reads from its context, through relations its variables walk. */
function templateValue(interp: InterpreterApi, name: string, context: V): V {
  const t = interp.ws.findTemplate(name);
  if (!t) return EMPTY;
  return templateReads(interp, t, contextItems(context));
}

function templateNames(e: Expr): string[] {
  if (e.t === 'str') return [e.v];
  if (e.t === 'seq') return e.items.flatMap(templateNames);
  if (e.t === 'cond') return [...templateNames(e.a), ...templateNames(e.b)];
  return [];
}

/** `cache_page(timeout, cache=..., key_prefix=...)` and the runtime's version with `depends_on=`. */
const cachePage: CallHandler = (interp, { q, e, scope }) => {
  const t = e.args[0] ?? e.kw.find((k) => k.name === 'timeout')?.value;
  const dependsOn = q === TAGGED_CACHE_PAGE ? dependsOnItems(e.kw) : undefined;
  const timeout = t ? timeoutOf(interp, t, scope) : 'unknown';
  const aliasKw = e.kw.find((k) => k.name === 'cache')?.value;
  const prefix = e.kw.find((k) => k.name === 'key_prefix')?.value;
  return v([
    {
      k: 'cachepage',
      timeout,
      alias: aliasKw?.t === 'str' ? aliasKw.v : 'default',
      keyPrefix: prefix?.t === 'str' ? prefix.v : '',
      loc: e.loc,
      path: scope.file.path,
      tags: dependsOn && pythonDeclaration(interp, dependsOn.items, scope, dependsOn.loc),
    },
  ]);
};

/** A cursor of a Django connection; a library's `.cursor()` is not understood. */
const cursor: CallHandler = (_, { q }) => (q.startsWith(DB_MODULE) ? v([{ k: 'cursor' }]) : undefined);

/** A page key; for `_generate_cache_header_key(prefix, request)`, `get_cache_key(request)`, the route of the request's URL when it is known. */
const pageKey: CallHandler = (interp, { e, scope }) => {
  const request = e.kw.find((k) => k.name === 'request')?.value ?? e.args.find((a) => a.t !== 'str' && !isPrefix(a));
  const route = request && requestRoute(interp, request, scope);
  return v([
    {
      k: 'str',
      key: {
        parts: [{ lit: 'views.decorators.cache.cache_page.' }, UNKNOWN_HOLE],
        page: true,
        ...(route !== undefined && { route }),
      },
    },
  ]);
};

/** `settings.CACHE_MIDDLEWARE_KEY_PREFIX`, the key prefix `_generate_cache_header_key` takes first. */
function isPrefix(a: Expr): boolean {
  return a.t === 'attr' && /KEY_PREFIX$/.test(a.name);
}

/**
 * The URL name of a request made in this function by `RequestFactory(...).get(url)`, `url` being
 * a `reverse(name)` (through a model's `get_absolute_url()` too) or its `urlparse(...).path`.
 * Each name must be assigned once; anything else is unknown.
 */
function requestRoute(interp: InterpreterApi, request: Expr, scope: Scope): string | undefined {
  const assigned = (x: Expr): Expr => {
    if (x.t !== 'name') return x;
    // Setting an attribute (`request.LANGUAGE_CODE = ...`) or adding to the value rebinds nothing.
    const bindings = (scope.locals.get(x.id) ?? []).filter((b) => b.k !== 'attr' && !b.adds);
    const only = bindings.length === 1 ? bindings[0] : undefined;
    return only?.k === 'assign' && only.index === null && !only.items ? only.value : x;
  };
  const callee = (x: Expr): string | undefined => {
    if (x.t !== 'call') return undefined;
    const s = interp.eval(x.fn, scope).shapes;
    return s.length === 1 && s[0].k === 'ext' ? s[0].q : undefined;
  };
  const made = assigned(request);
  if (made.t !== 'call' || made.fn.t !== 'attr' || made.fn.name !== 'get' || !made.args[0]) return undefined;
  if (!REQUEST_FACTORIES.has(callee(assigned(made.fn.obj)) ?? '')) return undefined;
  let url = assigned(made.args[0]);
  if (url.t === 'attr' && url.name === 'path') {
    const parsed = assigned(url.obj);
    if (!URL_PARSERS.has(callee(parsed) ?? '') || parsed.t !== 'call' || !parsed.args[0]) return undefined;
    url = parsed.args[0];
  }
  const routes = new Set(interp.eval(url, scope).shapes.map((s) => (s.k === 'str' ? s.key.route : undefined)));
  const [route] = routes;
  return routes.size === 1 ? route : undefined;
}

/** `reverse("ns:name", ...)`: a URL of route `name`, its text unknown. */
const reverseUrl: CallHandler = (_, { e, args }) => {
  const name = e.args[0]?.t === 'str' ? e.args[0].v : undefined;
  const route = name?.split(':').pop();
  return withDeps(
    // The hole reads as the call, as an unknown call's value does in a key.
    v([{ k: 'str', key: { parts: [{ hole: exprText(e), source: { kind: 'unknown' } }], ...(route && { route }) } }]),
    merge(...args().map(dataOf)).deps,
  );
};

/** `slugify(text)` of a known key: the same key, spelled as a slug (a hole stays a hole). */
const slug: CallHandler = (interp, { e, scope, args }) => {
  const text = args()[0] ?? EMPTY;
  if (!e.args[0] || !text.shapes.some((s) => s.k === 'str')) return dataOf(text);
  return withDeps(v([{ k: 'str', key: slugPattern(keyOf(interp, text, e.args[0], scope)) }]), text.deps);
};

/** Django's slugify on each literal part: lower case, no punctuation, runs of spaces and dashes one dash. */
function slugPattern(key: KeyPattern): KeyPattern {
  return {
    parts: key.parts.map((p) =>
      'lit' in p
        ? {
            lit: p.lit
              .toLowerCase()
              .replace(/[^\p{L}\p{N}_\s-]/gu, '')
              .replace(/[-\s]+/g, '-'),
          }
        : p,
    ),
  };
}

const DJANGO_CALLS = nameTable<CallHandler>({
  [GET_OBJECT_OR_404]: getOr404(false),
  [GET_LIST_OR_404]: getOr404(true),
  // `getattr(settings, "X", default)`: the setting's literal text when the code is a model label's.
  'builtins.getattr': (interp, { e, scope }) => {
    const text = staticModelLabel(interp.ws, scope.file, e);
    return text !== undefined ? v([{ k: 'str', key: lit(text) }]) : undefined;
  },
  [GET_USER_MODEL]: modelByLabel,
  [GET_MODEL]: modelByLabel,
  ...Object.fromEntries(
    Object.entries(RENDER_FUNCTIONS).map(([q, render]): [string, CallHandler] => [
      q,
      (interp, { e, scope, walk }) => renderCall(interp, e, render!, scope, walk),
    ]),
  ),
  [FRAGMENT_KEY]: (_, { e }) => {
    const name = e.args[0]?.t === 'str' ? e.args[0].v : undefined;
    if (name === undefined) return v([{ k: 'str', key: { parts: [UNKNOWN_HOLE] } }]);
    // The key hashes each vary-on value: a literal tuple or list (no `*rest`) says how many.
    const vary = e.args[1] ?? e.kw.find((k) => k.name === 'vary_on')?.value;
    const varyCount = !vary
      ? 0
      : vary.t === 'seq' && vary.items.every((x) => x.t !== 'star')
        ? vary.items.length
        : undefined;
    return v([{ k: 'str', key: { parts: [], fragment: name, ...(varyCount !== undefined && { varyCount }) } }]);
  },
  ...Object.fromEntries(PAGE_KEY_FUNCTIONS.map((q) => [q, pageKey])),
  ...Object.fromEntries(URL_REVERSERS.map((q) => [q, reverseUrl])),
  [ON_COMMIT]: (interp, { e, scope, walk, args }) => {
    if (e.args[0] && walk) {
      const inner: Walk = { ...walk, atomic: false, deferred: true };
      const val = args(inner)[0];
      for (const s of val.shapes) {
        if (s.k === 'fn') interp.callFunction(s, null, scope, inner, () => []);
        if (s.k === 'lambda') interp.eval(s.expr.body, interp.lambdaScope(s.expr, s.scope, []), inner);
      }
    }
    return EMPTY;
  },
  [SLUGIFY]: slug,
  ...Object.fromEntries(TEXT_FUNCTIONS.map((q) => [q, asText])),
  // `Q(user=row)`: the lookups' data, a row as a value being only its key.
  ...Object.fromEntries(
    Q_OBJECTS.map((q): [string, CallHandler] => [
      q,
      (interp, { e, scope, walk, args }) =>
        v([], [...args(), ...e.kw.map((k) => interp.eval(k.value, scope, walk))].flatMap(lookupValueData)),
    ]),
  ),
  [DB_CURSOR]: cursor,
  [CACHE_PAGE]: cachePage,
  ...Object.fromEntries([...SIGNAL_CLASS].map((q) => [q, (): V => v([{ k: 'ext', q }])])),
  [RECEIVER_DECORATOR]: () => EMPTY,
});

/** swapper's `load_model(app, model)` (libraries.ts). */
const LIBRARY_CALLS: Record<string, CallHandler> = { [SWAPPER_LOAD_MODEL]: modelByLabel };

/** The djcache runtime's `tagged(...)` and `cache_page(..., depends_on=...)`. */
const RUNTIME_CALLS = nameTable<CallHandler>({
  [TAGGED]: (interp, { e, scope }) => v([{ k: 'tagged', tags: pythonDeclaration(interp, e.args, scope, e.loc) }]),
  [TAGGED_CACHE_PAGE]: cachePage,
});

const EXTERNAL_CALLS = nameTable({
  ...PYTHON_CALLS,
  ...DJANGO_CALLS,
  ...LIBRARY_CALLS,
  ...RUNTIME_CALLS,
} as Record<string, CallHandler>);

/** Names matched by pattern rather than exactly, tried in order after the table. */
const PATTERN_CALLS: [(q: string) => boolean, CallHandler][] = [
  [isHashFunction, hashCall],
  [(q) => DB_CURSORS.test(q) || q.endsWith('.cursor'), cursor],
];

/** What a call of a library function or class evaluates to; undefined when it is not understood. */
export function externalCall(interp: InterpreterApi, call: ExternalCall): V | undefined {
  const handler = Object.hasOwn(EXTERNAL_CALLS, call.q)
    ? EXTERNAL_CALLS[call.q]
    : PATTERN_CALLS.find(([matches]) => matches(call.q))?.[1];
  return handler?.(interp, call);
}
