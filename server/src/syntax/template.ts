/**
 * Django template tokenizer: turns a template into its IR (syntax/ir.ts) without a full parse.
 * It follows Django's own lexer (tags never span lines) and never throws: malformed or
 * unclosed constructs degrade into fewer facts, not errors.
 */
import { lineCount } from '../text/lines';
import type { Suppression, TemplateNode, VarNode } from './ir';

type Out = TemplateNode[];

/** `{% x %}`, `{{ x }}` and `{# x #}`; like Django's tag_re, `.` stops at line ends. */
export const TOKEN_RE = /\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}/g;
/** `a.b.c`, and Jinja2's argument-less calls `a.items.all()`, read like Django's `a.items.all`. */
const VAR_PATH_RE = /^[A-Za-z]\w*(?:\.\w+(?:\(\))?)*$/;
const LITERAL_NAMES = new Set(['True', 'False', 'None']);
/** Operators of `{% if %}`; everything else in its arguments is an expression. */
const IF_OPERATORS = new Set(['and', 'or', 'not', 'in', 'is', '==', '!=', '<', '>', '<=', '>=']);
/** Block tags whose body reads in the enclosing scope; they add no node of their own. */
const TRANSPARENT_BLOCKS = new Set([
  'if',
  'ifchanged',
  'spaceless',
  'autoescape',
  'filter',
  'localize',
  'localtime',
  'timezone',
  'language',
  'blocktrans',
  'blocktranslate',
]);
/** The frame of a Jinja2 `{% set %}` without a body: no end tag names it, the enclosing block's end closes it. */
const INLINE_SET = '=set';
/** Tags whose body is raw text. */
const RAW_BLOCKS = new Set(['comment', 'verbatim']);
/**
 * Blocks nested deeper than this keep their node but not their body: what they hold joins the
 * body of the block around them, so no fact is deeper than this and every walk over the tree is
 * bounded. Django itself cannot compile templates this deep (its parser recurses once or twice a
 * block and stops at Python's recursion limit).
 */
export const MAX_TEMPLATE_NESTING = 256;
const NOQA_RE = /^noqa\b(?::\s*(.*))?$/i;
const DJCACHE_IGNORE_RE = /^djcache:\s*ignore\b(?:\[([^\]]*)\])?/i;

interface Frame {
  tag: string;
  /** Where this block's children go; `{% empty %}` redirects it to the parent's list. */
  out: Out;
  parentOut: Out;
  node: Extract<TemplateNode, { endLine: unknown }> | null;
  /** How deep `out` is in the tree: 0 for the template's own list. */
  depth: number;
}

interface Arg {
  text: string;
  offset: number;
}

/** What a template holds; facts/extract.ts puts it in the file's envelope. */
export interface TemplateIR {
  extends: string | null;
  loads: string[];
  nodes: TemplateNode[];
  suppressions: Suppression[];
}

export function buildTemplateIR(text: string): TemplateIR {
  const ir: TemplateIR = { extends: null, loads: [], nodes: [], suppressions: [] };
  const tokens = [...text.matchAll(TOKEN_RE)];
  const blockTags = blockTagNames(tokens);
  const stack: Frame[] = [];
  const out = (): Out => (stack.length ? stack[stack.length - 1].out : ir.nodes);

  let line = 0;
  let lineStart = 0;
  let scanned = 0;
  let rawUntil: string | null = null;

  for (const match of tokens) {
    const index = match.index ?? 0;
    for (let i = text.indexOf('\n', scanned); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    scanned = index;
    const col = index - lineStart;
    const raw = match[0];
    // Jinja2's whitespace control: `{%- if x -%}`, `{{- x -}}`, `{%+ x %}`.
    const inner = raw.startsWith('{#') ? raw.slice(2, -2) : raw.slice(2, -2).replace(/^[-+]/, ' ').replace(/-$/, ' ');
    const innerCol = col + 2 + (inner.length - inner.trimStart().length);
    const content = inner.trim();

    if (rawUntil !== null) {
      if (raw.startsWith('{%') && content.split(/\s/)[0] === rawUntil) rawUntil = null;
      continue;
    }
    if (raw.startsWith('{#')) {
      const suppression = parseSuppression(content, line);
      if (suppression) ir.suppressions.push(suppression);
      continue;
    }
    if (raw.startsWith('{{')) {
      pushExpressionVars(out(), content, line, innerCol);
      continue;
    }

    const args = splitArgs(content);
    if (args.length === 0) continue;
    const name = args[0].text;
    const rest = args.slice(1);
    const argCol = (arg: Arg) => innerCol + arg.offset;

    if (RAW_BLOCKS.has(name)) {
      rawUntil = `end${name}`;
      continue;
    }
    if (name.startsWith('end')) {
      closeBlock(stack, name.slice(3), line);
      continue;
    }
    switch (name) {
      case 'extends':
        ir.extends = rest.length ? unquote(rest[0].text) : null;
        continue;
      case 'load': {
        const from = rest.findIndex((a) => a.text === 'from');
        const libraries = from === -1 ? rest : rest.slice(from + 1);
        for (const lib of libraries) if (!ir.loads.includes(lib.text)) ir.loads.push(lib.text);
        continue;
      }
      case 'include': {
        const withAt = rest.findIndex((a) => a.text === 'with');
        const passed = withAt === -1 ? [] : rest.slice(withAt + 1).filter((a) => a.text !== 'only');
        for (const arg of passed) {
          const eq = arg.text.indexOf('=');
          if (eq > 0) pushExpressionVars(out(), arg.text.slice(eq + 1), line, argCol(arg) + eq + 1);
        }
        const words = rest.map((a) => a.text);
        // Django's `only` and Jinja2's `without context` render the included template with nothing else.
        const only = words.includes('only') || words.join(' ').includes('without context');
        const bindings = parseBindings(passed);
        out().push({
          t: 'include',
          template: rest.length ? unquote(rest[0].text) : null,
          line,
          ...(bindings.length && { bindings }),
          ...(only && { only: true as const }),
        });
        continue;
      }
      case 'set': {
        // Jinja2's `{% set x = value %}` binds x for the rest of the enclosing block; its block form
        // `{% set x %}…{% endset %}` captures text and reads in the enclosing scope.
        const bindings = parseBindings(rest);
        if (bindings.length) openBlock(stack, INLINE_SET, out(), { t: 'with', bindings, line, body: [] }, null);
        else if (blockTags.has(name)) openTransparent(stack, name, out());
        continue;
      }
      case 'from':
        // Jinja2's `{% from "macros.html" import a, b %}` reads nothing.
        continue;
      case 'if':
      case 'elif':
        for (const arg of rest) {
          if (!IF_OPERATORS.has(arg.text)) pushExpressionVars(out(), arg.text, line, argCol(arg));
        }
        if (name === 'if') openTransparent(stack, name, out());
        continue;
      case 'else':
      case 'plural':
        continue;
      case 'empty': {
        // The empty branch runs without the loop variable, so it belongs to the enclosing scope.
        const top = stack[stack.length - 1];
        if (top?.tag === 'for') {
          top.out = top.parentOut;
          top.depth = depthOf(stack.slice(0, -1));
        }
        continue;
      }
      case 'for': {
        const node = parseFor(rest, line, col);
        if (node) openBlock(stack, 'for', out(), node, null);
        else {
          openTransparent(stack, name, out());
        }
        continue;
      }
      case 'with': {
        openBlock(stack, 'with', out(), { t: 'with', bindings: parseBindings(rest), line, body: [] }, null);
        continue;
      }
      case 'cache':
      case 'wagtailcache':
      case 'wagtailpagecache': {
        const node = parseCache(rest, line, col);
        if (node) {
          // wagtail's fragment tags take {% cache %}'s arguments; the page one also varies on the page and site.
          if (name === 'wagtailpagecache') node.vary.push(...WAGTAIL_PAGE_VARY_ON);
          openBlock(stack, name, out(), node, node);
          continue;
        }
        break; // malformed: kept as a generic tag so its end tag still pairs up
      }
    }
    if (TRANSPARENT_BLOCKS.has(name)) {
      const bindings = parseBindings(rest.filter((a) => a.text.includes('=')));
      if (bindings.length) openBlock(stack, name, out(), { t: 'with', bindings, line, body: [] }, null);
      else {
        openTransparent(stack, name, out());
      }
      continue;
    }
    pushGenericTag(stack, out(), name, rest, line, col, argCol, blockTags.has(name));
  }

  // Unclosed blocks run to the end of the file.
  const lastLine = Math.max(0, lineCount(text) - 1);
  while (stack.length) {
    const frame = stack.pop()!;
    if (frame.node) frame.node.endLine = lastLine;
  }
  return ir;
}

/** Tag names that have a matching `end<name>` somewhere, i.e. that open a block. */
function blockTagNames(tokens: RegExpMatchArray[]): Set<string> {
  const names = new Set<string>();
  for (const match of tokens) {
    const m = /^\{%[-+]?\s*end(\w+)/.exec(match[0]);
    if (m) names.add(m[1]);
  }
  return names;
}

function openTransparent(stack: Frame[], tag: string, out: Out): void {
  stack.push({ tag, out, parentOut: out, node: null, depth: depthOf(stack) });
}

/** Depth of the list the innermost open block writes to. */
function depthOf(stack: Frame[]): number {
  return stack.length ? stack[stack.length - 1].depth : 0;
}

/**
 * Adds `node` to `out` and opens its block; past MAX_TEMPLATE_NESTING the block's body is `out`
 * itself. `ends` is the node whose endLine the end tag sets.
 */
function openBlock(
  stack: Frame[],
  tag: string,
  out: Out,
  node: Extract<TemplateNode, { body: unknown }>,
  ends: Frame['node'],
): void {
  out.push(node);
  const depth = depthOf(stack);
  if (depth < MAX_TEMPLATE_NESTING) stack.push({ tag, out: node.body, parentOut: out, node: ends, depth: depth + 1 });
  else stack.push({ tag, out, parentOut: out, node: ends, depth });
}

/** Pops up to the matching opener; a stray end tag (no opener) is ignored, as Django would error. */
function closeBlock(stack: Frame[], tag: string, line: number): void {
  const at = stack.map((f) => f.tag).lastIndexOf(tag);
  if (at === -1) return;
  while (stack.length > at) {
    const frame = stack.pop()!;
    if (frame.node) frame.node.endLine = line;
  }
}

function pushGenericTag(
  stack: Frame[],
  out: Out,
  name: string,
  rest: Arg[],
  line: number,
  col: number,
  argCol: (arg: Arg) => number,
  isBlock: boolean,
): void {
  // A block's argument is its name, and `as x` binds a name: neither reads a variable.
  const asAt = rest.findIndex((a) => a.text === 'as');
  const reads = name === 'block' ? [] : asAt === -1 ? rest : rest.slice(0, asAt);
  const argVars: Out = [];
  for (const arg of reads) {
    const eq = kwargSplit(arg.text);
    pushExpressionVars(argVars, arg.text.slice(eq + 1), line, argCol(arg) + eq + 1);
  }
  const node: TemplateNode = {
    t: 'tag',
    name,
    args: rest.map((a) => a.text),
    ...(argVars.length && { argVars: argVars as VarNode[] }),
    line,
    col,
    endLine: null,
    body: [],
  };
  if (isBlock) openBlock(stack, name, out, node, node);
  else out.push(node);
}

/** Index of the `=` of a `name=value` argument, or -1. */
function kwargSplit(arg: string): number {
  const m = /^\w+=/.exec(arg);
  return m ? m[0].length - 1 : -1;
}

/** Django's `for x, y in seq [reversed]`, and Jinja2's `for x in seq [if cond] [recursive]`. */
function parseFor(rest: Arg[], line: number, col: number): Extract<TemplateNode, { t: 'for' }> | null {
  const all = rest.map((a) => a.text);
  const filterAt = all.findIndex((word, i) => i > 2 && (word === 'if' || word === 'recursive'));
  const words = filterAt === -1 ? all : all.slice(0, filterAt);
  const reversed = words[words.length - 1] === 'reversed';
  const inAt = words.length - (reversed ? 3 : 2);
  if (inAt < 1 || words[inAt] !== 'in') return null;
  const target = words
    .slice(0, inAt)
    .join(' ')
    .split(/\s*,\s*/)
    .filter(Boolean);
  const iter = expressionPath(words[inAt + 1]) ?? words[inAt + 1];
  return { t: 'for', target, iter, line, col, body: [] };
}

/**
 * What `{% wagtailpagecache %}` adds to the vary-on, as wagtail's documentation describes it: the
 * current page's cache key (it changes when the page does) and the current site.
 */
const WAGTAIL_PAGE_VARY_ON = ['page.cache_key', 'site'];

/** Django's `cache timeout name [vary ...] [using="alias"]`. */
function parseCache(rest: Arg[], line: number, col: number): Extract<TemplateNode, { t: 'cache' }> | null {
  let words = rest.map((a) => a.text);
  let using: string | null = null;
  const last = words[words.length - 1];
  if (last?.startsWith('using=')) {
    using = unquote(last.slice('using='.length)) ?? last.slice('using='.length);
    words = words.slice(0, -1);
  }
  if (words.length < 2) return null;
  return {
    t: 'cache',
    timeout: words[0],
    name: words[1],
    vary: words.slice(2),
    using,
    line,
    col,
    endLine: line,
    body: [],
  };
}

/**
 * `a=b.c d=e`, the legacy `b.c as a`, and Jinja2's `a = b.c, d = e`; values are paths without
 * filters when they are paths.
 */
function parseBindings(rest: Arg[]): [string, string][] {
  const words = rest.map((a) => a.text);
  if (words.length === 3 && words[1] === 'as') return [[words[2], expressionPath(words[0]) ?? words[0]]];
  const bindings: [string, string][] = [];
  const joined = words.join(' ').replace(/\s*=\s*/g, '=');
  for (const arg of splitArgs(joined)) {
    const word = arg.text.replace(/,$/, '');
    const eq = kwargSplit(word);
    if (eq === -1) continue;
    const value = word.slice(eq + 1);
    bindings.push([word.slice(0, eq), expressionPath(value) ?? value]);
  }
  return bindings;
}

/**
 * Records a var node for the expression's base path and for each variable filter argument
 * (Django's `f:arg`, Jinja2's `f(arg, k=arg)`). A Jinja2 call `f(a, b.c)` or `row.method(a)` reads
 * its callee and its arguments: what the callee does with them is unknown, as with a filter.
 */
function pushExpressionVars(out: Out, expression: string, line: number, col: number): void {
  const parts = splitOutsideQuotes(expression, '|');
  const push = (text: string, at: number, filtered: boolean) => {
    const lead = text.length - text.trimStart().length;
    const path = expressionPath(text.trim());
    if (path) out.push({ t: 'var', path, line, col: at + lead, ...(filtered && { filtered: true as const }) });
    else for (const arg of callArguments(text)) push(arg.text, at + arg.offset, true);
  };
  parts.forEach((part, i) => {
    if (i === 0) return push(part.text, col + part.offset, parts.length > 1);
    const colon = splitOutsideQuotes(part.text, ':');
    if (colon.length >= 2) push(part.text.slice(colon[1].offset), col + part.offset + colon[1].offset, false);
    else for (const arg of callArguments(part.text).slice(1)) push(arg.text, col + part.offset + arg.offset, false);
  });
}

/** The callee and the argument values of a call `f(a, k=b)` (offsets into `text`); none for anything else. */
function callArguments(text: string): Arg[] {
  const m = /^(\s*)([A-Za-z_][\w.]*)\((.*)\)\s*$/s.exec(text);
  if (!m) return [];
  const open = m[1].length + m[2].length + 1;
  const args = splitOutsideQuotes(m[3], ',').map((a) => {
    const kw = /^\s*\w+\s*=(?!=)/.exec(a.text);
    const skip = kw ? kw[0].length : 0;
    return { text: a.text.slice(skip), offset: open + a.offset + skip };
  });
  return [{ text: m[2], offset: m[1].length }, ...args];
}

/** The variable path of a filter expression (`a.b|upper` → `a.b`), or null for literals. */
function expressionPath(expression: string): string | null {
  const base = splitOutsideQuotes(expression, '|')[0].text.trim();
  return VAR_PATH_RE.test(base) && !LITERAL_NAMES.has(base) ? base.replace(/\(\)/g, '') : null;
}

function unquote(text: string): string | null {
  const m = /^(["'])(.*)\1$/s.exec(text);
  return m ? m[2] : null;
}

/** Like Django's split_contents: whitespace-separated, quoted runs kept whole. */
export function splitArgs(content: string): Arg[] {
  const args: Arg[] = [];
  let i = 0;
  while (i < content.length) {
    while (i < content.length && /\s/.test(content[i])) i++;
    if (i >= content.length) break;
    const start = i;
    while (i < content.length && !/\s/.test(content[i])) {
      i = content[i] === '"' || content[i] === "'" ? skipQuoted(content, i) : i + 1;
    }
    args.push({ text: content.slice(start, i), offset: start });
  }
  return args;
}

/** Splits at `separator` outside quotes and outside Jinja2's brackets (`f(a|b, c)` is one part). */
function splitOutsideQuotes(text: string, separator: string): Arg[] {
  const parts: Arg[] = [];
  let start = 0;
  let i = 0;
  let depth = 0;
  while (i < text.length) {
    if (text[i] === '"' || text[i] === "'") {
      i = skipQuoted(text, i);
    } else if ('([{'.includes(text[i])) {
      depth++;
      i++;
    } else if (')]}'.includes(text[i])) {
      depth = Math.max(0, depth - 1);
      i++;
    } else if (text[i] === separator && depth === 0) {
      parts.push({ text: text.slice(start, i), offset: start });
      start = ++i;
    } else {
      i++;
    }
  }
  parts.push({ text: text.slice(start), offset: start });
  return parts;
}

/** Index just past the closing quote (or the end, if unclosed); backslash escapes the next char. */
function skipQuoted(text: string, open: number): number {
  const quote = text[open];
  let i = open + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}

function parseSuppression(comment: string, line: number): Suppression | null {
  const noqa = NOQA_RE.exec(comment);
  if (noqa) return { line, codes: codeList(noqa[1]) };
  const ignore = DJCACHE_IGNORE_RE.exec(comment);
  if (ignore) return { line, codes: codeList(ignore[1]) };
  return null;
}

function codeList(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter((code) => /^[A-Z]+\d+$/.test(code));
}
