/**
 * The fuzz suite (issue 14): a few hundred seeded mutations of the fixture files and templates
 * (test/fuzz/mutate.ts), each analysed beside a clean sentinel app on a watched worker thread
 * (test/fuzz/campaign.ts). No error may escape the engine, no case may hang or kill the worker,
 * and the sentinel's findings must all be there after every mutated file. The seeds are fixed;
 * each failure prints its seed and mutation, and `node out/bench/fuzz.js --seed N --count 1`
 * replays it. The run stops starting cases after a fixed time so a slow machine ends it early;
 * that bounds the run and is not an assertion on speed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { describeFailure, runCampaign } from './fuzz/campaign';

const FIRST_SEED = 1;
const CASES = 300;

test(`${CASES} mutated fixture files: no escaped error, crash or hang, and the sentinel keeps its findings`, async () => {
  const result = await runCampaign({
    repoRoot: path.join(__dirname, '..', '..'),
    seeds: Array.from({ length: CASES }, (_, i) => FIRST_SEED + i),
    timeCapMs: 120_000,
    hangMs: 60_000,
  });
  assert.ok(result.sentinelFindings >= 2, `the sentinel app has ${result.sentinelFindings} findings`);
  assert.ok(result.cases > 0, 'no case ran');
  assert.deepEqual(result.failures.map(describeFailure), []);
});
