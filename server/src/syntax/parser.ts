import * as path from 'path';
import { Language, Parser, Tree } from 'web-tree-sitter';

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

let ready: Promise<Parser> | undefined;

/** Loads the runtime and grammar once, checks the pair works, and warms the parser up. */
export function loadPythonParser(): Promise<Parser> {
  ready ??= (async () => {
    await Parser.init();
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
  const tree = parser.parse('from django.core.cache import cache\ncache.set(f"k:{x}", 1)\n');
  try {
    const root = tree?.rootNode;
    const ok = root && root.type === 'module' && !root.hasError &&
      root.child(1)?.firstChild?.type === 'call';
    if (!ok) throw new Error(`tree-sitter self-test failed: ${root?.toString()}`);
  } finally {
    tree?.delete();
  }
}

/** Parses with a time budget; returns undefined instead of throwing. The caller must delete the tree. */
export function parsePython(parser: Parser, source: string, budgetMs = 5000): Tree | undefined {
  const deadline = Date.now() + budgetMs;
  try {
    const progressCallback = (() => Date.now() > deadline) as unknown as () => void; // returning true cancels
    return parser.parse(source, null, { progressCallback }) ?? undefined;
  } catch {
    parser.reset();
    return undefined;
  }
}
