/**
 * The lint rule that keeps imports pointing down the layers (scripts/lint/layers.js, configured in
 * eslint.config.js): an import from a higher layer is refused, whatever the import's form, and a
 * lower or same layer, a package, or an exemption by name is not; an exemption no longer needed is.
 */
import { describe, test } from 'node:test';
import * as path from 'path';
import { RuleTester, type Rule } from 'eslint';
import { parser } from 'typescript-eslint';

const ROOT = path.join(__dirname, '..', '..');
// A CommonJS rule outside the TypeScript project.
const layers = require(path.join(ROOT, 'scripts', 'lint', 'layers.js')) as Rule.RuleModule;

RuleTester.describe = describe;
RuleTester.it = test;
RuleTester.itOnly = test.only;

const LAYERS = [
  { layer: 'syntax', paths: ['server/src/syntax/'], mayImport: [] },
  { layer: 'facts', paths: ['server/src/facts/'], mayImport: ['syntax'] },
  { layer: 'rules', paths: ['server/src/rules/', 'server/src/config.ts'], mayImport: ['syntax', 'facts'] },
  { layer: 'top', paths: ['server/src/lsp/', 'server/src/cli.ts'], mayImport: ['syntax', 'facts', 'rules'] },
];
const options = [{ root: ROOT, layers: LAYERS, allow: [['server/src/facts/parallel.ts', 'server/src/config.ts']] }];
const at = (file: string) => path.join(ROOT, file);
const upward = { messageId: 'upward' };

new RuleTester({ languageOptions: { parser } }).run('layers', layers, {
  valid: [
    { filename: at('server/src/facts/extract.ts'), code: "import { parse } from '../syntax/parser';", options },
    { filename: at('server/src/facts/extract.ts'), code: "import type { X } from './types';", options },
    { filename: at('server/src/cli.ts'), code: "import { allRules } from './rules';", options },
    { filename: at('server/src/syntax/python.ts'), code: "import { Parser } from 'web-tree-sitter';", options },
    // Outside the table (tests, bench): anything goes.
    { filename: at('test/cli.test.ts'), code: "import { main } from '../server/src/cli';", options },
    { filename: at('server/src/facts/parallel.ts'), code: "import type { Config } from '../config';", options },
  ],
  invalid: [
    {
      filename: at('server/src/syntax/python.ts'),
      code: "import type { Loc } from '../facts/types';",
      options,
      errors: [upward],
    },
    // `../rules` is rules/index.ts; a file of the top of server/src is placed by its own name.
    {
      filename: at('server/src/facts/extract.ts'),
      code: "import { allRules } from '../rules';",
      options,
      errors: [upward],
    },
    {
      filename: at('server/src/facts/extract.ts'),
      code: "import type { Config } from '../config';",
      options,
      errors: [upward],
    },
    {
      filename: at('server/src/rules/DJC101.ts'),
      code: "export { startServer } from '../lsp/session';",
      options,
      errors: [upward],
    },
    { filename: at('server/src/rules/DJC101.ts'), code: "export * from '../cli';", options, errors: [upward] },
    {
      filename: at('server/src/rules/DJC101.ts'),
      code: "type S = import('../lsp/session').Server;",
      options,
      errors: [upward],
    },
    {
      filename: at('server/src/rules/DJC101.ts'),
      code: "const s = import('../lsp/session');",
      options,
      errors: [upward],
    },
    // An exemption whose import has moved away is reported, so that the list only shrinks.
    {
      filename: at('server/src/facts/parallel.ts'),
      code: "import { parse } from '../syntax/parser';",
      options,
      errors: [{ messageId: 'staleExemption' }],
    },
  ],
});
