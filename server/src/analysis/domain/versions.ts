/**
 * Cache versions: the `version=` of a cache call, as the engine knows it. A literal, '?' when
 * unknown, null when not given (Django's default, version 1), and, for a version read back from
 * the cache (a counter or generation), the key it is read from.
 */
import { display, type KeyPattern, matchKeys } from './keys';

export interface Versioned {
  version: string | null;
  versionCounter?: KeyPattern;
}

/**
 * Whether two calls may address the same version of a key. A version read from a counter is
 * bumped away from any fixed version, so it never meets a call with no `version=` or a literal one;
 * two counters meet unless their keys cannot be the same.
 */
export function sameVersion(a: Versioned, b: Versioned): boolean {
  if (a.versionCounter || b.versionCounter) {
    if (a.versionCounter && b.versionCounter) return matchKeys(a.versionCounter, b.versionCounter) !== 'none';
    const fixed = a.versionCounter ? b : a;
    return fixed.version === '?';
  }
  const { version: x } = a;
  const { version: y } = b;
  return x === y || x === '?' || y === '?' || (x === null && y === '1') || (y === null && x === '1');
}

/** `version=…` as a message shows it. */
export function versionText(v: Versioned): string {
  if (v.versionCounter) return `the version read from '${display(v.versionCounter)}'`;
  return v.version === null ? 'the default version' : `version=${v.version}`;
}

