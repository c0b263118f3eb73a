/** `djcache graph --format dot`: the dependency graph for Graphviz. */
import type { ChangeKind, Graph } from '../../../shared/graph';

const COVER_COLOURS = { covered: '#2da44e', unknown: '#d29922', stale: '#cf222e' };

/** Graphviz: entries (boxes) → models (ellipses); an edge is red when some kind of change leaves the entry stale. */
export function renderDot(graph: Graph): string {
  const lines = [
    'digraph djcache {',
    '  rankdir=LR;',
    '  node [fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  for (const model of graph.models) {
    lines.push(`  ${quote(`model:${model.id}`)} [shape=ellipse, label=${quote(model.id)}];`);
  }
  for (const entry of graph.entries) {
    lines.push(
      `  ${quote(`entry:${entry.id}`)} [shape=box, label=${quote(`${entry.key}\n${entry.path}:${entry.loc[0] + 1}`)}];`,
    );
    for (const dep of entry.dependencies) {
      const kinds = Object.entries(dep.coverage) as [ChangeKind, { state: string }][];
      const stale = kinds.filter(([, c]) => c.state === 'no').map(([k]) => k);
      const unknown = kinds.filter(([, c]) => c.state === 'unknown').map(([k]) => `${k}?`);
      const colour = stale.length
        ? COVER_COLOURS.stale
        : unknown.length
          ? COVER_COLOURS.unknown
          : COVER_COLOURS.covered;
      const label = [...stale, ...unknown].join(', ');
      lines.push(
        `  ${quote(`entry:${entry.id}`)} -> ${quote(`model:${dep.model}`)} [color=${quote(colour)}${label ? `, label=${quote(label)}` : ''}];`,
      );
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
