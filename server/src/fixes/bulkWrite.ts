/**
 * DJC103: the invalidation a signal-less write skips, inserted right after the write statement:
 * constant keys are deleted, versioned keys get their version bumped, and keys rebuilt from the
 * objects of bulk_create/bulk_update are deleted with delete_many. Any other key makes the fix
 * unavailable, since deleting part of what went stale would look like a fix and not be one.
 */
import type { Finding } from '../findings';
import type { HoleRebuild } from '../analysis/keyRebuild';
import { modelName } from '../wording';
import { importFrom, moduleNames, planImports, type ImportNeed } from './imports';
import { bumpVersion, cacheRef, formattedHole, keyExpression, rebuiltHoles, versionArg } from './invalidation';
import { nodeAt, parsesCleanly, statementOf, withSyntax } from './pythonSyntax';
import { identifierOf, pyString, pythonStyle } from './pythonStyle';
import { applyEdits, insertAt, lineEndOffset, lineTextBefore } from './text';
import type { Fix, SourceFiles } from './types';

const OBJECT_WRITES = /^a?bulk_(create|update)$/;

export function bulkWriteFix(finding: Finding, files: SourceFiles): Fix | undefined {
  if (finding.code !== 'DJC103') return undefined;
  const keys = finding.data.keys;
  const text = files.read(finding.path);
  if (!keys?.length || text === undefined) return undefined;
  if (keys.some((k) => k.rebuild.kind === 'none' || formattedHole(k.rebuild, files))) return undefined;
  const site = withSyntax(text, (root) => {
    const call = nodeAt(root, 'call', finding.loc);
    const statement = call && statementOf(call);
    if (!call || !statement || statement.type === 'return_statement') return undefined;
    const fn = call.childForFieldName('function');
    const first = call.childForFieldName('arguments')?.firstNamedChild;
    const objects =
      fn?.type === 'attribute' &&
      OBJECT_WRITES.test(fn.childForFieldName('attribute')?.text ?? '') &&
      first?.type === 'identifier'
        ? first.text
        : undefined;
    return {
      start: statement.startIndex,
      end: statement.endIndex,
      endRow: statement.endPosition.row,
      objects,
      names: moduleNames(root, text),
      style: pythonStyle(root, text),
    };
  });
  if (!site) return undefined;
  const { names, style, objects } = site;
  const indent = lineTextBefore(text, site.start);
  const lineEnd = lineEndOffset(text, site.endRow);
  // Only a statement alone on its lines can have another inserted after it.
  if (indent.trim() || !/^\s*(#.*)?$/.test(text.slice(site.end, lineEnd))) return undefined;

  const model = identifierOf(modelName(finding.data.model ?? ''));
  const loopVar = model === objects ? 'obj' : model;
  const needs: ImportNeed[] = [{ module: 'django.db', name: 'transaction' }];
  const statements: string[] = [];
  const constants = new Map<string, { cache: string; version: string; keys: string[] }>();
  for (const k of keys) {
    const r = k.rebuild;
    const cache = cacheRef(r.kind === 'version' ? r.alias : k.alias, names, style);
    if (!cache) return undefined;
    needs.push(cache.need);
    if (r.kind === 'constant') {
      const group = `${k.alias}\0${k.version}`;
      const c = constants.get(group) ?? { cache: cache.expr, version: versionArg(k.version), keys: [] };
      c.keys.push(pyString(r.key, style));
      constants.set(group, c);
    } else if (r.kind === 'version') {
      statements.push(...bumpVersion(cache.expr, r.versionKey, style));
    } else if ((r.kind === 'holes' || r.kind === 'call') && objects && rebuiltHoles(r).every((h) => 'attr' in h)) {
      // Each written object gives its own key, as a receiver would have from its instance.
      const key = keyExpression(r, (h) => `${loopVar}.${(h as Extract<HoleRebuild, { attr: string }>).attr}`, style);
      if (r.kind === 'call') needs.push(...importFrom(finding.path, r.module, r.path, r.name));
      statements.push(
        `transaction.on_commit(lambda: ${cache.expr}.delete_many([${key} for ${loopVar} in ${objects}]${versionArg(k.version)}))`,
      );
    } else return undefined;
  }
  for (const c of constants.values()) {
    const call =
      c.keys.length === 1 ? `delete(${c.keys[0]}${c.version})` : `delete_many([${c.keys.join(', ')}]${c.version})`;
    statements.unshift(`transaction.on_commit(lambda: ${c.cache}.${call})`);
  }
  const imports = planImports(text, names, needs, style);
  if ('conflict' in imports) return undefined;
  const insertion = insertAt(text, lineEnd, [...new Set(statements)].map((s) => `${style.eol}${indent}${s}`).join(''));
  const edits = [...imports, insertion];
  if (!parsesCleanly(applyEdits(text, edits)) && parsesCleanly(text)) return undefined;
  const shown = keys.map((k) => `'${k.key}'`);
  return {
    title: `Invalidate ${shown.slice(0, 2).join(', ')}${shown.length > 2 ? ` and ${shown.length - 2} more` : ''} after this write`,
    code: finding.code,
    preferred: true,
    safe: true,
    changes: [{ kind: 'edit', path: finding.path, edits }],
  };
}
