import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeClientPhase, describeStatus } from '../client/src/status';

test('indexing shows files done over total, busy', () => {
  assert.deepEqual(
    describeStatus({ state: 'indexing', done: 412, total: 1384, message: 'Indexing Django project 412/1384 files' }),
    { text: 'djcache: indexing 412/1384', detail: '', busy: true, error: false },
  );
  assert.equal(describeStatus({ state: 'indexing' }).text, 'djcache: indexing');
});

test('ready shows the number of findings', () => {
  assert.equal(describeStatus({ state: 'ready', findings: 7 }).text, 'djcache: 7 findings');
  assert.equal(describeStatus({ state: 'ready', findings: 1 }).text, 'djcache: 1 finding');
  assert.equal(describeStatus({ state: 'ready', findings: 0 }).text, 'djcache: 0 findings');
  assert.equal(describeStatus({ state: 'ready' }).text, 'djcache: ready');
});

test('ready says how many paths were skipped, pointing to the output that names them', () => {
  assert.deepEqual(describeStatus({ state: 'ready', findings: 2, skipped: 3 }), {
    text: 'djcache: 2 findings',
    detail: '3 paths skipped: see the output',
    busy: false,
    error: false,
  });
  assert.equal(describeStatus({ state: 'ready', findings: 0, skipped: 1 }).detail, '1 path skipped: see the output');
  assert.equal(describeStatus({ state: 'ready', findings: 0, skipped: 0 }).detail, '');
});

test('errors carry the message and are marked as errors', () => {
  assert.deepEqual(describeStatus({ state: 'error', message: 'pyproject.toml: bad select' }), {
    text: 'djcache: error',
    detail: 'pyproject.toml: bad select',
    busy: false,
    error: true,
  });
});

test('the client phases before and after the server speaks', () => {
  assert.equal(describeClientPhase('starting').text, 'djcache: starting');
  assert.equal(describeClientPhase('stopped').error, true);
  assert.equal(describeClientPhase('disabled').text, 'djcache: disabled');
});
