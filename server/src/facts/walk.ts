import type { Expr, Stmt } from '../syntax/ir';

/** The statement lists nested in a statement (bodies, branches, handlers), in source order. */
export function nestedBlocks(s: Stmt): Stmt[][] {
  switch (s.t) {
    case 'if':
    case 'for':
      return [s.body, s.orelse];
    case 'while':
    case 'with':
      return [s.body];
    case 'try':
      return [s.body, ...s.handlers, s.orelse, s.final];
    default:
      return [];
  }
}

/** Every call in a function's statements (nested functions are scanned as their own). */
export function eachCall(node: unknown, f: (call: Extract<Expr, { t: 'call' }>) => void, depth = 0): void {
  if (depth > 60 || !node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const x of node) eachCall(x, f, depth + 1);
    return;
  }
  const o = node as { t?: unknown };
  if (o.t === 'call') f(o as Extract<Expr, { t: 'call' }>);
  for (const [k, val] of Object.entries(o)) if (k !== 'loc' && typeof val === 'object') eachCall(val, f, depth + 1);
}
