import { createHash } from 'crypto';
import type { Parser } from 'web-tree-sitter';
import { parsePython } from '../syntax/parser';
import { buildPythonIR, type PythonIR } from '../syntax/python';
import { buildTemplateIR } from '../syntax/template';
import { pyjadeToTemplate } from '../syntax/pyjade';
import type { Suppression } from '../syntax/ir';
import { lineCount } from '../text/lines';
import type { FileFacts, PythonFacts, TemplateFacts } from './types';

const decoder = new TextDecoder('utf-8', { fatal: false });

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Text of a file whatever its bytes: invalid UTF-8 becomes U+FFFD, NUL bytes become spaces. */
export function decodeSource(bytes: Uint8Array): string {
  return decoder.decode(bytes).replace(/\0/g, ' ');
}

/**
 * The dotted module of a Python file: its path from the highest folder of an unbroken chain of
 * packages (folders with __init__.py). A file outside any package is a top-level module.
 */
export function moduleNameFor(
  relPath: string,
  isPackageDir: (dir: string) => boolean,
): { module: string; isPackage: boolean } {
  const parts = relPath.replace(/\.py$/, '').split('/');
  const isPackage = parts[parts.length - 1] === '__init__';
  if (isPackage) parts.pop();
  let start = parts.length - (isPackage ? 0 : 1);
  while (start > 0 && isPackageDir(parts.slice(0, start).join('/'))) start--;
  return { module: parts.slice(start).join('.'), isPackage };
}

const NOQA = /#\s*(?:noqa(?::\s*([A-Z0-9, ]+))?|djcache:\s*ignore(?:\[([A-Z0-9, ]+)\])?)/;

function pythonSuppressions(text: string): Suppression[] {
  const out: Suppression[] = [];
  // Most files have neither word: no need to split them into lines.
  if (!text.includes('noqa') && !text.includes('djcache')) return out;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.includes('#')) continue;
    const m = NOQA.exec(line);
    if (!m) continue;
    const listed = m[1] ?? m[2];
    const codes = (listed ?? '').split(/[,\s]+/).filter((c) => /^DJC\d+$/.test(c));
    // A bare `# noqa` silences every djcache finding on the line; `# noqa: F401` names only other tools' codes.
    if (listed !== undefined && codes.length === 0) continue;
    out.push({ line: i, codes });
  }
  return out;
}

function extractPythonFacts(
  parser: Parser,
  path: string,
  bytes: Uint8Array,
  module: string,
  isPackage: boolean,
  hash: string,
): PythonFacts {
  const text = decodeSource(bytes);
  return pythonFacts(path, text, module, isPackage, hash, () => parsedIR(parser, text, module, isPackage));
}

/** The IR of a Python file parsed on this thread; undefined when it could not be parsed. */
export function parsedIR(parser: Parser, text: string, module: string, isPackage: boolean): PythonIR | undefined {
  const tree = parsePython(parser, text);
  if (!tree) return undefined;
  try {
    return buildPythonIR(tree, text, module, isPackage);
  } finally {
    tree.delete();
  }
}

/** A Python file's facts from its decoded text; `ir` gives its syntax, undefined when it has none. */
export function pythonFacts(
  path: string,
  text: string,
  module: string,
  isPackage: boolean,
  hash: string,
  ir: () => PythonIR | undefined,
): PythonFacts {
  const base: PythonFacts = {
    kind: 'python',
    path,
    module,
    isPackage,
    hash,
    lines: lineCount(text),
    imports: [],
    body: [],
    functions: [],
    classes: [],
    suppressions: pythonSuppressions(text),
    hasErrors: false,
  };
  try {
    const built = ir();
    return built ? { ...base, ...built } : { ...base, hasErrors: true };
  } catch (error) {
    return { ...base, hasErrors: true, internalError: errorText(error) };
  }
}

/** One line saying what an internal error was. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A template's facts: its IR in the file's envelope. */
export function extractTemplateFacts(path: string, text: string, hash: string): TemplateFacts {
  const source = path.endsWith('.jade') ? pyjadeToTemplate(text) : text;
  return { kind: 'template', path, hash, lines: lineCount(text), ...buildTemplateIR(source) };
}

export function isTemplatePath(path: string): boolean {
  return /(^|\/)(templates|jinja2)\/.*\.(html|txt|xml|jinja2?|j2|jade)$/.test(path);
}

/** `hash` is the content hash when the caller has it already. */
export function extractFacts(
  parser: Parser,
  path: string,
  bytes: Uint8Array,
  module?: { module: string; isPackage: boolean },
  hash = contentHash(bytes),
): FileFacts | undefined {
  if (path.endsWith('.py')) {
    const m = module ?? { module: path.replace(/\.py$/, '').replace(/\//g, '.'), isPackage: false };
    return extractPythonFacts(parser, path, bytes, m.module, m.isPackage, hash);
  }
  if (isTemplatePath(path)) {
    const text = decodeSource(bytes);
    try {
      return extractTemplateFacts(path, text, hash);
    } catch (error) {
      return {
        kind: 'template',
        path,
        hash,
        lines: lineCount(text),
        extends: null,
        loads: [],
        nodes: [],
        suppressions: [],
        internalError: errorText(error),
      };
    }
  }
  return undefined;
}
