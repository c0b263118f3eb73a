/**
 * Cache versions: the `version=` of a cache call, as the engine knows it. A literal, '?' when
 * unknown, null when not given (Django's default, version 1), and, for a version read back from
 * the cache (a counter or generation), the key it is read from.
 */
import { display, type KeyPattern, matchKeys, type RowField } from './keys';

export interface Versioned {
  version: string | null;
  versionCounter?: KeyPattern;
  versionRow?: RowField;
}

/**
 * Whether two calls may address the same version of a key. A version read from a counter or a
 * row is bumped away from any fixed version, so it never meets a call with no `version=` or a
 * literal one; two dynamic versions meet unless they plainly come from different places.
 */
export function sameVersion(a: Versioned, b: Versioned): boolean {
  const dynamicA = !!(a.versionCounter || a.versionRow);
  const dynamicB = !!(b.versionCounter || b.versionRow);
  if (dynamicA && dynamicB) {
    if (a.versionCounter && b.versionCounter) return matchKeys(a.versionCounter, b.versionCounter) !== 'none';
    if (a.versionRow && b.versionRow) return sameRowField(a.versionRow, b.versionRow);
    return false;
  }
  if (dynamicA || dynamicB) return (dynamicA ? b : a).version === '?';
  const { version: x } = a;
  const { version: y } = b;
  return x === y || x === '?' || y === '?' || (x === null && y === '1') || (y === null && x === '1');
}

export function sameRowField(a: RowField, b: RowField): boolean {
  return a.model === b.model && a.field === b.field;
}

/** `version=…` as a message shows it. */
export function versionText(v: Versioned): string {
  if (v.versionCounter) return `the version read from '${display(v.versionCounter)}'`;
  if (v.versionRow) return `the version read from ${v.versionRow.model}.${v.versionRow.field}`;
  return v.version === null ? 'the default version' : `version=${v.version}`;
}
