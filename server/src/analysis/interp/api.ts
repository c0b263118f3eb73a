/**
 * What feature modules may ask of the interpreter, as pyright's `typeEvaluatorTypes.ts` declares
 * its evaluator: the ORM, forms, signals, cache API, key holes, Django calls, tags and templates
 * are free functions that take an `InterpreterApi`, so none of them imports the evaluator core.
 */
import type { PythonFacts } from '../../facts/types';
import type { Expr } from '../../syntax/ir';
import type { FnEvents, Pos } from '../domain/events';
import type { ClsRef, Dep, FnRef, Scope, Shape, V } from '../domain/values';
import type { ModelRegistry } from '../models';
import type { Workspace } from '../workspace';

export type Call = Extract<Expr, { t: 'call' }>;
export type FnShape = Extract<Shape, { k: 'fn' }>;

/** Per-walk state: where events go and what surrounds the statement being evaluated. */
export interface Walk {
  events: FnEvents;
  id: string;
  pos: Pos;
  atomic: boolean;
  deferred: boolean;
}

/** A call's arguments, evaluated once; on_commit evaluates its callable under a deferred walk. */
export type Args = (w?: Walk) => V[];

export interface InterpreterApi {
  readonly ws: Workspace;
  readonly models: ModelRegistry;
  /** Whether a called function may be a cache wrapper, so that its walk is needed at the call (demand.ts narrows it). */
  mayWrap: (fn: FnRef) => boolean;
  eval(e: Expr, scope: Scope, walk?: Walk): V;
  /** Elements of an iterable value: rows of a queryset, items of a list. */
  element(val: V): V;
  /** Methods and class-level assignments of a workspace class and its workspace bases. */
  classAttr(cls: ClsRef, name: string, self: Shape | null): V | undefined;
  callFunction(s: FnShape, e: Call | null, scope: Scope, walk: Walk | undefined, args: () => V[]): V;
  /** The summary of what a function returns, solved once; a call cycle sees the empty value. */
  returns(fn: FnRef, closure: Scope | null, self?: Shape): V;
  /** Returns of a function evaluated with some parameters fixed (not memoised: the binding differs). */
  returnsWith(file: PythonFacts, idx: number, fixed: Map<string, V>): V;
  moduleScope(file: PythonFacts): Scope;
  /** A fresh scope of one function of `file`, its parameters bound. */
  functionScope(file: PythonFacts, idx: number): Scope;
  lambdaScope(e: Extract<Expr, { t: 'lambda' }>, scope: Scope, args: V[]): Scope;
  /** The data of a call's positional and keyword arguments together. */
  argumentData(e: Call, scope: Scope, walk: Walk | undefined, args: () => V[]): V;
  dep(model: string, via: string[], scope: Scope, e: Expr): Dep;
  /** Events of one function (or module body with idx -1), computed once. */
  collect(file: PythonFacts, idx: number): FnEvents;
  /** The events of a function's body walked with one call's arguments; undefined when it cannot be (a cycle). */
  boundEvents(s: FnShape, e: Call, scope: Scope): FnEvents | undefined;
  /** The events of every function walked so far, by function id. */
  walked(): IterableIterator<[string, FnEvents]>;
  /** A memo table that lives as long as the interpreter, one per name, for a feature module's own results. */
  memoTable<T>(name: string): Map<string, T>;
  /**
   * `compute()` once per id in memo table `name`; a request for the same id while it runs (a
   * cycle) gets `whileComputing`.
   */
  memoized<T>(name: string, id: string, whileComputing: T, compute: () => T): T;
}

/** An external (library) call as a handler of djangoCalls.ts's table sees it. */
export interface ExternalCall {
  /** The callee's qualified name. */
  q: string;
  e: Call;
  scope: Scope;
  walk: Walk | undefined;
  args: Args;
}

/** What a call of one qualified name evaluates to; undefined when the call is not understood. */
export type CallHandler = (interp: InterpreterApi, call: ExternalCall) => V | undefined;
