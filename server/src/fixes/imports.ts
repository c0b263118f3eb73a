/** Adding `from module import name` or `import module` to a Python file once, in the file's own import style, and dropping an unused one. */
import type { Node } from 'web-tree-sitter';
import { kids } from './pythonSyntax';
import type { PythonStyle } from './pythonStyle';
import { insertAt, lineEndOffset, lineTextBefore, offsetAt, positionAt, replaceSpan, type TextEdit } from './text';

/**
 * A name to import; `module` is written as given, `sameAs` lists other spellings of it (`catalog.models` for `.models`).
 * Without `name`, the module itself: `import module`.
 */
export interface ImportNeed {
  module: string;
  name?: string;
  sameAs?: string[];
}

/**
 * How the file at `target` imports `name` from `module` (the file at `path`): nothing from itself,
 * relative (`.models`, `..models`) within one top-level package, else absolute.
 */
export function importFrom(target: string, module: string, path: string | undefined, name: string): ImportNeed[] {
  if (target === path) return [];
  const absolute = [{ module, name }];
  if (!path?.endsWith('.py')) return absolute;
  const parts = path.slice(0, -3).split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  const moduleParts = module.split('.');
  const root = parts.length - moduleParts.length;
  if (root < 0 || parts.slice(root).join('.') !== module) return absolute;
  // `.` is the package the target is in (for an __init__.py, that package itself).
  const here = target.split('/').slice(0, -1);
  let common = 0;
  while (common < here.length && common < parts.length && here[common] === parts[common]) common++;
  if (common <= root) return absolute;
  return [
    { module: `${'.'.repeat(here.length - common + 1)}${parts.slice(common).join('.')}`, name, sameAs: [module] },
  ];
}

interface FromImport {
  node: { start: number; end: number };
  module: string;
  /** Each imported name as written (`B as C`) and the name it binds. */
  names: { text: string; binds: string }[];
  wildcard: boolean;
  multiline: boolean;
  /** Comments inside the statement: regenerating it would drop them. */
  hasComment: boolean;
  /** Indentation of the names of a multi-line import. */
  itemIndent: string;
}

interface TopImport {
  module: string;
  relative: boolean;
  isFrom: boolean;
  line: number;
  endLine: number;
}

/** What a file binds at module level, and its imports. */
export interface ModuleNames {
  froms: FromImport[];
  imports: TopImport[];
  /** Name → `module:name` for imports, `import:module` for plain imports, '' for definitions. */
  bound: Map<string, string>;
  /** The line after the module docstring, leading comments and `from __future__` imports, where imports start when there are none. */
  headerEnd: number;
  /** Whether the header ends with a docstring or a future import (a blank line then separates it from the imports). */
  separateFromHeader: boolean;
}

export function moduleNames(root: Node, text: string): ModuleNames {
  const out: ModuleNames = { froms: [], imports: [], bound: new Map(), headerEnd: 0, separateFromHeader: false };
  let header = true;
  for (const n of kids(root)) {
    if (
      header &&
      (n.type === 'comment' ||
        n.type === 'future_import_statement' ||
        (n.type === 'expression_statement' && n.firstNamedChild?.type === 'string'))
    ) {
      out.headerEnd = n.endPosition.row + 1;
      out.separateFromHeader = n.type !== 'comment';
      continue;
    }
    header = false;
    if (n.type === 'import_from_statement') readFrom(n, text, out);
    else if (n.type === 'import_statement') {
      for (const item of n.childrenForFieldName('name').filter((c): c is Node => !!c)) {
        const dotted = item.type === 'aliased_import' ? item.childForFieldName('name')!.text : item.text;
        const alias = item.type === 'aliased_import' ? item.childForFieldName('alias')!.text : dotted.split('.')[0];
        out.bound.set(alias, `import:${dotted}`);
        out.imports.push({
          module: dotted,
          relative: false,
          isFrom: false,
          line: n.startPosition.row,
          endLine: n.endPosition.row,
        });
      }
    } else {
      const def = n.type === 'decorated_definition' ? n.childForFieldName('definition') : n;
      const name =
        def && (def.type === 'function_definition' || def.type === 'class_definition')
          ? def.childForFieldName('name')?.text
          : undefined;
      if (name) out.bound.set(name, '');
      const assign = n.type === 'expression_statement' ? n.firstNamedChild : null;
      const left = assign?.type === 'assignment' ? assign.childForFieldName('left') : null;
      if (left?.type === 'identifier') out.bound.set(left.text, '');
    }
  }
  return out;
}

function readFrom(n: Node, text: string, out: ModuleNames): void {
  const module = n.childForFieldName('module_name')?.text ?? '';
  const names = n
    .childrenForFieldName('name')
    .filter((c): c is Node => !!c)
    .map((c) => ({
      text: c.text,
      binds: c.type === 'aliased_import' ? c.childForFieldName('alias')!.text : c.text,
      source: c.type === 'aliased_import' ? c.childForFieldName('name')!.text : c.text,
    }));
  const first = n.childrenForFieldName('name')[0];
  out.froms.push({
    node: { start: n.startIndex, end: n.endIndex },
    module,
    names: names.map(({ text: t, binds }) => ({ text: t, binds })),
    wildcard: kids(n).some((c) => c.type === 'wildcard_import'),
    multiline: n.startPosition.row !== n.endPosition.row,
    hasComment: kids(n).some((c) => c.type === 'comment'),
    itemIndent:
      first && first.startPosition.row !== n.startPosition.row ? lineTextBefore(text, first.startIndex) : '    ',
  });
  for (const nm of names) out.bound.set(nm.binds, `${module}:${nm.source}`);
  out.imports.push({
    module,
    relative: module.startsWith('.'),
    isFrom: true,
    line: n.startPosition.row,
    endLine: n.endPosition.row,
  });
}

/**
 * Edits that make every need importable: names already imported stay, names go into an existing
 * `from module import ...` when there is one, else onto new lines placed among the file's imports
 * in sorted order. A name already bound to something else is a conflict, reported by name.
 */
export function planImports(
  text: string,
  names: ModuleNames,
  needs: ImportNeed[],
  style: PythonStyle,
): TextEdit[] | { conflict: string } {
  const spellings = (n: ImportNeed) => [n.module, ...(n.sameAs ?? [])];
  const merged = new Map<FromImport, string[]>();
  const fresh = new Map<string, string[]>();
  const freshModules = new Set<string>();
  for (const need of needs) {
    if (need.name === undefined) {
      const top = need.module.split('.')[0];
      const bound = names.bound.get(top);
      if (bound === `import:${need.module}`) continue;
      if (bound !== undefined) return { conflict: top };
      freshModules.add(need.module);
      continue;
    }
    const bound = names.bound.get(need.name);
    if (bound !== undefined) {
      if (spellings(need).some((m) => bound === `${m}:${need.name}`)) continue;
      return { conflict: need.name };
    }
    if (names.froms.some((f) => f.wildcard && spellings(need).includes(f.module))) continue;
    const into = names.froms.find((f) => !f.wildcard && !f.hasComment && spellings(need).includes(f.module));
    if (into) merged.set(into, [...new Set([...(merged.get(into) ?? []), need.name])]);
    else fresh.set(need.module, [...new Set([...(fresh.get(need.module) ?? []), need.name])]);
  }
  const edits: TextEdit[] = [];
  for (const [f, added] of merged)
    edits.push(replaceSpan(text, f.node.start, f.node.end, fromImportText(f, withAdded(f, added), style)));
  const byOffset = new Map<number, { lines: string[]; blankBefore: boolean; blankAfter: boolean }>();
  const relativeLast = (a: string, b: string) =>
    Number(a.startsWith('.')) - Number(b.startsWith('.')) || a.localeCompare(b);
  // `import m` goes before `from m import ...`.
  const lines = [
    ...[...freshModules].map((module) => ({ module, plain: true })),
    ...[...fresh.keys()].map((module) => ({ module, plain: false })),
  ].sort((a, b) => relativeLast(a.module, b.module) || Number(b.plain) - Number(a.plain));
  for (const { module, plain } of lines) {
    const place = newImportPlace(text, names, module);
    const at = byOffset.get(place.offset) ?? { lines: [], blankBefore: false, blankAfter: false };
    // Into a file without imports both kinds go to one place: a blank line keeps them apart.
    if (module.startsWith('.') && at.lines.length && !at.lines[at.lines.length - 1].startsWith('from .'))
      at.lines.push(style.eol);
    at.lines.push(
      plain
        ? `import ${module}${style.eol}`
        : `from ${module} import ${[...fresh.get(module)!].sort().join(', ')}${style.eol}`,
    );
    at.blankBefore ||= place.blankBefore;
    at.blankAfter ||= place.blankAfter;
    byOffset.set(place.offset, at);
  }
  for (const [offset, at] of byOffset) {
    const unterminated = offset === text.length && text.length > 0 && !text.endsWith('\n');
    edits.push(
      insertAt(
        text,
        offset,
        `${unterminated ? style.eol : ''}${at.blankBefore ? style.eol : ''}${at.lines.join('')}${at.blankAfter ? style.eol : ''}`,
      ),
    );
  }
  return edits;
}

/** The names of `f` with `added`: sorted when they were, else appended. */
function withAdded(f: FromImport, added: string[]): string[] {
  const existing = f.names.map((n) => n.text);
  const sorted = existing.every((n, i) => i === 0 || existing[i - 1].localeCompare(n) <= 0);
  return sorted ? [...existing, ...added].sort((a, b) => a.localeCompare(b)) : [...existing, ...added];
}

function fromImportText(f: FromImport, all: string[], style: PythonStyle): string {
  if (!f.multiline) return `from ${f.module} import ${all.join(', ')}`;
  return `from ${f.module} import (${style.eol}${all.map((n) => `${f.itemIndent}${n},`).join(style.eol)}${style.eol})`;
}

/**
 * Where a new `from module import` line goes: sorted among from-imports of the same top package,
 * else after the imports of its kind (absolute or relative), which are kept apart by a blank line.
 */
function newImportPlace(
  text: string,
  names: ModuleNames,
  module: string,
): { offset: number; blankBefore: boolean; blankAfter: boolean } {
  const lineStart = (line: number) => offsetAt(text, line, 0);
  const at = (offset: number, blankBefore = false, blankAfter = false) => ({ offset, blankBefore, blankAfter });
  const relative = module.startsWith('.');
  const kind = names.imports.filter((i) => i.relative === relative);
  const top = relative ? kind : kind.filter((i) => i.module.split('.')[0] === module.split('.')[0]);
  const peers = top.filter((i) => i.isFrom);
  const before = peers.find((i) => i.module.localeCompare(module) > 0);
  if (before) return at(lineStart(before.line));
  const last = (peers.length ? peers : top.length ? top : kind).at(-1);
  if (last) return at(lineStart(last.endLine + 1), !top.length);
  const firstRelative = names.imports.find((i) => i.relative);
  if (!relative && firstRelative) return at(lineStart(firstRelative.line), false, true);
  const lastImport = names.imports.at(-1);
  if (lastImport) return at(lineStart(lastImport.endLine + 1), true);
  const next = text.slice(lineStart(names.headerEnd)).split('\n')[0].trim();
  return at(lineStart(names.headerEnd), names.separateFromHeader, next !== '');
}

/**
 * The edit that stops a from-import binding `name`, for a name the code no longer uses: the name
 * leaves its statement, or the statement its line. undefined when no from-import binds it or
 * the statement has comments.
 */
export function dropImport(text: string, names: ModuleNames, name: string, style: PythonStyle): TextEdit | undefined {
  const f = names.froms.find((x) => x.names.some((n) => n.binds === name));
  if (!f || f.hasComment) return undefined;
  const rest = f.names.filter((n) => n.binds !== name).map((n) => n.text);
  if (rest.length) return replaceSpan(text, f.node.start, f.node.end, fromImportText(f, rest, style));
  const line = positionAt(text, f.node.start)[0];
  const endLine = positionAt(text, f.node.end)[0];
  const lines = text.split('\n');
  // A statement sharing its line (`from a import b; x = 1`) is left alone.
  if (lineTextBefore(text, f.node.start).trim() || text.slice(f.node.end, lineEndOffset(text, endLine)).trim())
    return undefined;
  const blank = (l: number) => l < 0 || l >= lines.length || lines[l].trim() === '';
  // A statement alone between blank lines takes one of them along, so no double gap is left.
  const upTo = blank(line - 1) && blank(endLine + 1) && endLine + 1 < lines.length ? endLine + 2 : endLine + 1;
  return replaceSpan(text, offsetAt(text, line, 0), offsetAt(text, upTo, 0), '');
}
