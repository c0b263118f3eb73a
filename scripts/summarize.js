// Adds up the closing lines of node's test runner, pytest, the editor suites (`e2e: N passed,
// N failed`, scripts/e2e/run.sh) and the lint, package and leak checks of scripts/test.sh
// (`lint: …`, `package: …`, `leaks: …`) into one "N passed, N failed" line.
const fs = require('fs');
let passed = 0,
  failed = 0,
  skipped = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^ℹ (pass|fail|skipped) (\d+)$/gm)) {
    const n = Number(m[2]);
    if (m[1] === 'pass') passed += n;
    else if (m[1] === 'fail') failed += n;
    else skipped += n;
  }
  // pytest's closing line, with or without the ==== frame (-q prints it bare).
  for (const m of text.matchAll(
    /^(?:=+ )?((?:\d+ (?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?)(?:, )?)+) in [\d.]+s\b.*$/gm,
  )) {
    for (const part of m[1].matchAll(/(\d+) (passed|failed|error|errors|skipped)/g)) {
      const n = Number(part[1]);
      if (part[2] === 'passed') passed += n;
      else if (part[2] === 'skipped') skipped += n;
      else failed += n;
    }
  }
  // The plain closing lines of the editor end-to-end suites, the lint stage, the package stage and
  // the unit stage's leak check.
  for (const m of text.matchAll(/^(?:e2e|lint|package|leaks): (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    skipped += Number(m[3] || 0);
  }
}
console.log(`djcache: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
