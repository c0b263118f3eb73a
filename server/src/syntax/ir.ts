/**
 * The IR the parsers build: a small, lossy, serialisable subset of the syntax that keeps what data
 * flow and Django knowledge need. Plain JSON data, no syntax trees; generic, no Django meaning
 * (that is given later, in analysis, where other files are visible). Beside its builders, as
 * pyright keeps parseNodes.ts beside parser.ts.
 */

/** Positions are the ones the client sees too (shared/loc.ts). */
export type { Loc } from '../../../shared/loc';
import type { Loc } from '../../../shared/loc';

export type Expr =
  | { t: 'name'; id: string; loc: Loc }
  | { t: 'attr'; obj: Expr; name: string; loc: Loc }
  | { t: 'call'; fn: Expr; args: Expr[]; kw: Kwarg[]; loc: Loc }
  | { t: 'str'; v: string; loc: Loc }
  | { t: 'fstr'; parts: (string | Expr)[]; loc: Loc }
  | { t: 'num'; v: number; loc: Loc }
  | { t: 'const'; v: 'None' | 'True' | 'False'; loc: Loc }
  | { t: 'bin'; op: string; l: Expr; r: Expr; loc: Loc }
  | { t: 'seq'; items: Expr[]; loc: Loc }
  | { t: 'dict'; items: DictItem[]; loc: Loc }
  | { t: 'sub'; obj: Expr; idx: Expr; loc: Loc }
  | { t: 'lambda'; params: string[]; body: Expr; loc: Loc }
  | { t: 'comp'; elt: Expr; gens: { target: Target; iter: Expr }[]; loc: Loc }
  /** `a if c else b`, or `a and b` / `a or b` (`bool`). */
  /** `a if test else b`, or `a and b` / `a or b` (`bool`), whose value is one of its operands. */
  | { t: 'cond'; a: Expr; b: Expr; test?: Expr; bool?: 'and' | 'or'; loc: Loc }
  | { t: 'star'; e: Expr; loc: Loc }
  | { t: 'unknown'; loc: Loc };

/** A keyword argument; `name` is null for `**kwargs`. */
export interface Kwarg {
  name: string | null;
  value: Expr;
}
/** A dict entry; `key` is null for `**other`. */
export interface DictItem {
  key: Expr | null;
  value: Expr;
}

export type Target =
  | { t: 'name'; id: string }
  | { t: 'attr'; obj: Expr; name: string }
  | { t: 'sub'; obj: Expr; idx: Expr }
  | { t: 'tuple'; items: Target[] }
  | { t: 'other' };

export type Stmt =
  | { t: 'assign'; targets: Target[]; value: Expr; line: number }
  /**
   * `raises`: the call is what a `raise` statement raises; `deletes`: the expression is a target of
   * a `del` statement (`del self.rows[key]`), which removes it rather than reads it.
   */
  | { t: 'expr'; value: Expr; line: number; raises?: true; deletes?: true }
  /** `yields`: a generator's `yield x` (true) / `yield from xs` ('from'), which hands out a value without returning. */
  | { t: 'return'; value: Expr | null; line: number; yields?: true | 'from' }
  | { t: 'for'; target: Target; iter: Expr; body: Stmt[]; orelse: Stmt[]; line: number }
  | { t: 'with'; items: { ctx: Expr; as: Target | null }[]; body: Stmt[]; line: number }
  | { t: 'if'; test: Expr; body: Stmt[]; orelse: Stmt[]; line: number }
  | { t: 'while'; test: Expr; body: Stmt[]; line: number }
  /**
   * `handlersLeave`: every `except` handler ends by leaving (return, raise, continue, break), so
   * what follows the try statement runs only after its body (and `else`) ran to the end.
   */
  | {
      t: 'try';
      body: Stmt[];
      handlers: Stmt[][];
      orelse: Stmt[];
      final: Stmt[];
      line: number;
      handlersLeave?: true;
    }
  | { t: 'def'; fn: number; line: number }
  | { t: 'class'; cls: number; line: number };

export interface ImportFact {
  /** The name bound in this module. */
  local: string;
  /** Absolute dotted module (relative imports are resolved against this file's package). */
  module: string;
  /** The imported symbol for `from m import x`; null for `import m`. */
  name: string | null;
  line: number;
}

export interface Param {
  name: string;
  default: Expr | null;
  kind: 'plain' | 'args' | 'kwargs';
}

export interface FunctionFact {
  name: string;
  /** 'func', 'Class.method', 'outer.inner' — unique within the file. */
  qual: string;
  /** Index into classes when this is a method. */
  cls: number | null;
  /** Index into functions of the enclosing function, for closures (decorator wrappers). */
  parent: number | null;
  params: Param[];
  decorators: Expr[];
  async: boolean;
  body: Stmt[];
  loc: Loc;
  nameLoc: Loc;
  /** Its assignments to names it declares `global`: they bind the module's names. */
  globalAssigns?: GlobalAssign[];
}

/** `x = value` (or item `index` of a tuple target) in a function that declares `global x`. */
export interface GlobalAssign {
  name: string;
  value: Expr;
  index: number | null;
}

export interface ClassFact {
  name: string;
  qual: string;
  parent: number | null;
  bases: Expr[];
  /** Keyword arguments in the class statement (metaclass=...). */
  keywords: Kwarg[];
  decorators: Expr[];
  /** Class-level statements (fields, Meta, querysets); methods appear as 'def' statements. */
  body: Stmt[];
  /** Indexes of nested classes (Meta) by name. */
  nested: Record<string, number>;
  methods: Record<string, number>;
  loc: Loc;
  nameLoc: Loc;
}

/** A `# noqa: DJC101` or `# djcache: ignore[DJC101]` comment; codes empty means all. */
export interface Suppression {
  line: number;
  codes: string[];
}

/** `filtered`: the value goes through filters (`{{ a.b|f }}`), which may read more of it than its text. */
export type VarNode = { t: 'var'; path: string; line: number; col: number; filtered?: true };

export type TemplateNode =
  | VarNode
  | { t: 'for'; target: string[]; iter: string; line: number; col: number; body: TemplateNode[] }
  | { t: 'with'; bindings: [string, string][]; line: number; body: TemplateNode[] }
  | {
      t: 'cache';
      timeout: string;
      name: string;
      vary: string[];
      using: string | null;
      line: number;
      col: number;
      endLine: number;
      body: TemplateNode[];
    }
  /** `bindings`: `with a=b` values passed to the included template; `only`: it sees nothing else. */
  | { t: 'include'; template: string | null; line: number; bindings?: [string, string][]; only?: true }
  /** `argVars`: the variables its arguments read (up to `as`), read where the tag is. */
  | {
      t: 'tag';
      name: string;
      args: string[];
      argVars?: VarNode[];
      line: number;
      col: number;
      endLine: number | null;
      body: TemplateNode[];
    };
