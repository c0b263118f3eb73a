/** Python text of cache invalidations, shared by the receiver and the after-write fixes. */
import type { Location } from '../../../shared/loc';
import type { KeyRebuild } from '../analysis/keyRebuild';
import type { ImportNeed, ModuleNames } from './imports';
import { pyFString, pyString, type PythonStyle } from './pythonStyle';
import { offsetAt } from './text';
import type { SourceFiles } from './types';

/** A cache object of an alias, and what it needs imported; undefined when the file binds the names to something else. */
export function cacheRef(
  alias: string,
  names: ModuleNames,
  style: PythonStyle,
): { expr: string; need: ImportNeed } | undefined {
  const free = (name: string) => {
    const bound = names.bound.get(name);
    return bound === undefined || bound === `django.core.cache:${name}`;
  };
  if (alias === 'default' && free('cache'))
    return { expr: 'cache', need: { module: 'django.core.cache', name: 'cache' } };
  if (!free('caches')) return undefined;
  return { expr: `caches[${pyString(alias, style)}]`, need: { module: 'django.core.cache', name: 'caches' } };
}

/** `, version=2` for an entry set with a version. */
export function versionArg(version: string | null | undefined): string {
  return version === null || version === undefined
    ? ''
    : `, version=${/^-?\d+$/.test(version) ? version : JSON.stringify(version)}`;
}

/** Statements that bump a version key after commit: add() creates it when missing, since incr() raises on a missing key. */
export function bumpVersion(cache: string, versionKey: string, style: PythonStyle): string[] {
  const key = pyString(versionKey, style);
  return [
    `transaction.on_commit(lambda: ${cache}.add(${key}, 1, timeout=None))`,
    `transaction.on_commit(lambda: ${cache}.incr(${key}))`,
  ];
}

function isLit(p: object): p is { lit: string } {
  return 'lit' in p;
}

type Rebuilt<H> = Extract<KeyRebuild<H>, { kind: 'holes' | 'call' }>;

/** The rebuilt holes of a key: its f-string holes, or its builder's arguments that are not literals. */
export function rebuiltHoles<H extends object>(r: KeyRebuild<H>): H[] {
  if (r.kind === 'holes') return r.parts.filter((p): p is H => !isLit(p));
  if (r.kind === 'call') return [...r.args, ...r.kwargs.map(([, a]) => a)].filter((p): p is H => !isLit(p));
  return [];
}

/** The same rebuild with every hole replaced by `f(hole)`. */
export function mapHoles<H extends object, J>(r: KeyRebuild<H>, f: (h: H) => J): KeyRebuild<J> {
  const part = (p: { lit: string } | H) => (isLit(p) ? p : f(p));
  if (r.kind === 'holes') return { ...r, parts: r.parts.map(part) };
  if (r.kind === 'call') return { ...r, args: r.args.map(part), kwargs: r.kwargs.map(([k, p]) => [k, part(p)]) };
  return r;
}

/** The key as Python: an f-string of its parts, or a call of its builder; each hole is the expression `holeExpr` gives. */
export function keyExpression<H extends object>(
  r: Rebuilt<H>,
  holeExpr: (hole: H) => string,
  style: PythonStyle,
): string {
  if (r.kind === 'holes')
    return pyFString(
      r.parts.map((p) => (isLit(p) ? p.lit : { expr: holeExpr(p) })),
      style,
    );
  const arg = (p: { lit: string } | H) => (isLit(p) ? pyString(p.lit, style) : holeExpr(p));
  return `${r.name}(${[...r.args.map(arg), ...r.kwargs.map(([k, p]) => `${k}=${arg(p)}`)].join(', ')})`;
}

/**
 * Why a rebuilt key may print differently from the original: `{x:05d}`, `{x!r}` or `{x=}` in the
 * f-string that built it (the engine's facts do not keep format specs, so the text is read).
 */
export function formattedHole(r: KeyRebuild<{ hole: string; at: Location }>, files: SourceFiles): string | undefined {
  for (const { hole, at } of rebuiltHoles(r)) {
    const text = files.read(at.path);
    if (text === undefined) continue;
    const after = text.slice(offsetAt(text, at.loc[2], at.loc[3])).trimStart();
    const spec = /^[!:=][^}\n]*/.exec(after);
    if (spec) return `the key's hole {${hole}} is formatted as {${hole}${spec[0]}}, which the fix cannot repeat`;
  }
  return undefined;
}
