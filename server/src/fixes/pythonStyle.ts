/** How a Python file is written, so inserted code looks like the code around it. */
import type { Node } from 'web-tree-sitter';
import { indentOf, preorder } from './pythonSyntax';

export interface PythonStyle {
  /** One level of indentation: '\t' or some spaces. */
  indent: string;
  quote: '"' | "'";
  eol: '\n' | '\r\n';
}

export const DEFAULT_STYLE: PythonStyle = { indent: '    ', quote: '"', eol: '\n' };

/** The first indented block gives the unit; the majority of (non-docstring) string quotes gives the quote. */
export function pythonStyle(root: Node, text: string): PythonStyle {
  const lines = text.split('\n');
  let indent: string | undefined;
  let double = 0;
  let single = 0;
  preorder(root, (n) => {
    if (!indent && n.type === 'block' && n.parent && n.startPosition.row > n.parent.startPosition.row) {
      const inner = indentOf(lines[n.startPosition.row]);
      const outer = indentOf(lines[n.parent.startPosition.row]);
      if (inner.length > outer.length) indent = inner.includes('\t') ? '\t' : inner.slice(outer.length);
    }
    if (n.type === 'string_start' && !/("""|''')$/.test(n.text)) {
      if (n.text.endsWith("'")) single++;
      else double++;
    }
  });
  const crlf = (text.match(/\r\n/g) ?? []).length;
  return {
    indent: indent ?? DEFAULT_STYLE.indent,
    quote: single > double ? "'" : '"',
    eol: crlf > 0 && crlf * 2 >= lines.length - 1 ? '\r\n' : '\n',
  };
}

function escapeText(s: string, quote: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(new RegExp(quote, 'g'), `\\${quote}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
}

/** A Python string literal for `s`. */
export function pyString(s: string, style: PythonStyle): string {
  return `${style.quote}${escapeText(s, style.quote)}${style.quote}`;
}

/** An f-string of literal text and expressions; a plain literal when there are no expressions. */
export function pyFString(parts: (string | { expr: string })[], style: PythonStyle): string {
  if (parts.every((p) => typeof p === 'string')) return pyString(parts.join(''), style);
  const body = parts
    .map((p) =>
      typeof p === 'string' ? escapeText(p, style.quote).replace(/\{/g, '{{').replace(/\}/g, '}}') : `{${p.expr}}`,
    )
    .join('');
  return `f${style.quote}${body}${style.quote}`;
}

/** A Python identifier made from free text: `categories:all` → `categories_all`. */
export function identifierOf(text: string): string {
  const id = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[0-9]/.test(id) ? `_${id}` : id || 'key';
}

/** Lines joined with the file's line ending, each prefixed with `prefix` (blank lines stay empty). */
export function indentLines(lines: string[], prefix: string, style: PythonStyle): string {
  return lines
    .map((l) => (l ? prefix + l.replace(/^( {4})+/, (m) => style.indent.repeat(m.length / 4)) : ''))
    .join(style.eol);
}
