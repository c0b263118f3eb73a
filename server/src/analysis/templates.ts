/** What a template reads from its context: variables walk relations, for-loops bind rows. */
import type { TemplateFacts } from '../facts/types';
import type { Loc, TemplateNode } from '../syntax/ir';
import type { InterpreterApi } from './interp/api';
import { TAGGED_CACHE_TEMPLATE_TAG } from './tags';
import { type ClsRef, type Dep, EMPTY, merge, type Shape, v, type V, dataOf } from './domain/values';

const MAX_INCLUDE_DEPTH = 8;

/** Reads of each `{% cache %}` fragment, keyed by `path:line`, filled while walking. */
export type FragmentReads = Map<string, V[]>;

/** The named items of a render context (`{"products": qs}`, `{**base, "x": y}`). */
export function contextItems(context: V): Map<string, V> {
  const items = new Map<string, V>();
  for (const s of context.shapes) if (s.k === 'dict') s.items.forEach((val, k) => items.set(k, val));
  return items;
}

/** Generic views that name their rows in the context (MultipleObjectMixin) or their object (SingleObjectMixin). */
const LIST_VIEW = /^django\.views\.generic\.(\w+\.)?(\w*ListView|\w*ArchiveView|ArchiveIndexView|MultipleObject\w*Mixin)$/;
const OBJECT_VIEW = /^django\.views\.generic\.(\w+\.)?(\w*DetailView|UpdateView|DeleteView|BaseUpdateView|BaseDeleteView|SingleObject\w*Mixin)$/;
/** Views that render `template_name` (TemplateResponseMixin); ListView and DetailView also default to `<app>/<model>_list|_detail.html`. */
const TEMPLATE_VIEW = /^django\.views\.generic\.(\w+\.)?(\w*TemplateResponseMixin|TemplateView|ListView|DetailView|CreateView|UpdateView|DeleteView|FormView|\w*ArchiveView|ArchiveIndexView)$/;
const DEFAULT_SUFFIX: [RegExp, string][] = [[/^django\.views\.generic\.(list\.)?ListView$/, '_list'], [/^django\.views\.generic\.(detail\.)?DetailView$/, '_detail']];

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
  const method = (name: string) => merge(...(interp.classAttr(cls, name, self)?.shapes ?? []).map((s) => (s.k === 'fn' ? interp.returns(s.fn, s.closure ?? null, s.self) : EMPTY)));
  const attr = (name: string) => interp.classAttr(cls, name, null) ?? EMPTY;
  const items = new Map<string, V>();
  let model: string | undefined;
  if (is(LIST_VIEW) || is(OBJECT_VIEW)) {
    const declared = attr('model').shapes.find((s) => s.k === 'model');
    const byModel = declared?.k === 'model' ? v([{ k: 'qs', model: declared.model, via: [`${fact.name}.model`] }], [{ model: declared.model, via: [`${fact.name}.model`], path: cls.file.path, loc: fact.nameLoc }]) : EMPTY;
    const overridden = method('get_queryset');
    const rows = overridden.shapes.length ? overridden : attr('queryset').shapes.length ? attr('queryset') : byModel;
    const models = new Set(rows.shapes.flatMap((s) => (s.k === 'qs' ? [s.model] : [])));
    model = models.size === 1 ? [...models][0] : undefined;
    const name = attr('context_object_name').shapes.find((s) => s.k === 'str');
    const custom = name?.k === 'str' && name.key.parts.length === 1 && 'lit' in name.key.parts[0] ? name.key.parts[0].lit : undefined;
    const lower = model && interp.models.byId.get(model)?.name.toLowerCase();
    if (is(LIST_VIEW)) {
      for (const n of ['object_list', 'page_obj', custom ?? (lower && `${lower}_list`)]) if (n) items.set(n, rows);
    } else {
      const getObject = method('get_object');
      const object = getObject.shapes.length ? getObject : interp.element(rows);
      for (const n of ['object', custom ?? lower]) if (n) items.set(n, object);
    }
  }
  const context = merge(v([{ k: 'dict', items }]), attr('extra_context'), method('get_context_data'));
  const named = attr('template_name').shapes.find((s) => s.k === 'str');
  const names = named?.k === 'str' && named.key.parts.length === 1 && 'lit' in named.key.parts[0] ? [named.key.parts[0].lit] : [];
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

export function fragmentKey(path: string, line: number): string {
  return `${path}:${line}`;
}

export function templateReads(interp: InterpreterApi, t: TemplateFacts, context: Map<string, V>, fragments?: FragmentReads, depth = 0): V {
  if (depth > MAX_INCLUDE_DEPTH) return EMPTY;
  const out: V[] = [];
  const walk = (nodes: TemplateNode[], scope: Map<string, V>) => {
    for (const n of nodes) {
      switch (n.t) {
        case 'var':
          out.push(dataOf(resolvePath(interp, n.path, scope, t.path, [n.line, n.col, n.line, n.col + n.path.length])));
          break;
        case 'for': {
          const iter = resolvePath(interp, n.iter, scope, t.path, [n.line, n.col, n.line, n.col]);
          out.push(dataOf(iter));
          const inner = new Map(scope);
          const elem = interp.element(iter);
          for (const name of n.target) inner.set(name, elem);
          walk(n.body, inner);
          break;
        }
        case 'with': {
          const inner = new Map(scope);
          for (const [name, path] of n.bindings) inner.set(name, resolvePath(interp, path, scope, t.path, [n.line, 0, n.line, 0]));
          walk(n.body, inner);
          break;
        }
        case 'cache':
          cachedFragment(n.line, n.body, scope);
          break;
        case 'include': {
          const inc = n.template ? interp.ws.findTemplate(n.template) : undefined;
          if (inc) out.push(templateReads(interp, inc, scope, fragments, depth + 1));
          break;
        }
        case 'tag':
          if (n.name === TAGGED_CACHE_TEMPLATE_TAG) cachedFragment(n.line, n.body, scope);
          else walk(n.body, scope);
          break;
      }
    }
  };
  /** A `{% cache %}` or `{% tagged_cache %}` body: its reads are also the fragment's. */
  const cachedFragment = (line: number, body: TemplateNode[], scope: Map<string, V>) => {
    const before = out.length;
    walk(body, scope);
    if (!fragments) return;
    const key = fragmentKey(t.path, line);
    const list = fragments.get(key) ?? [];
    list.push(merge(...out.slice(before)));
    fragments.set(key, list);
  };
  walk(t.nodes, context);
  if (t.extends) {
    const parent = interp.ws.findTemplate(t.extends);
    if (parent) out.push(templateReads(interp, parent, context, fragments, depth + 1));
  }
  return merge(...out);
}

/** `product.category.name`, `category.products.all`: each relation hop reads its target model. */
function resolvePath(interp: InterpreterApi, path: string, scope: Map<string, V>, file: string, loc: Loc): V {
  const [head, ...rest] = path.split('.');
  let cur = scope.get(head) ?? EMPTY;
  for (const seg of rest) {
    const next: V[] = [dataOf(cur)];
    for (const s of cur.shapes) {
      if (s.k === 'inst') {
        const rel = interp.models.relation(s.model, seg);
        if (!rel) continue;
        const via = [...s.via, `.${seg} in ${file.split('/').pop()}`];
        const deps: Dep[] = [{ model: rel.target, via, path: file, loc }];
        if (rel.through) deps.push({ model: rel.through, via, path: file, loc });
        next.push(v([rel.many ? { k: 'qs', model: rel.target, via, through: rel.through } : { k: 'inst', model: rel.target, via }], deps));
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
