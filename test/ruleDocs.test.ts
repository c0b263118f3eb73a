import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { allRules } from '../server/src/rules';
import { withRulesTable } from '../server/src/rules/tables';

const root = path.join(__dirname, '..', '..');

for (const file of ['README.md', 'docs/rules/README.md'] as const) {
  test(`the rules table of ${file} is the registry's (npm run docs:rules writes it)`, () => {
    const text = readFileSync(path.join(root, file), 'utf8');
    assert.equal(withRulesTable(text, file), text);
  });
}

test("every rule's doc page exists and is titled with its code and name", () => {
  for (const { meta } of allRules) {
    const page = path.join(root, 'docs', 'rules', `${meta.code}.md`);
    assert.ok(existsSync(page), `${meta.code} has no docs/rules/${meta.code}.md`);
    assert.equal(readFileSync(page, 'utf8').split('\n')[0], `# ${meta.code}: ${meta.name}`);
  }
});

test("every rule's doc page says what the rule proves", () => {
  for (const { meta } of allRules) {
    const text = readFileSync(path.join(root, 'docs', 'rules', `${meta.code}.md`), 'utf8');
    assert.match(text, /\n## What this rule proves\n\n\S/, `docs/rules/${meta.code}.md`);
  }
});
