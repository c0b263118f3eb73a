/** DJC104 key-mismatch: a delete whose key no cache write uses — usually a typo or a drifted format. */
import type { FindingOf } from '../findings';
import { display, isOpaque, keyDistance, matchKeys, sameFragment } from '../analysis/domain/keys';
import type { Analysis, Entry } from '../analysis/analysis';
import { KeyIndex } from '../analysis/domain/keyIndex';
import { at, related } from '../wording';
import { finding, type Rule } from './common';

export const DJC104: Rule<'DJC104'> = {
  meta: {
    code: 'DJC104',
    name: 'key-mismatch',
    defaultSeverity: 'warning',
    summary: 'A delete key matches no key the code sets, so the invalidation never removes anything.',
  },
  doc: {
    reportedAt: 'delete / entry',
    finds: 'a delete that matches no cache write (a typo, or a different alias, version or prefix)',
  },
  fixes: [],
  check(a: Analysis): FindingOf<'DJC104'>[] {
    const out: FindingOf<'DJC104'>[] = [];
    const setKeys = new KeyIndex(
      a.entries.filter((e) => e.key),
      (e) => e.key,
    );
    // Reads count as evidence that somebody (a library, another service) sets the key.
    const readKeys = new KeyIndex(
      [...a.events.values()].flatMap((e) => e.keyReads).filter((r) => r.key),
      (r) => r.key,
    );
    for (const inv of a.invalidations) {
      if (
        inv.method !== 'delete' ||
        !inv.key ||
        isOpaque(inv.key) ||
        inv.key.builder ||
        (inv.key.fragment !== undefined &&
          a.entries.some((e) => e.kind === 'fragment' && !!e.key && sameFragment(e.key, inv.key!)))
      )
        continue;
      const near = setKeys.candidates([inv.key]);
      const sameAlias = near.filter((e) => e.alias === inv.alias || e.alias === '?' || inv.alias === '?');
      if (sameAlias.some((e) => matchKeys(e.key, inv.key) !== 'none' && sameVersion(e.version, inv.version))) continue;
      if (
        readKeys
          .candidates([inv.key])
          .some(
            (r) => r.alias === inv.alias && sameVersion(r.version, inv.version) && matchKeys(r.key, inv.key) !== 'none',
          )
      )
        continue;
      const message = explain(inv, near, setKeys.all());
      if (!message) continue;
      out.push(
        finding(
          'DJC104',
          'warning',
          inv.file.path,
          inv.loc,
          message.text,
          message.near ? [related(message.near.path, message.near.loc, `set as '${display(message.near.key)}'`)] : [],
          { key: display(inv.key), alias: inv.alias, suggestion: message.near ? display(message.near.key) : undefined },
        ),
      );
    }
    return out;
  },
};

/** Whether two `version=` values may name the same version (none given is version 1). */
function sameVersion(a: string | null, b: string | null): boolean {
  return a === b || a === '?' || b === '?' || (a === null && b === '1') || (b === null && a === '1');
}

/** Says why the key cannot match, or nothing when there is no evidence it was meant to match something. */
function explain(
  inv: Analysis['invalidations'][number],
  near: Entry[],
  setKeys: readonly Entry[],
): { text: string; near?: Entry } | undefined {
  const key = display(inv.key);
  const otherAlias = near.find((e) => e.alias !== inv.alias && matchKeys(e.key, inv.key) !== 'none');
  if (otherAlias) {
    return {
      text: `cache.delete('${key}') runs on the '${inv.alias}' cache, but '${display(otherAlias.key)}' is set on the '${otherAlias.alias}' cache (${at(otherAlias.path, otherAlias.loc)}); the delete never reaches it.`,
      near: otherAlias,
    };
  }
  const otherVersion = near.find((e) => e.alias === inv.alias && matchKeys(e.key, inv.key) !== 'none');
  if (otherVersion) {
    return {
      text: `cache.delete('${key}', version=${inv.version ?? 'default'}) never matches '${display(otherVersion.key)}', which is set with version=${otherVersion.version ?? 'default'} (${at(otherVersion.path, otherVersion.loc)}).`,
      near: otherVersion,
    };
  }
  const lit = display(inv.key);
  let best: Entry | undefined;
  let bestDistance = Infinity;
  for (const e of setKeys) {
    if (e.alias !== inv.alias) continue;
    const d = keyDistance(e.key!, inv.key!);
    if (d < bestDistance) {
      best = e;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(lit.length / 4));
  if (!best || bestDistance > limit) return undefined;
  return {
    text: `cache.delete('${key}') matches no key this code sets; did you mean '${display(best.key)}' (set at ${at(best.path, best.loc)})?`,
    near: best,
  };
}
