/** DJC109 stale-memo-dict: an object's in-memory dict cache of model rows, left holding old rows after the object's own write. */
import type { FindingOf } from '../findings';
import type { Analysis } from '../analysis/analysis';
import type { WriteSite } from '../analysis/domain/events';
import { staleMemoDicts } from '../analysis/memoDicts';
import { at, modelName, related, writeText, writtenOnlyBy } from '../wording';
import { finding, type Rule } from './common';
import { staleWrites } from './fixData';

export const DJC109: Rule<'DJC109'> = {
  meta: {
    code: 'DJC109',
    name: 'stale-memo-dict',
    defaultSeverity: 'warning',
    summary:
      "An object's in-memory dict cache holds model rows, and the object's own write of that model leaves the cached row in place.",
  },
  doc: {
    severityNote: 'info if only commands, sample data or tests make the writes',
    reportedAt: 'entry (the `self.<attr> = {}` of `__init__`)',
    finds:
      'a dict kept in an attribute as a memo cache of model rows, and a write of that model by the same object with no `del`, `pop()`, `clear()` or fresh value stored after it',
  },
  fixes: [],
  check(a: Analysis): FindingOf<'DJC109'>[] {
    const out: FindingOf<'DJC109'>[] = [];
    for (const { dict, model, writes } of staleMemoDicts(a.memoDicts, a.events)) {
      const cls = dict.file.classes[dict.cls].name;
      const w = writes[0];
      const read = dict.rows.find((r) => r.model === model) ?? dict.rows[0];
      const only = writtenOnlyBy(writes);
      const more = writes.length > 1 ? ` (and ${writes.length - 1} more)` : '';
      const message = `${cls}.${dict.attr} holds ${model} rows (read at ${at(read.path, read.loc)}); ${writeText(w)}${more}${only ? `, ${only}` : ''}, and nothing drops or replaces the cached row after it: this ${cls}'s in-memory cache \`${dict.attr}\` keeps the old row after this ${writeNoun(w)}.`;
      out.push(
        finding(
          'DJC109',
          only ? 'info' : 'warning',
          dict.file.path,
          dict.loc,
          message,
          [
            related(read.path, read.loc, `reads ${model}`),
            ...writes
              .slice(0, 3)
              .map((x) => related(x.file.path, x.loc, `${modelName(model)} is written here (${x.how})`)),
          ],
          {
            key: `${cls}.${dict.attr}`,
            model,
            entryId: `${dict.file.path}:${dict.loc[0] + 1}:${dict.loc[1] + 1}`,
            writes: staleWrites(writes),
          },
        ),
      );
    }
    return out;
  },
};

/** What the write does, as the message ends: "this create", "this update". */
function writeNoun(w: WriteSite): string {
  if (w.kind === 'delete') return 'delete';
  if (w.kind === 'bulk') return 'bulk write';
  if (/create\(\)/.test(w.how)) return 'create';
  return 'save';
}
