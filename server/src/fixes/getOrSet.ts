/**
 * For "Declare cache tags": a `cache.get` … compute … `cache.set` of one key in a function, as one
 * `tagged(...).get_or_set(key, compute, timeout)`. The runtime's get_or_set captures the tag versions
 * before it computes, so a write that lands during the computation is not missed, as it is between
 * a `tagged().get` and a later `tagged().set` (runtime/README.md). Shapes taken:
 *
 *     v = cache.get(k)            v = cache.get(k, MISSING)      v = cache.get(k)
 *     if v is None:  / if not v:  if v is MISSING:               if v is not None:  / if v:
 *         ...compute v...             ...compute v...                return v
 *         cache.set(k, v, t)          cache.set(k, v, t)         ...compute v...
 *                                                                cache.set(k, v, t)
 *
 * The computation becomes a lambda (one line `v = expr`) or a nested `def`, so it must read as the
 * same code there: no return, yield, await, break, continue, global, nonlocal or del, its first use
 * of `v` assigns it, and no other name it assigns is used elsewhere in the function.
 */
import type { Node } from 'web-tree-sitter';
import { argsOf, namedKids } from './pythonSyntax';
import type { PythonStyle } from './pythonStyle';
import { lineTextBefore, replaceSpan, type TextEdit } from './text';

/** `cache.<name>(key, ...)`: the `cache` name node, the method and the first argument. */
export function cacheMethod(call: Node): { object: Node; name: string; key: Node | undefined } | undefined {
  const fn = call.childForFieldName('function');
  const obj = fn?.childForFieldName('object');
  const attr = fn?.childForFieldName('attribute');
  if (fn?.type !== 'attribute' || obj?.type !== 'identifier' || obj.text !== 'cache' || !attr) return undefined;
  const args = call.childForFieldName('arguments');
  const key = args ? namedKids(args)[0] : undefined;
  return { object: obj, name: attr.text, key: key?.type === 'keyword_argument' ? undefined : key };
}

/** Statements the nested function could not hold with the same meaning. */
const SCOPE_BREAKERS = new Set([
  'return_statement',
  'yield',
  'await',
  'break_statement',
  'continue_statement',
  'global_statement',
  'nonlocal_statement',
  'delete_statement',
]);

/** A one-line computation becomes a lambda while the line stays this short; a nested def otherwise. */
const LAMBDA_LINE_LIMIT = 100;

interface Shape {
  /** `v = cache.get(k)`: the statement and its call. */
  get: Node;
  getCall: Node;
  /** The statements that compute the value, in order (comments included). */
  body: Node[];
  set: Node;
  /** A comment on the set's line, kept on the new line. */
  trailing?: Node;
  value: string;
  timeout: Node | undefined;
}

/**
 * The edit that turns the get/set pair around `setCall` into `<tagged>.get_or_set(...)`, the span it
 * replaces and the get call it consumed; undefined when the code's shape does not allow it.
 */
export function getOrSetRewrite(
  text: string,
  setCall: Node,
  tagged: string,
  style: PythonStyle,
): { edit: TextEdit; span: [start: number, end: number]; getCall: Node } | undefined {
  const shape = shapeOf(setCall);
  if (!shape || !computesLikeAFunction(shape)) return undefined;
  const fn = enclosingFunction(setCall);
  const key = cacheMethod(setCall)!.key!.text;
  const timeout = shape.timeout ? `, ${shape.timeout.text}` : '';
  const indent = lineTextBefore(text, shape.get.startIndex);
  const trailing = shape.trailing ? `  ${shape.trailing.text}` : '';
  const statements = shape.body.filter((n) => n.type !== 'comment');
  const only =
    statements.length === 1 && shape.body.length === 1 ? assignedValue(statements[0], shape.value) : undefined;
  const lambda = only && `${shape.value} = ${tagged}.get_or_set(${key}, lambda: ${only.text}${timeout})`;
  let replacement: string;
  if (lambda && !lambda.includes('\n') && indent.length + lambda.length <= LAMBDA_LINE_LIMIT) {
    replacement = lambda + trailing;
  } else {
    const name = freshName(fn!, `compute_${shape.value}`);
    const body = bodyText(text, shape, indent + style.indent, style);
    if (body === undefined) return undefined;
    replacement = `def ${name}():${style.eol}${body}${style.eol}${indent}${shape.value} = ${tagged}.get_or_set(${key}, ${name}${timeout})${trailing}`;
  }
  const span: [number, number] = [shape.get.startIndex, (shape.trailing ?? shape.set).endIndex];
  return { edit: replaceSpan(text, span[0], span[1], replacement), span, getCall: shape.getCall };
}

function shapeOf(setCall: Node): Shape | undefined {
  const set = setCall.parent;
  if (set?.type !== 'expression_statement' || namedKids(set).length !== 1 || set.parent?.type !== 'block')
    return undefined;
  const method = cacheMethod(setCall)!;
  const args = argsOf(setCall);
  if (!method.key || !args || args.positional.length < 2 || args.positional.length > 3) return undefined;
  if ([...args.kw.keys()].some((k) => k !== 'timeout') || (args.positional.length === 3 && args.kw.size))
    return undefined;
  const valueNode = args.positional[1];
  if (valueNode.type !== 'identifier') return undefined;
  const value = valueNode.text;
  const timeout = args.positional[2] ?? args.kw.get('timeout');
  const block = set.parent;
  const siblings = namedKids(block);
  const at = siblings.findIndex((n) => n.id === set.id);
  const after = siblings.slice(at + 1);
  const trailing =
    after[0]?.type === 'comment' && after[0].startPosition.row === set.endPosition.row ? after[0] : undefined;
  const common = { set, value, timeout, ...(trailing ? { trailing } : {}) };

  // The set ends an `if v is None:` right after the get.
  const ifStatement = block.parent;
  if (
    ifStatement?.type === 'if_statement' &&
    ifStatement.childForFieldName('consequence')?.id === block.id &&
    after.length === (trailing ? 1 : 0)
  ) {
    const get = previousStatement(ifStatement);
    const read = get && getOf(get, method.key.text, value);
    if (
      !read ||
      ifStatement.childForFieldName('alternative') ||
      namedKids(ifStatement).some((n) => n.type === 'else_clause' || n.type === 'elif_clause')
    )
      return undefined;
    if (
      !conditionIs(ifStatement, [`${value} is ${read.missing}`, ...(read.missing === 'None' ? [`not ${value}`] : [])])
    )
      return undefined;
    return { get, getCall: read.call, body: siblings.slice(0, at), ...common };
  }

  // Early return: `if v is not None: return v`, then the computation and the set in the same block.
  for (let i = at - 1; i >= 1; i--) {
    const earlyIf = siblings[i];
    const read = earlyIf.type === 'if_statement' ? getOf(siblings[i - 1], method.key.text, value) : undefined;
    const returns = read && namedKids(earlyIf.childForFieldName('consequence')!);
    if (
      !read ||
      returns?.length !== 1 ||
      returns[0].type !== 'return_statement' ||
      namedKids(returns[0])[0]?.text !== value
    )
      continue;
    if (
      earlyIf.childForFieldName('alternative') ||
      namedKids(earlyIf).some((n) => n.type === 'else_clause' || n.type === 'elif_clause')
    )
      return undefined;
    if (!conditionIs(earlyIf, [`${value} is not ${read.missing}`, ...(read.missing === 'None' ? [value] : [])]))
      return undefined;
    return { get: siblings[i - 1], getCall: read.call, body: siblings.slice(i + 1, at), ...common };
  }
  return undefined;
}

/** `v = cache.get(k)` or `v = cache.get(k, MISSING)`: the call and what a miss returns. */
function getOf(statement: Node, key: string, value: string): { call: Node; missing: string } | undefined {
  const assignment =
    statement.type === 'expression_statement' && namedKids(statement).length === 1
      ? namedKids(statement)[0]
      : undefined;
  const call =
    assignment?.type === 'assignment' &&
    assignment.childForFieldName('left')?.text === value &&
    !assignment.childForFieldName('type')
      ? assignment.childForFieldName('right')
      : undefined;
  const method = call?.type === 'call' ? cacheMethod(call) : undefined;
  const args = call && argsOf(call);
  if (!call || method?.name !== 'get' || method.key?.text !== key || !args || args.positional.length > 2)
    return undefined;
  if ([...args.kw.keys()].some((k) => k !== 'default') || (args.positional.length === 2 && args.kw.size))
    return undefined;
  const missing = args.positional[1] ?? args.kw.get('default');
  if (missing && missing.type !== 'none' && missing.type !== 'identifier') return undefined;
  return { call, missing: missing?.text ?? 'None' };
}

function conditionIs(ifStatement: Node, accepted: string[]): boolean {
  const condition = ifStatement.childForFieldName('condition')?.text.replace(/\s+/g, ' ');
  return condition !== undefined && accepted.includes(condition);
}

/** The statement just above `n` in its block, with nothing (a comment) between. */
function previousStatement(n: Node): Node | undefined {
  const prev = n.previousNamedSibling;
  return prev && prev.type !== 'comment' ? prev : undefined;
}

/** Can the body move into a function of its own and mean the same? */
function computesLikeAFunction(shape: Shape): boolean {
  const fn = enclosingFunction(shape.set);
  const statements = shape.body.filter((n) => n.type !== 'comment');
  if (!fn || !statements.length || fn.type !== 'function_definition') return false;
  if (statements.some((s) => descendants(s, SCOPE_BREAKERS).length)) return false;
  // Its first use of the value assigns it from something else.
  const first = statements.find((s) => names(s).some((n) => n.text === shape.value));
  const assigned = first && assignedValue(first, shape.value);
  if (!assigned || names(assigned).some((n) => n.text === shape.value)) return false;
  // Names it assigns become the nested function's own: nothing else in the function may use them.
  const inside = (n: Node) => statements.some((s) => n.startIndex >= s.startIndex && n.endIndex <= s.endIndex);
  const bound = new Set(statements.flatMap(boundNames).filter((name) => name !== shape.value));
  return !names(fn).some((n) => bound.has(n.text) && !inside(n));
}

/** Identifiers that name variables: not `x.attr`'s attr, nor `f(kw=...)`'s kw. */
function names(n: Node): Node[] {
  return descendants(n, ['identifier']).filter((id) => {
    const p = id.parent;
    if (!p) return true;
    return !(
      (p.type === 'attribute' && p.childForFieldName('attribute')?.id === id.id) ||
      (p.type === 'keyword_argument' && p.childForFieldName('name')?.id === id.id)
    );
  });
}

/** `v = expr` (one target, no annotation): expr. */
function assignedValue(statement: Node, value: string): Node | undefined {
  const assignment =
    statement.type === 'expression_statement' && namedKids(statement).length === 1
      ? namedKids(statement)[0]
      : undefined;
  if (
    assignment?.type !== 'assignment' ||
    assignment.childForFieldName('left')?.text !== value ||
    assignment.childForFieldName('type')
  )
    return undefined;
  const right = assignment.childForFieldName('right');
  return right && right.type !== 'assignment' ? right : undefined;
}

/** Nodes that bind names. */
const BINDERS = [
  'assignment',
  'augmented_assignment',
  'for_statement',
  'for_in_clause',
  'named_expression',
  'as_pattern',
  'function_definition',
  'class_definition',
  'dotted_name',
  'aliased_import',
];

/** Names a statement binds: assignment and loop targets, `as` names, walrus names, imports, defs and classes. */
function boundNames(statement: Node): string[] {
  const names: string[] = [];
  const targets = (n: Node | null) => {
    if (!n) return;
    if (n.type === 'identifier') names.push(n.text);
    else if (
      [
        'pattern_list',
        'tuple_pattern',
        'list_pattern',
        'list_splat_pattern',
        'parenthesized_expression',
        'tuple',
        'list',
      ].includes(n.type)
    )
      namedKids(n).forEach(targets);
  };
  for (const n of descendants(statement, BINDERS)) {
    if (
      n.type === 'assignment' ||
      n.type === 'augmented_assignment' ||
      n.type === 'for_statement' ||
      n.type === 'for_in_clause'
    )
      targets(n.childForFieldName('left'));
    else if (n.type === 'named_expression') targets(n.childForFieldName('name'));
    else if (n.type === 'as_pattern') targets(n.childForFieldName('alias')?.firstNamedChild ?? null);
    else if (n.type === 'function_definition' || n.type === 'class_definition') targets(n.childForFieldName('name'));
    else if (
      n.type === 'dotted_name' &&
      (n.parent?.type === 'import_statement' || n.parent?.type === 'import_from_statement')
    )
      names.push(n.firstNamedChild!.text);
    else if (n.type === 'aliased_import') targets(n.childForFieldName('alias'));
  }
  return names;
}

/** The body's lines at `indent`, the last `v = expr` as `return expr` (or `return v` added); undefined when re-indenting would change a string. */
function bodyText(text: string, shape: Shape, indent: string, style: PythonStyle): string | undefined {
  const first = shape.body[0];
  const last = shape.body[shape.body.length - 1];
  const start = first.startIndex - lineTextBefore(text, first.startIndex).length;
  const lastValue = last.type === 'comment' ? undefined : assignedValue(last, shape.value);
  const head = text.slice(start, last.startIndex);
  const tail = lastValue
    ? `return ${text.slice(lastValue.startIndex, last.endIndex)}`
    : `${text.slice(last.startIndex, last.endIndex)}${style.eol}${lineTextBefore(text, last.startIndex)}return ${shape.value}`;
  const lines = (head + tail).split(/\r?\n/);
  const current = lineTextBefore(text, first.startIndex);
  if (current === indent) return lines.join(style.eol);
  // The early-return shape's body moves one level in: only where no string spans lines.
  if (shape.body.some((s) => descendants(s, ['string']).some((n) => n.text.includes('\n')))) return undefined;
  const moved = lines.map((l) =>
    !l.trim() ? '' : l.startsWith(current) ? indent + l.slice(current.length) : undefined,
  );
  return moved.includes(undefined) ? undefined : moved.join(style.eol);
}

/** `base`, or `base_2`, … : a name no identifier of the function uses. */
function freshName(fn: Node, base: string): string {
  const used = new Set(descendants(fn, ['identifier']).map((n) => n.text));
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  return name;
}

function enclosingFunction(n: Node): Node | undefined {
  for (let cur = n.parent; cur; cur = cur.parent) {
    if (cur.type === 'function_definition') return cur;
    if (cur.type === 'class_definition' || cur.type === 'lambda') return undefined;
  }
  return undefined;
}

/** Nodes of these types under `n`, itself included (tree-sitter walks in C, without recursion here). */
function descendants(n: Node, types: Iterable<string>): Node[] {
  return n.descendantsOfType([...types]).filter((d): d is Node => !!d);
}
