/** DJC105 invalidation-before-commit: a delete inside a transaction lets readers re-cache old rows. */
import type { FindingOf } from '../findings';
import { display } from '../analysis/domain/keys';
import type { Analysis } from '../analysis/analysis';
import { finding, type Rule } from './common';

export const DJC105: Rule<'DJC105'> = {
  meta: {
    code: 'DJC105',
    name: 'invalidation-before-commit',
    defaultSeverity: 'info',
    summary: 'A cache delete runs inside a transaction, before commit; a concurrent reader can re-cache the old rows.',
  },
  doc: {
    reportedAt: 'delete',
    finds: 'invalidation inside `transaction.atomic()` or under `ATOMIC_REQUESTS`, before commit',
  },
  fixes: [],
  check(a: Analysis): FindingOf<'DJC105'>[] {
    const out: FindingOf<'DJC105'>[] = [];
    for (const inv of a.invalidations) {
      if (!inv.inAtomic || (inv.method !== 'delete' && inv.method !== 'delete_many' && inv.method !== 'delete_pattern'))
        continue;
      const key = inv.key ? `'${display(inv.key)}'` : 'the key';
      out.push(
        finding(
          'DJC105',
          'info',
          inv.file.path,
          inv.loc,
          `cache.${inv.method}(${key}) runs inside transaction.atomic(), before the transaction commits; a concurrent request can re-cache the old rows in between. Defer it with transaction.on_commit(lambda: ...).`,
          [],
          { key: inv.key ? display(inv.key) : undefined, alias: inv.alias },
        ),
      );
    }
    return out;
  },
};
