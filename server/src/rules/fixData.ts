/** The data DJC101, DJC102, DJC106 and DJC108 findings carry for their quick-fixes. */
import type { Analysis, Entry } from '../analysis/analysis';
import type { WriteSite } from '../analysis/domain/events';
import { fnIndex } from '../analysis/domain/values';
import { keyData, m2mRebuild } from '../analysis/keyRebuild';
import { staticSym } from '../analysis/workspace';
import type { DeclareTagsData, EntryData, StaleWrite } from '../findings';
import { at } from '../wording';

/** The entry's key and how to rebuild it from a changed `model`, and where the model's app and class are. */
export function entryData(a: Analysis, entry: Entry, model: string): EntryData {
  const info = a.models.byId.get(model);
  const dir = info?.appDir ?? '';
  const prefix = dir ? `${dir}/` : '';
  const m2m = a.models.m2mOf(model);
  return {
    ...keyData(a, entry, model),
    model,
    // An auto-created through table belongs to the app (and file) of the model declaring the field.
    app: info?.file
      ? { label: info.app, dir, signals: `${prefix}signals.py`, apps: `${prefix}apps.py`, models: info.file.path }
      : undefined,
    sender: info?.file && !info.synthetic ? { module: a.ws.moduleName(info.file), name: info.name } : undefined,
    m2m: m2m?.owner.file
      ? {
          owner: { module: a.ws.moduleName(m2m.owner.file), name: m2m.owner.name },
          field: m2m.field.name,
          rebuild: m2mRebuild(a, entry, m2m.owner, m2m.field),
        }
      : undefined,
  };
}

/** Every write that leaves the entry stale, once each, in the order the verdict gives them. */
export function staleWrites(stale: readonly WriteSite[]): StaleWrite[] {
  const seen = new Map<string, StaleWrite>();
  for (const w of stale) {
    const fn = w.fnId === null ? undefined : w.file.functions[fnIndex(w.fnId)]?.qual;
    const write = { model: w.model, at: at(w.file.path, w.loc), ...(fn ? { fn } : {}), how: w.how, kind: w.kind };
    seen.set(`${write.model} ${write.at} ${write.how} ${write.kind}`, write);
  }
  return [...seen.values()];
}

/**
 * For "Declare cache tags": whether djcache is in the project, the entry's shape, and every model
 * it reads, sorted. Memoized functions only through a project decorator, whose definition the fix
 * reads to tell whether djcache.memoize can stand in for it.
 */
export function declareTagsData(a: Analysis, entry: Entry): { declareTags?: DeclareTagsData } {
  if (entry.kind === 'tagged') return {};
  const decorator = entry.kind === 'memoize' ? projectDecorator(a, entry) : undefined;
  if (entry.kind === 'memoize' && !decorator) return {};
  return {
    declareTags: {
      installed: djcacheInstalled(a),
      shape: entry.kind,
      models: [...new Set(entry.deps.map((d) => d.model))].sort(),
      ...(decorator ? { decorator } : {}),
      ...rowOf(entry),
    },
  };
}

const installedMemo = new WeakMap<Analysis, boolean>();

/** Whether the project uses djcache: asked once per analysis, not once per finding. */
function djcacheInstalled(a: Analysis): boolean {
  let installed = installedMemo.get(a);
  if (installed === undefined) {
    installed =
      a.ws.settings.installedApps.includes('djcache') ||
      a.ws.python.some((f) => f.imports.some((i) => i.module === 'djcache' || i.module.startsWith('djcache.')));
    installedMemo.set(a, installed);
  }
  return installed;
}

/** The row an entry provably reads: every read is one row of one model, and a key hole is that row's pk. */
function rowOf(entry: Entry): Pick<DeclareTagsData, 'row'> {
  const model = entry.deps[0]?.model;
  if (!model || !entry.deps.every((d) => d.model === model && d.oneRow)) return {};
  for (const part of entry.key?.parts ?? [])
    if ('hole' in part && part.source.kind === 'field' && part.source.model === model)
      if (part.source.field === 'id' || part.source.field === 'pk') return { row: { pk: part.source.at } };
  return {};
}

/** The project function a memoize entry's decorator calls (`memoize` of `@memoize(60)`). */
function projectDecorator(a: Analysis, entry: Entry): DeclareTagsData['decorator'] {
  const facts = a.ws.byPath.get(entry.path);
  const file = facts?.kind === 'python' ? facts : undefined;
  const d = file?.functions.flatMap((fn) => fn.decorators).find((x) => x.loc.join() === entry.loc.join());
  const sym = file && d && staticSym(a.ws, file, d.t === 'call' ? d.fn : d);
  if (sym?.k !== 'fn') return undefined;
  const fn = sym.file.functions[sym.idx];
  return { path: sym.file.path, qual: `${a.ws.moduleName(sym.file)}.${fn.qual}`, nameLoc: fn.nameLoc };
}
