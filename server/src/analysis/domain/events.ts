/** What one function does, as the interpreter found it: the raw material of coverage and rules. */
import type { PythonFacts } from '../../facts/types';
import type { Expr, Loc } from '../../syntax/ir';
import type { KeyPattern, RowField } from './keys';
import type { TagDeclaration } from './tags';
import type { Dep, Scope, V } from './values';

/** How a write changes a model's rows, as far as its cache entries care. */
export type WriteKind = 'save' | 'delete' | 'm2m' | 'bulk';

export interface Site {
  file: PythonFacts;
  loc: Loc;
}

/** Statement position, so rules can see "right after" and "in a row". */
export interface Pos {
  block: number;
  index: number;
  line: number;
  /** The compound statement whose block holds this one (absent at the top of a function's body). */
  outer?: Pos;
  /**
   * Every path that goes on past `outer` ran this block to its end: a `finally`, and a `try` body
   * or its `else` when every handler leaves (an exception that skips part of the body ends in a
   * handler that returns or raises).
   */
  ranThrough?: true;
}

/**
 * Whether the statement at `a` runs before the one at `w` on every path of their function that
 * reaches `w`: it sits earlier in `w`'s block or in a block around it, or in the header of a
 * compound statement around `w` (an `if` test, a `for` iterable), or in a block run to its end
 * (`ranThrough`) by every path past a statement that comes before `w`. Otherwise a statement in
 * a branch, a loop body or a `try` that `w` is not inside may not run.
 */
export function runsBefore(a: Pos, w: Pos, strictly = false): boolean {
  for (let at: Pos | undefined = w; at; at = at.outer)
    if (at.block === a.block) return a.index < at.index || (!strictly && a.index === at.index && at !== w);
  // The statement holding a run-through block must come before `w`, not hold it (`w` in a handler).
  return !!a.ranThrough && !!a.outer && runsBefore(a.outer, w, true);
}

export interface CacheOp extends Site {
  method: string;
  alias: string;
  key: KeyPattern | null;
  /** Deps of the stored value, for set/add/get_or_set/set_many. */
  value: V | null;
  /** The keys a stored list holds: the op keeps a key group, its key naming the group. */
  members?: KeyPattern[];
  timeout: number | null | 'default' | 'unknown';
  version: string | null;
  /** The cache key that a dynamic `version=` is read from: bumping or deleting that key drops the entry. */
  versionCounter?: KeyPattern;
  /** The row column that a dynamic `version=` is read from: a write of that column drops the entry. */
  versionRow?: RowField;
  /** Set on a write of a row column that keys or versions read (a version row's bump): it drops their entries. */
  bumpsRow?: RowField;
  fnId: string;
  pos: Pos;
  /** Inside transaction.atomic() or an atomic view, and not deferred with on_commit. */
  inAtomic: boolean;
  /** The op goes through `tagged(...)`: its entry carries these tags. */
  tags?: TagDeclaration;
  /** The key or the version is built from the enclosing function's parameters. */
  derived?: true;
  /**
   * The invalidation a call of a wrapper makes, worked out with the call's arguments from the
   * wrapper's op at this place (file:loc:method): it counts for coverage, the wrapper's op is
   * reported on.
   */
  instanceOf?: string;
  /** Set when the key or value comes from the enclosing function's parameters: the op is a wrapper's. */
  template?: {
    keyExpr: Expr | null;
    keyParam: string | null;
    valueParam: string | null;
    valueCallsParam: string | null;
    /** The value is `fn(*args, **kwargs)`: a call site's arguments beyond the wrapper's own go to `fn`. */
    valueForwards: boolean;
    /** Parameters whose values go into a stored list of keys (a helper that adds a key to a group). */
    memberParams: string[];
    /** The version is built from the parameters: each call's arguments name it (instantiateWrapperOps). */
    derived: boolean;
    scope: Scope;
    /** The cache method call itself, and its timeout argument: a decorator factory's arguments may fill them in. */
    call: Extract<Expr, { t: 'call' }>;
    timeoutExpr: Expr | null;
  };
}

/** A cache.get (or has_key/ttl) of a key, for navigation between a key's sites. */
export interface KeyRead extends Site {
  method: string;
  alias: string;
  key: KeyPattern | null;
  /** `version=` as recordOp reads it: a literal, '?' when unknown, null when not given. */
  version: string | null;
  versionCounter?: KeyPattern;
  versionRow?: RowField;
}

export interface WriteSite extends Site {
  model: string;
  kind: WriteKind;
  signals: boolean;
  how: string;
  fnId: string | null;
  pos: Pos | null;
  /** A direct write to an explicit m2m through model: it skips m2m_changed. */
  throughWrite?: boolean;
  /** The only columns written (`update(active=False)`, `save(update_fields=[...])`); absent: any. */
  columns?: string[];
  /** cacheops drops its entries for the model on this write though it sends no signal (`invalidated_update()`). */
  cacheopsInvalidated?: boolean;
  /** The write only inserts new rows (`create()`, `bulk_create()`): rows already there stay as they were. */
  insertsOnly?: boolean;
  /** The rows are written in SQL without calling the model's save()/delete() override (`QuerySet.delete()`, cascades). */
  skipsOverride?: boolean;
  /** Implicit writes (admin, generic views, forms) belong to a class whose hooks may invalidate. */
  owner?: { file: PythonFacts; idx: number };
  /**
   * The model whose row the same form saves first, in the same request: an admin inline or an
   * m2m field of a model form is written right after its parent is saved, so the parent's save
   * invalidation runs with it.
   */
  savedWith?: string;
}

export interface SignalHookup extends Site {
  /** 'save' | 'delete' | 'm2m' for model signals; a project signal id otherwise. */
  signal: { model: WriteKind } | { custom: string };
  receiver: string;
  /** Model ids; null means any sender. */
  senders: string[] | null;
}

export interface CallEdge {
  to: string;
  pos: Pos;
  deferred: boolean;
}

export interface Render {
  template: string;
  context: V;
  fnId: string;
  site: Site;
}

export interface FnEvents {
  ops: CacheOp[];
  keyReads: KeyRead[];
  writes: WriteSite[];
  calls: CallEdge[];
  hookups: SignalHookup[];
  sends: { signal: string; pos: Pos }[];
  renders: Render[];
  /** Every model the function body reads, for view caches and memoize entries (the whole function is the value). */
  reads: Dep[];
  /** save()/delete() calls on a parameter: a caller that passes a model's row runs that model's override. */
  paramWrites: { param: string; kind: OverriddenWrite }[];
}

/** The writes a model can override with a method of the same name. */
export type OverriddenWrite = 'save' | 'delete';

export function emptyEvents(): FnEvents {
  return {
    ops: [],
    keyReads: [],
    writes: [],
    calls: [],
    hookups: [],
    sends: [],
    renders: [],
    reads: [],
    paramWrites: [],
  };
}

/** The receivers of each project signal, from the hookups in `events`: sending one calls them. */
export function projectSignalReceivers(events: Iterable<FnEvents>): Map<string, string[]> {
  const receivers = new Map<string, string[]>();
  for (const ev of events) {
    for (const h of ev.hookups)
      if ('custom' in h.signal) receivers.set(h.signal.custom, [...(receivers.get(h.signal.custom) ?? []), h.receiver]);
  }
  return receivers;
}

/** Where an op is, as CacheOp.instanceOf names it: file, place and method. */
export function opPlace(op: CacheOp): string {
  return `${op.file.path}:${op.loc.join()}:${op.method}`;
}
