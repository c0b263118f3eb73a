/** DJC108: add a missing model to a djcache tag declaration, or remove an unused one. */
import type { Finding, FindingOf, TagFixData } from '../findings';
import { modelName } from '../wording';
import { importFrom, moduleNames, planImports } from './imports';
import { parsesCleanly, withSyntax } from './pythonSyntax';
import { DEFAULT_STYLE, pyString, pythonStyle } from './pythonStyle';
import { applyEdits, offsetAt, replaceSpan, type TextEdit } from './text';
import type { Fix, SourceFiles } from './types';

export function tagDeclarationFix(finding: Finding, files: SourceFiles): Fix | undefined {
  if (finding.code !== 'DJC108') return undefined;
  const t = finding.data.tags;
  const model = t?.add ?? t?.remove;
  const text = t && files.read(t.path);
  if (!t || !model || text === undefined) return undefined;
  const edits = t.path.endsWith('.py') ? pythonEdits(finding, t, model, text) : templateEdits(t, model, text);
  if (!edits) return undefined;
  return {
    title: `${t.add ? 'Add' : 'Remove'} tag ${modelName(model)}`,
    code: finding.code,
    preferred: true,
    safe: true,
    changes: [{ kind: 'edit', path: t.path, edits }],
  };
}

/** The declared items after the change, sorted by model name so that the result does not depend on the order of fixes. */
function changedItems(t: TagFixData, added: string | undefined): { model: string; text: string }[] {
  const kept = t.items.filter((i) => i.model !== t.remove);
  const all = added ? [...kept, { model: t.add!, text: added }] : kept;
  return all.sort((a, b) => modelName(a.model).localeCompare(modelName(b.model)) || a.model.localeCompare(b.model));
}

function pythonEdits(finding: FindingOf<'DJC108'>, t: TagFixData, model: string, text: string): TextEdit[] | undefined {
  const locs = t.items.map((i) => i.loc);
  if (!locs.length || locs.some((l) => !l)) return undefined;
  const file = withSyntax(text, (root) => ({ style: pythonStyle(root, text), names: moduleNames(root, text) }));
  const style = file?.style ?? DEFAULT_STYLE;
  const edits: TextEdit[] = [];
  let added: string | undefined;
  if (t.add && t.style === 'label') added = pyString(model, style);
  else if (t.add) {
    // A class needs its import; the finding's data says where the model class lives.
    const sender = finding.data.sender;
    if (!sender || !file) return undefined;
    const imports = planImports(
      text,
      file.names,
      importFrom(t.path, sender.module, finding.data.app?.models, sender.name),
      style,
    );
    if ('conflict' in imports) return undefined;
    edits.push(...imports);
    added = sender.name;
  }
  const items = changedItems(t, added);
  if (!items.length) return undefined;
  const first = locs[0]!;
  const last = locs[locs.length - 1]!;
  edits.push(
    replaceSpan(
      text,
      offsetAt(text, first[0], first[1]),
      offsetAt(text, last[2], last[3]),
      items.map((i) => i.text).join(', '),
    ),
  );
  return parsesCleanly(applyEdits(text, edits)) ? edits : undefined;
}

/** `depends_on="catalog.Product catalog.Category"` on the `{% tagged_cache %}` line. */
function templateEdits(t: TagFixData, model: string, text: string): TextEdit[] | undefined {
  const tagStart = offsetAt(text, t.loc[0], t.loc[1]);
  const tagEnd = text.indexOf('%}', tagStart);
  const m = /depends_on=(["'])([^"']*)\1/.exec(text.slice(tagStart, tagEnd < 0 ? undefined : tagEnd));
  if (!m) return undefined;
  const items = changedItems(t, t.add ? model : undefined);
  if (!items.length) return undefined;
  const start = tagStart + m.index + 'depends_on='.length + 1;
  return [replaceSpan(text, start, start + m[2].length, items.map((i) => i.model).join(' '))];
}
