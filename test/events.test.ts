import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { type Pos, runsBefore } from '../server/src/analysis/domain/events';

// A function body (block 1): statement 0 is a try; statement 1 follows it. The try's body is
// block 2, its handler block 3, its finally block 4; line numbers do not matter to runsBefore.
const tryStmt: Pos = { block: 1, index: 0, line: 1 };
const after: Pos = { block: 1, index: 1, line: 9 };
const inBody = (ranThrough: boolean): Pos => ({
  block: 2,
  index: 0,
  line: 2,
  outer: tryStmt,
  ...(ranThrough && { ranThrough: true as const }),
});
const inHandler: Pos = { block: 3, index: 0, line: 4, outer: tryStmt };
const inFinally: Pos = { block: 4, index: 0, line: 6, outer: tryStmt, ranThrough: true };

test('a try body runs before what follows the try only when every handler leaves', () => {
  assert.equal(runsBefore(inBody(true), after), true);
  assert.equal(runsBefore(inBody(false), after), false);
});

test('a finally block runs before what follows its try, not before the try itself', () => {
  assert.equal(runsBefore(inFinally, after), true);
  assert.equal(runsBefore(inFinally, tryStmt), false);
});

test('a statement run through is not before a handler of its own try', () => {
  assert.equal(runsBefore(inBody(true), inHandler), false);
});
