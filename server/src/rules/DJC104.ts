/** DJC104 key-mismatch: a delete whose key no cache write uses — usually a typo or a drifted format. */
import type { FindingOf } from '../findings';
import { display, isOpaque, keyDistance, matchKeys, sameFragment, sameFragmentName } from '../analysis/domain/keys';
import type { Analysis, Entry } from '../analysis/analysis';
import { sameVersion, versionText } from '../analysis/domain/versions';
import { KeyIndex } from '../analysis/domain/keyIndex';
import { at, related } from '../wording';
import { finding, type Rule } from './common';

/** Ops that do nothing at all when no entry has their key and version: a delete, or a move to another version. */
const DEAD_WHEN_UNMATCHED = new Set(['delete', 'incr_version', 'decr_version']);

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
        !DEAD_WHEN_UNMATCHED.has(inv.method) ||
        !inv.key ||
        isOpaque(inv.key) ||
        inv.key.builder ||
        (inv.key.fragment !== undefined &&
          a.entries.some((e) => e.kind === 'fragment' && !!e.key && sameFragment(e.key, inv.key!)))
      )
        continue;
      const near = setKeys.candidates([inv.key]);
      const sameAlias = near.filter((e) => e.alias === inv.alias || e.alias === '?' || inv.alias === '?');
      if (sameAlias.some((e) => matchKeys(e.key, inv.key) !== 'none' && sameVersion(e, inv))) continue;
      if (
        readKeys
          .candidates([inv.key])
          .some((r) => r.alias === inv.alias && sameVersion(r, inv) && matchKeys(r.key, inv.key) !== 'none')
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

function varyText(count: number | undefined): string {
  return count === 1 ? '1 vary-on value' : `${count} vary-on values`;
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
      text: `cache.${inv.method}('${key}') runs on the '${inv.alias}' cache, but '${display(otherAlias.key)}' is set on the '${otherAlias.alias}' cache (${at(otherAlias.path, otherAlias.loc)}); the call never reaches it.`,
      near: otherAlias,
    };
  }
  const otherVersion = near.find((e) => e.alias === inv.alias && matchKeys(e.key, inv.key) !== 'none');
  if (otherVersion) {
    return {
      text: `cache.${inv.method}('${key}') uses ${versionText(inv)}, but '${display(otherVersion.key)}' is set with ${versionText(otherVersion)} (${at(otherVersion.path, otherVersion.loc)}); the call never reaches it.`,
      near: otherVersion,
    };
  }
  const otherVary = setKeys.find(
    (e) => e.alias === inv.alias && e.key?.fragment !== undefined && sameFragmentName(e.key, inv.key!),
  );
  if (otherVary) {
    return {
      text: `cache.${inv.method}('${key}') hashes ${varyText(inv.key!.varyCount)}, but the fragment at ${at(otherVary.path, otherVary.loc)} hashes ${otherVary.key!.varyCount}; the call never reaches it.`,
      near: otherVary,
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
    text: `cache.${inv.method}('${key}') matches no key this code sets; did you mean '${display(best.key)}' (set at ${at(best.path, best.loc)})?`,
    near: best,
  };
}
