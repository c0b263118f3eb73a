/** Suppression: `# noqa: DJCxxx` on the finding's line, or `{# noqa: DJCxxx #}` in a template. */
import type { Finding } from '../findings';
import { withSyntax } from './pythonSyntax';
import { insertAt, offsetAt } from './text';
import type { Fix, SourceFiles } from './types';

/** An existing `# noqa: A, B` list, to extend instead of adding a second comment. */
const PY_NOQA_LIST = /#\s*noqa:\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*/;
const TEMPLATE_NOQA_LIST = /\{#\s*noqa:\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*/;

export function noqaFix(finding: Finding, files: SourceFiles): Fix | undefined {
  const text = files.read(finding.path);
  if (text === undefined) return undefined;
  const line = finding.loc[0];
  const lineText = (text.split('\n')[line] ?? '').replace(/\r$/, '');
  const lineStart = offsetAt(text, line, 0);
  const python = finding.path.endsWith('.py');
  // A comment at the end of a line that continues a string would become part of the string.
  if (
    python &&
    withSyntax(text, (root) =>
      root.descendantsOfType('string').some((s) => s && s.startPosition.row <= line && s.endPosition.row > line),
    ) !== false
  )
    return undefined;
  const list = (python ? PY_NOQA_LIST : TEMPLATE_NOQA_LIST).exec(lineText);
  const edit = list
    ? insertAt(text, lineStart + list.index + list[0].length, `, ${finding.code}`)
    : insertAt(text, lineStart + lineText.length, python ? `  # noqa: ${finding.code}` : `{# noqa: ${finding.code} #}`);
  return {
    title: `Suppress ${finding.code} on this line`,
    code: finding.code,
    preferred: false,
    safe: false,
    changes: [{ kind: 'edit', path: finding.path, edits: [edit] }],
  };
}
