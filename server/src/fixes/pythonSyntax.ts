/** The engine's tree-sitter Python parser, for reading the files fixes edit and checking what they produce. */
import type { Node, Parser } from 'web-tree-sitter';
import { loadPythonParser, parsePython } from '../syntax/parser';

let parser: Parser | undefined;
// Findings exist only once the engine has loaded this same parser, so by the time a fix is asked
// for, it is ready; fixes then read Python synchronously. Until then no fix is offered.
loadPythonParser().then(
  (p) => {
    parser = p;
  },
  () => undefined,
);

/** Runs `read` on the syntax tree of `text`; undefined when no tree can be had. Nodes must not escape `read`. */
export function withSyntax<T>(text: string, read: (root: Node) => T): T | undefined {
  if (!parser) return undefined;
  const tree = parsePython(parser, text);
  if (!tree) return undefined;
  try {
    return read(tree.rootNode);
  } finally {
    tree.delete();
  }
}

export function parsesCleanly(text: string): boolean {
  return withSyntax(text, (root) => !root.hasError) ?? false;
}

/** Children that are nodes (web-tree-sitter types them as possibly null). */
export function kids(n: Node): Node[] {
  return n.children.filter((c): c is Node => !!c);
}

export function namedKids(n: Node): Node[] {
  return n.namedChildren.filter((c): c is Node => !!c);
}

/** A call's arguments by kind; undefined when it has splats or comments, whose meaning a fix cannot carry. */
export function argsOf(call: Node): { positional: Node[]; kw: Map<string, Node> } | undefined {
  const args = call.childForFieldName('arguments');
  const all = args ? namedKids(args) : [];
  if (all.some((a) => a.type === 'comment' || a.type === 'list_splat' || a.type === 'dictionary_splat'))
    return undefined;
  const kw = new Map<string, Node>();
  for (const a of all)
    if (a.type === 'keyword_argument') kw.set(a.childForFieldName('name')!.text, a.childForFieldName('value')!);
  return { positional: all.filter((a) => a.type !== 'keyword_argument'), kw };
}

/** The smallest node of `type` that spans exactly [start, end] (0-based line, UTF-16 column). */
export function nodeAt(root: Node, type: string, [sl, sc, el, ec]: [number, number, number, number]): Node | undefined {
  let found: Node | undefined;
  preorder(root, (n) => {
    const s = n.startPosition;
    const e = n.endPosition;
    if (s.row > sl || (s.row === sl && s.column > sc) || e.row < el || (e.row === el && e.column < ec)) return false;
    if (n.type === type && s.row === sl && s.column === sc && e.row === el && e.column === ec) found = n;
    return true;
  });
  return found;
}

/**
 * Calls `visit` on `root` and its descendants in preorder, skipping the children of a node it
 * returns false for. A stack, not recursion: the tree is as deep as the source makes it.
 */
export function preorder(root: Node, visit: (n: Node) => boolean | void): void {
  const pending = [root];
  while (pending.length) {
    const n = pending.pop()!;
    if (visit(n) === false) continue;
    const children = kids(n);
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
  }
}

/** The statement (a child of a block or of the module) that holds `n`. */
export function statementOf(n: Node): Node | undefined {
  for (let cur: Node | null = n; cur; cur = cur.parent) {
    if (cur.parent && (cur.parent.type === 'block' || cur.parent.type === 'module')) return cur;
  }
  return undefined;
}

/** Leading whitespace of a line. */
export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}
