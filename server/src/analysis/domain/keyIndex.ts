/**
 * Items (entries, deletes, reads) indexed by their cache key, so that finding what a key may match
 * does not test every item: with thousands of entries and deletes, testing each pair was most of
 * the analysis. `candidates` narrows by the cases of `matchKeys` in its order; callers still test
 * each candidate, so answers are the same as a scan, in the same order.
 */
import { fragmentNames, isOpaque, leadingText, type KeyPattern } from './keys';

export class KeyIndex<T> {
  /** Items every key may match: `always` holds (a `clear()`). */
  private readonly always: number[] = [];
  /** Items without a key: every key may match them, but nothing shows it does. */
  private readonly unknown: number[] = [];
  private readonly byBuilder = new Map<string, number[]>();
  private readonly byMemoized = new Map<string, number[]>();
  private readonly byFragment = new Map<string, number[]>();
  /** Keys known only by the local name holding them, by their function: the same name there matches (keys.ts). */
  private readonly byLocal = new Map<string, number[]>();
  private readonly pages: number[] = [];
  private readonly opaque: number[] = [];
  /** The other keys by their leading text, and those texts sorted (for the keys they start). */
  private readonly byLead = new Map<string, number[]>();
  private readonly leads: string[];

  constructor(
    private readonly items: readonly T[],
    keyOf: (item: T) => KeyPattern | null,
    always: (item: T) => boolean = () => false,
  ) {
    const add = (map: Map<string, number[]>, name: string, i: number) => {
      const list = map.get(name);
      if (list) list.push(i);
      else map.set(name, [i]);
    };
    items.forEach((item, i) => {
      const key = keyOf(item);
      if (always(item)) {
        this.always.push(i);
        return;
      }
      if (!key) {
        this.unknown.push(i);
        return;
      }
      if (key.builder) add(this.byBuilder, key.builder, i);
      if (key.memoized) add(this.byMemoized, key.memoized, i);
      if (key.local) add(this.byLocal, key.local, i);
      if (key.fragment !== undefined) {
        for (const name of fragmentNames(key)) add(this.byFragment, name, i);
      } else if (key.page) this.pages.push(i);
      else if (isOpaque(key)) this.opaque.push(i);
      else add(this.byLead, leadingText(key), i);
    });
    this.leads = [...this.byLead.keys()].sort();
  }

  all(): readonly T[] {
    return this.items;
  }

  /**
   * In their original order, every item whose key `matchKeys` may answer other than 'none' for
   * against one of `keys` (and a few more). With `shown`, only those it may answer 'strong' or
   * 'pattern' for (the ones `shownToMatch`): an unknown or opaque key on either side shows nothing.
   */
  candidates(keys: (KeyPattern | null)[], shown = false): T[] {
    const picked = new Set<number>(this.always);
    const pick = (list: number[] | undefined) => list?.forEach((i) => picked.add(i));
    if (!shown) pick(this.unknown);
    for (const key of keys) {
      if (!key) {
        if (shown) continue;
        return [...this.items];
      }
      if (key.builder) pick(this.byBuilder.get(key.builder));
      if (key.memoized) pick(this.byMemoized.get(key.memoized));
      if (key.local) pick(this.byLocal.get(key.local));
      if (key.fragment !== undefined) {
        for (const name of fragmentNames(key)) pick(this.byFragment.get(name));
        continue;
      }
      if (key.page) {
        pick(this.pages);
        continue;
      }
      if (!shown) pick(this.opaque);
      if (!isOpaque(key)) this.pickByLead(leadingText(key), pick);
      else if (!shown) for (const list of this.byLead.values()) pick(list);
    }
    return [...picked].sort((a, b) => a - b).map((i) => this.items[i]);
  }

  /** Items whose leading text starts `lead`, or that `lead` starts. */
  private pickByLead(lead: string, pick: (list: number[] | undefined) => void): void {
    for (let n = 0; n <= lead.length; n++) pick(this.byLead.get(lead.slice(0, n)));
    let lo = 0;
    let hi = this.leads.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.leads[mid] < lead) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.leads.length && this.leads[i].startsWith(lead); i++) pick(this.byLead.get(this.leads[i]));
  }
}
