/**
 * The whole-workspace analysis walks only the functions whose events can matter
 * (analysis/demand.ts). Its findings and graph must equal those of walking every function, on
 * every fixture tree and the example: a new kind of event the interpreter records by a name
 * demand.ts does not know would show up here as a difference.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync } from 'fs';
import * as path from 'path';
import { findingsOf } from '../server/src/engine/engine';
import { analyzeFacts, analyzeUnit } from '../server/src/analysis/workspaceAnalysis';
import { ModelRegistry } from '../server/src/analysis/models';
import { Workspace } from '../server/src/analysis/workspace';
import { analysedFacts } from '../server/src/analysis/fileSelection';
import { defaultConfig } from '../server/src/config/config';
import { factsOf, readTree } from './tree';

const ROOT = path.join(__dirname, '..', '..');
const trees = [
  ...['fixtures', 'fixtures-fixes', 'fixtures-lsp'].flatMap((dir) =>
    readdirSync(path.join(ROOT, 'test', dir)).map((name) => path.join(ROOT, 'test', dir, name)),
  ),
  path.join(ROOT, 'examples', 'shop'),
];

test('walking only what can matter gives the findings and graph of walking every function', async () => {
  let entries = 0;
  for (const root of trees) {
    const facts = await factsOf(readTree(root));
    const demand = findingsOf(analyzeFacts(new Workspace(analysedFacts(facts)), defaultConfig), defaultConfig);
    const ws = new Workspace(analysedFacts(facts));
    const models = new ModelRegistry(ws);
    const every = findingsOf(
      analyzeFacts(ws, defaultConfig, { models, files: analyzeUnit(ws, models, ws.python, defaultConfig) }),
      defaultConfig,
    );
    const name = path.relative(ROOT, root);
    assert.deepEqual(demand.findings, every.findings, name);
    assert.deepEqual(JSON.parse(JSON.stringify(demand.graph)), JSON.parse(JSON.stringify(every.graph)), name);
    entries += every.graph.entries.length;
  }
  assert.ok(entries > 150, `only ${entries} entries compared`);
});
