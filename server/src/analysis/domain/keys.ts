/**
 * Key patterns: lists of literal text and holes. Two patterns match when some string fits both
 * (holes match any text). A key built by the same workspace function on both sides matches
 * whatever its pattern; an unknown key matches conservatively.
 */
import type { Loc } from '../../syntax/ir';
import type { Dep } from './deps';

/**
 * Where one hole of an entry's key comes from. `field` is sound: the hole's value is that field of
 * a row of `model` (an attribute of a known instance, or a name the function looks rows up by,
 * as in `get(pk=pk)`); `at` is the hole's expression.
 */
export type HoleSource =
  | { kind: 'field'; model: string; field: string; at: { path: string; loc: Loc } }
  /** A version read back from the cache of `alias`; `key` is the version's own key when it is a constant. */
  | { kind: 'version'; key: string | null; alias: string }
  /** The number of rows of `model` that a query counts (`qs.count()`): a new row among them makes a new key. */
  | { kind: 'rowCount'; model: string }
  | { kind: 'unknown' };

/**
 * A hole is `immutable` when it is a content hash or a random id: the entry under the key cannot
 * change for what `covers` lists, the data that went into the hash (absent: anything, a random id).
 */
export type KeyPart =
  | { lit: string }
  | {
      hole: string;
      source: HoleSource;
      versionOf?: KeyPattern;
      immutable?: boolean;
      covers?: Dep[];
      /**
       * The text comes from a parameter of the function the key is built in: which key it is
       * depends on the call, so the op is the function's at each of its calls (a wrapper's).
       */
      fromParam?: true;
    };

/** A call of a module-level workspace function that built a key: enough to call it again elsewhere. */
export interface KeyCall {
  module: string;
  path: string;
  name: string;
  /** Each argument: literal text, or a hole with where its value comes from. */
  args: KeyPart[];
  kwargs: [string, KeyPart][];
}

export interface KeyPattern {
  parts: KeyPart[];
  /** The workspace function that built the key, when one did. */
  builder?: string;
  /** How the builder was called, when it is a module-level function called with plain arguments. */
  call?: KeyCall;
  /** Set for keys made by make_template_fragment_key(name). */
  fragment?: string;
  /** How many vary-on values a fragment key hashes, when known: `{% cache 60 name a b %}` hashes two. */
  varyCount?: number;
  /**
   * A quoted `{% cache %}` name in a template whose engine is unknown: the name Jinja2 gives it
   * (quotes gone), while `fragment` keeps Django's (as written). Either may be the real key.
   */
  jinjaFragment?: string;
  /** Set for keys made by get_cache_key / learn_cache_key (view caches). */
  page?: boolean;
  /**
   * The URL name of a page key's route: a per-site cache entry's (an unnamed route's is its place,
   * `#path:line`), or the one a deleted page's URL was reversed from. A site page is deleted only
   * through a key for a URL of its own route. On a plain string, the name `reverse()` made it from.
   */
  route?: string;
  /** The function (fnId) whose memoized result the key holds: its `invalidate()` deletes it. */
  memoized?: string;
  /**
   * A key read back from the list stored under `group` (a key group): which keys it may be is
   * known only from the lists the workspace stores there (keyGroups.ts); alone it is unresolved.
   */
  memberOf?: { group: KeyPattern; alias: string };
  /**
   * A key the engine knows only by the local name that holds it, in this function (fnId): it is
   * the same key wherever that function names it the same way.
   */
  local?: string;
}

export const UNKNOWN_HOLE: KeyPart = { hole: '?', source: { kind: 'unknown' } };

export function lit(s: string): KeyPattern {
  return { parts: [{ lit: s }] };
}

export function concat(...ps: KeyPattern[]): KeyPattern {
  const parts: KeyPart[] = [];
  for (const p of ps) {
    for (const part of p.parts) {
      const last = parts[parts.length - 1];
      if ('lit' in part && last && 'lit' in last) parts[parts.length - 1] = { lit: last.lit + part.lit };
      else parts.push(part);
    }
  }
  return { parts };
}

export function display(p: KeyPattern | null): string {
  if (!p) return '<unknown key>';
  if (p.fragment !== undefined) return `template.cache.${p.fragment}`;
  return p.parts.map((x) => ('lit' in x ? x.lit : `{${x.hole}}`)).join('');
}

/**
 * True when the key's literal text has no letter or digit (`{?}`, `{?}_{?}`), so nothing can be said
 * about what it matches.
 */
export function isOpaque(p: KeyPattern): boolean {
  return p.fragment === undefined && !p.page && p.parts.every((x) => !('lit' in x) || !/[\p{L}\p{N}]/u.test(x.lit));
}

/** Glob-style tokens: a string of literal chars with '\0' standing for a hole. */
function tokens(p: KeyPattern): string {
  return p.parts.map((x) => ('lit' in x ? x.lit.replace(/\0/g, '') : '\0')).join('');
}

/**
 * The literal text before the key's first hole (all of it when it has none). `globsIntersect`
 * compares these first: two keys share a string only when one's leading text starts the other's.
 */
export function leadingText(p: KeyPattern): string {
  const t = tokens(p);
  const hole = t.indexOf('\0');
  return hole === -1 ? t : t.slice(0, hole);
}

/**
 * Past this many cells of the table below, two keys are taken to share a string: only keys of
 * thousands of literal characters get there, and a conservative answer beats a long stall.
 */
const MAX_GLOB_CELLS = 4_000_000;

/**
 * Do two star-only globs share a string? Literal text before the first hole and after the last
 * must agree, which settles most pairs; the rest is a table over both token strings, filled one
 * row at a time (no recursion: keys can be as long as the source makes them).
 */
function globsIntersect(a: string, b: string): boolean {
  let start = 0;
  for (; start < a.length && start < b.length && a[start] !== '\0' && b[start] !== '\0'; start++) {
    if (a[start] !== b[start]) return false;
  }
  let endA = a.length;
  let endB = b.length;
  for (; endA > start && endB > start && a[endA - 1] !== '\0' && b[endB - 1] !== '\0'; endA--, endB--) {
    if (a[endA - 1] !== b[endB - 1]) return false;
  }
  const x = a.slice(start, endA);
  const y = b.slice(start, endB);
  const n = x.length;
  const m = y.length;
  if ((n + 1) * (m + 1) > MAX_GLOB_CELLS) return true;
  // below[j]: do x[i+1..] and y[j..] share a string; row[j]: the same for x[i..].
  let below = new Uint8Array(m + 1);
  let row = new Uint8Array(m + 1);
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      let r: boolean;
      if (i === n && j === m) r = true;
      else if (i < n && x[i] === '\0') r = below[j] === 1 || (j < m && row[j + 1] === 1);
      else if (j < m && y[j] === '\0') r = row[j + 1] === 1 || (i < n && below[j] === 1);
      else r = i < n && j < m && x[i] === y[j] && below[j + 1] === 1;
      row[j] = r ? 1 : 0;
    }
    [below, row] = [row, below];
  }
  return below[0] === 1;
}

/**
 * `strong` and `pattern` show that a delete can reach the entry; `conservative` (an unresolved key on
 * either side) shows nothing: it may keep a delete from being called useless, never count as coverage.
 */
export type MatchStrength = 'strong' | 'pattern' | 'conservative' | 'none';

/** Whether the match shows that the two keys can be the same string. */
export function shownToMatch(m: MatchStrength): boolean {
  return m === 'strong' || m === 'pattern';
}

/** Can a delete of `del` remove the entry stored under `entry`? */
export function matchKeys(entry: KeyPattern | null, del: KeyPattern | null): MatchStrength {
  if (!entry || !del) return 'conservative';
  if (entry.builder && entry.builder === del.builder) return 'strong';
  if (entry.memoized && entry.memoized === del.memoized) return 'strong';
  if (entry.local && entry.local === del.local && display(entry) === display(del)) return 'strong';
  if (entry.fragment !== undefined || del.fragment !== undefined) {
    return sameFragment(entry, del) ? 'strong' : 'none';
  }
  if (entry.page || del.page) {
    if (!entry.page || !del.page) return 'none';
    if (entry.route === undefined) return 'pattern';
    if (del.route === undefined) return 'conservative';
    return entry.route === del.route ? 'pattern' : 'none';
  }
  if (isOpaque(entry) || isOpaque(del)) return 'conservative';
  return globsIntersect(tokens(entry), tokens(del)) ? 'pattern' : 'none';
}

/** Whether two fragment keys may be the same: the same name (see `jinjaFragment`), and as many vary-on values when both are known. */
export function sameFragment(a: KeyPattern, b: KeyPattern): boolean {
  const counts = a.varyCount === undefined || b.varyCount === undefined || a.varyCount === b.varyCount;
  return counts && sameFragmentName(a, b);
}

/** Whether two fragment keys may carry the same name (see `jinjaFragment`), whatever they vary on. */
export function sameFragmentName(a: KeyPattern, b: KeyPattern): boolean {
  return fragmentNames(a).some((n) => fragmentNames(b).includes(n));
}

/** The names a fragment key may carry (see `jinjaFragment`); none for other keys. */
export function fragmentNames(p: KeyPattern): string[] {
  return [p.fragment, p.jinjaFragment].filter((n) => n !== undefined);
}

/** Edit distance between the literal skeletons, for "did you mean". */
export function keyDistance(a: KeyPattern, b: KeyPattern): number {
  const x = tokens(a);
  const y = tokens(b);
  const prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (x[i - 1] === y[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[y.length];
}

/** The version keys an entry's key reads (`f"v{cache.get('ns')}:..."`): bumping them invalidates it. */
export function versionKeys(p: KeyPattern | null): KeyPattern[] {
  if (!p) return [];
  return p.parts.flatMap((x) => ('hole' in x && x.versionOf ? [x.versionOf] : []));
}

/** A column of a row that names a version of what is cached: any field but the primary key, which never changes. */
export interface RowField {
  model: string;
  field: string;
}

export function rowField(source: HoleSource): RowField | undefined {
  return source.kind === 'field' && source.field !== 'pk' && source.field !== 'id'
    ? { model: source.model, field: source.field }
    : undefined;
}

/** The row columns the key is built from (`f"nav:{site.nav_version}"`): a write of one of them makes a new key. */
export function keyRowFields(p: KeyPattern | null): RowField[] {
  if (!p) return [];
  return p.parts.flatMap((x) => {
    const row = 'hole' in x ? rowField(x.source) : undefined;
    return row ? [row] : [];
  });
}

/** Models whose row count the key embeds (`f"list:{qs.count()}"`): inserting one of their rows changes the key. */
export function countedModels(p: KeyPattern | null): string[] {
  if (!p) return [];
  return p.parts.flatMap((x) => ('hole' in x && x.source.kind === 'rowCount' ? [x.source.model] : []));
}

/**
 * Whether a value under this key never goes stale: its key hashes every model column the value
 * reads (`md:{sha256(text)}` of a product's text), or is a random id. A hash of the input text
 * alone does not cover users' names read while rendering it.
 */
export function immutableKey(p: KeyPattern | null, deps: Dep[]): boolean {
  const holes = p ? p.parts.flatMap((x) => ('hole' in x && x.immutable ? [x] : [])) : [];
  if (!holes.length) return false;
  if (holes.some((h) => !h.covers)) return true;
  const hashed = holes.flatMap((h) => h.covers!);
  return deps.every((d) =>
    hashed.some(
      (c) => c.model === d.model && (!c.columns || (!!d.columns && d.columns.every((col) => c.columns!.includes(col)))),
    ),
  );
}

/** Whether the key, or a version key it reads, is built from the parameters of the function it is built in. */
export function fromParams(p: KeyPattern | null | undefined): boolean {
  return !!p?.parts.some((x) => 'hole' in x && (!!x.fromParam || fromParams(x.versionOf)));
}

/** The key as its caller sees it when the parameters cannot be filled in: its holes say nothing of whose they are. */
export function withoutParams(p: KeyPattern): KeyPattern {
  if (!fromParams(p)) return p;
  return {
    ...p,
    parts: p.parts.map((x) => {
      if (!('hole' in x) || (!x.fromParam && !x.versionOf)) return x;
      const { fromParam: _, ...rest } = x;
      return x.versionOf ? { ...rest, versionOf: withoutParams(x.versionOf) } : rest;
    }),
  };
}

/**
 * `key.split(sep)[0]`: the text before the first separator. After a hole the separator may be in
 * the hole, so literal text between that hole and the first literal separator may be cut: it
 * becomes a hole too (the head then matches at least every string the real one can be).
 */
export function splitHead(p: KeyPattern, sep: string): KeyPattern {
  const parts: KeyPart[] = [];
  let afterHole = false;
  for (const x of p.parts) {
    if ('hole' in x) {
      parts.push(x);
      afterHole = true;
      continue;
    }
    const at = sep ? x.lit.indexOf(sep) : -1;
    const text = at >= 0 ? x.lit.slice(0, at) : x.lit;
    if (text) parts.push(afterHole ? UNKNOWN_HOLE : { lit: text });
    if (at >= 0) break;
  }
  return { parts };
}
