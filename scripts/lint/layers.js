// An ESLint rule: a module imports only from its own layer or the layers below it. Relative
// specifiers are resolved to files (so `../config` from analysis/ and `./config` from server/src/
// are the same module), and `import type`, `export … from`, `import('…')` and `import x = require`
// all count, as in test/layers.test.ts.
const path = require('path');

/** The layer of a repo-relative file: the entry whose path holds it, the longest match winning (as in test/layers.test.ts). */
function layerOf(layers, file) {
  let best;
  for (const entry of layers) {
    for (const p of entry.paths) {
      if ((file === p || (p.endsWith('/') && file.startsWith(p))) && (!best || p.length > best.path.length))
        best = { entry, path: p };
    }
  }
  return best?.entry;
}

function resolve(fromFile, spec) {
  const base = path.resolve(path.dirname(fromFile), spec);
  return /\.[cm]?[jt]s$/.test(base) ? base : `${base}.ts`;
}

/** @type {import('eslint').Rule.RuleModule} */
module.exports = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Nothing below imports above: syntax → facts → analysis → rules → fixes|features → lsp|cli|report.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          layers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                layer: { type: 'string' },
                paths: { type: 'array', items: { type: 'string' } },
                mayImport: { type: 'array', items: { type: 'string' } },
              },
              required: ['layer', 'paths', 'mayImport'],
            },
          },
          // [from, to] pairs of repo-relative files exempted by name.
          allow: { type: 'array', items: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 } },
        },
        required: ['root', 'layers'],
      },
    ],
    messages: {
      upward:
        '{{from}} (layer {{fromLayer}}) may not import {{to}} (layer {{toLayer}}): see scripts/lint/layerTable.js.',
      staleExemption: '{{from}} no longer imports {{to}} upward: delete its exemption from eslint.config.js.',
    },
  },
  create(context) {
    const { root, layers, allow = [] } = context.options[0];
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    const fromLayer = layerOf(layers, file);
    if (!fromLayer) return {};
    const exemptions = allow.filter(([a]) => a === file).map(([, b]) => b);
    const usedExemptions = new Set();
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      let target = path.relative(root, resolve(context.filename, spec)).split(path.sep).join('/');
      // `./rules` is rules/index.ts when no rules.ts exists.
      if (!layerOf(layers, target)) target = target.replace(/\.ts$/, '/index.ts');
      const toLayer = layerOf(layers, target);
      if (!toLayer || toLayer === fromLayer || fromLayer.mayImport.includes(toLayer.layer)) return;
      if (exemptions.includes(target)) usedExemptions.add(target);
      else
        context.report({
          node,
          messageId: 'upward',
          data: { from: file, fromLayer: fromLayer.layer, to: target, toLayer: toLayer.layer },
        });
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      TSImportType: (node) => check(node, node.argument?.literal?.value ?? node.source?.value),
      TSExternalModuleReference: (node) => check(node.expression, node.expression.value),
      'Program:exit': (node) => {
        for (const to of exemptions)
          if (!usedExemptions.has(to)) context.report({ node, messageId: 'staleExemption', data: { from: file, to } });
      },
    };
  },
};
