/** DJC108 declaration-drift: an entry's djcache tags no longer match the models its value reads. */
import type { FindingOf, TagFixData } from '../findings';
import type { Loc } from '../syntax/ir';
import { type Analysis, type Entry, entryKeyText } from '../analysis/analysis';
import type { TagDeclaration } from '../analysis/tags';
import { verdictsOf } from '../analysis/verdict';
import { modelName, related, viaText } from '../wording';
import { finding, type Rule } from './common';
import { entryData } from './fixData';

export const DJC108: Rule<'DJC108'> = {
  meta: {
    code: 'DJC108',
    name: 'declaration-drift',
    defaultSeverity: 'warning',
    summary: "A tagged entry's declared tags lack a model its value reads, or list one it does not read.",
  },
  doc: {
    severityNote: 'info for an unused tag, or a model nothing writes',
    reportedAt: 'entry',
    finds: 'djcache tags that lack a model the value reads, or list one it does not read',
  },
  fixes: ['tagDeclaration'],
  check(a: Analysis): FindingOf<'DJC108'>[] {
    const out: FindingOf<'DJC108'>[] = [];
    for (const { entry, models, unreadTags } of verdictsOf(a)) {
      if (!unreadTags.length && !models.some((v) => v.kind === 'undeclared')) continue;
      const name = entryName(a, entry);
      for (const v of models) {
        if (v.kind !== 'undeclared') continue;
        const { cov, tags, written } = v;
        const declared = tags.items.map((i) => i.model).join(', ');
        const model = modelName(cov.model);
        const message = `${name} reads ${cov.model} (${viaText(cov)}), but its tags declare only ${declared}: ${written ? `a ${model} change leaves it stale` : `nothing in the code writes ${model}, but a change made elsewhere would leave it stale`}.`;
        out.push(
          finding(
            'DJC108',
            written ? 'warning' : 'info',
            entry.path,
            entry.loc,
            message,
            [
              related(cov.dep.path, cov.dep.loc, `reads ${cov.model}`),
              related(tags.path, tags.loc, 'the tag declaration'),
            ],
            { ...entryData(a, entry, cov.model), tags: tagData(tags, { add: cov.model }) },
          ),
        );
      }
      for (const { tags, item } of unreadTags) {
        const loc: Loc = item.loc ?? entry.loc;
        const path = item.loc ? tags.path : entry.path;
        const message = `${name} declares ${item.model}, but nothing its value reads is ${modelName(item.model)}: every ${modelName(item.model)} write invalidates it for nothing.`;
        out.push(
          finding('DJC108', 'info', path, loc, message, [related(entry.path, entry.loc, 'the tagged entry')], {
            ...entryData(a, entry, item.model),
            tags: tagData(tags, { remove: item.model }),
          }),
        );
      }
    }
    return out;
  },
};

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
