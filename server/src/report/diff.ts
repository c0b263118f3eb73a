/** Unified diffs of whole-file changes, as `--diff` prints them (git's shape, 3 lines of context). */

const CONTEXT = 3;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** `before` undefined: the file is created. Empty when the texts are equal. */
export function unifiedDiff(path: string, before: string | undefined, after: string): string {
  if (before === after) return '';
  const a = before === undefined ? [] : splitLines(before);
  const b = splitLines(after);
  const ops = lineOps(a, b);
  const out = [`--- ${before === undefined ? '/dev/null' : `a/${path}`}`, `+++ b/${path}`];
  // Hunks: runs of changes with up to 2 * CONTEXT unchanged lines between them.
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i].kind === ' ') i++;
    if (i === ops.length) break;
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    for (let quiet = 0; end < ops.length && quiet <= 2 * CONTEXT; end++) quiet = ops[end].kind === ' ' ? quiet + 1 : 0;
    while (end > i && ops[end - 1].kind === ' ') end--;
    end = Math.min(ops.length, end + CONTEXT);
    const [oldStart, newStart] = positionsBefore(ops, start);
    const hunk = ops.slice(start, end);
    const oldCount = hunk.filter((o) => o.kind !== '+').length;
    const newCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const o of hunk) out.push(o.kind + o.line);
    i = end;
  }
  return out.join('\n') + '\n';
}

/** Lines without their breaks; a final break ends the last line rather than starting an empty one. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** 1-based line numbers, in the old and new text, of op `index`. */
function positionsBefore(ops: Op[], index: number): [number, number] {
  let oldLine = 1;
  let newLine = 1;
  for (const o of ops.slice(0, index)) {
    if (o.kind !== '+') oldLine++;
    if (o.kind !== '-') newLine++;
  }
  return [oldLine, newLine];
}

/** `start,count`, where an empty range names the line before it, as diff does. */
function range(start: number, count: number): string {
  return `${count === 0 ? start - 1 : start},${count}`;
}

/** A shortest edit script (Myers), after taking off the common head and tail: fixes change few lines. */
function lineOps(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const same = (lines: string[]) => lines.map((line): Op => ({ kind: ' ', line }));
  return [...same(a.slice(0, head)), ...myers(x, y), ...same(a.slice(a.length - tail))];
}

function myers(a: string[], b: string[]): Op[] {
  const max = a.length + b.length;
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let xPos =
        k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let yPos = xPos - k;
      while (xPos < a.length && yPos < b.length && a[xPos] === b[yPos]) {
        xPos++;
        yPos++;
      }
      next[offset + k] = xPos;
      if (xPos === a.length && yPos === b.length) return backtrack(trace, a, b, offset, d, k);
    }
    v = next;
  }
  return [];
}

function backtrack(trace: Int32Array[], a: string[], b: string[], offset: number, d: number, k: number): Op[] {
  const ops: Op[] = [];
  let xPos = a.length;
  let yPos = b.length;
  for (; d > 0; d--) {
    const v = trace[d];
    const down = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (xPos > prevX + (down ? 0 : 1) && yPos > prevY + (down ? 1 : 0)) {
      yPos--;
      ops.push({ kind: ' ', line: a[--xPos] });
    }
    if (down) ops.push({ kind: '+', line: b[--yPos] });
    else ops.push({ kind: '-', line: a[--xPos] });
    k = prevK;
  }
  // The snake from the start, before the first change.
  while (xPos > 0) ops.push({ kind: ' ', line: a[--xPos] });
  return ops.reverse();
}
