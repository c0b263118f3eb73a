/**
 * Seeded mutations of fixture files for the fuzz suite (test/fuzz.test.ts) and the long run
 * (bench/fuzz.ts): a case is a seed, and the seed alone decides the file, the mutation and its
 * arguments, so any failure replays from the seed it prints.
 */
import * as path from 'path';
import { readTree } from '../tree';

/** A fixture file a mutation starts from. */
export interface CorpusFile {
  rel: string;
  kind: 'python' | 'template';
  bytes: Uint8Array;
}

/** Every Python file and template of test/fixtures, in a fixed order. */
export function loadCorpus(repoRoot: string): CorpusFile[] {
  const out: CorpusFile[] = [];
  for (const [rel, bytes] of readTree(path.join(repoRoot, 'test', 'fixtures'))) {
    if (rel.endsWith('.py')) out.push({ rel, kind: 'python', bytes });
    else if (/(^|\/)templates\/.*\.(html|txt|xml)$/.test(rel)) out.push({ rel, kind: 'template', bytes });
  }
  return out;
}

/** mulberry32: small, fast, and the same sequence for a seed on every platform (also the incremental test's random edits). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (rng: Rng, below: number) => Math.floor(rng() * below);
const ascii = (s: string) => Buffer.from(s, 'latin1');

/** `depth` nested `if` blocks, each indented one column deeper (tabs for eight), ending in `tail`. */
export function deepBlocks(depth: number, tail = '"end"'): string {
  const indent = (i: number) => '\t'.repeat(i >> 3) + ' '.repeat(i & 7);
  const lines: string[] = [];
  for (let i = 0; i < depth; i++) lines.push(`${indent(i)}if x:`);
  lines.push(`${indent(depth)}${tail}`, '');
  return lines.join('\n');
}

/** A cache fragment holding `depth` nested unclosed block tags, and a read at the bottom. */
export function deepTemplateTags(depth: number): string {
  const tags = ['{% for x in xs %}', '{% with y=x %}'];
  return `{% load cache %}{% cache 60 k %}\n${Array.from({ length: depth }, (_, i) => tags[i % tags.length]).join('\n')}\n{{ y.name }}\n`;
}

function insertAt(bytes: Uint8Array, at: number, insert: Uint8Array, removing = 0): Uint8Array {
  return Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at + removing)]);
}

/** A place just after a line break, or the start. */
function lineStart(rng: Rng, bytes: Uint8Array): number {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) starts.push(i + 1);
  return starts[int(rng, starts.length)];
}

const BAD_UTF8 = [
  [0xff],
  [0xc3],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x9f, 0x98],
  [0xfe, 0xfe, 0xff],
  [0xe2, 0x82],
];

/** Each mutation takes the file's bytes and its kind, and gives the mutated bytes. */
export const MUTATIONS: Record<string, (rng: Rng, bytes: Uint8Array, kind: CorpusFile['kind']) => Uint8Array> = {
  byteFlips(rng, bytes) {
    const out = Buffer.from(bytes);
    if (!out.length) return out;
    for (let n = 1 + int(rng, 16); n > 0; n--) out[int(rng, out.length)] ^= 1 + int(rng, 255);
    return out;
  },
  truncation(rng, bytes) {
    return bytes.subarray(0, int(rng, bytes.length + 1));
  },
  deepNesting(rng, bytes, kind) {
    // At the start, the whole file is inside the nesting; at a line start, it may be inside the file's own blocks.
    if (kind === 'template')
      return insertAt(bytes, rng() < 0.5 ? 0 : lineStart(rng, bytes), ascii(deepTemplateTags(100 + int(rng, 6000))));
    const deep = 100 + int(rng, 6000);
    const shapes = [
      // Around the 384 to 511 open blocks at which the grammar's scanner overflowed (issue 14).
      () => deepBlocks(380 + int(rng, 200), ['"s"', 'f"{x}"', 'x', '"""open', 'f\'{f"{x}"}\''][int(rng, 5)]),
      () => `x = ${'('.repeat(deep)}1${')'.repeat(int(rng, deep + 1))}\n`,
      () => `x = ${'['.repeat(deep)}\n`,
      () => `x = ${'f('.repeat(deep)}${')'.repeat(deep)}\n`,
      () => `x = a${'.b'.repeat(deep)}\n`,
      () => `x = ${'lambda: '.repeat(deep)}1\n`,
    ];
    return insertAt(bytes, lineStart(rng, bytes), ascii(shapes[int(rng, shapes.length)]()));
  },
  hugeLine(rng, bytes, kind) {
    const length = 50_000 + int(rng, 1_000_000);
    const units = kind === 'template' ? ['{{ x }}', '{% if x %}', 'a'] : ['x + ', '"s" ', 'a', '(', ' '];
    return insertAt(
      bytes,
      lineStart(rng, bytes),
      ascii(units[int(rng, units.length)].repeat(Math.ceil(length / 4)).slice(0, length) + '\n'),
    );
  },
  nulBytes(rng, bytes) {
    let out = bytes;
    for (let n = 1 + int(rng, 8); n > 0; n--)
      out = insertAt(out, int(rng, out.length + 1), new Uint8Array(1 + int(rng, 4)));
    return out;
  },
  badUtf8(rng, bytes) {
    let out = bytes;
    for (let n = 1 + int(rng, 8); n > 0; n--)
      out = insertAt(out, int(rng, out.length + 1), Uint8Array.from(BAD_UTF8[int(rng, BAD_UTF8.length)]));
    return out;
  },
  lineEndings(rng, bytes) {
    const out: number[] = [];
    const endings = [[10], [13, 10], [13], [13, 13, 10]];
    for (const b of bytes) {
      if (b === 10 && rng() < 0.5) out.push(...endings[int(rng, endings.length)]);
      else out.push(b);
    }
    return Uint8Array.from(out);
  },
};

export interface FuzzCase {
  seed: number;
  file: string;
  mutation: string;
  path: string;
  bytes: Uint8Array;
}

/** Where a mutated file goes in the fuzzed workspace: it sorts, and so is parsed, before the sentinel app. */
const MUTANT_DIR = 'aaa_fuzz';

/** The mutated file of `seed`: its source file, mutation and bytes all come from the seed. */
export function caseFor(seed: number, corpus: readonly CorpusFile[]): FuzzCase {
  const rng = random(seed);
  // Templates are few among the fixture files: one case in four takes one, so they are fuzzed as much as they matter.
  const kind = rng() < 0.25 ? 'template' : 'python';
  const ofKind = corpus.filter((f) => f.kind === kind);
  const file = ofKind[int(rng, ofKind.length)];
  const names = Object.keys(MUTATIONS);
  const mutation = names[int(rng, names.length)];
  const bytes = MUTATIONS[mutation](rng, file.bytes, file.kind);
  const where = file.kind === 'python' ? `${MUTANT_DIR}/mutant.py` : `${MUTANT_DIR}/templates/mutant.html`;
  return { seed, file: file.rel, mutation, path: where, bytes };
}
