/**
 * "Declare cache tags" on DJC101/DJC102: the entry becomes a djcache `tagged(...)` entry that
 * declares every model the engine found it reading, so the runtime invalidates it on any write.
 */
import type { Node } from 'web-tree-sitter';
import type { Finding } from '../findings';
import { moduleNames, planImports } from './imports';
import { namedKids, nodeAt, parsesCleanly, withSyntax } from './pythonSyntax';
import { pyString, pythonStyle } from './pythonStyle';
import { applyEdits, replaceSpan, type TextEdit } from './text';
import type { Fix, SourceFiles } from './types';

/** What DJC101/DJC102 findings carry for this fix. */
export interface DeclareTagsData {
  /** djcache is in INSTALLED_APPS or imported somewhere in the project. */
  installed: boolean;
  /** Every model the entry reads, sorted. */
  models: string[];
}

const TITLE = 'Declare cache tags';

export function declareTagsFix(finding: Finding, files: SourceFiles): Fix | undefined {
  const d = finding.data.declareTags as DeclareTagsData | undefined;
  if (!d || !d.models.length) return undefined;
  if (!d.installed) {
    return {
      title: `${TITLE} (install djcache first)`, code: finding.code, preferred: false, safe: false, changes: [],
      explanation: `djcache is not installed in this project. After \`pip install djcache\` and adding "djcache" to INSTALLED_APPS, this action rewrites the entry to tagged(${d.models.map((m) => JSON.stringify(m)).join(', ')}), which the runtime invalidates on every write to those tables.`,
    };
  }
  const text = finding.path.endsWith('.py') ? files.read(finding.path) : undefined;
  const edits = text === undefined ? undefined : valueCacheEdits(finding, d, text);
  if (!edits) return undefined;
  // A rewrite to another caching API is a choice, not something fix-all should make.
  return { title: TITLE, code: finding.code, preferred: false, safe: false, changes: [{ kind: 'edit', path: finding.path, edits }] };
}

/**
 * `cache.get_or_set(k, ...)` → `tagged(...).get_or_set(k, ...)`; `cache.set(k, v, t)` → `tagged(...).set(k, v, t)` together with
 * each `cache.get(k)` of the same key text in the same function. `cache` must be Django's default cache.
 */
function valueCacheEdits(finding: Finding, d: DeclareTagsData, text: string): TextEdit[] | undefined {
  return withSyntax(text, (root) => {
    const call = nodeAt(root, 'call', finding.loc);
    const method = call && cacheMethod(call);
    if (!call || !method || (method.name !== 'get_or_set' && method.name !== 'set')) return undefined;
    const names = moduleNames(root, text);
    if (names.bound.get('cache') !== 'django.core.cache:cache') return undefined;
    const style = pythonStyle(root, text);
    const imports = planImports(text, names, [{ module: 'djcache', name: 'tagged' }], style);
    if ('conflict' in imports) return undefined;
    const tagged = `tagged(${d.models.map((m) => pyString(m, style)).join(', ')})`;
    const targets = [method.object];
    if (method.name === 'set') {
      const key = method.key?.text;
      const scope = enclosing(call);
      const gets = scope.descendantsOfType('call').filter((c): c is Node => !!c).map(cacheMethod).filter((m) => m?.name === 'get' && m.key?.text === key);
      // A set without its get would cache through tags while reading around them.
      if (!key || !gets.length) return undefined;
      targets.push(...gets.map((g) => g!.object));
    }
    const edits = [...imports, ...targets.map((o) => replaceSpan(text, o.startIndex, o.endIndex, tagged))];
    return parsesCleanly(applyEdits(text, edits)) ? edits : undefined;
  });
}

/** `cache.<name>(key, ...)`: the `cache` name node, the method and the first argument. */
function cacheMethod(call: Node): { object: Node; name: string; key: Node | undefined } | undefined {
  const fn = call.childForFieldName('function');
  const obj = fn?.childForFieldName('object');
  const attr = fn?.childForFieldName('attribute');
  if (fn?.type !== 'attribute' || obj?.type !== 'identifier' || obj.text !== 'cache' || !attr) return undefined;
  const args = call.childForFieldName('arguments');
  const key = args ? namedKids(args)[0] : undefined;
  return { object: obj, name: attr.text, key: key?.type === 'keyword_argument' ? undefined : key };
}

function enclosing(n: Node): Node {
  let cur: Node = n;
  while (cur.parent && cur.type !== 'function_definition') cur = cur.parent;
  return cur;
}

