// The layers of the sources, lowest first: where each lives (a folder ending in '/', or a file;
// the longest match wins) and which other layers it may import. Nothing imports a layer above
// it. Read by the eslint layer rule (eslint.config.js) and by test/layers.test.ts, which also
// checks for cycles and that docs/architecture.md quotes this table.
const LAYERS = [
  { layer: 'shared', paths: ['shared/'], mayImport: [] },
  { layer: 'text', paths: ['server/src/text/'], mayImport: [] },
  { layer: 'syntax', paths: ['server/src/syntax/'], mayImport: ['shared', 'text'] },
  { layer: 'facts', paths: ['server/src/facts/'], mayImport: ['shared', 'text', 'syntax'] },
  { layer: 'settings', paths: ['server/src/config/config.ts'], mayImport: [] },
  { layer: 'analysis', paths: ['server/src/analysis/'], mayImport: ['shared', 'text', 'syntax', 'facts', 'settings'] },
  {
    layer: 'rules',
    paths: ['server/src/rules/', 'server/src/findings.ts', 'server/src/wording.ts'],
    mayImport: ['shared', 'text', 'syntax', 'facts', 'settings', 'analysis'],
  },
  {
    layer: 'fixes',
    paths: ['server/src/fixes/'],
    mayImport: ['shared', 'text', 'syntax', 'facts', 'settings', 'analysis', 'rules'],
  },
  {
    layer: 'features',
    paths: ['server/src/features/'],
    mayImport: ['shared', 'text', 'syntax', 'facts', 'settings', 'analysis', 'rules', 'fixes'],
  },
  { layer: 'config', paths: ['server/src/config/'], mayImport: ['shared', 'text', 'settings', 'rules'] },
  {
    layer: 'engine',
    paths: ['server/src/engine/'],
    mayImport: ['shared', 'text', 'syntax', 'facts', 'settings', 'analysis', 'rules', 'config'],
  },
  {
    layer: 'report',
    paths: ['server/src/report/'],
    mayImport: ['shared', 'text', 'syntax', 'facts', 'settings', 'analysis', 'rules', 'config', 'engine'],
  },
  {
    layer: 'lsp',
    paths: ['server/src/lsp/', 'server/src/server.ts'],
    mayImport: [
      'shared',
      'text',
      'syntax',
      'facts',
      'settings',
      'analysis',
      'rules',
      'fixes',
      'features',
      'config',
      'engine',
      'report',
    ],
  },
  {
    layer: 'cli',
    paths: ['server/src/cli.ts'],
    mayImport: [
      'shared',
      'text',
      'syntax',
      'facts',
      'settings',
      'analysis',
      'rules',
      'fixes',
      'config',
      'engine',
      'report',
    ],
  },
  { layer: 'client', paths: ['client/src/'], mayImport: ['shared'] },
];

module.exports = { LAYERS };
