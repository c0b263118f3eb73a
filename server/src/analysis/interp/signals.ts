/** Signals: `@receiver` and `.connect()` hookups, project signals and their sends, and the rows receivers get. */
import type { Expr, FunctionFact, Stmt } from '../../syntax/ir';
import { nestedBlocks } from '../../facts/walk';
import type { WriteKind } from '../domain/events';
import { EMPTY, fnId, type FnRef, type Scope, type Shape, v, type V } from '../domain/values';
import { MODEL_SIGNALS, RECEIVER_DECORATOR, SIGNAL_CLASS, SIGNAL_SEND_METHODS } from '../django';
import type { Call, InterpreterApi, Walk } from './api';
import { kwOf } from './bindings';

/** Instances of a Signal subclass carry no data. */
export const SIGNAL_CLASS_RE = /^django\.dispatch\.(dispatcher\.)?Signal$/;

/** A module-level `x = Signal()` is a project signal named by where it lives. */
export function projectSignal(val: V, scope: Scope, name: string): V {
  if (val.shapes.some((s) => s.k === 'ext' && SIGNAL_CLASS.has(s.q)))
    return v([{ k: 'signal', id: `${scope.file.module}.${name}` }]);
  return val;
}

/** `signal.send(...)` and `signal.connect(receiver)` on a project signal. */
export function projectSignalCall(
  interp: InterpreterApi,
  signal: string,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V {
  if (walk && SIGNAL_SEND_METHODS.has(name)) walk.events.sends.push({ signal, pos: walk.pos });
  if (walk && name === 'connect') recordConnect(interp, walk, scope, e, { custom: signal });
  return EMPTY;
}

/** `post_save.connect(receiver, sender=M)` and the like; undefined for other calls on `q`. */
export function modelSignalConnect(
  interp: InterpreterApi,
  q: string,
  name: string,
  e: Call,
  scope: Scope,
  walk: Walk | undefined,
): V | undefined {
  const sig = MODEL_SIGNALS[q];
  if (!sig || name !== 'connect') return undefined;
  if (walk) recordConnect(interp, walk, scope, e, { model: sig.kind });
  return EMPTY;
}

/**
 * The models whose rows a receiver of pre_/post_save or _delete gets as `instance`: the sender of
 * each hookup, whether by `@receiver(signal, sender=M)` or by a `signal.connect(fn, sender=M)` /
 * `signal.connect(fn, M)` statement anywhere in the workspace (module level, `ready()`), when
 * every hookup names one sender and only save and delete signals (m2m_changed's instance may be
 * either side).
 */
export function receivedModels(interp: InterpreterApi, fn: FunctionFact, scope: Scope): string[] | undefined {
  const models = new Set<string>();
  for (const d of fn.decorators) {
    const r = receiverDecoration(interp, d, scope);
    if (!r) continue;
    if (!rowSignals(r.signals) || r.senders?.length !== 1) return undefined;
    models.add(r.senders[0]);
  }
  // A plain function may be hooked up by name: look for `.connect()` statements naming it.
  if (fn.cls === null) {
    for (const c of connectsOf(interp, fnId(scope.file, scope.fnIdx))) {
      if (!rowSignals(c.signals) || c.senders?.length !== 1) return undefined;
      models.add(c.senders[0]);
    }
  }
  return models.size ? [...models] : undefined;
}

/** Save and delete signals only: their `instance` is a row of the sender. */
function rowSignals(signals: Shape[]): boolean {
  return (
    signals.length > 0 &&
    signals.every(
      (s) => s.k === 'ext' && (MODEL_SIGNALS[s.q]?.kind === 'save' || MODEL_SIGNALS[s.q]?.kind === 'delete'),
    )
  );
}

interface Connection {
  signals: Shape[];
  senders: string[] | null;
}

/**
 * The model-signal `.connect()` statements of the workspace by receiver id, found once per
 * interpreter: every file is read, so a unit asking for them depends on all of them. While they
 * are being found, receivers are untyped (evaluating a connect call may build a scope).
 */
function connectsOf(interp: InterpreterApi, receiver: string): Connection[] {
  const memo = interp.memoTable<Map<string, Connection[]>>('connects');
  let byReceiver = memo.get('workspace');
  if (!byReceiver) {
    const found = new Map<string, Connection[]>();
    memo.set('workspace', found);
    for (const file of interp.ws.python) {
      connectStatements(file.body, (call) => addConnection(interp, found, call, interp.moduleScope(file)));
      file.functions.forEach((f, idx) =>
        connectStatements(f.body, (call) => addConnection(interp, found, call, interp.functionScope(file, idx))),
      );
    }
    byReceiver = found;
  }
  return byReceiver.get(receiver) ?? [];
}

/** `<x>.connect(...)` expression statements, nested blocks included (with a stack: nesting depth is the user's). */
function connectStatements(body: Stmt[], found: (call: Call) => void): void {
  const stack: Stmt[] = [];
  const pushReversed = (list: Stmt[]) => {
    for (let i = list.length - 1; i >= 0; i--) stack.push(list[i]);
  };
  pushReversed(body);
  for (let s = stack.pop(); s; s = stack.pop()) {
    if (s.t === 'expr' && s.value.t === 'call' && s.value.fn.t === 'attr' && s.value.fn.name === 'connect')
      found(s.value);
    nestedBlocks(s).reverse().forEach(pushReversed);
  }
}

function addConnection(interp: InterpreterApi, table: Map<string, Connection[]>, call: Call, scope: Scope): void {
  if (call.fn.t !== 'attr') return;
  const signals = interp.eval(call.fn.obj, scope).shapes.filter((s) => s.k === 'ext' && MODEL_SIGNALS[s.q]);
  const recv = call.args[0] ?? kwOf(call.kw, 'receiver');
  if (!signals.length || !recv) return;
  const senderExpr = kwOf(call.kw, 'sender') ?? call.args[1];
  const senders = senderExpr ? sendersOf(interp, senderExpr, scope) : null;
  for (const s of interp.eval(recv, scope).shapes) {
    if (s.k !== 'fn') continue;
    const id = fnId(s.fn.file, s.fn.idx);
    table.set(id, [...(table.get(id) ?? []), { signals, senders }]);
  }
}

/** For `@receiver(signal | [signals], sender=...)`: the signals' shapes and the senders (null: any). */
function receiverDecoration(
  interp: InterpreterApi,
  d: Expr,
  scope: Scope,
): { signals: Shape[]; senders: string[] | null } | undefined {
  if (d.t !== 'call' || !interp.eval(d.fn, scope).shapes.some((s) => s.k === 'ext' && s.q === RECEIVER_DECORATOR))
    return undefined;
  const sigExpr = d.args[0] ?? kwOf(d.kw, 'signal');
  if (!sigExpr) return undefined;
  const senderExpr = kwOf(d.kw, 'sender');
  const senders = senderExpr ? sendersOf(interp, senderExpr, scope) : null;
  return {
    signals: (sigExpr.t === 'seq' ? sigExpr.items : [sigExpr]).flatMap((sig) => interp.eval(sig, scope).shapes),
    senders,
  };
}

function recordConnect(
  interp: InterpreterApi,
  walk: Walk,
  scope: Scope,
  e: Call,
  signal: { model: WriteKind } | { custom: string },
): void {
  const recv = e.args[0] ?? kwOf(e.kw, 'receiver');
  const senderExpr = kwOf(e.kw, 'sender') ?? e.args[1];
  if (!recv) return;
  const fns = interp.eval(recv, scope).shapes.filter((s): s is Extract<Shape, { k: 'fn' }> => s.k === 'fn');
  const senders = senderExpr ? sendersOf(interp, senderExpr, scope) : null;
  for (const f of fns) {
    walk.events.hookups.push({ file: scope.file, loc: e.loc, signal, receiver: fnId(f.fn.file, f.fn.idx), senders });
  }
}

function sendersOf(interp: InterpreterApi, e: Expr, scope: Scope): string[] {
  const items = e.t === 'seq' ? e.items : [e];
  const out: string[] = [];
  for (const item of items) {
    if (item.t === 'str') {
      const m = interp.models.byLabel(item.v);
      if (m) out.push(m.id);
      continue;
    }
    for (const s of interp.eval(item, scope).shapes) if (s.k === 'model') out.push(s.model);
  }
  return out;
}

/** `@receiver(...)` hooks a function up; other decorators are read by the entry finder. */
export function receiverDecorator(interp: InterpreterApi, d: Expr, fn: FnRef, scope: Scope, walk: Walk): void {
  const r = receiverDecoration(interp, d, scope);
  if (!r) return;
  for (const s of r.signals) {
    const signal =
      s.k === 'ext' && MODEL_SIGNALS[s.q]
        ? { model: MODEL_SIGNALS[s.q]!.kind }
        : s.k === 'signal'
          ? { custom: s.id }
          : undefined;
    if (signal)
      walk.events.hookups.push({
        file: scope.file,
        loc: d.loc,
        signal,
        receiver: fnId(fn.file, fn.idx),
        senders: r.senders,
      });
  }
}
