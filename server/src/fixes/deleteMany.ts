/** DJC107: a run of `cache.delete(k)` statements becomes one `cache.delete_many([...])`, keys kept as written. */
import type { Node } from 'web-tree-sitter';
import type { Loc } from '../syntax/ir';
import type { Finding } from '../findings';
import { namedKids, nodeAt, preorder, statementOf, withSyntax } from './pythonSyntax';
import { pythonStyle } from './pythonStyle';
import { lineTextBefore, replaceSpan } from './text';
import type { Fix, SourceFiles } from './types';

/** Lines longer than this are split, one key per line. */
const MAX_LINE = 88;

interface DeleteCall {
  receiver: string;
  key: string;
  version: string | null;
  statement: { start: number; end: number };
}

export function deleteManyFix(finding: Finding, files: SourceFiles): Fix | undefined {
  if (finding.code !== 'DJC107') return undefined;
  const locs = finding.data.locs;
  const text = files.read(finding.path);
  if (!locs || locs.length < 2 || text === undefined) return undefined;
  const plan = withSyntax(text, (root) => {
    const calls = locs.map((loc) => deleteCall(root, loc));
    if (calls.some((c) => !c)) return undefined;
    const found = calls as DeleteCall[];
    const comments = between(root, found[0].statement.start, found[found.length - 1].statement.end);
    return { calls: found, comments, style: pythonStyle(root, text) };
  });
  if (!plan) return undefined;
  const { calls, comments, style } = plan;
  const [first] = calls;
  if (calls.some((c) => c.receiver !== first.receiver || c.version !== first.version)) return undefined;
  const start = first.statement.start;
  const indent = lineTextBefore(text, start);
  if (indent.trim()) return undefined;
  const version = first.version === null ? '' : `, version=${first.version}`;
  const oneLine = `${first.receiver}.delete_many([${calls.map((c) => c.key).join(', ')}]${version})`;
  const call =
    indent.length + oneLine.length <= MAX_LINE
      ? oneLine
      : [
          `${first.receiver}.delete_many(`,
          `${indent}${style.indent}[`,
          ...calls.map((c) => `${indent}${style.indent.repeat(2)}${c.key},`),
          `${indent}${style.indent}],`,
          ...(first.version === null ? [] : [`${indent}${style.indent}version=${first.version},`]),
          `${indent})`,
        ].join(style.eol);
  // Comments between the deletes would be lost with their lines: they move above the new call.
  const moved = comments.map((c) => `${c}${style.eol}${indent}`).join('');
  return {
    title: `Merge the ${calls.length} deletes into one ${first.receiver}.delete_many()`,
    code: finding.code,
    preferred: true,
    safe: true,
    changes: [
      {
        kind: 'edit',
        path: finding.path,
        edits: [replaceSpan(text, start, calls[calls.length - 1].statement.end, moved + call)],
      },
    ],
  };
}

/** `recv.delete(key)` or `recv.delete(key, version=v)` as a statement of its own. */
function deleteCall(root: Node, loc: Loc): DeleteCall | undefined {
  const call = nodeAt(root, 'call', loc);
  const fn = call?.childForFieldName('function');
  const statement = call && statementOf(call);
  if (!call || fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'delete') return undefined;
  if (statement?.type !== 'expression_statement' || statement.firstNamedChild?.id !== call.id) return undefined;
  const args = namedKids(call.childForFieldName('arguments')!).filter((a) => a.type !== 'comment');
  const keyword = (a: Node) => (a.type === 'keyword_argument' ? a.childForFieldName('name')?.text : undefined);
  const key = args.find((a) => a.type !== 'keyword_argument') ?? args.find((a) => keyword(a) === 'key');
  const version = args.find((a) => keyword(a) === 'version');
  if (!key || args.some((a) => a !== key && a !== version)) return undefined;
  const keyText = key.type === 'keyword_argument' ? key.childForFieldName('value')!.text : key.text;
  return {
    receiver: fn.childForFieldName('object')!.text,
    key: keyText,
    version: version ? version.childForFieldName('value')!.text : null,
    statement: { start: statement.startIndex, end: statement.endIndex },
  };
}

/** Comments strictly inside [start, end). */
function between(root: Node, start: number, end: number): string[] {
  const out: string[] = [];
  preorder(root, (n) => {
    if (n.endIndex <= start || n.startIndex >= end) return false;
    if (n.type === 'comment') out.push(n.text);
    return true;
  });
  return out;
}
