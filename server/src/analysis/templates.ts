/** What a template reads from its context: variables walk relations, for-loops bind rows. */
import type { TemplateFacts } from '../facts/types';
import type { Loc, TemplateNode } from '../syntax/ir';
import type { InterpreterApi } from './interp/api';
import {
  DJANGO_JINJA_BACKEND,
  DJANGO_JINJA_DEFAULT_EXTENSION,
  TEMPLATE_APP_DIRNAME,
  TEMPLATE_BACKEND_ENGINES,
} from './django';
import type { Settings, TemplateBackend } from './workspace';
import { TAGGED_CACHE_TEMPLATE_TAG } from './tags';
import { keyedRowMember, rowMember } from './keyedRowMembers';
import { relationColumn, rowColumn } from './querysetColumns';
import { visitReturns } from './interp/bindings';
import { isSuperCall } from './interp/orm';
import { loadedTags, type TemplateTag } from './templateTags';
import { type ClsRef, type Dep, EMPTY, merge, type Shape, v, type V, dataOf } from './domain/values';

const MAX_INCLUDE_DEPTH = 8;

/** What one render of a `{% cache %}` fragment reads, and the models one row of which its key names (`row.pk` in its vary-on). */
export interface FragmentRender {
  reads: V;
  rowModels: string[];
}
/** Renders of each `{% cache %}` fragment, keyed by `path:line`, filled while walking. */
export type FragmentReads = Map<string, FragmentRender[]>;

/** The named items of a render context (`{"products": qs}`, `{**base, "x": y}`). */
export function contextItems(context: V): Map<string, V> {
  const items = new Map<string, V>();
  for (const s of context.shapes) if (s.k === 'dict') s.items.forEach((val, k) => items.set(k, val));
  return items;
}

/** Generic views that name their rows in the context (MultipleObjectMixin) or their object (SingleObjectMixin). */
const LIST_VIEW =
  /^django\.views\.generic\.(\w+\.)?(\w*ListView|\w*ArchiveView|ArchiveIndexView|MultipleObject\w*Mixin)$/;
const OBJECT_VIEW =
  /^django\.views\.generic\.(\w+\.)?(\w*DetailView|UpdateView|DeleteView|BaseUpdateView|BaseDeleteView|SingleObject\w*Mixin)$/;
/** Views that render `template_name` (TemplateResponseMixin); ListView and DetailView also default to `<app>/<model>_list|_detail.html`. */
const TEMPLATE_VIEW =
  /^django\.views\.generic\.(\w+\.)?(\w*TemplateResponseMixin|TemplateView|ListView|DetailView|CreateView|UpdateView|DeleteView|FormView|\w*ArchiveView|ArchiveIndexView)$/;
const DEFAULT_SUFFIX: [RegExp, string][] = [
  [/^django\.views\.generic\.(list\.)?ListView$/, '_list'],
  [/^django\.views\.generic\.(detail\.)?DetailView$/, '_detail'],
];

/**
 * The template a class-based view renders and its context: `get_context_data` (with `super()`'s
 * items), `extra_context`, and the rows or object of list and detail views under their Django names.
 */
export function viewRender(interp: InterpreterApi, cls: ClsRef): { template: TemplateFacts; context: V } | undefined {
  const bases = interp.models.externalBases(cls.file, cls.idx);
  const is = (re: RegExp) => [...bases].some((q) => re.test(q));
  if (!is(TEMPLATE_VIEW)) return undefined;
  const fact = cls.file.classes[cls.idx];
  const self: Shape = { k: 'obj', cls };
  const method = (name: string) =>
    merge(
      ...(interp.classAttr(cls, name, self)?.shapes ?? []).map((s) =>
        s.k === 'fn' ? interp.returns(s.fn, s.closure ?? null, s.self) : EMPTY,
      ),
    );
  const attr = (name: string) => interp.classAttr(cls, name, null) ?? EMPTY;
  const items = new Map<string, V>();
  let model: string | undefined;
  if (is(LIST_VIEW) || is(OBJECT_VIEW)) {
    const declared = attr('model').shapes.find((s) => s.k === 'model');
    const byModel =
      declared?.k === 'model'
        ? v(
            [{ k: 'qs', model: declared.model, via: [`${fact.name}.model`] }],
            [{ model: declared.model, via: [`${fact.name}.model`], path: cls.file.path, loc: fact.nameLoc }],
          )
        : EMPTY;
    const overridden = method('get_queryset');
    const rows = overridden.shapes.length ? overridden : attr('queryset').shapes.length ? attr('queryset') : byModel;
    const models = new Set(rows.shapes.flatMap((s) => (s.k === 'qs' ? [s.model] : [])));
    model = models.size === 1 ? [...models][0] : undefined;
    const name = attr('context_object_name').shapes.find((s) => s.k === 'str');
    const custom =
      name?.k === 'str' && name.key.parts.length === 1 && 'lit' in name.key.parts[0]
        ? name.key.parts[0].lit
        : undefined;
    const lower = model && interp.models.byId.get(model)?.name.toLowerCase();
    if (is(LIST_VIEW)) {
      for (const n of ['object_list', 'page_obj', custom ?? (lower && `${lower}_list`)]) if (n) items.set(n, rows);
    } else {
      // SingleObjectMixin.get_object() returns a row of the view's rows, also to an override returning super()'s.
      const getObject = method('get_object');
      const declaredRow = interp.element(rows);
      const object = !getObject.shapes.length
        ? declaredRow
        : returnsSuper(interp, cls, 'get_object')
          ? merge(declaredRow, getObject)
          : getObject;
      for (const n of ['object', custom ?? lower]) if (n) items.set(n, object);
    }
  }
  const context = merge(v([{ k: 'dict', items }]), attr('extra_context'), method('get_context_data'));
  const named = attr('template_name').shapes.find((s) => s.k === 'str');
  const names =
    named?.k === 'str' && named.key.parts.length === 1 && 'lit' in named.key.parts[0] ? [named.key.parts[0].lit] : [];
  const info = model ? interp.models.byId.get(model) : undefined;
  const suffix = DEFAULT_SUFFIX.find(([re]) => is(re))?.[1];
  if (info && suffix) names.push(`${info.app}/${info.name.toLowerCase()}${suffix}.html`);
  // Django renders the first of these names that exists.
  for (const n of names) {
    const template = interp.ws.findTemplate(n);
    if (template) return { template, context };
  }
  return undefined;
}

/** Whether the class's method `name` returns `super().name(...)` (or `super(Cls, self).name(...)`). */
function returnsSuper(interp: InterpreterApi, cls: ClsRef, name: string): boolean {
  return (interp.classAttr(cls, name, { k: 'obj', cls })?.shapes ?? []).some((s) => {
    if (s.k !== 'fn') return false;
    let found = false;
    visitReturns(s.fn.file.functions[s.fn.idx].body, (e) => {
      found ||= e.t === 'call' && isSuperCall(e) && e.fn.t === 'attr' && e.fn.name === name;
    });
    return found;
  });
}

/** The template language a file is written in; 'unknown' when settings cannot tell. */
export type TemplateEngine = 'django' | 'jinja2' | 'unknown';

/**
 * Jinja2 by a `jinja2/` folder or a Jinja extension; otherwise the first TEMPLATES backend that
 * holds the file, agreed on by every settings file that sets TEMPLATES.
 */
export function templateEngine(settings: Settings, path: string): TemplateEngine {
  if (/(^|\/)jinja2\//.test(path) || /\.(jinja2?|j2)$/.test(path)) return 'jinja2';
  const engines = new Set(settings.templateConfigs.map((backends) => firstHolder(backends, path)));
  return engines.size === 1 ? [...engines][0] : 'unknown';
}

/** Django tries the backends in order; one that may or may not hold the file leaves the engine open unless it renders the same language. */
function firstHolder(backends: TemplateBackend[], path: string): TemplateEngine {
  let maybe: TemplateEngine | undefined;
  for (const b of backends) {
    const holds = backendHolds(b, path);
    if (holds === 'no') continue;
    const engine: TemplateEngine = (b.backend !== undefined && TEMPLATE_BACKEND_ENGINES[b.backend]) || 'unknown';
    if (maybe !== undefined && maybe !== engine) return 'unknown';
    if (holds === 'yes') return engine;
    maybe = engine;
  }
  return 'unknown';
}

function backendHolds(b: TemplateBackend, path: string): 'yes' | 'no' | 'maybe' {
  const appDirname =
    b.backend === DJANGO_JINJA_BACKEND && typeof b.options?.app_dirname === 'string'
      ? b.options.app_dirname
      : b.backend && TEMPLATE_APP_DIRNAME[b.backend];
  const names: string[] = [];
  let unsure = b.dirs === undefined || b.appDirs === undefined || (b.appDirs && !appDirname);
  for (const dir of b.dirs ?? []) {
    if (dir === undefined) unsure = true;
    else names.push(...nameUnder(path, dir, true));
  }
  if (b.appDirs && appDirname) names.push(...nameUnder(path, appDirname, false));
  if (!names.length) return unsure ? 'maybe' : 'no';
  if (b.backend !== DJANGO_JINJA_BACKEND) return 'yes';
  const accepted = names.map((name) => djangoJinjaMatches(b.options, name));
  return accepted.every((a) => a === 'yes') && !unsure
    ? 'yes'
    : accepted.every((a) => a === 'no') && !unsure
      ? 'no'
      : 'maybe';
}

/** The template names `path` has under a folder ending in `dir` (app folders sit below a package, never at the root). */
function nameUnder(path: string, dir: string, atRoot: boolean): string[] {
  const names: string[] = [];
  if (atRoot && path.startsWith(`${dir}/`)) names.push(path.slice(dir.length + 1));
  for (let at = path.indexOf(`/${dir}/`); at !== -1; at = path.indexOf(`/${dir}/`, at + 1))
    names.push(path.slice(at + dir.length + 2));
  return names;
}

/** django_jinja's `match_extension` and `match_regex` (a `re.match`, anchored at the start). */
function djangoJinjaMatches(options: TemplateBackend['options'], name: string): 'yes' | 'no' | 'maybe' {
  if (!options) return 'maybe';
  const ext = 'match_extension' in options ? options.match_extension : DJANGO_JINJA_DEFAULT_EXTENSION;
  const exts =
    ext === null
      ? null
      : typeof ext === 'string'
        ? [ext]
        : Array.isArray(ext) && ext.every((x) => typeof x === 'string')
          ? (ext as string[])
          : undefined;
  if (exts === undefined) return 'maybe';
  if (exts && !exts.some((x) => name.endsWith(x))) return 'no';
  if (!('match_regex' in options) || options.match_regex === null) return 'yes';
  const regex = options.match_regex;
  if (typeof regex !== 'string') return 'maybe';
  try {
    return new RegExp(`^(?:${regex})`).test(name) ? 'yes' : 'no';
  } catch {
    return 'maybe';
  }
}

export function fragmentKey(path: string, line: number): string {
  return `${path}:${line}`;
}

export function templateReads(
  interp: InterpreterApi,
  t: TemplateFacts,
  context: Map<string, V>,
  fragments?: FragmentReads,
  depth = 0,
): V {
  if (depth > MAX_INCLUDE_DEPTH) return EMPTY;
  const out: V[] = [];
  /** In a fragment keyed by rows (`row.pk`): the row names with their models, and the models it reads some other way too. */
  let rowWatch: { rows: Map<string, string>; otherwise: Set<string> } | null = null;
  const read = (path: string, scope: Map<string, V>, keyed: ReadonlySet<string> | null, loc: Loc): V => {
    const reached = new Set<string>();
    const value = resolvePath(interp, path, scope, t.path, loc, reached, !!keyed?.has(path.split('.')[0]));
    if (rowWatch)
      for (const model of throughRow(path, keyed) ? reached : value.deps.map((d) => d.model))
        rowWatch.otherwise.add(model);
    return value;
  };
  /** Whether `path` starts at the fragment's keyed row, or at a name bound inside it from that row. */
  const throughRow = (path: string, keyed: ReadonlySet<string> | null): boolean => {
    const head = path.split('.')[0];
    if (!rowWatch || !keyed) return false;
    return (
      (rowWatch.rows.has(head) && (keyed.has(`${head}.pk`) || keyed.has(`${head}.id`))) ||
      keyed.has(`${head}${FROM_ROW}`)
    );
  };
  /**
   * The keyed paths inside a `for` or `with` binding `names`: a name bound from the keyed row
   * (`{% with authors=problem.authors.all %}`) reads through that row, as the row's own paths do.
   */
  const boundInside = (keyed: ReadonlySet<string> | null, names: string[], fromRow: boolean) => {
    const inner = unbound(keyed, names);
    return fromRow && inner ? new Set([...inner, ...names.map((name) => `${name}${FROM_ROW}`)]) : inner;
  };
  /** `keyed`: vary-on paths of the fragment being walked, still naming what they named in its key; null outside fragments. */
  const walk = (nodes: TemplateNode[], scope: Map<string, V>, keyed: ReadonlySet<string> | null) => {
    for (const n of nodes) {
      switch (n.t) {
        case 'var':
          // The key holds str() of each vary-on value: rendering that text again reads nothing the key does not (a filter may).
          if (n.filtered || !keyed?.has(n.path))
            out.push(dataOf(read(n.path, scope, keyed, [n.line, n.col, n.line, n.col + n.path.length])));
          break;
        case 'for': {
          const iter = read(n.iter, scope, keyed, [n.line, n.col, n.line, n.col]);
          out.push(dataOf(iter));
          const inner = new Map(scope);
          const elem = interp.element(iter);
          for (const name of n.target) inner.set(name, elem);
          walk(n.body, inner, boundInside(keyed, n.target, throughRow(n.iter, keyed)));
          break;
        }
        case 'with': {
          const inner = new Map(scope);
          for (const [name, path] of n.bindings) inner.set(name, read(path, scope, keyed, [n.line, 0, n.line, 0]));
          const fromRow = n.bindings.filter(([, path]) => throughRow(path, keyed)).map(([name]) => name);
          const others = n.bindings.map(([name]) => name).filter((name) => !fromRow.includes(name));
          walk(n.body, inner, boundInside(unbound(keyed, others), fromRow, true));
          break;
        }
        case 'cache':
          cachedFragment(n.line, n.body, scope, n.vary, keyed);
          break;
        case 'include': {
          const inc = n.template ? interp.ws.findTemplate(n.template) : undefined;
          // What an included template reads is not told apart by row.
          if (inc && rowWatch) for (const model of rowWatch.rows.values()) rowWatch.otherwise.add(model);
          if (inc) {
            // `with a=b` passes values (read here, where they are named); `only` passes nothing else.
            const passed = new Map(n.only ? [] : scope);
            for (const [name, path] of n.bindings ?? [])
              passed.set(name, read(path, scope, keyed, [n.line, 0, n.line, 0]));
            out.push(templateReads(interp, inc, passed, fragments, depth + 1));
          }
          break;
        }
        case 'tag': {
          if (n.name === TAGGED_CACHE_TEMPLATE_TAG) {
            cachedFragment(n.line, n.body, scope, [], keyed);
            break;
          }
          // A custom tag is given its arguments: what it renders of them is in what it returns.
          const custom = t.loads.length ? loadedTags(interp, t.loads).get(n.name) : undefined;
          if (custom) out.push(customTagReads(custom, n, scope, keyed));
          else walk(n.argVars ?? [], scope, keyed);
          walk(n.body, scope, keyed);
          break;
        }
      }
    }
  };
  /** A `{% cache %}` or `{% tagged_cache %}` body: its reads are also the fragment's. */
  const cachedFragment = (
    line: number,
    body: TemplateNode[],
    scope: Map<string, V>,
    vary: string[],
    outer: ReadonlySet<string> | null,
  ) => {
    const before = out.length;
    // A fragment inside another: its reads are the outer one's too, so only what both keys hold is left out.
    const rows = outer ? { scope, rows: new Map<string, string>() } : rowKeyed(scope, vary);
    const watch = outer ? rowWatch : (rowWatch = { rows: rows.rows, otherwise: new Set() });
    walk(body, rows.scope, new Set(outer ? vary.filter((path) => outer.has(path)) : vary));
    if (!outer) rowWatch = null;
    if (!fragments) return;
    const reads = merge(...out.slice(before));
    // Keyed by a row of a model it reads no other way: other rows of the model are none of its business.
    const rowModels = outer ? [] : [...new Set(rows.rows.values())].filter((model) => !watch?.otherwise.has(model));
    const key = fragmentKey(t.path, line);
    const list = fragments.get(key) ?? [];
    list.push({ reads, rowModels });
    fragments.set(key, list);
  };
  /** What a custom tag renders: a simple tag its return value, an inclusion tag its template with the returned context. */
  const customTagReads = (
    tag: TemplateTag,
    n: Extract<TemplateNode, { t: 'tag' }>,
    scope: Map<string, V>,
    keyed: ReadonlySet<string> | null,
  ): V => {
    const asAt = n.args.indexOf('as');
    const args = asAt === -1 ? n.args : n.args.slice(0, asAt);
    const params = tag.file.functions[tag.idx].params.filter((p) => p.kind === 'plain').slice(tag.takesContext ? 1 : 0);
    const fixed = new Map<string, V>();
    const loc: Loc = [n.line, n.col, n.line, n.col];
    args.forEach((arg, i) => {
      const eq = /^(\w+)=(.*)$/.exec(arg);
      const [name, value] = eq ? [eq[1], eq[2]] : [params[i]?.name, arg];
      const path = /^[A-Za-z]\w*(?:\.\w+)*$/.test(value) ? value : undefined;
      if (name && path) fixed.set(name, read(path, scope, keyed, loc));
    });
    const returned = interp.returnsWith(tag.file, tag.idx, fixed);
    if (tag.template === undefined) return dataOf(returned);
    const included = interp.ws.findTemplate(tag.template);
    return included ? templateReads(interp, included, contextItems(returned), fragments, depth + 1) : dataOf(returned);
  };
  walk(t.nodes, context, null);
  if (t.extends) {
    const parent = interp.ws.findTemplate(t.extends);
    if (parent) out.push(templateReads(interp, parent, context, fragments, depth + 1));
  }
  return merge(...out);
}

/** Marks, in a fragment's keyed paths, a name bound inside it from its keyed row (never a template path: `#` is not a name). */
const FROM_ROW = '#row';

/** The keyed paths a `for` or `with` leaves meaning what they meant: none that starts with a name it binds. */
function unbound(keyed: ReadonlySet<string> | null, names: string[]): ReadonlySet<string> | null {
  if (!keyed?.size) return keyed;
  return new Set([...keyed].filter((path) => !names.includes(path.split('.')[0])));
}

/**
 * A fragment varying on `row.pk` or `row.id` holds one entry per row: how the page picked the row
 * (its filters, the relations prefetched with it) is in the key, so the fragment reads only what it
 * renders of that row: its columns, and the relations it follows itself. Also names each row's model.
 */
function rowKeyed(scope: Map<string, V>, vary: string[]): { scope: Map<string, V>; rows: Map<string, string> } {
  const names = vary.flatMap((path) => /^(\w+)\.(?:pk|id)$/.exec(path)?.[1] ?? []);
  const rows = new Map<string, string>();
  if (!names.length) return { scope, rows };
  const inner = new Map(scope);
  for (const name of names) {
    const row = scope.get(name);
    // None (an anonymous visitor's missing row) renders no row data: the fragment still reads only rows of the key.
    if (!row?.shapes.some((s) => s.k === 'inst') || !row.shapes.every((s) => s.k === 'inst' || s.k === 'const'))
      continue;
    const models = new Set(row.shapes.flatMap((s) => (s.k === 'inst' ? [s.model] : [])));
    inner.set(
      name,
      v(
        row.shapes,
        row.deps.filter((d) => models.has(d.model)),
      ),
    );
    if (models.size === 1) rows.set(name, [...models][0]);
  }
  return { scope: inner, rows };
}

/** `product.category.name`, `category.products.all`: each relation hop reads its target model. */
function resolvePath(
  interp: InterpreterApi,
  path: string,
  scope: Map<string, V>,
  file: string,
  loc: Loc,
  reached?: Set<string>,
  headKeyed = false,
): V {
  const [head, ...rest] = path.split('.');
  let cur = scope.get(head) ?? EMPTY;
  /** Models of the rows a relation hop led from: their deps are merged with the current row's when it is of one. */
  const hoppedFrom = new Set<string>();
  for (const [i, seg] of rest.entries()) {
    // A method of a row reads what the method does; of the row a fragment varies on, not the row
    // itself (keyedRowMembers.ts).
    const members = cur.shapes.map(
      (s) => s.k === 'inst' && (i === 0 && headKeyed ? keyedRowMember(interp, s, seg) : rowMember(interp, s, cur, seg)),
    );
    if (members.length && members.every((m) => m)) {
      cur = merge(...(members as V[]));
      continue;
    }
    // A plain field renders that column of the row, as in Python code: writes of other columns leave
    // it as it was. Not after a hop from a row of the same model (`member.sponsor.motto` also reads `sponsor`).
    const afterSameModelHop = cur.shapes.some((s) => s.k === 'inst' && hoppedFrom.has(s.model));
    const column = afterSameModelHop ? undefined : rowColumn(interp.models, cur, seg);
    if (column) {
      cur = column;
      continue;
    }
    // A relation hop reads its key column of the row, or only the row's primary key.
    const next: V[] = [(!afterSameModelHop && relationColumn(interp.models, cur, seg)) || dataOf(cur)];
    for (const s of cur.shapes) {
      if (s.k === 'inst') {
        const rel = interp.models.relation(s.model, seg);
        if (!rel) continue;
        hoppedFrom.add(s.model);
        const via = [...s.via, `.${seg} in ${file.split('/').pop()}`];
        // The row a key of a row the template reads points to: inserts of its model leave it as it is.
        const pointed = cur.deps.some((d) => d.model === s.model) && interp.models.pointsTo(s.model, seg);
        const deps: Dep[] = [{ model: rel.target, via, path: file, loc, ...(pointed && { pointedTo: true as const }) }];
        reached?.add(rel.target);
        if (rel.through) reached?.add(rel.through);
        if (rel.through) deps.push({ model: rel.through, via, path: file, loc });
        next.push(
          v(
            [
              rel.many
                ? { k: 'qs', model: rel.target, via, through: rel.through }
                : { k: 'inst', model: rel.target, via },
            ],
            deps,
          ),
        );
      } else if (s.k === 'qs') {
        if (seg === 'first' || seg === 'last') next.push(v([{ k: 'inst', model: s.model, via: s.via }]));
        else next.push(v([s]));
      } else if (s.k === 'dict') {
        const item = s.items.get(seg);
        if (item) next.push(item);
      } else if (s.k === 'list' && /^\d+$/.test(seg)) next.push(s.elem);
    }
    cur = merge(...next);
  }
  return cur;
}
