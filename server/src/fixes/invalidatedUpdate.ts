/**
 * DJC103 on an `update()` that leaves only cacheops' entries stale: the same UPDATE through
 * cacheops' `invalidated_update()`, which drops cacheops' entries for the rows it changes.
 */
import type { Finding } from '../findings';
import { nodeAt, parsesCleanly, withSyntax } from './pythonSyntax';
import { applyEdits, replaceSpan } from './text';
import type { Fix, SourceFiles } from './types';

export function invalidatedUpdateFix(finding: Finding, files: SourceFiles): Fix | undefined {
  if (finding.code !== 'DJC103' || !finding.data.invalidatedUpdate) return undefined;
  const text = files.read(finding.path);
  if (text === undefined) return undefined;
  const name = withSyntax(text, (root) => {
    const attr = nodeAt(root, 'call', finding.loc)?.childForFieldName('function')?.childForFieldName('attribute');
    return attr?.text === 'update' ? { start: attr.startIndex, end: attr.endIndex } : undefined;
  });
  if (!name) return undefined;
  const edit = replaceSpan(text, name.start, name.end, 'invalidated_update');
  if (!parsesCleanly(applyEdits(text, [edit]))) return undefined;
  return {
    title: "Use cacheops' invalidated_update()",
    code: finding.code,
    preferred: true,
    safe: true,
    changes: [{ kind: 'edit', path: finding.path, edits: [edit] }],
  };
}
