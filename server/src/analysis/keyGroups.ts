/**
 * Key groups: a list of keys kept in the cache under a group key (`keys = cache.get(group) or [];
 * keys.append(key); cache.set(group, keys)`), emptied with `cache.delete_many(cache.get(group))`
 * or a loop of deletes over it. A delete of the group's items deletes every key the workspace
 * stores in a list under a matching group key; with no such list it stays unresolved.
 */
import type { CacheOp } from './domain/events';
import { isOpaque, type KeyPattern } from './domain/keys';

/** `invalidations` with each delete of a key group's items replaced by deletes of the keys stored in the group. */
export function expandKeyGroups<T extends CacheOp>(invalidations: T[], ops: CacheOp[]): T[] {
  const groups = ops.filter((o) => o.members && o.key);
  if (!groups.length) return invalidations;
  return invalidations.flatMap((inv) => {
    const memberOf = inv.key?.memberOf;
    if (!memberOf) return [inv];
    const members = groups.flatMap((g) => (sameGroup(g, memberOf) ? g.members! : []));
    return members.length ? members.map((key) => ({ ...inv, key })) : [inv];
  });
}

/**
 * The stored list's key is the deleted group's template: the same literal text with holes in the
 * same places (`files:{file.pk}` and `files:{self.pk}`). Holes alone matching is not enough: a
 * hole can stand for any text, so `{prefix}.theme_list` would pass for `files:{pk}`.
 */
function sameGroup(stored: CacheOp, group: { group: KeyPattern; alias: string }): boolean {
  const aliasAgrees = stored.alias === group.alias || stored.alias === '?' || group.alias === '?';
  return aliasAgrees && !!stored.key && !isOpaque(group.group) && template(stored.key) === template(group.group);
}

function template(p: KeyPattern): string {
  return p.parts.map((x) => ('lit' in x ? x.lit : '\0')).join('');
}
