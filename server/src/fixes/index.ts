/**
 * The engine's quick-fixes: plain edits built from a finding's data and the current file texts.
 * Python is read with the engine's tree-sitter parser, which is loaded before any finding exists;
 * every fix is checked to leave the files it edits parsing.
 */
import type { Loc } from '../syntax/ir';
import type { EntryData, Finding } from '../findings';
import type { Location } from '../../../shared/loc';
import type { KeyRebuild } from '../analysis/keyRebuild';
import { type FixName, fixesOfRule } from '../rules';
import { mapHoles } from './invalidation';
import { bulkWriteFix } from './bulkWrite';
import { invalidatedUpdateFix } from './invalidatedUpdate';
import { declareTagsFix } from './declareTags';
import { deleteManyFix } from './deleteMany';
import { noqaFix } from './noqa';
import { receiverFix, receiverUnavailable } from './receiver';
import { tagDeclarationFix } from './tags';
import { applyChanges, mapPosition, type TextEdit, wholeRange } from './text';
import type { Change, Fix, SourceFiles } from './types';

export { applyChanges, receiverUnavailable };
export type { Change, Fix, SourceFiles };

/** A builder looks at the finding's code first: a finding of a rule whose data it does not read gets no fix. */
type Builder = (finding: Finding, files: SourceFiles) => Fix | undefined;

/** The builder of each quick-fix a rule lists (rules/index.ts). */
const BUILDERS: Record<FixName, Builder> = {
  receiver: receiverFix,
  declareTags: declareTagsFix,
  bulkWrite: bulkWriteFix,
  invalidatedUpdate: invalidatedUpdateFix,
  deleteMany: deleteManyFix,
  tagDeclaration: tagDeclarationFix,
};

/** Every fix for one finding, the preferred one first; the suppression comes last. */
export function fixesFor(finding: Finding, files: SourceFiles): Fix[] {
  const build = (builder: Builder) => {
    try {
      return builder(finding, files);
    } catch {
      // A builder failing on code it did not foresee must not take the other fixes down.
      return undefined;
    }
  };
  return [...fixesOfRule(finding.code).map((name) => BUILDERS[name]), noqaFix].map(build).filter((f): f is Fix => !!f);
}

/**
 * Every safe fix, applied one after the other: each reads the texts the previous ones left, so
 * fixes of one signals.py compose (one import each) and an already-added receiver is not added
 * twice. Findings' positions follow the edits made before them. The result is one change per
 * touched file against the original texts: a creation, or a whole-file replacement.
 */
export function fixAll(findings: Finding[], files: SourceFiles): Change[] {
  return fixedFiles(findings, files).map(({ path, before, after }) =>
    before === undefined
      ? { kind: 'create', path, text: after }
      : { kind: 'edit', path, edits: [{ range: wholeRange(before), newText: after }] },
  );
}

/** A file the safe fixes change: its text before (undefined when they create it) and after. */
export interface FixedFile {
  path: string;
  before: string | undefined;
  after: string;
}

/** What fixAll does, as each touched file's text before and after. */
export function fixedFiles(findings: Finding[], files: SourceFiles): FixedFile[] {
  const current = new Map<string, string>();
  const applied = new Map<string, TextEdit[][]>();
  const overlay: SourceFiles = { read: (p) => (current.has(p) ? current.get(p) : files.read(p)) };
  for (const original of findings) {
    const finding = relocated(original, applied);
    if (!finding) continue;
    const fix = fixesFor(finding, overlay).find((f) => f.safe);
    if (!fix) continue;
    for (const [path, text] of applyChanges(overlay, fix.changes)) current.set(path, text);
    for (const c of fix.changes) if (c.kind === 'edit') applied.set(c.path, [...(applied.get(c.path) ?? []), c.edits]);
  }
  return [...current]
    .map(([path, after]) => ({ path, before: files.read(path), after }))
    .filter((f) => f.before !== f.after);
}

/** A finding with its positions (its range, and those its data holds) moved through earlier edits; undefined when an edit replaced one. */
function relocated(f: Finding, applied: Map<string, TextEdit[][]>): Finding | undefined {
  let lost = false;
  const move = (path: string, loc: Loc): Loc => {
    let [start, end]: [[number, number] | undefined, [number, number] | undefined] = [
      [loc[0], loc[1]],
      [loc[2], loc[3]],
    ];
    for (const edits of applied.get(path) ?? []) {
      // Edits of one change are against the same text: later ones first leave earlier positions alone.
      for (const e of [...edits].sort((a, b) => b.range[0] - a.range[0] || b.range[1] - a.range[1])) {
        start = start && mapPosition(start, e);
        end = end && mapPosition(end, e);
      }
    }
    if (!start || !end) {
      lost = true;
      return loc;
    }
    return [start[0], start[1], end[0], end[1]];
  };
  const moved = withMovedData({ ...f, loc: move(f.path, f.loc) }, move);
  return lost ? undefined : moved;
}

type Move = (path: string, loc: Loc) => Loc;

/** The finding with the positions its data holds moved: the keys' hole expressions, DJC107's deletes. */
function withMovedData(f: Finding, move: Move): Finding {
  switch (f.code) {
    case 'DJC101':
      return { ...f, data: movedEntryData(f.data, move) };
    case 'DJC102':
      return { ...f, data: movedEntryData(f.data, move) };
    case 'DJC106':
      return { ...f, data: movedEntryData(f.data, move) };
    case 'DJC108':
      return { ...f, data: movedEntryData(f.data, move) };
    case 'DJC103':
      return {
        ...f,
        data: { ...f.data, keys: f.data.keys.map((k) => ({ ...k, rebuild: movedRebuild(k.rebuild, move) })) },
      };
    case 'DJC107':
      return { ...f, data: { ...f.data, locs: f.data.locs.map((l) => move(f.path, l)) } };
    case 'DJC104':
    case 'DJC105':
    case 'DJC109':
      return f;
  }
}

function movedEntryData<D extends EntryData>(d: D, move: Move): D {
  return {
    ...d,
    rebuild: movedRebuild(d.rebuild, move),
    ...(d.m2m ? { m2m: { ...d.m2m, rebuild: movedRebuild(d.m2m.rebuild, move) } } : {}),
  };
}

function movedRebuild<H extends { at: Location }>(r: KeyRebuild<H>, move: Move): KeyRebuild<H> {
  return mapHoles(r, (h) => ({ ...h, at: { path: h.at.path, loc: move(h.at.path, h.at.loc) } }));
}
