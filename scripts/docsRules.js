#!/usr/bin/env node
// Writes the rule tables of README.md and docs/rules/README.md from the rule registry (run after
// the build: `npm run docs:rules`). test/ruleDocs.test.ts fails while a table differs.
const fs = require('fs');
const path = require('path');
const { withRulesTable } = require('../out/server/src/rules/tables');

const root = path.join(__dirname, '..');
for (const file of ['README.md', 'docs/rules/README.md']) {
  const at = path.join(root, file);
  const text = fs.readFileSync(at, 'utf8');
  const updated = withRulesTable(text, file);
  if (updated === undefined) {
    console.error(`${file}: the rules table markers are missing`);
    process.exitCode = 1;
  } else if (updated !== text) {
    fs.writeFileSync(at, updated);
    console.log(`${file}: rules table written`);
  }
}
