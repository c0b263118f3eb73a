/**
 * Python syntax tree → the serialisable IR in syntax/ir.ts. Generic: no Django knowledge here.
 * Never throws on odd trees: unknown shapes become { t: 'unknown' } and error nodes are skipped.
 *
 * The walk moves one TreeCursor and reads text and positions from the source string: a
 * web-tree-sitter Node object costs WASM crossings and an allocation each, and building one per
 * visited node was most of the facts phase. Every method below is entered with the cursor on its
 * node and leaves it there.
 */
import type { Language, Tree } from 'web-tree-sitter';
import type {
  ClassFact,
  DictItem,
  Expr,
  FunctionFact,
  GlobalAssign,
  ImportFact,
  Kwarg,
  Loc,
  Param,
  Stmt,
  Target,
} from './ir';
import { type Cursor, FlatCursor, type FlatTree, walkTree } from './parser';
import { lineStartsOf } from '../text/lines';

/** Expressions nested deeper than this become unknown, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 120;

/**
 * Statement lists nested deeper than this are left empty, and elif branches past it follow the
 * one before instead of nesting in it (each still has its own block, all the analysis asks), so
 * no walk over statements goes deeper. Python itself allows 100 levels of indentation.
 */
const MAX_BLOCK_NESTING = 256;

/** Statements after which control does not go on to the next statement of their block. */
const LEAVING_STATEMENTS = new Set(['return_statement', 'raise_statement', 'continue_statement', 'break_statement']);

/**
 * A collection literal longer than this (UTF-16 units) made of literal data only is a data table
 * (airport codes, country names): no cache key, model or call can be in it, so it becomes unknown
 * instead of thousands of expressions every run would build and keep.
 */
const DATA_TABLE_SIZE = 32 * 1024;

/** What literal data is made of besides strings: constants and collections of them. */
const DATA_TYPES = new Set([
  'concatenated_string',
  'integer',
  'float',
  'true',
  'false',
  'none',
  'comment',
  'unary_operator',
  'parenthesized_expression',
  'list',
  'tuple',
  'set',
  'dictionary',
  'pair',
]);

export interface PythonIR {
  imports: ImportFact[];
  body: Stmt[];
  functions: FunctionFact[];
  classes: ClassFact[];
  hasErrors: boolean;
  python2?: true;
}

/** Resolves `from ..x import y` against the importing module. */
function resolveRelative(module: string, isPackage: boolean, dots: number, rest: string): string {
  const parts = module.split('.');
  const keep = parts.length - dots + (isPackage ? 1 : 0);
  const base = parts.slice(0, Math.max(0, keep));
  if (rest) base.push(rest);
  return base.join('.');
}

const FIELD_NAMES = [
  'alias',
  'alternative',
  'argument',
  'arguments',
  'attribute',
  'body',
  'condition',
  'consequence',
  'definition',
  'expression',
  'function',
  'key',
  'left',
  'module_name',
  'name',
  'object',
  'operator',
  'operators',
  'parameters',
  'right',
  'subscript',
  'superclasses',
  'value',
] as const;

/** What the walk needs from the grammar, looked up once per language. */
interface Grammar {
  /** Node type names by type id, as Node.type gives them. */
  types: string[];
  /** Whether a type id is a named node (what Node.namedChildren keeps). */
  named: boolean[];
  field: Record<(typeof FIELD_NAMES)[number], number>;
}

const grammars = new WeakMap<Language, Grammar>();

function grammarOf(language: Language): Grammar {
  let g = grammars.get(language);
  if (!g) {
    const named: boolean[] = [];
    for (let id = 0; id < language.nodeTypeCount; id++) named[id] = language.nodeTypeIsNamed(id);
    const field = {} as Grammar['field'];
    // An id the grammar lacks is -1, which no child has.
    for (const name of FIELD_NAMES) field[name] = language.fields.indexOf(name);
    g = { types: language.types, named, field };
    grammars.set(language, g);
  }
  return g;
}

/** Type id of ERROR nodes (the C API's ts_builtin_sym_error as an unsigned 16-bit id); they are named. */
const ERROR_TYPE_ID = 0xffff;

/** The assignments of a function's statements to the names it declares `global` (nested functions have their own). */
function globalAssignments(body: Stmt[], declared: ReadonlySet<string>, depth: number): GlobalAssign[] {
  const out: GlobalAssign[] = [];
  if (depth > MAX_BLOCK_NESTING) return out;
  for (const s of body) {
    if (s.t === 'assign') {
      for (const t of s.targets) {
        if (t.t === 'name' && declared.has(t.id)) out.push({ name: t.id, value: s.value, index: null });
        else if (t.t === 'tuple')
          t.items.forEach((item, i) => {
            if (item.t === 'name' && declared.has(item.id)) out.push({ name: item.id, value: s.value, index: i });
          });
      }
    }
    const blocks =
      s.t === 'if' || s.t === 'for'
        ? [s.body, s.orelse]
        : s.t === 'while' || s.t === 'with'
          ? [s.body]
          : s.t === 'try'
            ? [s.body, ...s.handlers, s.orelse, s.final]
            : [];
    for (const b of blocks) out.push(...globalAssignments(b, declared, depth + 1));
  }
  return out;
}

/** A child the tree lacks: unknown, placed at the start of the file. */
function missing(): Expr {
  return { t: 'unknown', loc: [0, 0, 0, 0] };
}

class Builder {
  readonly imports: ImportFact[] = [];
  /** A Python 2 statement (`print x`, `exec code`) was seen. */
  python2 = false;
  readonly functions: FunctionFact[] = [];
  readonly classes: ClassFact[] = [];
  private fnStack: number[] = [];
  private clsStack: number[] = [];
  /** True while statements belong directly to a class body (so defs are methods). */
  private clsDirect = false;
  /** `x := v` met in the statement being built: each becomes `x = v` just before it. */
  private walrus: Stmt[] = [];
  /** Inside a comprehension or lambda, whose own names a walrus value may use: it stays the value alone. */
  private nested = 0;
  /** The names each function being built declares `global`, innermost last. */
  private globalNames: Set<string>[] = [];
  /** How deep the statement list being built is: 0 for the module's. */
  private blockDepth = 0;
  private readonly field: Grammar['field'];

  constructor(
    private readonly c: Cursor,
    private readonly source: string,
    private readonly lineStarts: number[],
    private readonly grammar: Grammar,
    private readonly module: string,
    private readonly isPackage: boolean,
  ) {
    this.field = grammar.field;
  }

  // ---------------------------------------------------------------- cursor primitives

  private type(): string {
    return this.grammar.types[this.c.nodeTypeId] || 'ERROR';
  }

  /** The type of the cursor's node when it is named (Node.namedChildren keeps it), else undefined. */
  private namedType(): string | undefined {
    const id = this.c.nodeTypeId;
    if (id === ERROR_TYPE_ID) return 'ERROR';
    return this.grammar.named[id] ? this.grammar.types[id] : undefined;
  }

  private text(): string {
    return this.source.slice(this.c.startIndex, this.c.endIndex);
  }

  private row(index: number, from = 0): number {
    const starts = this.lineStarts;
    let lo = from;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private line(): number {
    return this.row(this.c.startIndex);
  }

  private loc(): Loc {
    return this.locOf(this.c.startIndex, this.c.endIndex);
  }

  /** The Loc of UTF-16 range [start, end), for callers that have read the range already. */
  private locOf(start: number, end: number): Loc {
    const startRow = this.row(start);
    const endRow = this.row(end, startRow);
    return [startRow, start - this.lineStarts[startRow], endRow, end - this.lineStarts[endRow]];
  }

  /** Moves to the first child in field `field` (as Node.childForFieldName); false leaves the cursor where it was. */
  private toField(field: number): boolean {
    const c = this.c;
    if (!c.gotoFirstChild()) return false;
    do {
      if (c.currentFieldId === field) return true;
    } while (c.gotoNextSibling());
    c.gotoParent();
    return false;
  }

  /** Moves to the first named child of type `type`; false leaves the cursor where it was. */
  private toNamedChildOfType(type: string): boolean {
    const c = this.c;
    if (!c.gotoFirstChild()) return false;
    do {
      if (this.namedType() === type) return true;
    } while (c.gotoNextSibling());
    c.gotoParent();
    return false;
  }

  /** Moves to the `index`th named child (comments included, as Node.namedChildren); false leaves the cursor where it was. */
  private toNamedChild(index: number): boolean {
    const c = this.c;
    if (!c.gotoFirstChild()) return false;
    let seen = 0;
    do {
      if (this.namedType() !== undefined && seen++ === index) return true;
    } while (c.gotoNextSibling());
    c.gotoParent();
    return false;
  }

  /** Calls `visit` on each named child, with the cursor on it and its type. */
  private eachNamedChild(visit: (type: string) => void): void {
    const c = this.c;
    if (!c.gotoFirstChild()) return;
    do {
      const type = this.namedType();
      if (type !== undefined) visit(type);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** Calls `visit` on each child in a field, with the cursor on it and its field id: one pass for nodes read by several fields. */
  private eachChildField(visit: (field: number) => void): void {
    const c = this.c;
    if (!c.gotoFirstChild()) return;
    do {
      const field = c.currentFieldId;
      if (field > 0) visit(field);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** The first children in fields `a` and `b` as expressions, in one pass; a missing one is unknown. */
  private fieldExprPair(a: number, b: number, d: number): [Expr, Expr] {
    let x: Expr | undefined;
    let y: Expr | undefined;
    this.eachChildField((field) => {
      if (field === a) x ??= this.expr(d);
      else if (field === b) y ??= this.expr(d);
    });
    return [x ?? missing(), y ?? missing()];
  }

  /**
   * `yield x` or `yield from xs`: what a generator hands out, recorded as a return that `yields`
   * (`yields: 'from'` hands out the items of `xs`; the statement ends nothing).
   */
  private yieldStmt(out: Stmt[], line: number): void {
    const from = /^yield\s+from\b/.test(this.text());
    if (!this.toNamedChild(0)) return;
    const value = this.expr();
    this.c.gotoParent();
    out.push({ t: 'return', value, line, yields: from ? 'from' : true });
  }

  private fieldText(field: number): string | undefined {
    if (!this.toField(field)) return undefined;
    const t = this.text();
    this.c.gotoParent();
    return t;
  }

  private fieldExpr(field: number, depth = 0): Expr {
    if (!this.toField(field)) return missing();
    const e = this.expr(depth);
    this.c.gotoParent();
    return e;
  }

  private namedChildExpr(index: number, depth = 0): Expr {
    if (!this.toNamedChild(index)) return missing();
    const e = this.expr(depth);
    this.c.gotoParent();
    return e;
  }

  private fieldBlock(field: number): Stmt[] {
    if (!this.toField(field)) return [];
    const b = this.nestedBlock();
    this.c.gotoParent();
    return b;
  }

  /** block() of a statement list nested in the one being built; empty past MAX_BLOCK_NESTING. */
  private nestedBlock(): Stmt[] {
    if (this.blockDepth >= MAX_BLOCK_NESTING) return [];
    this.blockDepth++;
    const b = this.block();
    this.blockDepth--;
    return b;
  }

  private fieldTarget(field: number, depth = 0): Target {
    if (!this.toField(field)) return { t: 'other' };
    const t = this.target(depth);
    this.c.gotoParent();
    return t;
  }

  // ---------------------------------------------------------------- statements

  block(): Stmt[] {
    const out: Stmt[] = [];
    this.eachNamedChild((type) => this.stmt(type, out));
    return out;
  }

  private stmt(type: string, out: Stmt[]): void {
    const saved = this.walrus;
    this.walrus = [];
    const at = out.length;
    this.stmtKind(type, out);
    out.splice(at, 0, ...this.walrus);
    this.walrus = saved;
  }

  private stmtKind(type: string, out: Stmt[]): void {
    const F = this.field;
    switch (type) {
      case 'expression_statement': {
        const line = this.line();
        this.eachNamedChild((t) => {
          if (t === 'assignment' || t === 'augmented_assignment') this.assignment(out, line);
          else if (t === 'yield') this.yieldStmt(out, line);
          else out.push({ t: 'expr', value: this.expr(), line });
        });
        return;
      }
      case 'return_statement': {
        const line = this.line();
        let value: Expr | null = null;
        if (this.toNamedChild(0)) {
          value = this.expr();
          this.c.gotoParent();
        }
        out.push({ t: 'return', value, line });
        return;
      }
      case 'import_statement':
        this.importStmt();
        return;
      case 'global_statement': {
        const declared = this.globalNames[this.globalNames.length - 1];
        if (declared) this.eachNamedChild((t) => t === 'identifier' && declared.add(this.text()));
        return;
      }
      case 'import_from_statement':
        this.importFromStmt();
        return;
      case 'if_statement': {
        const line = this.line();
        const orelse: Stmt[] = [];
        // elif chains become nested ifs so every branch keeps its own block. The branches are
        // built before the consequence, so functions and classes in them are numbered first.
        let tail = orelse;
        const depth = this.blockDepth;
        let tailDepth = depth + 1;
        const c = this.c;
        if (c.gotoFirstChild()) {
          do {
            if (c.currentFieldId !== F.alternative) continue;
            if (this.type() === 'elif_clause') {
              this.blockDepth = tailDepth;
              const elifLine = this.line();
              const nested = {
                t: 'if' as const,
                test: this.fieldExpr(F.condition),
                body: this.fieldBlock(F.consequence),
                orelse: [] as Stmt[],
                line: elifLine,
              };
              tail.push(nested);
              if (tailDepth < MAX_BLOCK_NESTING - 1) {
                tail = nested.orelse;
                tailDepth++;
              }
            } else {
              this.blockDepth = tailDepth - 1;
              tail.push(...this.fieldBlock(F.body));
            }
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        this.blockDepth = depth;
        out.push({ t: 'if', test: this.fieldExpr(F.condition), body: this.fieldBlock(F.consequence), orelse, line });
        return;
      }
      case 'for_statement': {
        const line = this.line();
        const target = this.fieldTarget(F.left);
        const iter = this.fieldExpr(F.right);
        const body = this.fieldBlock(F.body);
        let orelse: Stmt[] = [];
        if (this.toField(F.alternative)) {
          orelse = this.fieldBlock(F.body);
          this.c.gotoParent();
        }
        out.push({ t: 'for', target, iter, body, orelse, line });
        return;
      }
      case 'while_statement':
        out.push({ t: 'while', test: this.fieldExpr(F.condition), body: this.fieldBlock(F.body), line: this.line() });
        return;
      case 'with_statement': {
        const line = this.line();
        const items: { ctx: Expr; as: Target | null }[] = [];
        if (this.toNamedChildOfType('with_clause')) {
          this.eachNamedChild(() => {
            if (!this.toField(F.value)) return;
            if (this.type() === 'as_pattern') {
              const ctx = this.namedChildExpr(0);
              let as: Target | null = null;
              if (this.toField(F.alias)) {
                as = this.toNamedChild(0) ? this.targetAndUp() : this.target();
                this.c.gotoParent();
              }
              items.push({ ctx, as });
            } else {
              items.push({ ctx: this.expr(), as: null });
            }
            this.c.gotoParent();
          });
          this.c.gotoParent();
        }
        out.push({ t: 'with', items, body: this.fieldBlock(F.body), line });
        return;
      }
      case 'print_statement':
      case 'exec_statement':
        this.python2 = true;
        return;
      case 'try_statement': {
        const line = this.line();
        const handlers: Stmt[][] = [];
        let orelse: Stmt[] = [];
        let final: Stmt[] = [];
        let handlersLeave = true;
        // Handlers are built before the body, so functions and classes in them are numbered first.
        this.eachNamedChild((t) => {
          if (t === 'except_clause' || t === 'except_group_clause') {
            handlersLeave &&= this.blockEndsByLeaving();
            handlers.push(this.namedChildBlock('block'));
          } else if (t === 'else_clause') orelse = this.fieldBlock(F.body);
          else if (t === 'finally_clause') final = this.namedChildBlock('block');
        });
        const body = this.fieldBlock(F.body);
        out.push({
          t: 'try',
          body,
          handlers,
          orelse,
          final,
          line,
          ...(handlersLeave && { handlersLeave: true as const }),
        });
        return;
      }
      case 'decorated_definition': {
        const decorators: Expr[] = [];
        this.eachNamedChild((t) => {
          if (t === 'decorator') decorators.push(this.namedChildExpr(0));
        });
        if (!this.toField(F.definition)) return;
        const def = this.type();
        if (def === 'function_definition') out.push(this.functionDef(decorators));
        else if (def === 'class_definition') out.push(this.classDef(decorators));
        this.c.gotoParent();
        return;
      }
      case 'function_definition':
        out.push(this.functionDef([]));
        return;
      case 'class_definition':
        out.push(this.classDef([]));
        return;
      case 'match_statement':
      case 'block':
        // Their statements join `out`; the depth still counts, so error-recovered blocks nested
        // in blocks cannot recurse without end.
        if (this.blockDepth >= MAX_BLOCK_NESTING) return;
        this.blockDepth++;
        this.eachNamedChild((t) => this.stmt(t, out));
        this.blockDepth--;
        return;
      case 'case_clause': {
        // A case runs only when its pattern matches: a branch, as an `if` whose test is unknown.
        const line = this.line();
        const loc = this.loc();
        out.push({ t: 'if', test: { t: 'unknown', loc }, body: this.fieldBlock(F.consequence), orelse: [], line });
        return;
      }
      case 'delete_statement': {
        const line = this.line();
        const target = () => out.push({ t: 'expr', value: this.expr(), line, deletes: true });
        this.eachNamedChild((t) => {
          if (t === 'expression_list') this.eachNamedChild((item) => item !== 'comment' && target());
          else if (t !== 'comment') target();
        });
        return;
      }
      case 'raise_statement':
      case 'assert_statement': {
        const line = this.line();
        const raises = type === 'raise_statement' ? { raises: true as const } : {};
        this.eachNamedChild((t) => {
          if (t === 'call') out.push({ t: 'expr', value: this.expr(), line, ...raises });
        });
        return;
      }
      default:
        return;
    }
  }

  /** Whether the last statement of the cursor's `block` child leaves it: a return, raise, continue or break. */
  private blockEndsByLeaving(): boolean {
    if (!this.toNamedChildOfType('block')) return false;
    let last: string | undefined;
    this.eachNamedChild((t) => {
      if (t !== 'comment') last = t;
    });
    this.c.gotoParent();
    return last !== undefined && LEAVING_STATEMENTS.has(last);
  }

  private namedChildBlock(type: string): Stmt[] {
    if (!this.toNamedChildOfType(type)) return [];
    const b = this.nestedBlock();
    this.c.gotoParent();
    return b;
  }

  private assignment(out: Stmt[], line: number): void {
    const F = this.field;
    const c = this.c;
    if (this.type() === 'augmented_assignment') {
      const op = this.fieldText(F.operator)?.replace('=', '') ?? '+';
      if (!this.toField(F.right)) return;
      c.gotoParent();
      if (!this.toField(F.left)) return;
      const l = this.expr();
      const target = this.target();
      c.gotoParent();
      out.push({
        t: 'assign',
        targets: [target],
        value: { t: 'bin', op, l, r: this.fieldExpr(F.right), loc: this.loc() },
        line,
      });
      return;
    }
    // Chained `a = b = value` nests assignments on the right: the cursor walks down them and back.
    const targets: Target[] = [];
    let descended = 0;
    for (;;) {
      if (this.toField(F.left)) {
        targets.push(this.target());
        c.gotoParent();
      }
      // Annotated declaration without a value (`x: int`) binds nothing.
      if (!this.toField(F.right)) break;
      descended++;
      if (this.type() !== 'assignment') {
        out.push({ t: 'assign', targets, value: this.expr(), line });
        break;
      }
    }
    for (; descended > 0; descended--) c.gotoParent();
  }

  private importStmt(): void {
    const F = this.field;
    const line = this.line();
    this.eachNamedChild((t) => {
      if (t === 'dotted_name') {
        // `import a.b` binds `a`; the rest is reached by attribute access.
        const first = this.text().split('.')[0];
        this.imports.push({ local: first, module: first, name: null, line });
      } else if (t === 'aliased_import') {
        const mod = this.fieldText(F.name) ?? '';
        const alias = this.fieldText(F.alias) ?? mod;
        this.imports.push({ local: alias, module: mod, name: null, line });
      }
    });
  }

  private importFromStmt(): void {
    const F = this.field;
    const c = this.c;
    const line = this.line();
    let module = '';
    if (this.toField(F.module_name)) {
      module = this.text();
      if (this.type() === 'relative_import') {
        let prefix: string | undefined;
        let rest: string | undefined;
        this.eachNamedChild((t) => {
          if (t === 'import_prefix') prefix ??= this.text();
          else if (t === 'dotted_name') rest ??= this.text();
        });
        module = resolveRelative(this.module, this.isPackage, (prefix ?? '').length, rest ?? '');
      }
      c.gotoParent();
    }
    let wildcard = false;
    if (c.gotoFirstChild()) {
      do {
        if (c.currentFieldId === F.name) {
          const t = this.type();
          if (t === 'dotted_name') {
            const name = this.text();
            this.imports.push({ local: name, module, name, line });
          } else if (t === 'aliased_import') {
            const name = this.fieldText(F.name) ?? '';
            this.imports.push({ local: this.fieldText(F.alias) ?? name, module, name, line });
          }
        } else if (this.namedType() === 'wildcard_import') {
          wildcard = true;
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    if (wildcard) this.imports.push({ local: '*', module, name: '*', line });
  }

  private functionDef(decorators: Expr[]): Stmt {
    const F = this.field;
    const c = this.c;
    const line = this.line();
    const loc = this.loc();
    let name: string | undefined;
    let nameLoc: Loc | undefined;
    let params: Param[] | undefined;
    let isAsync = false;
    if (c.gotoFirstChild()) {
      do {
        const field = c.currentFieldId;
        if (field === F.name && name === undefined) {
          name = this.text();
          nameLoc = this.loc();
        } else if (field === F.parameters && params === undefined) {
          params = this.params();
        } else if (this.type() === 'async') {
          isAsync = true;
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    name ??= '<anonymous>';
    const parentFn = this.fnStack.length ? this.fnStack[this.fnStack.length - 1] : null;
    const cls = this.clsStack.length && this.clsDirect ? this.clsStack[this.clsStack.length - 1] : null;
    const prefix = cls !== null ? this.classes[cls].qual : parentFn !== null ? this.functions[parentFn].qual : '';
    const idx = this.functions.length;
    const fact: FunctionFact = {
      name,
      qual: prefix ? `${prefix}.${name}` : name,
      cls,
      parent: parentFn,
      params: params ?? [],
      decorators,
      async: isAsync,
      body: [],
      loc,
      nameLoc: nameLoc ?? loc,
    };
    this.functions.push(fact);
    if (cls !== null) this.classes[cls].methods[name] = idx;
    this.fnStack.push(idx);
    const declared = new Set<string>();
    this.globalNames.push(declared);
    const wasDirect = this.clsDirect;
    this.clsDirect = false;
    fact.body = this.fieldBlock(F.body);
    this.clsDirect = wasDirect;
    this.globalNames.pop();
    this.fnStack.pop();
    if (declared.size) {
      const assigns = globalAssignments(fact.body, declared, 0);
      if (assigns.length) fact.globalAssigns = assigns;
    }
    return { t: 'def', fn: idx, line };
  }

  private classDef(decorators: Expr[]): Stmt {
    const F = this.field;
    const line = this.line();
    const loc = this.loc();
    let name: string | undefined;
    let nameLoc: Loc | undefined;
    if (this.toField(F.name)) {
      name = this.text();
      nameLoc = this.loc();
      this.c.gotoParent();
    }
    name ??= '<anonymous>';
    const parent = this.clsStack.length && this.clsDirect ? this.clsStack[this.clsStack.length - 1] : null;
    const outerFn = this.fnStack.length ? this.functions[this.fnStack[this.fnStack.length - 1]].qual : '';
    const prefix = parent !== null ? this.classes[parent].qual : outerFn;
    const idx = this.classes.length;
    const bases: Expr[] = [];
    const keywords: Kwarg[] = [];
    if (this.toField(F.superclasses)) {
      this.eachNamedChild((t) => {
        if (t === 'keyword_argument') keywords.push(this.keyword());
        else bases.push(this.expr());
      });
      this.c.gotoParent();
    }
    const fact: ClassFact = {
      name,
      qual: prefix ? `${prefix}.${name}` : name,
      parent,
      bases,
      keywords,
      decorators,
      body: [],
      nested: {},
      methods: {},
      loc,
      nameLoc: nameLoc ?? loc,
    };
    this.classes.push(fact);
    if (parent !== null) this.classes[parent].nested[name] = idx;
    this.clsStack.push(idx);
    const wasDirect = this.clsDirect;
    this.clsDirect = true;
    fact.body = this.fieldBlock(F.body);
    this.clsDirect = wasDirect;
    this.clsStack.pop();
    return { t: 'class', cls: idx, line };
  }

  /** Parameters of a `parameters` or `lambda_parameters` node; `depth` as expr()'s, for defaults. */
  private params(depth = 0): Param[] {
    const F = this.field;
    const out: Param[] = [];
    const splatName = () => {
      if (!this.toNamedChild(0)) return '';
      const t = this.text();
      this.c.gotoParent();
      return t;
    };
    this.eachNamedChild((t) => {
      switch (t) {
        case 'identifier':
          out.push({ name: this.text(), default: null, kind: 'plain' });
          break;
        case 'typed_parameter': {
          if (!this.toNamedChild(0)) {
            out.push({ name: '', default: null, kind: 'plain' });
            break;
          }
          const inner = this.type();
          if (inner === 'list_splat_pattern') out.push({ name: splatName(), default: null, kind: 'args' });
          else if (inner === 'dictionary_splat_pattern') out.push({ name: splatName(), default: null, kind: 'kwargs' });
          else out.push({ name: this.text(), default: null, kind: 'plain' });
          this.c.gotoParent();
          break;
        }
        case 'default_parameter':
        case 'typed_default_parameter':
          out.push({ name: this.fieldText(F.name) ?? '', default: this.fieldExpr(F.value, depth), kind: 'plain' });
          break;
        case 'list_splat_pattern':
          out.push({ name: splatName(), default: null, kind: 'args' });
          break;
        case 'dictionary_splat_pattern':
          out.push({ name: splatName(), default: null, kind: 'kwargs' });
          break;
        default:
          break;
      }
    });
    return out;
  }

  /** target() of the cursor's node, then back to its parent. */
  private targetAndUp(depth = 0): Target {
    const t = this.target(depth);
    this.c.gotoParent();
    return t;
  }

  /** The assignment target at the cursor; `depth` as expr()'s, so nested targets are bounded too. */
  target(depth = 0): Target {
    const F = this.field;
    if (depth > MAX_DEPTH) return { t: 'other' };
    const d = depth + 1;
    switch (this.type()) {
      case 'identifier':
        return { t: 'name', id: this.text() };
      case 'attribute':
        return { t: 'attr', obj: this.fieldExpr(F.object, d), name: this.fieldText(F.attribute) ?? '' };
      case 'subscript':
        return { t: 'sub', obj: this.fieldExpr(F.value, d), idx: this.fieldExpr(F.subscript, d) };
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list':
      case 'expression_list': {
        const items: Target[] = [];
        this.eachNamedChild(() => items.push(this.target(d)));
        return { t: 'tuple', items };
      }
      case 'parenthesized_expression':
      case 'list_splat_pattern':
        return this.toNamedChild(0) ? this.targetAndUp(d) : { t: 'other' };
      default:
        return { t: 'other' };
    }
  }

  // ---------------------------------------------------------------- expressions

  /**
   * The expression at the cursor. `type` saves a WASM call for callers that have just read it.
   * Nodes read by several fields take their children in one pass (as Node.childForFieldName,
   * the first child of each field counts).
   */
  expr(depth = 0, type = this.type()): Expr {
    const F = this.field;
    const c = this.c;
    const start = c.startIndex;
    const end = c.endIndex;
    const loc = this.locOf(start, end);
    if (depth > MAX_DEPTH) return { t: 'unknown', loc };
    const d = depth + 1;
    switch (type) {
      case 'identifier':
        return { t: 'name', id: this.source.slice(start, end), loc };
      case 'attribute': {
        let obj: Expr | undefined;
        let name: string | undefined;
        this.eachChildField((field) => {
          if (field === F.object) obj ??= this.expr(d);
          else if (field === F.attribute) name ??= this.text();
        });
        return { t: 'attr', obj: obj ?? missing(), name: name ?? '', loc };
      }
      case 'call':
        return this.call(d, loc);
      case 'string':
        return this.string(d, start, end, loc);
      case 'concatenated_string': {
        const parts: (string | Expr)[] = [];
        this.eachNamedChild(() => {
          const s = c.startIndex;
          const e2 = c.endIndex;
          const e = this.string(d, s, e2, this.locOf(s, e2));
          if (e.t === 'str') parts.push(e.v);
          else if (e.t === 'fstr') parts.push(...e.parts);
        });
        return parts.every((p) => typeof p === 'string')
          ? { t: 'str', v: parts.join(''), loc }
          : { t: 'fstr', parts, loc };
      }
      case 'integer':
      case 'float': {
        const v = Number(this.source.slice(start, end).replace(/_/g, ''));
        return Number.isFinite(v) ? { t: 'num', v, loc } : { t: 'unknown', loc };
      }
      case 'true':
        return { t: 'const', v: 'True', loc };
      case 'false':
        return { t: 'const', v: 'False', loc };
      case 'none':
        return { t: 'const', v: 'None', loc };
      case 'binary_operator': {
        let op: string | undefined;
        let l: Expr | undefined;
        let r: Expr | undefined;
        this.eachChildField((field) => {
          if (field === F.operator) op ??= this.text();
          else if (field === F.left) l ??= this.expr(d);
          else if (field === F.right) r ??= this.expr(d);
        });
        return { t: 'bin', op: op ?? '?', l: l ?? missing(), r: r ?? missing(), loc };
      }
      // A comparison or a negation is a bool whose data is its operands' (`x in rows`, `not qs`);
      // its operator (`!=`, `not in`) is kept for guards that test a field change.
      case 'comparison_operator': {
        const op = this.fieldText(F.operators)?.replace(/\s+/g, ' ') ?? 'compare';
        return { t: 'bin', op, l: this.namedChildExpr(0, d), r: this.namedChildExpr(1, d), loc };
      }
      case 'not_operator':
        return { t: 'bin', op: 'not', l: this.fieldExpr(F.argument, d), r: { t: 'const', v: 'None', loc }, loc };
      case 'boolean_operator': {
        // `a or b` may evaluate to either side; data flow keeps both.
        const bool = this.fieldText(F.operator) === 'and' ? 'and' : 'or';
        const [a, b] = this.fieldExprPair(F.left, F.right, d);
        return { t: 'cond', a, b, bool, loc };
      }
      case 'conditional_expression':
        return {
          t: 'cond',
          a: this.namedChildExpr(0, d),
          b: this.namedChildExpr(2, d),
          test: this.namedChildExpr(1, d),
          loc,
        };
      case 'parenthesized_expression': {
        let inner: Expr | undefined;
        const c = this.c;
        if (c.gotoFirstChild()) {
          do {
            const t = this.namedType();
            if (t !== undefined && t !== 'comment') {
              inner = this.expr(d);
              break;
            }
          } while (c.gotoNextSibling());
          c.gotoParent();
        }
        return inner ?? missing();
      }
      case 'await':
        return this.namedChildExpr(0, d);
      case 'named_expression': {
        const { name, value } = this.keyword(d);
        if (!name || this.nested) return value;
        this.walrus.push({ t: 'assign', targets: [{ t: 'name', id: name }], value, line: loc[0] });
        return { t: 'name', id: name, loc };
      }
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list': {
        if (end - start > DATA_TABLE_SIZE && this.isData(d)) return { t: 'unknown', loc };
        const items: Expr[] = [];
        this.eachNamedChild((t) => {
          if (t !== 'comment') items.push(this.expr(d, t));
        });
        return { t: 'seq', items, loc };
      }
      case 'dictionary': {
        if (end - start > DATA_TABLE_SIZE && this.isData(d)) return { t: 'unknown', loc };
        const items: DictItem[] = [];
        this.eachNamedChild((t) => {
          if (t === 'pair') {
            const [key, value] = this.fieldExprPair(F.key, F.value, d);
            items.push({ key, value });
          } else if (t === 'dictionary_splat') items.push({ key: null, value: this.namedChildExpr(0, d) });
        });
        return { t: 'dict', items, loc };
      }
      case 'subscript': {
        const [obj, idx] = this.fieldExprPair(F.value, F.subscript, d);
        return { t: 'sub', obj, idx, loc };
      }
      case 'lambda': {
        let params: string[] = [];
        if (this.toField(F.parameters)) {
          params = this.params(d).map((p) => p.name);
          this.c.gotoParent();
        }
        this.nested++;
        const body = this.fieldExpr(F.body, d);
        this.nested--;
        return { t: 'lambda', params, body, loc };
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension': {
        const gens: { target: Target; iter: Expr }[] = [];
        this.nested++;
        this.eachNamedChild((t) => {
          if (t === 'for_in_clause')
            gens.push({ target: this.fieldTarget(F.left, d), iter: this.fieldExpr(F.right, d) });
        });
        let elt: Expr = missing();
        if (this.toField(F.body)) {
          elt =
            this.type() === 'pair'
              ? { t: 'seq', items: this.fieldExprPair(F.key, F.value, d), loc: this.loc() }
              : this.expr(d);
          this.c.gotoParent();
        }
        this.nested--;
        return { t: 'comp', elt, gens, loc };
      }
      case 'list_splat':
      case 'dictionary_splat':
        return { t: 'star', e: this.namedChildExpr(0, d), loc };
      case 'unary_operator': {
        const negative = this.c.endIndex > this.c.startIndex && this.source.startsWith('-', this.c.startIndex);
        const arg = this.fieldExpr(F.argument, d);
        // `0 - v`, not `-v`: facts cross threads as JSON, which would turn -0 into 0.
        return arg.t === 'num' && negative
          ? { t: 'num', v: 0 - arg.v, loc }
          : arg.t === 'num'
            ? arg
            : { t: 'unknown', loc };
      }
      default:
        return { t: 'unknown', loc };
    }
  }

  /** Whether every named node below the cursor's is literal data (DATA_TYPES); it walks no deeper than MAX_DEPTH. */
  private isData(depth: number): boolean {
    if (depth > MAX_DEPTH) return false;
    const c = this.c;
    if (!c.gotoFirstChild()) return true;
    let data = true;
    do {
      const type = this.namedType();
      if (type === undefined) continue;
      // A string is data unless it may interpolate, which only an f prefix allows: no need to descend.
      const item =
        type === 'string'
          ? !/^[a-zA-Z]*[fF]/.test(this.source.slice(c.startIndex, c.startIndex + 3))
          : DATA_TYPES.has(type) && this.isData(depth + 1);
      if (!item) {
        data = false;
        break;
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
    return data;
  }

  private call(d: number, loc: Loc): Expr {
    const F = this.field;
    let fn: Expr | undefined;
    let argsSeen = false;
    const args: Expr[] = [];
    const kw: Kwarg[] = [];
    this.eachChildField((field) => {
      if (field === F.function) {
        fn ??= this.expr(d);
      } else if (field === F.arguments && !argsSeen) {
        argsSeen = true;
        const type = this.type();
        if (type === 'generator_expression') args.push(this.expr(d, type));
        else
          this.eachNamedChild((t) => {
            if (t === 'comment') return;
            if (t === 'keyword_argument') kw.push(this.keyword(d));
            else if (t === 'dictionary_splat') kw.push({ name: null, value: this.namedChildExpr(0, d) });
            else args.push(this.expr(d, t));
          });
      }
    });
    return { t: 'call', fn: fn ?? missing(), args, kw, loc };
  }

  /** A `keyword_argument` (`name=value`) or `named_expression` (`name := value`) node: its name and value. */
  private keyword(d = 0): Kwarg {
    const F = this.field;
    let name: string | undefined;
    let value: Expr | undefined;
    this.eachChildField((field) => {
      if (field === F.name) name ??= this.text();
      else if (field === F.value) value ??= this.expr(d);
    });
    return { name: name ?? null, value: value ?? missing() };
  }

  private string(d: number, from: number, to: number, loc: Loc): Expr {
    const plain = plainStringValue(this.source.slice(from, to));
    if (plain !== undefined) return { t: 'str', v: plain, loc };
    // One pass: the prefix (string_start) comes first in any tree that parsed, but pieces are
    // only interpreted once it is known, so a tree where it does not still reads the same.
    let start: string | undefined;
    const pieces: (string | Expr)[] = [];
    const isF = () => /f/i.test((start ?? '"').replace(/["']/g, ''));
    this.eachNamedChild((t) => {
      if (t === 'string_start') start ??= this.text();
      else if (t === 'string_content' || t === 'escape_sequence') pieces.push(this.text());
      else if (t === 'interpolation' && (start === undefined || isF()))
        pieces.push(this.fieldExpr(this.field.expression, d));
    });
    const prefix = (start ?? '"').replace(/["']/g, '');
    const f = /f/i.test(prefix);
    const raw = /r/i.test(prefix);
    // Merge adjacent literal pieces.
    const merged: (string | Expr)[] = [];
    for (const p of pieces) {
      if (typeof p !== 'string' && !f) continue;
      const part = typeof p === 'string' && !raw ? unescape(p) : p;
      if (typeof part === 'string' && typeof merged[merged.length - 1] === 'string') merged[merged.length - 1] += part;
      else merged.push(part);
    }
    if (merged.every((p) => typeof p === 'string')) return { t: 'str', v: (merged as string[]).join(''), loc };
    return { t: 'fstr', parts: merged, loc };
  }
}

/**
 * The value of a string literal that needs no reading of its pieces (no f prefix, no backslash,
 * closed by its own quote), straight from its text; undefined for any other.
 */
function plainStringValue(text: string): string | undefined {
  const open = /^[rRbBuU]{0,2}('''|"""|'|")/.exec(text);
  if (!open) return undefined;
  const quote = open[1];
  if (text.length < open[0].length + quote.length || !text.endsWith(quote) || text.includes('\\')) return undefined;
  return text.slice(open[0].length, text.length - quote.length);
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

function unescape(s: string): string {
  return s.replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);
}

/** Builds the IR for one file parsed from `source`. The tree stays owned by the caller. */
export function buildPythonIR(tree: Tree, source: string, module: string, isPackage: boolean): PythonIR {
  const hasErrors = tree.rootNode.hasError; // read before the walk: the fast cursor allows no other call
  return build(walkTree(tree), hasErrors, tree.language, source, module, isPackage);
}

/** The IR of a tree parsed elsewhere (a worker thread) with the grammar of `language`. */
export function buildPythonIRFromFlat(
  flat: FlatTree,
  language: Language,
  source: string,
  module: string,
  isPackage: boolean,
): PythonIR {
  return build(new FlatCursor(flat.nodes), flat.hasErrors, language, source, module, isPackage);
}

function build(
  cursor: Cursor,
  hasErrors: boolean,
  language: Language,
  source: string,
  module: string,
  isPackage: boolean,
): PythonIR {
  try {
    const b = new Builder(cursor, source, lineStartsOf(source), grammarOf(language), module, isPackage);
    const body = b.block();
    return {
      imports: b.imports,
      body,
      functions: b.functions,
      classes: b.classes,
      hasErrors,
      ...(b.python2 && { python2: true as const }),
    };
  } finally {
    cursor.delete();
  }
}
