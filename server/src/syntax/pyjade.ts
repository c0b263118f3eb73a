/**
 * pyjade templates (`.jade`, compiled by pyjade's Django loader into Django template text) turned
 * into that text, line for line, so the Django tokenizer reads them: `- tag args` lines become
 * `{% tag args %}` and, when they hold an indented body, close with `{% endtag %}` where the body
 * ends; `#{x}`, `= x` and `!= x` become `{{ x }}`; `block`, `extends` and `include` keep their
 * meaning. Anything else (elements, attributes, text) is plain text. Never throws.
 */

/** Tags that continue the block above them at the same indentation instead of closing it. */
const CONTINUATIONS = new Set(['else', 'elif', 'empty', 'plural']);
const KEYWORDS: Record<string, (rest: string) => string> = {
  block: (rest) => `{% block ${rest} %}`,
  extends: (rest) => `{% extends "${withExtension(rest)}" %}`,
  include: (rest) => `{% include "${withExtension(rest)}" %}`,
};

function withExtension(name: string): string {
  return /\.\w+$/.test(name) ? name : `${name}.jade`;
}

interface Open {
  indent: number;
  tag: string;
}

export function pyjadeToTemplate(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  const open: Open[] = [];
  let commentIndent: number | null = null;
  lines.forEach((line, i) => {
    const content = line.trimStart();
    const indent = line.length - content.length;
    if (!content.trim() || (commentIndent !== null && indent > commentIndent)) {
      out.push('');
      return;
    }
    commentIndent = null;
    // A `{# … #}` comment after a tag stays a comment (suppressions), not an argument.
    const code = /^-\s+(\w+)(.*?)\s*(\{#.*#\})?$/.exec(content);
    const continues = code !== null && CONTINUATIONS.has(code[1]);
    let closing = '';
    while (open.length && open[open.length - 1].indent >= indent) {
      const top = open[open.length - 1];
      if (continues && top.indent === indent) break;
      closing += `{% end${top.tag} %}`;
      open.pop();
    }
    // End tags go at the end of the line before, so this line keeps its columns.
    if (out.length) out[out.length - 1] += closing;
    if (content.startsWith('//')) {
      commentIndent = indent;
      out.push('');
      return;
    }
    const opensBody = nextIndent(lines, i) > indent;
    const keyword = /^(block|extends|include)\s+(.+)$/.exec(content);
    let converted: string;
    if (code) {
      converted = `{% ${code[1]}${code[2]} %}${code[3] ?? ''}`;
      if (opensBody && !continues) open.push({ indent, tag: code[1] });
    } else if (keyword) {
      converted = KEYWORDS[keyword[1]](keyword[2].trim());
      if (keyword[1] === 'block') open.push({ indent, tag: 'block' });
    } else {
      converted = interpolated(content);
    }
    out.push(line.slice(0, indent) + converted);
  });
  out[out.length - 1] += open
    .reverse()
    .map((o) => `{% end${o.tag} %}`)
    .join('');
  return out.join('\n');
}

/** Indentation of the next non-blank line, or -1. */
function nextIndent(lines: string[], i: number): number {
  for (let j = i + 1; j < lines.length; j++) {
    const content = lines[j].trimStart();
    if (content.trim()) return lines[j].length - content.length;
  }
  return -1;
}

/** `#{x}` and a trailing `= x` / `!= x` (after an element or alone) as `{{ x }}`. */
function interpolated(content: string): string {
  const inline = content.replace(/#\{([^}]*)\}/g, '{{ $1 }}');
  const assigned = /^(?:[\w.#-]*(?:\([^)]*\))?)?!?=\s*(.+)$/.exec(inline);
  return assigned ? `{{ ${assigned[1]} }}` : inline;
}
