import * as path from 'path';
import { Language, Parser, type Tree, type TreeCursor } from 'web-tree-sitter';

/** The grammar ships inside tree-sitter-python; bundles copy it next to themselves. */
function grammarPath(): string {
  const beside = path.join(__dirname, 'tree-sitter-python.wasm');
  try {
    require('fs').accessSync(beside);
    return beside;
  } catch {
    return require.resolve('tree-sitter-python/tree-sitter-python.wasm');
  }
}

/** The TreeCursor members the IR builder walks with. */
export type Cursor = Pick<
  TreeCursor,
  | 'gotoFirstChild'
  | 'gotoNextSibling'
  | 'gotoParent'
  | 'nodeTypeId'
  | 'currentFieldId'
  | 'startIndex'
  | 'endIndex'
  | 'delete'
>;

/** web-tree-sitter's own WASM exports behind TreeCursor (lib/tree-sitter.c), each taking the tree's address. */
interface CursorExports {
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_delete_wasm(tree: number): void;
}

/** web-tree-sitter's emscripten module: Parser.init makes the object it is given the module, exports included. */
const wasm: Partial<CursorExports> = {};
let fastCursorAgrees = false;

/**
 * TreeCursor without its marshalling. Every TreeCursor call copies the cursor's four words into
 * web-tree-sitter's transfer buffer, calls the export, and copies them back; for the IR builder
 * that copying cost more than the walk itself. The exports read the cursor from the buffer and
 * the moves write it back, so as long as nothing else calls into web-tree-sitter the cursor can
 * stay there: only for a synchronous walk that makes no other web-tree-sitter call until delete().
 */
class FastCursor implements Cursor {
  constructor(
    private readonly x: CursorExports,
    private readonly tree: number,
  ) {}
  gotoFirstChild(): boolean {
    return this.x._ts_tree_cursor_goto_first_child_wasm(this.tree) === 1;
  }
  gotoNextSibling(): boolean {
    return this.x._ts_tree_cursor_goto_next_sibling_wasm(this.tree) === 1;
  }
  gotoParent(): boolean {
    return this.x._ts_tree_cursor_goto_parent_wasm(this.tree) === 1;
  }
  get nodeTypeId(): number {
    return this.x._ts_tree_cursor_current_node_type_id_wasm(this.tree);
  }
  get currentFieldId(): number {
    return this.x._ts_tree_cursor_current_field_id_wasm(this.tree);
  }
  get startIndex(): number {
    return this.x._ts_tree_cursor_start_index_wasm(this.tree);
  }
  get endIndex(): number {
    return this.x._ts_tree_cursor_end_index_wasm(this.tree);
  }
  delete(): void {
    this.x._ts_tree_cursor_delete_wasm(this.tree);
  }
}

function fastCursor(tree: Tree): FastCursor {
  // tree.walk() leaves the new cursor in the transfer buffer, where FastCursor takes it over; the
  // TreeCursor object it returns holds a copy that goes stale, so it is dropped, never deleted.
  tree.walk();
  return new FastCursor(wasm as CursorExports, (tree as unknown as { 0: number })[0]);
}

/**
 * A cursor at the root of `tree` for a synchronous walk that makes no other web-tree-sitter call
 * (not even on another tree) before its delete(): the fast one once the self-test has seen it
 * agree with TreeCursor, which stays the fallback for a web-tree-sitter whose internals differ.
 */
export function walkTree(tree: Tree): Cursor {
  return fastCursorAgrees ? fastCursor(tree) : tree.walk();
}

/**
 * A syntax tree as plain numbers, so that a worker thread can parse and hand the tree over: a
 * web-tree-sitter Tree cannot leave the thread that made it. In preorder, four words a node:
 * type id | field id << 16, start index, end index, and the index after its last descendant.
 */
export interface FlatTree {
  nodes: Int32Array;
  hasErrors: boolean;
}

const WORDS = 4;

/** Copies `tree` into a FlatTree; the tree still has to be deleted. */
export function flattenTree(tree: Tree): FlatTree {
  return { nodes: flatten(walkTree(tree)), hasErrors: tree.rootNode.hasError };
}

function flatten(c: Cursor): Int32Array {
  let nodes = new Int32Array(WORDS * 1024);
  let n = 0;
  const open: number[] = [];
  try {
    for (;;) {
      if ((n + 1) * WORDS > nodes.length) {
        const bigger = new Int32Array(nodes.length * 2);
        bigger.set(nodes);
        nodes = bigger;
      }
      const at = n * WORDS;
      nodes[at] = c.nodeTypeId | (c.currentFieldId << 16);
      nodes[at + 1] = c.startIndex;
      nodes[at + 2] = c.endIndex;
      n++;
      if (c.gotoFirstChild()) {
        open.push(at);
        continue;
      }
      nodes[at + 3] = n;
      for (;;) {
        if (!open.length) return nodes.slice(0, n * WORDS);
        if (c.gotoNextSibling()) break;
        c.gotoParent();
        nodes[open.pop()! + 3] = n;
      }
    }
  } finally {
    c.delete();
  }
}

/** A Cursor over a FlatTree: the IR builder walks it as it walks a live tree. */
export class FlatCursor implements Cursor {
  private at = 0;
  /** Word offsets of the ancestors of the current node. */
  private readonly up: number[] = [];

  constructor(private readonly nodes: Int32Array) {}

  gotoFirstChild(): boolean {
    if (this.nodes[this.at + 3] === this.at / WORDS + 1) return false;
    this.up.push(this.at);
    this.at += WORDS;
    return true;
  }

  gotoNextSibling(): boolean {
    const up = this.up;
    if (!up.length) return false;
    const next = this.nodes[this.at + 3];
    if (next >= this.nodes[up[up.length - 1] + 3]) return false;
    this.at = next * WORDS;
    return true;
  }

  gotoParent(): boolean {
    const parent = this.up.pop();
    if (parent === undefined) return false;
    this.at = parent;
    return true;
  }

  get nodeTypeId(): number {
    return this.nodes[this.at] & 0xffff;
  }
  get currentFieldId(): number {
    return this.nodes[this.at] >>> 16;
  }
  get startIndex(): number {
    return this.nodes[this.at + 1];
  }
  get endIndex(): number {
    return this.nodes[this.at + 2];
  }
  delete(): void {}
}

let flatTreesAgree = false;

/** Whether FlatTrees read as the live tree does; if not, every tree is walked where it was parsed. */
export function flatTreesWork(): boolean {
  return flatTreesAgree;
}

let ready: Promise<Parser> | undefined;

/** Loads the runtime and grammar once, checks the pair works, and warms the parser up. */
export function loadPythonParser(): Promise<Parser> {
  ready ??= (async () => {
    await Parser.init(wasm);
    const language = await Language.load(grammarPath());
    const parser = new Parser();
    parser.setLanguage(language);
    selfTest(parser);
    return parser;
  })();
  return ready;
}

/** Fails loudly at start if web-tree-sitter and the grammar disagree (ABI or node names). */
function selfTest(parser: Parser): void {
  if (!parsesKnownSample(parser))
    throw new Error(`tree-sitter self-test failed: ${parser.parse(KNOWN_SAMPLE)?.rootNode.toString()}`);
  fastCursorAgrees = fastCursorSelfTest(parser);
  flatTreesAgree = flatTreeSelfTest(parser);
}

const KNOWN_SAMPLE = 'from django.core.cache import cache\ncache.set(f"k:{x}", 1)\n';

/** Whether `parser` reads a tiny known file right: at load, and before a suspect parser parses again. */
function parsesKnownSample(parser: Parser): boolean {
  let tree: Tree | null = null;
  try {
    tree = parser.parse(KNOWN_SAMPLE);
    const root = tree?.rootNode;
    return !!root && root.type === 'module' && !root.hasError && root.child(1)?.firstChild?.type === 'call';
  } catch {
    return false;
  } finally {
    tree?.delete();
  }
}

/** Sample with fields, an f-string, non-ASCII text, a comment and a syntax error. */
const CURSOR_SAMPLE =
  'from .a import (b as c, d)\nx: "é" = cache.set(f"k:{x!r}", *a, k=1)  # 😀\nclass C(B, m=M):\n  def f(s, *a, **k) -> int:\n    return [y for y in a if (y)]\nif x: (\n';

/** Whether web-tree-sitter has the exports FastCursor calls, and it walks the sample as TreeCursor does. */
function fastCursorSelfTest(parser: Parser): boolean {
  const names = Object.keys({
    _ts_tree_cursor_goto_first_child_wasm: 0,
    _ts_tree_cursor_goto_next_sibling_wasm: 0,
    _ts_tree_cursor_goto_parent_wasm: 0,
    _ts_tree_cursor_current_node_type_id_wasm: 0,
    _ts_tree_cursor_current_field_id_wasm: 0,
    _ts_tree_cursor_start_index_wasm: 0,
    _ts_tree_cursor_end_index_wasm: 0,
    _ts_tree_cursor_delete_wasm: 0,
  } satisfies Record<keyof CursorExports, 0>);
  if (!names.every((n) => typeof (wasm as Record<string, unknown>)[n] === 'function')) return false;
  return readsAsTreeCursor(parser, fastCursor);
}

/** Whether a flattened tree keeps the sample's error flag and walks as the live tree does. */
function flatTreeSelfTest(parser: Parser): boolean {
  return readsAsTreeCursor(parser, (tree) => {
    const flat = flattenTree(tree);
    return flat.hasErrors ? new FlatCursor(flat.nodes) : undefined;
  });
}

/** Walks every node of the sample with TreeCursor and with the cursor `cursorOf` gives, and compares what they read. */
function readsAsTreeCursor(parser: Parser, cursorOf: (tree: Tree) => Cursor | undefined): boolean {
  const tree = parser.parse(CURSOR_SAMPLE);
  if (!tree) return false;
  try {
    // The live walk ends before the other cursor starts: a fast cursor allows no other call while it walks.
    const live = JSON.stringify(walkAll(tree.walk()));
    const other = cursorOf(tree);
    return !!other && live === JSON.stringify(walkAll(other));
  } catch {
    return false;
  } finally {
    tree.delete();
  }
}

function walkAll(c: Cursor): number[] {
  const seen: number[] = [];
  try {
    for (let depth = 0; depth >= 0;) {
      seen.push(depth, c.nodeTypeId, c.currentFieldId, c.startIndex, c.endIndex);
      if (c.gotoFirstChild()) {
        depth++;
        continue;
      }
      while (depth >= 0 && !c.gotoNextSibling()) depth = c.gotoParent() ? depth - 1 : -1;
    }
  } finally {
    c.delete();
  }
  return seen;
}

/**
 * Indentation levels open at once beyond which a file is not parsed. tree-sitter-python 0.25's
 * scanner saves its state in a 1,024-byte buffer: 2 bytes per open level after up to 255 bytes of
 * open string delimiters, and with an odd count of those its loop writes one byte past the end,
 * into the parser's own fields. The parse looks clean, but every later parse with that parser
 * gives one ERROR node or traps (issue 14: 511 nested blocks ending in a string). That takes 384
 * levels; every level is wider than the last, so fewer distinct indentation widths than this are safe.
 */
const MAX_INDENT_LEVELS = 256;

/**
 * Whether the scanner could hold MAX_INDENT_LEVELS levels: the distinct widths it can measure, each
 * the spaces and tabs (a tab counts 8), and backslash-continued lines, after a line break, \r or
 * \f, as its scanner counts them. A first pass only looks for one that wide: most files have none.
 */
export function tooDeeplyIndented(source: string): boolean {
  let widest = 0;
  forEachIndentWidth(source, (width) => {
    widest = Math.max(widest, width);
  });
  if (widest < MAX_INDENT_LEVELS) return false;
  const widths = new Set<number>();
  forEachIndentWidth(source, (width) => widths.add(width & 0xffff));
  return widths.size >= MAX_INDENT_LEVELS;
}

function forEachIndentWidth(source: string, each: (width: number) => void): void {
  const anyBreak = /[\n\r\f]/g;
  const nextBreak =
    source.includes('\r') || source.includes('\f')
      ? (from: number) => {
          anyBreak.lastIndex = from;
          return anyBreak.exec(source)?.index ?? -1;
        }
      : (from: number) => source.indexOf('\n', from);
  for (let at = nextBreak(0); at !== -1; at = nextBreak(at + 1)) {
    let width = 0;
    for (let j = at + 1; j < source.length; j++) {
      const c = source.charCodeAt(j);
      if (c === 32) width++;
      else if (c === 9) width += 8;
      else if (c === 92 && source.charCodeAt(j + 1) === 10) j++;
      else if (c === 92 && source.charCodeAt(j + 1) === 13 && source.charCodeAt(j + 2) === 10) j += 2;
      else break;
    }
    if (width) each(width);
  }
}

/** The parser each caller's parser parses with now: its own, or the one that replaced it once it broke. */
const replacements = new WeakMap<Parser, Parser>();
/** Callers' parsers whose last parse errored, threw or was cancelled: checked before they parse again. */
const suspect = new WeakSet<Parser>();

/**
 * The parser to parse with for `handle`, the parser its caller holds. After a suspect parse it is
 * reset (a cancelled parse would otherwise be resumed by the next call, on the next file's text)
 * and must read the known sample right; if it does not, a new parser replaces it. Undefined while
 * no parser passes the check. A clean parse costs nothing here.
 */
function workingParser(handle: Parser): Parser | undefined {
  const current = replacements.get(handle) ?? handle;
  if (!suspect.has(handle)) return current;
  if (resetsToWorking(current)) {
    suspect.delete(handle);
    return current;
  }
  const fresh = new Parser();
  fresh.setLanguage(handle.language);
  if (!parsesKnownSample(fresh)) {
    fresh.delete();
    return undefined;
  }
  // The broken parser is left undeleted: deleting it would free through its corrupted fields.
  replacements.set(handle, fresh);
  suspect.delete(handle);
  return fresh;
}

function resetsToWorking(parser: Parser): boolean {
  try {
    parser.reset();
  } catch {
    return false;
  }
  return parsesKnownSample(parser);
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Parses with a CPU-time budget; returns undefined instead of throwing, and for a file too deeply
 * indented to parse safely. `parser` is the one loadPythonParser gave; the caller must delete the tree.
 */
export function parsePython(parser: Parser, source: string, budgetMs = 5000): Tree | undefined {
  if (tooDeeplyIndented(source)) return undefined;
  const working = workingParser(parser);
  if (!working) return undefined;
  // CPU time, not wall time: on a loaded machine a large file's parse waits for the CPU, and
  // the budget is there to stop pathological parses, not slow machines.
  const deadline = cpuMs() + budgetMs;
  let tree: Tree | undefined;
  try {
    const progressCallback = (() => cpuMs() > deadline) as unknown as () => void; // returning true cancels
    tree = working.parse(source, null, { progressCallback }) ?? undefined;
  } catch {
    tree = undefined;
  }
  if (!tree || tree.rootNode.hasError) suspect.add(parser);
  return tree;
}
