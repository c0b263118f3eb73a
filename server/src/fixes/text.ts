/** Positions and edits on plain text: 0-based lines, UTF-16 columns, as the engine's Loc. */
import type { Loc } from '../syntax/ir';
import { lineStartsOf } from '../text/lines';
import type { Change, SourceFiles } from './types';

export interface TextEdit {
  range: Loc;
  newText: string;
}

export type Position = [line: number, col: number];

/** The offset of a position; columns past the end of their line stop at it. */
export function offsetAt(text: string, line: number, col: number): number {
  const starts = lineStartsOf(text);
  if (line >= starts.length) return text.length;
  const lineEnd = line + 1 < starts.length ? starts[line + 1] - 1 : text.length;
  return Math.min(starts[line] + col, lineEnd);
}

/** The offset of the end of a line's text, before its line break ('\r\n' or '\n'). */
export function lineEndOffset(text: string, line: number): number {
  const end = offsetAt(text, line, Infinity);
  return text[end - 1] === '\r' && text[end] === '\n' ? end - 1 : end;
}

/** The text of `offset`'s line before it: a statement's indentation, when nothing else precedes it. */
export function lineTextBefore(text: string, offset: number): string {
  return text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset);
}

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return [line, offset - (before.lastIndexOf('\n') + 1)];
}

/** The range of the whole text, for replacing a file in one edit. */
export function wholeRange(text: string): Loc {
  const [line, col] = positionAt(text, text.length);
  return [0, 0, line, col];
}

export function insertAt(text: string, offset: number, newText: string): TextEdit {
  const [line, col] = positionAt(text, offset);
  return { range: [line, col, line, col], newText };
}

export function replaceSpan(text: string, start: number, end: number, newText: string): TextEdit {
  return { range: [...positionAt(text, start), ...positionAt(text, end)], newText };
}

/** Applies edits made against the same text; they must not overlap. Insertions at one offset keep their order. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const spans = edits
    .map((e, i) => ({
      start: offsetAt(text, e.range[0], e.range[1]),
      end: offsetAt(text, e.range[2], e.range[3]),
      newText: e.newText,
      i,
    }))
    .sort((a, b) => b.start - a.start || b.end - a.end || b.i - a.i);
  let out = text;
  let limit = Infinity;
  for (const s of spans) {
    if (s.end > limit) throw new Error('overlapping edits');
    out = out.slice(0, s.start) + s.newText + out.slice(s.end);
    limit = s.start;
  }
  return out;
}

/** New full texts of the files the changes touch, each change applied to the text the previous ones left. */
export function applyChanges(files: SourceFiles, changes: Change[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of changes) {
    if (c.kind === 'create') out.set(c.path, c.text);
    else out.set(c.path, applyEdits(out.get(c.path) ?? files.read(c.path) ?? '', c.edits));
  }
  return out;
}

/** Where a position of the text before an edit is after it; undefined when the edit replaced it. */
export function mapPosition(p: Position, edit: TextEdit): Position | undefined {
  const [sl, sc, el, ec] = edit.range;
  const before = (l: number, c: number) => p[0] < l || (p[0] === l && p[1] < c);
  if (before(sl, sc) || (p[0] === sl && p[1] === sc && (sl !== el || sc !== ec))) return p;
  if (before(el, ec)) return undefined;
  const lines = edit.newText.split('\n');
  const endLine = sl + lines.length - 1;
  const endCol = (lines.length === 1 ? sc : 0) + lines[lines.length - 1].length;
  return p[0] === el ? [endLine, endCol + p[1] - ec] : [p[0] + endLine - el, p[1]];
}

/** One edit turning `before` into `after`, over whole lines from the first changed line to the last (an insertion of lines stays one). */
export function changedLines(before: string, after: string): TextEdit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let tail = 0;
  while (
    tail < before.length - start &&
    tail < after.length - start &&
    before[before.length - 1 - tail] === after[after.length - 1 - tail]
  )
    tail++;
  start = start && before.lastIndexOf('\n', start - 1) + 1;
  let end = before.length - tail;
  if (end > start && before[end - 1] !== '\n') {
    const lineEnd = before.indexOf('\n', end);
    end = lineEnd < 0 ? before.length : lineEnd;
  }
  return replaceSpan(before, start, end, after.slice(start, after.length - (before.length - end)));
}
