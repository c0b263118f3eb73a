/**
 * Cache tag declarations of the djcache runtime: `tagged(...)`, `depends_on=[...]` and
 * `{% tagged_cache ... depends_on="..." %}`. The runtime bumps a model's tag on every write to its
 * table, so a declared model covers every kind of change.
 */
import type { Expr, Loc } from '../syntax/ir';
import type { TagDeclaration } from './domain/tags';
import { exprText, type Scope } from './domain/values';
import type { InterpreterApi } from './interp/api';
import type { ModelRegistry } from './models';

export type { TagDeclaration } from './domain/tags';

export const TAGGED = 'djcache.tagged';
export const TAGGED_CACHE_PAGE = 'djcache.cache_page';
export const TAGGED_MEMOIZE = 'djcache.memoize';
export const TAGGED_CACHE_TEMPLATE_TAG = 'tagged_cache';
const AUTO_CONSTANT = 'djcache.AUTO';

/** The declaration made by `items` (tagged's arguments or depends_on's elements) in Python. */
export function pythonDeclaration(interp: InterpreterApi, items: Expr[], scope: Scope, loc: Loc): TagDeclaration {
  const decl: TagDeclaration = { auto: false, items: [], opaque: false, style: 'class', path: scope.file.path, loc };
  for (const item of items) {
    if (item.t === 'str') {
      if (item.v === 'auto') decl.auto = true;
      else addLabel(decl, interp.models, item.v, JSON.stringify(item.v), item.loc);
      continue;
    }
    const { shapes } = interp.eval(item, scope);
    if (shapes.some((s) => s.k === 'ext' && s.q === AUTO_CONSTANT)) decl.auto = true;
    else if (shapes.length === 1 && shapes[0].k === 'model')
      decl.items.push({ model: shapes[0].model, text: exprText(item), loc: item.loc });
    else decl.opaque = true;
  }
  if (decl.items.length && items.every((i) => i.t === 'str')) decl.style = 'label';
  return decl;
}

/**
 * Zero-code mode: on a cache alias that `DJCACHE["AUTO_TAG"]` names, the runtime tags what Django's
 * own API stores (`get_or_set`, a `get` miss then `set`, `cache_page`, `{% cache %}`) with the
 * tables its computation read, as `"auto"` does; a `set` with no miss before it gets everything
 * the request read. So such an entry is declared `"auto"` by the setting.
 */
export function zeroCodeDeclaration(
  entry: { kind: string; alias: string; tags?: TagDeclaration },
  autoTag: { aliases: string[]; path: string; loc: Loc } | undefined,
): TagDeclaration | undefined {
  if (entry.tags || !autoTag?.aliases.includes(entry.alias)) return undefined;
  if (entry.kind !== 'cache' && entry.kind !== 'page' && entry.kind !== 'fragment') return undefined;
  return {
    auto: true,
    items: [],
    opaque: false,
    style: 'label',
    path: autoTag.path,
    loc: autoTag.loc,
    zeroCode: { alias: entry.alias },
  };
}

/** `depends_on="shop.Product shop.Category"` or `depends_on="auto"` of a template tag. */
export function templateDeclaration(models: ModelRegistry, value: string, path: string, loc: Loc): TagDeclaration {
  const decl: TagDeclaration = { auto: false, items: [], opaque: false, style: 'label', path, loc };
  for (const label of value.split(/\s+/).filter(Boolean)) {
    if (label === 'auto') decl.auto = true;
    else addLabel(decl, models, label, label, null);
  }
  return decl;
}

/** The `depends_on=` list of a call, or undefined when it has none. */
export function dependsOnItems(kw: { name: string | null; value: Expr }[]): { items: Expr[]; loc: Loc } | undefined {
  const value = kw.find((k) => k.name === 'depends_on')?.value;
  if (!value) return undefined;
  return { items: value.t === 'seq' ? value.items : [value], loc: value.loc };
}

function addLabel(decl: TagDeclaration, models: ModelRegistry, label: string, text: string, loc: Loc | null): void {
  const model = models.byLabel(label);
  if (model) decl.items.push({ model: model.id, text, loc });
  else decl.opaque = true;
}

/**
 * Does the declaration cover `model`? A declared model's multi-table-inheritance relatives share
 * its rows, and a write to an m2m through table bumps both sides' tags.
 */
export function declares(decl: TagDeclaration, model: string, models: ModelRegistry): boolean {
  if (decl.auto || decl.opaque) return true;
  return decl.items.some((i) => sameRows(i.model, model, models));
}

/** Is `declared` a model whose tag `read`'s writes bump (or the other way round)? */
export function sameRows(declared: string, read: string, models: ModelRegistry): boolean {
  if (declared === read) return true;
  if (models.lineage(declared).some((m) => m.id === read) || models.lineage(read).some((m) => m.id === declared))
    return true;
  const m2m = models.m2mOf(read);
  return !!m2m && (m2m.owner.id === declared || m2m.field.target === declared);
}
