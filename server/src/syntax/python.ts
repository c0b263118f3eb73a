/**
 * Python syntax tree → the serialisable IR in facts/types.ts. Generic: no Django knowledge here.
 * Never throws on odd trees: unknown shapes become { t: 'unknown' } and error nodes are skipped.
 */
import type { Node, Tree } from 'web-tree-sitter';
import type {
  ClassFact, DictItem, Expr, FunctionFact, ImportFact, Kwarg, Loc, Param, Stmt, Target,
} from '../facts/types';

/** Expressions nested deeper than this become unknown, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 120;

export interface PythonIR {
  imports: ImportFact[];
  body: Stmt[];
  functions: FunctionFact[];
  classes: ClassFact[];
  hasErrors: boolean;
}

function locOf(n: Node): Loc {
  const s = n.startPosition;
  const e = n.endPosition;
  return [s.row, s.column, e.row, e.column];
}

/** Resolves `from ..x import y` against the importing module. */
export function resolveRelative(module: string, isPackage: boolean, dots: number, rest: string): string {
  const parts = module.split('.');
  const keep = parts.length - dots + (isPackage ? 1 : 0);
  const base = parts.slice(0, Math.max(0, keep));
  if (rest) base.push(rest);
  return base.join('.');
}

class Builder {
  readonly imports: ImportFact[] = [];
  readonly functions: FunctionFact[] = [];
  readonly classes: ClassFact[] = [];
  private fnStack: number[] = [];
  private clsStack: number[] = [];

  constructor(private readonly module: string, private readonly isPackage: boolean) {}

  block(n: Node | null): Stmt[] {
    const out: Stmt[] = [];
    if (!n) return out;
    for (const child of n.namedChildren) {
      if (child) this.stmt(child, out);
    }
    return out;
  }

  private stmt(n: Node, out: Stmt[]): void {
    const line = n.startPosition.row;
    switch (n.type) {
      case 'expression_statement': {
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (c.type === 'assignment' || c.type === 'augmented_assignment') this.assignment(c, out, line);
          else out.push({ t: 'expr', value: this.expr(c), line });
        }
        return;
      }
      case 'return_statement': {
        const v = n.namedChildren[0];
        out.push({ t: 'return', value: v ? this.expr(v) : null, line });
        return;
      }
      case 'import_statement':
      case 'import_from_statement':
        this.importStmt(n);
        return;
      case 'if_statement': {
        const orelse: Stmt[] = [];
        // elif chains become nested ifs so every branch keeps its own block.
        let tail = orelse;
        for (const alt of n.childrenForFieldName('alternative')) {
          if (!alt) continue;
          if (alt.type === 'elif_clause') {
            const nested: Stmt = {
              t: 'if', test: this.exprOf(alt.childForFieldName('condition')),
              body: this.block(alt.childForFieldName('consequence')), orelse: [], line: alt.startPosition.row,
            };
            tail.push(nested);
            tail = (nested as { orelse: Stmt[] }).orelse;
          } else {
            tail.push(...this.block(alt.childForFieldName('body')));
          }
        }
        out.push({
          t: 'if', test: this.exprOf(n.childForFieldName('condition')),
          body: this.block(n.childForFieldName('consequence')), orelse, line,
        });
        return;
      }
      case 'for_statement': {
        const alt = n.childForFieldName('alternative');
        out.push({
          t: 'for', target: this.target(n.childForFieldName('left')), iter: this.exprOf(n.childForFieldName('right')),
          body: this.block(n.childForFieldName('body')), orelse: alt ? this.block(alt.childForFieldName('body')) : [], line,
        });
        return;
      }
      case 'while_statement':
        out.push({ t: 'while', test: this.exprOf(n.childForFieldName('condition')), body: this.block(n.childForFieldName('body')), line });
        return;
      case 'with_statement': {
        const items: { ctx: Expr; as: Target | null }[] = [];
        const clause = n.namedChildren.find((c) => c?.type === 'with_clause');
        for (const item of clause?.namedChildren ?? []) {
          const value = item?.childForFieldName('value');
          if (!value) continue;
          if (value.type === 'as_pattern') {
            const alias = value.childForFieldName('alias');
            items.push({ ctx: this.exprOf(value.namedChildren[0]), as: alias ? this.target(alias.namedChildren[0] ?? alias) : null });
          } else {
            items.push({ ctx: this.expr(value), as: null });
          }
        }
        out.push({ t: 'with', items, body: this.block(n.childForFieldName('body')), line });
        return;
      }
      case 'try_statement': {
        const handlers: Stmt[][] = [];
        let orelse: Stmt[] = [];
        let final: Stmt[] = [];
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (c.type === 'except_clause' || c.type === 'except_group_clause') {
            handlers.push(this.block(c.namedChildren.find((x) => x?.type === 'block') ?? null));
          } else if (c.type === 'else_clause') orelse = this.block(c.childForFieldName('body'));
          else if (c.type === 'finally_clause') final = this.block(c.namedChildren.find((x) => x?.type === 'block') ?? null);
        }
        out.push({ t: 'try', body: this.block(n.childForFieldName('body')), handlers, orelse, final, line });
        return;
      }
      case 'decorated_definition': {
        const decorators = n.namedChildren
          .filter((c) => c?.type === 'decorator')
          .map((d) => this.exprOf(d!.namedChildren[0]));
        const def = n.childForFieldName('definition');
        if (def?.type === 'function_definition') out.push(this.functionDef(def, decorators));
        else if (def?.type === 'class_definition') out.push(this.classDef(def, decorators));
        return;
      }
      case 'function_definition':
        out.push(this.functionDef(n, []));
        return;
      case 'class_definition':
        out.push(this.classDef(n, []));
        return;
      case 'match_statement':
      case 'block':
        for (const c of n.namedChildren) if (c) this.stmt(c, out);
        return;
      case 'case_clause':
        out.push(...this.block(n.childForFieldName('consequence')));
        return;
      case 'raise_statement':
      case 'assert_statement':
        for (const c of n.namedChildren) if (c && c.type === 'call') out.push({ t: 'expr', value: this.expr(c), line });
        return;
      default:
        return;
    }
  }

  private assignment(n: Node, out: Stmt[], line: number): void {
    const targets: Target[] = [];
    let cur: Node | null = n;
    // Chained `a = b = value` nests assignments on the right.
    while (cur && cur.type === 'assignment') {
      const left = cur.childForFieldName('left');
      if (left) targets.push(this.target(left));
      const right: Node | null = cur.childForFieldName('right');
      if (!right) {
        // Annotated declaration without a value (`x: int`) binds nothing.
        return;
      }
      if (right.type !== 'assignment') {
        out.push({ t: 'assign', targets, value: this.expr(right), line });
        return;
      }
      cur = right;
    }
    if (cur?.type === 'augmented_assignment') {
      const left = cur.childForFieldName('left');
      const right = cur.childForFieldName('right');
      const op = cur.childForFieldName('operator')?.text.replace('=', '') ?? '+';
      if (left && right) {
        const l = this.expr(left);
        out.push({ t: 'assign', targets: [this.target(left)], value: { t: 'bin', op, l, r: this.expr(right), loc: locOf(cur) }, line });
      }
    }
  }

  private importStmt(n: Node): void {
    const line = n.startPosition.row;
    if (n.type === 'import_statement') {
      for (const c of n.namedChildren) {
        if (!c) continue;
        if (c.type === 'dotted_name') {
          // `import a.b` binds `a`; the rest is reached by attribute access.
          const first = c.text.split('.')[0];
          this.imports.push({ local: first, module: first, name: null, line });
        } else if (c.type === 'aliased_import') {
          const mod = c.childForFieldName('name')?.text ?? '';
          const alias = c.childForFieldName('alias')?.text ?? mod;
          this.imports.push({ local: alias, module: mod, name: null, line });
        }
      }
      return;
    }
    const modNode = n.childForFieldName('module_name');
    let module = modNode?.text ?? '';
    if (modNode?.type === 'relative_import') {
      const prefix = modNode.namedChildren.find((c) => c?.type === 'import_prefix')?.text ?? '';
      const rest = modNode.namedChildren.find((c) => c?.type === 'dotted_name')?.text ?? '';
      module = resolveRelative(this.module, this.isPackage, prefix.length, rest);
    }
    for (const c of n.childrenForFieldName('name')) {
      if (!c) continue;
      if (c.type === 'dotted_name') this.imports.push({ local: c.text, module, name: c.text, line });
      else if (c.type === 'aliased_import') {
        const name = c.childForFieldName('name')?.text ?? '';
        this.imports.push({ local: c.childForFieldName('alias')?.text ?? name, module, name, line });
      }
    }
    if (n.namedChildren.some((c) => c?.type === 'wildcard_import')) this.imports.push({ local: '*', module, name: '*', line });
  }

  private functionDef(n: Node, decorators: Expr[]): Stmt {
    const name = n.childForFieldName('name')?.text ?? '<anonymous>';
    const parentFn = this.fnStack.length ? this.fnStack[this.fnStack.length - 1] : null;
    const cls = this.clsStack.length && this.clsDirect ? this.clsStack[this.clsStack.length - 1] : null;
    const prefix = cls !== null ? this.classes[cls].qual : parentFn !== null ? this.functions[parentFn].qual : '';
    const idx = this.functions.length;
    const fact: FunctionFact = {
      name, qual: prefix ? `${prefix}.${name}` : name, cls, parent: parentFn,
      params: this.params(n.childForFieldName('parameters')), decorators,
      async: n.children.some((c) => c?.type === 'async'), body: [], loc: locOf(n),
      nameLoc: locOf(n.childForFieldName('name') ?? n),
    };
    this.functions.push(fact);
    if (cls !== null) this.classes[cls].methods[name] = idx;
    this.fnStack.push(idx);
    const wasDirect = this.clsDirect;
    this.clsDirect = false;
    fact.body = this.block(n.childForFieldName('body'));
    this.clsDirect = wasDirect;
    this.fnStack.pop();
    return { t: 'def', fn: idx, line: n.startPosition.row };
  }

  /** True while statements belong directly to a class body (so defs are methods). */
  private clsDirect = false;

  private classDef(n: Node, decorators: Expr[]): Stmt {
    const name = n.childForFieldName('name')?.text ?? '<anonymous>';
    const parent = this.clsStack.length && this.clsDirect ? this.clsStack[this.clsStack.length - 1] : null;
    const outerFn = this.fnStack.length ? this.functions[this.fnStack[this.fnStack.length - 1]].qual : '';
    const prefix = parent !== null ? this.classes[parent].qual : outerFn;
    const idx = this.classes.length;
    const bases: Expr[] = [];
    const keywords: Kwarg[] = [];
    for (const a of n.childForFieldName('superclasses')?.namedChildren ?? []) {
      if (!a) continue;
      if (a.type === 'keyword_argument') keywords.push({ name: a.childForFieldName('name')?.text ?? null, value: this.exprOf(a.childForFieldName('value')) });
      else bases.push(this.expr(a));
    }
    const fact: ClassFact = {
      name, qual: prefix ? `${prefix}.${name}` : name, parent, bases, keywords, decorators, body: [],
      nested: {}, methods: {}, loc: locOf(n), nameLoc: locOf(n.childForFieldName('name') ?? n),
    };
    this.classes.push(fact);
    if (parent !== null) this.classes[parent].nested[name] = idx;
    this.clsStack.push(idx);
    const wasDirect = this.clsDirect;
    this.clsDirect = true;
    fact.body = this.block(n.childForFieldName('body'));
    this.clsDirect = wasDirect;
    this.clsStack.pop();
    return { t: 'class', cls: idx, line: n.startPosition.row };
  }

  private params(n: Node | null): Param[] {
    const out: Param[] = [];
    for (const p of n?.namedChildren ?? []) {
      if (!p) continue;
      switch (p.type) {
        case 'identifier':
          out.push({ name: p.text, default: null, kind: 'plain' });
          break;
        case 'typed_parameter': {
          const inner = p.namedChildren[0];
          if (inner?.type === 'list_splat_pattern') out.push({ name: inner.namedChildren[0]?.text ?? '', default: null, kind: 'args' });
          else if (inner?.type === 'dictionary_splat_pattern') out.push({ name: inner.namedChildren[0]?.text ?? '', default: null, kind: 'kwargs' });
          else out.push({ name: inner?.text ?? '', default: null, kind: 'plain' });
          break;
        }
        case 'default_parameter':
        case 'typed_default_parameter':
          out.push({ name: p.childForFieldName('name')?.text ?? '', default: this.exprOf(p.childForFieldName('value')), kind: 'plain' });
          break;
        case 'list_splat_pattern':
          out.push({ name: p.namedChildren[0]?.text ?? '', default: null, kind: 'args' });
          break;
        case 'dictionary_splat_pattern':
          out.push({ name: p.namedChildren[0]?.text ?? '', default: null, kind: 'kwargs' });
          break;
        default:
          break;
      }
    }
    return out;
  }

  target(n: Node | null): Target {
    if (!n) return { t: 'other' };
    switch (n.type) {
      case 'identifier':
        return { t: 'name', id: n.text };
      case 'attribute':
        return { t: 'attr', obj: this.exprOf(n.childForFieldName('object')), name: n.childForFieldName('attribute')?.text ?? '' };
      case 'subscript':
        return { t: 'sub', obj: this.exprOf(n.childForFieldName('value')), idx: this.exprOf(n.childForFieldName('subscript')) };
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list':
      case 'expression_list':
        return { t: 'tuple', items: n.namedChildren.filter((c): c is Node => !!c).map((c) => this.target(c)) };
      case 'parenthesized_expression':
        return this.target(n.namedChildren[0]);
      case 'list_splat_pattern':
        return this.target(n.namedChildren[0]);
      default:
        return { t: 'other' };
    }
  }

  exprOf(n: Node | null | undefined, depth = 0): Expr {
    return n ? this.expr(n, depth) : { t: 'unknown', loc: [0, 0, 0, 0] };
  }

  expr(n: Node, depth = 0): Expr {
    const loc = locOf(n);
    if (depth > MAX_DEPTH) return { t: 'unknown', loc };
    const d = depth + 1;
    switch (n.type) {
      case 'identifier':
        return { t: 'name', id: n.text, loc };
      case 'attribute':
        return { t: 'attr', obj: this.exprOf(n.childForFieldName('object'), d), name: n.childForFieldName('attribute')?.text ?? '', loc };
      case 'call':
        return this.call(n, d, loc);
      case 'string':
        return this.string(n, d, loc);
      case 'concatenated_string': {
        const parts: (string | Expr)[] = [];
        for (const s of n.namedChildren) {
          if (!s) continue;
          const e = this.string(s, d, locOf(s));
          if (e.t === 'str') parts.push(e.v);
          else if (e.t === 'fstr') parts.push(...e.parts);
        }
        return parts.every((p) => typeof p === 'string') ? { t: 'str', v: parts.join(''), loc } : { t: 'fstr', parts, loc };
      }
      case 'integer':
      case 'float': {
        const v = Number(n.text.replace(/_/g, ''));
        return Number.isFinite(v) ? { t: 'num', v, loc } : { t: 'unknown', loc };
      }
      case 'true':
        return { t: 'const', v: 'True', loc };
      case 'false':
        return { t: 'const', v: 'False', loc };
      case 'none':
        return { t: 'const', v: 'None', loc };
      case 'binary_operator':
        return {
          t: 'bin', op: n.childForFieldName('operator')?.text ?? '?',
          l: this.exprOf(n.childForFieldName('left'), d), r: this.exprOf(n.childForFieldName('right'), d), loc,
        };
      case 'boolean_operator':
        // `a or b` may evaluate to either side; data flow keeps both.
        return { t: 'cond', a: this.exprOf(n.childForFieldName('left'), d), b: this.exprOf(n.childForFieldName('right'), d), loc };
      case 'conditional_expression': {
        const kids = n.namedChildren;
        return { t: 'cond', a: this.exprOf(kids[0], d), b: this.exprOf(kids[2], d), loc };
      }
      case 'parenthesized_expression':
        return this.exprOf(n.namedChildren.find((c) => c?.type !== 'comment'), d);
      case 'await':
      case 'not_operator':
        return n.type === 'await' ? this.exprOf(n.namedChildren[0], d) : { t: 'unknown', loc };
      case 'named_expression':
        return this.exprOf(n.childForFieldName('value'), d);
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
        return { t: 'seq', items: n.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment').map((c) => this.expr(c, d)), loc };
      case 'dictionary': {
        const items: DictItem[] = [];
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (c.type === 'pair') items.push({ key: this.exprOf(c.childForFieldName('key'), d), value: this.exprOf(c.childForFieldName('value'), d) });
          else if (c.type === 'dictionary_splat') items.push({ key: null, value: this.exprOf(c.namedChildren[0], d) });
        }
        return { t: 'dict', items, loc };
      }
      case 'subscript':
        return { t: 'sub', obj: this.exprOf(n.childForFieldName('value'), d), idx: this.exprOf(n.childForFieldName('subscript'), d), loc };
      case 'lambda': {
        const params = this.params(n.childForFieldName('parameters')).map((p) => p.name);
        return { t: 'lambda', params, body: this.exprOf(n.childForFieldName('body'), d), loc };
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension': {
        const gens: { target: Target; iter: Expr }[] = [];
        for (const c of n.namedChildren) {
          if (c?.type === 'for_in_clause') gens.push({ target: this.target(c.childForFieldName('left')), iter: this.exprOf(c.childForFieldName('right'), d) });
        }
        const body = n.childForFieldName('body');
        const elt = body?.type === 'pair'
          ? { t: 'seq' as const, items: [this.exprOf(body.childForFieldName('key'), d), this.exprOf(body.childForFieldName('value'), d)], loc: locOf(body) }
          : this.exprOf(body, d);
        return { t: 'comp', elt, gens, loc };
      }
      case 'list_splat':
      case 'dictionary_splat':
        return { t: 'star', e: this.exprOf(n.namedChildren[0], d), loc };
      case 'unary_operator': {
        const arg = this.exprOf(n.childForFieldName('argument'), d);
        return arg.t === 'num' && n.text.startsWith('-') ? { t: 'num', v: -arg.v, loc } : arg.t === 'num' ? arg : { t: 'unknown', loc };
      }
      default:
        return { t: 'unknown', loc };
    }
  }

  private call(n: Node, d: number, loc: Loc): Expr {
    const fn = this.exprOf(n.childForFieldName('function'), d);
    const argsNode = n.childForFieldName('arguments');
    const args: Expr[] = [];
    const kw: Kwarg[] = [];
    if (argsNode?.type === 'generator_expression') {
      args.push(this.expr(argsNode, d));
    } else {
      for (const a of argsNode?.namedChildren ?? []) {
        if (!a || a.type === 'comment') continue;
        if (a.type === 'keyword_argument') kw.push({ name: a.childForFieldName('name')?.text ?? null, value: this.exprOf(a.childForFieldName('value'), d) });
        else if (a.type === 'dictionary_splat') kw.push({ name: null, value: this.exprOf(a.namedChildren[0], d) });
        else args.push(this.expr(a, d));
      }
    }
    return { t: 'call', fn, args, kw, loc };
  }

  private string(n: Node, d: number, loc: Loc): Expr {
    const start = n.namedChildren.find((c) => c?.type === 'string_start')?.text ?? '"';
    const isF = /f/i.test(start.replace(/["']/g, ''));
    const isRaw = /r/i.test(start.replace(/["']/g, ''));
    const parts: (string | Expr)[] = [];
    for (const c of n.namedChildren) {
      if (!c) continue;
      if (c.type === 'string_content') parts.push(isRaw ? c.text : unescape(c.text));
      else if (c.type === 'escape_sequence') parts.push(isRaw ? c.text : unescape(c.text));
      else if (c.type === 'interpolation' && isF) parts.push(this.exprOf(c.childForFieldName('expression'), d));
    }
    // Merge adjacent literal pieces.
    const merged: (string | Expr)[] = [];
    for (const p of parts) {
      if (typeof p === 'string' && typeof merged[merged.length - 1] === 'string') merged[merged.length - 1] += p;
      else merged.push(p);
    }
    if (merged.every((p) => typeof p === 'string')) return { t: 'str', v: (merged as string[]).join(''), loc };
    return { t: 'fstr', parts: merged, loc };
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);
}

/** Builds the IR for one parsed file. The tree stays owned by the caller. */
export function buildPythonIR(tree: Tree, module: string, isPackage: boolean): PythonIR {
  const b = new Builder(module, isPackage);
  const body = b.block(tree.rootNode);
  return { imports: b.imports, body, functions: b.functions, classes: b.classes, hasErrors: tree.rootNode.hasError };
}
