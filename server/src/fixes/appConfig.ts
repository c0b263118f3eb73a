/** Wiring an app's signals module into its AppConfig.ready(). */
import type { Node } from 'web-tree-sitter';
import { indentOf, kids, withSyntax } from './pythonSyntax';
import { pythonStyle } from './pythonStyle';
import { insertAt, lineEndOffset, type TextEdit } from './text';

const SIGNALS_IMPORT = 'from . import signals  # noqa: F401';

/**
 * For an apps.py with an AppConfig class: the edit that imports the signals module in ready()
 * (adding ready() when the class has none), or no edit when the file already imports it.
 * Undefined when the file has no AppConfig class.
 */
export function wireSignals(text: string): { edits: TextEdit[] } | undefined {
  return withSyntax(text, (root) => {
    const config = kids(root)
      .map((n) => (n.type === 'decorated_definition' ? n.childForFieldName('definition') : n))
      .find((n): n is Node => !!n && n.type === 'class_definition' && /(^|\.)AppConfig$/.test(superclassText(n)));
    if (!config) return undefined;
    if (importsSignals(root)) return { edits: [] };
    const style = pythonStyle(root, text);
    const lines = text.split('\n');
    const body = config.childForFieldName('body')!;
    const ready = kids(body).find(
      (n) => n.type === 'function_definition' && n.childForFieldName('name')?.text === 'ready',
    );
    if (ready) {
      const readyBody = ready.childForFieldName('body')!;
      const indent = indentOf(lines[readyBody.startPosition.row]);
      return {
        edits: [
          insertAt(text, lineEndOffset(text, readyBody.endPosition.row), `${style.eol}${indent}${SIGNALS_IMPORT}`),
        ],
      };
    }
    const indent = indentOf(lines[body.startPosition.row]);
    return {
      edits: [
        insertAt(
          text,
          lineEndOffset(text, body.endPosition.row),
          `${style.eol}${style.eol}${indent}def ready(self):${style.eol}${indent}${style.indent}${SIGNALS_IMPORT}`,
        ),
      ],
    };
  });
}

function superclassText(cls: Node): string {
  const args = cls.childForFieldName('superclasses');
  return args
    ? (kids(args)
        .map((a) => a.text)
        .find((t) => /AppConfig$/.test(t)) ?? '')
    : '';
}

/** An import of the app's own signals module anywhere in the file (Django's own signals module does not count). */
function importsSignals(root: Node): boolean {
  return root
    .descendantsOfType(['import_from_statement', 'import_statement'])
    .some((n) => !!n && /\bsignals\b/.test(n.text) && !/^\s*(from|import)\s+django\b/.test(n.text));
}
