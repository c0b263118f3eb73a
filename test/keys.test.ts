import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { type KeyPart, type KeyPattern, matchKeys } from '../server/src/analysis/domain/keys';

const HOLE: KeyPart = { hole: 'x', source: { kind: 'unknown' } };
/** A key from text where '*' is a hole. */
function key(text: string): KeyPattern {
  return { parts: text.split('*').flatMap((lit, i) => (i ? [HOLE, { lit }] : [{ lit }])) };
}

/** Whether two '*'-globs share a string, by trying every way to spend the holes: the definition itself. */
function shareAString(a: string, b: string): boolean {
  if (!a.length || !b.length) return /^\**$/.test(a + b);
  if (a[0] === '*') return shareAString(a.slice(1), b) || shareAString(a, b.slice(1));
  if (b[0] === '*') return shareAString(a, b.slice(1)) || shareAString(a.slice(1), b);
  return a[0] === b[0] && shareAString(a.slice(1), b.slice(1));
}

test('key matching agrees with the definition on every small pair of globs', () => {
  const globs = [''];
  for (let len = 1; len <= 4; len++) for (let i = 0; i < 3 ** len; i++) globs.push([...i.toString(3).padStart(len, '0')].map((d) => 'ab*'[Number(d)]).join(''));
  for (const a of globs) {
    for (const b of globs) {
      if (!/[ab]/.test(a) || !/[ab]/.test(b)) continue; // all-hole keys are opaque: 'conservative'
      assert.equal(matchKeys(key(a), key(b)) === 'pattern', shareAString(a, b), `${a} ~ ${b}`);
    }
  }
});

test('keys of 200,000 literal characters match without recursion', () => {
  const long = 'k'.repeat(200_000);
  assert.equal(matchKeys(key(long), key(long)), 'pattern');
  assert.equal(matchKeys(key(long), key(`${long.slice(1)}j`)), 'none');
  assert.equal(matchKeys(key(`${long}*`), key(`${long}:1`)), 'pattern');
  assert.equal(matchKeys(key(`a*${long}`), key(`a${long}`)), 'pattern');
  assert.equal(matchKeys(key(`a*${'k*'.repeat(50_000)}`), key(`a${'kx'.repeat(50_000)}`)), 'pattern');
});
