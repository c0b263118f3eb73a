/**
 * Findings do not depend on which folder the analysis is given: a project whose apps live in a
 * subfolder reads the same from the repository root as from that folder (README, "Project
 * layout").
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { analyzeWorkspace } from '../server/src/engine/engine';
import { defaultConfig } from '../server/src/config/config';
import { memoryFs, readTree } from './tree';

const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures');

/** The findings of `tree`, as JSON with every path written from `folder` (paths aside, they must be equal). */
async function findingsFrom(tree: Map<string, Uint8Array>, folder: string): Promise<string> {
  const prefix = `${folder}/`;
  const below = new Map([...tree].filter(([p]) => p.startsWith(prefix)).map(([p, b]) => [p.slice(prefix.length), b]));
  const { findings } = await analyzeWorkspace(memoryFs(below), defaultConfig);
  return JSON.stringify(findings, null, 1);
}

for (const [fixture, folder] of [
  ['layout_manage_py_in_package', 'league'],
  ['layout_root_from_imports', 'portal'],
]) {
  test(`${fixture}: the findings from the repository root are those from ${folder}/`, async () => {
    const tree = readTree(path.join(FIXTURES, fixture));
    const { findings } = await analyzeWorkspace(memoryFs(tree), defaultConfig);
    assert.ok(findings.length > 0);
    const fromRoot = JSON.stringify(findings, null, 1).replaceAll(`${folder}/`, '');
    assert.equal(fromRoot, await findingsFrom(tree, folder));
  });
}
