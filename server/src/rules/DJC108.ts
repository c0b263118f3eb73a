/** DJC108 declaration-drift: an entry's djcache tags no longer match the models its value reads. */
import type { Finding } from '../findings';
import type { Loc } from '../facts/types';
import type { Analysis, Entry } from '../analysis/analysis';
import { declares, sameRows, type TagDeclaration } from '../analysis/tags';
import { entryData, entryKeyText, finding, modelName, related, type Rule, viaText } from './common';

export const DJC108: Rule = {
  meta: {
    code: 'DJC108', name: 'declaration-drift', defaultSeverity: 'warning',
    summary: "A tagged entry's declared tags lack a model its value reads, or list one it does not read.",
  },
  check(a: Analysis): Finding[] {
    const out: Finding[] = [];
    for (const entry of a.entries) {
      const tags = entry.tags;
      // "auto" records what the value reads; an unresolved item may declare anything.
      if (!tags || tags.auto || tags.opaque || entry.immutable) continue;
      const declared = tags.items.map((i) => i.model).join(', ');
      const name = entryName(a, entry);
      for (const cov of a.coverage) {
        if (cov.entry !== entry || declares(tags, cov.model, a.models)) continue;
        const written = a.writes.some((w) => w.model === cov.model);
        const model = modelName(cov.model);
        const message = `${name} reads ${cov.model} (${viaText(cov)}), but its tags declare only ${declared}: ${written ? `a ${model} change leaves it stale` : `nothing in the code writes ${model}, but a change made elsewhere would leave it stale`}.`;
        out.push(finding('DJC108', written ? 'warning' : 'info', entry.path, entry.loc, message, [
          related(cov.dep.path, cov.dep.loc, `reads ${cov.model}`),
          related(tags.path, tags.loc, 'the tag declaration'),
        ], entryData(a, entry, cov.model, { tags: tagData(tags, { add: cov.model }) })));
      }
      // Without any read the engine saw, it cannot tell a needed tag from an unused one.
      if (!entry.deps.length) continue;
      for (const item of tags.items) {
        if (entry.deps.some((d) => sameRows(item.model, d.model, a.models))) continue;
        const loc: Loc = item.loc ?? entry.loc;
        const path = item.loc ? tags.path : entry.path;
        const message = `${name} declares ${item.model}, but nothing its value reads is ${modelName(item.model)}: every ${modelName(item.model)} write invalidates it for nothing.`;
        out.push(finding('DJC108', 'info', path, loc, message, [related(entry.path, entry.loc, 'the tagged entry')],
          entryData(a, entry, item.model, { tags: tagData(tags, { remove: item.model }) })));
      }
    }
    return out;
  },
};

/** The declaration as fixes edit it. */
export type TagFixData = Pick<TagDeclaration, 'style' | 'path' | 'loc' | 'items'> & { add?: string; remove?: string };

function tagData(tags: TagDeclaration, change: { add?: string; remove?: string }): TagFixData {
  return { style: tags.style, path: tags.path, loc: tags.loc, items: tags.items, ...change };
}

/** Memoized functions have no key of their own to show: their name says which entry it is. */
function entryName(a: Analysis, entry: Entry): string {
  if (entry.kind !== 'memoize' || !entry.key?.builder || !entry.fnId) return entryKeyText(entry);
  const idx = Number(entry.fnId.slice(entry.fnId.lastIndexOf('#') + 1));
  const fn = a.ws.python.find((f) => f.path === entry.path)?.functions[idx];
  return fn ? `memoized ${fn.name}()` : entryKeyText(entry);
}
