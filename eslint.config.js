// ESLint: the conventions the compiler does not check. Type-aware rules (floating promises) run
// on the TypeScript of both halves with each file's own tsconfig; the layer rule keeps imports
// pointing down the table below. `npm run lint` runs it with knip.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');
const layers = require('./scripts/lint/layers');
// Files in no layer (tests, bench, scripts) are not checked; test/layers.test.ts also checks for cycles.
const { LAYERS } = require('./scripts/lint/layerTable');

/** Imports that break the layers and are allowed by name until they move: none now. */
const PENDING_MOVES = [];

/** Unused names as tsc's noUnusedLocals/noUnusedParameters see them: a leading `_` marks one as meant. */
const UNUSED = {
  args: 'all',
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrors: 'none',
  destructuredArrayIgnorePattern: '^_',
  ignoreRestSiblings: true,
};

module.exports = tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', '.e2e/', '.vscode-test/', 'test/fixtures/', 'examples/', 'runtime/'] },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { 'no-unused-vars': ['error', UNUSED] },
  },
  {
    // Webview scripts run in the page; the code-server suite's page.evaluate callbacks do too.
    files: ['media/**/*.js', 'test/e2e/codeServer.e2e.js'],
    languageOptions: { globals: { ...globals.browser, acquireVsCodeApi: 'readonly' } },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    plugins: { djcache: { rules: { layers } } },
    rules: {
      // node:test's test() and describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': ['error', UNUSED],
      'djcache/layers': ['error', { root: __dirname, layers: LAYERS, allow: PENDING_MOVES }],
    },
  },
);
