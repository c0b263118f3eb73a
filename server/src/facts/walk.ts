import type { Stmt } from '../syntax/ir';

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
