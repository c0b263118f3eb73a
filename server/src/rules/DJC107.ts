/** DJC107 sequential-deletes: deletes in a row on one cache should be one delete_many round trip. */
import type { FindingOf } from '../findings';
import type { CacheOp } from '../analysis/domain/events';
import { display } from '../analysis/domain/keys';
import type { Analysis } from '../analysis/analysis';
import { related } from '../wording';
import { finding, type Rule } from './common';

export const DJC107: Rule<'DJC107'> = {
  meta: {
    code: 'DJC107',
    name: 'sequential-deletes',
    defaultSeverity: 'hint',
    summary: 'Two or more cache.delete() calls in a row on the same cache; use one delete_many().',
  },
  doc: { reportedAt: 'first delete', finds: 'several `delete()` calls in a row that should be one `delete_many()`' },
  fixes: ['deleteMany'],
  check(a: Analysis): FindingOf<'DJC107'>[] {
    const out: FindingOf<'DJC107'>[] = [];
    // memoized_fn.invalidate() records a delete too, but it is not a cache.delete() call.
    const deletes = a.ops.filter((o) => o.method === 'delete' && !o.key?.builder?.startsWith('memoize:'));
    const byBlock = new Map<string, CacheOp[]>();
    for (const d of deletes) {
      const k = `${d.fnId}:${d.pos.block}:${d.alias}`;
      byBlock.set(k, [...(byBlock.get(k) ?? []), d]);
    }
    for (const ops of byBlock.values()) {
      ops.sort((x, y) => x.pos.index - y.pos.index);
      let run: CacheOp[] = [];
      const flush = () => {
        if (run.length >= 2) {
          const first = run[0];
          const last = run[run.length - 1];
          out.push(
            finding(
              'DJC107',
              'hint',
              first.file.path,
              [first.loc[0], first.loc[1], last.loc[2], last.loc[3]],
              `${run.length} cache.delete() calls in a row on the '${first.alias}' cache; one cache.delete_many([...]) does the same in one round trip.`,
              run.slice(1).map((r) => related(r.file.path, r.loc, `also deletes '${display(r.key)}'`)),
              { alias: first.alias, keys: run.map((r) => display(r.key)), locs: run.map((r) => r.loc) },
            ),
          );
        }
        run = [];
      };
      for (const op of ops) {
        const prev = run[run.length - 1];
        // One statement each, adjacent: a loop body or a line with two calls is not a run.
        if (prev && op.pos.index !== prev.pos.index + 1) flush();
        if (prev && op.pos.index === prev.pos.index) continue;
        run.push(op);
      }
      flush();
    }
    return out;
  },
};
