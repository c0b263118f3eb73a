/** The call graph between functions, which changes run each function (triggers), and the invalidations each function reaches. */
import type { PythonFacts } from '../facts/types';
import type { CacheOp, FnEvents, Pos } from './domain/events';
import { projectSignalReceivers } from './domain/events';
import type { FileAnalysis, Trigger } from './analysis';
import type { ModelRegistry } from './models';
import { fnId } from './domain/values';

/** Cache methods that drop or replace what a key holds: an op of one of these invalidates. */
export const DELETE_LIKE = new Set([
  'delete',
  'clear',
  'set',
  'add',
  'incr',
  'decr',
  'incr_version',
  'decr_version',
  'get_or_set',
]);
const ADMIN_HOOKS =
  /^(save_model|delete_model|save_related|delete_queryset|save_formset|response_(add|change|delete)|log_(addition|change|deletion))$/;
const VIEW_HOOKS =
  /^(perform_(create|update|destroy)|form_valid|delete|post|put|patch|create|update|destroy|partial_update|save)$/;

/** Calls between functions; sending a project signal calls its receivers. */
type Edges = Map<string, Edge[]>;
interface Edge {
  to: string;
  pos: Pos;
}

/** The edges of a function's own calls, kept while its events are: the language server reuses both. */
const ownCallEdges = new WeakMap<FnEvents, Edge[]>();

export function callEdges(events: Map<string, FnEvents>): Edges {
  const receivers = projectSignalReceivers(events.values());
  const edges: Edges = new Map();
  for (const [id, ev] of events) {
    let own = ownCallEdges.get(ev);
    if (!own) ownCallEdges.set(ev, (own = ev.calls.map((c) => ({ to: c.to, pos: c.pos }))));
    const signalled = ev.sends.length
      ? ev.sends.flatMap((send) => (receivers.get(send.signal) ?? []).map((r) => ({ to: r, pos: send.pos })))
      : [];
    edges.set(id, signalled.length ? [...own, ...signalled] : own);
  }
  return edges;
}

export function methodTriggers(models: ModelRegistry, file: PythonFacts): { fnId: string; trigger: Trigger }[] {
  const out: { fnId: string; trigger: Trigger }[] = [];
  file.classes.forEach((cls, idx) => {
    const model = models.modelOfClass(file, idx);
    // A concrete model whose save()/delete() comes from a mixin or an abstract parent runs that
    // method on each of its writes: the inherited override is this model's override too.
    if (model && !model.abstract) {
      for (const name of ['save', 'delete'] as const) {
        if (cls.methods[name] !== undefined) continue;
        const inherited = models.inheritedMethod(file, idx, name);
        if (!inherited) continue;
        const fn = inherited.file.functions[inherited.fn];
        out.push({
          fnId: fnId(inherited.file, inherited.fn),
          trigger: {
            t: 'override',
            kind: name,
            model: model.id,
            path: inherited.file.path,
            loc: fn.nameLoc,
            name: `${inherited.owner}.${name}() of ${cls.name}`,
          },
        });
      }
    }
    for (const [name, m] of Object.entries(cls.methods)) {
      const fn = file.functions[m];
      if (model && (name === 'save' || name === 'delete')) {
        out.push({
          fnId: fnId(file, m),
          trigger: {
            t: 'override',
            kind: name,
            model: model.id,
            path: file.path,
            loc: fn.nameLoc,
            name: `${cls.name}.${name}()`,
          },
        });
      } else if (!model && (ADMIN_HOOKS.test(name) || VIEW_HOOKS.test(name))) {
        out.push({
          fnId: fnId(file, m),
          trigger: {
            t: 'owner',
            owner: fnId(file, idx),
            path: file.path,
            loc: fn.nameLoc,
            name: `${cls.name}.${name}()`,
          },
        });
      }
    }
  });
  return out;
}

/** Which changes run each function: receivers, save()/delete() overrides, admin and view hooks, and their callees. */
export function computeTriggers(
  events: Map<string, FnEvents>,
  files: FileAnalysis[],
  edges: Edges,
): Map<string, Trigger[]> {
  const roots = new Map<string, Trigger[]>();
  const add = (id: string, t: Trigger) => {
    const list = roots.get(id) ?? [];
    list.push(t);
    roots.set(id, list);
  };
  for (const ev of events.values()) {
    for (const h of ev.hookups)
      if ('model' in h.signal) add(h.receiver, { t: 'signal', kind: h.signal.model, senders: h.senders, hookup: h });
  }
  for (const f of files) for (const m of f.methodTriggers) add(m.fnId, m.trigger);
  const result = new Map<string, Trigger[]>();
  for (const [root, triggers] of roots) {
    const seen = new Set<string>([root]);
    const queue = [root];
    for (let head = 0; head < queue.length; head++) {
      const cur = queue[head];
      const list = result.get(cur) ?? [];
      list.push(...triggers);
      result.set(cur, list);
      for (const { to: next } of edges.get(cur) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  }
  return result;
}

/** Per function: the invalidating ops it runs itself or through callees, with the position of the first step in it. */
export type Reach = (fnId: string) => ReachedOp[];
export interface ReachedOp {
  op: CacheOp;
  pos: Pos;
}

/**
 * One function in the walk over the call graph. The walk fixes which callees count (a callee
 * still being walked, in a call cycle, contributes nothing); the list of ops is built only for
 * the functions coverage asks about, from the callees' lists.
 */
interface ReachNode {
  id: string;
  callees: (ReachNode | undefined)[];
  ops?: ReachedOp[];
}

export function reachableOps(events: Map<string, FnEvents>, edges: Edges): Reach {
  const nodes = new Map<string, ReachNode>();
  const busy = new Set<string>();
  const visit = (id: string): ReachNode | undefined => {
    const known = nodes.get(id);
    if (known) return known;
    if (busy.has(id)) return undefined;
    busy.add(id);
    const node: ReachNode = { id, callees: (edges.get(id) ?? []).map((c) => visit(c.to)) };
    busy.delete(id);
    nodes.set(id, node);
    return node;
  };
  for (const id of events.keys()) visit(id);
  const opsOf = (node: ReachNode): ReachedOp[] => {
    if (!node.ops) {
      const out: ReachedOp[] = [];
      for (const op of events.get(node.id)?.ops ?? [])
        if (!op.template && (DELETE_LIKE.has(op.method) || op.method === 'delete_pattern'))
          out.push({ op, pos: op.pos });
      (edges.get(node.id) ?? []).forEach((c, i) => {
        const callee = node.callees[i];
        if (callee) for (const r of opsOf(callee)) out.push({ op: r.op, pos: c.pos });
      });
      node.ops = out;
    }
    return node.ops;
  };
  return (fnId) => {
    const node = nodes.get(fnId);
    return node ? opsOf(node) : [];
  };
}

/** A call of a function, seen from the callee. */
export interface CallerSite {
  /** The calling function's id, and the position of the statement that calls. */
  from: string;
  pos: Pos;
  deferred: boolean;
}

/** The calls the engine sees of each function, by callee. */
export function callersOf(events: Map<string, FnEvents>): (fnId: string) => CallerSite[] {
  const byCallee = new Map<string, CallerSite[]>();
  for (const [from, ev] of events)
    for (const c of ev.calls) {
      const list = byCallee.get(c.to) ?? [];
      if (!list.some((x) => x.from === from && x.pos === c.pos)) list.push({ from, pos: c.pos, deferred: c.deferred });
      byCallee.set(c.to, list);
    }
  return (fnId) => byCallee.get(fnId) ?? [];
}
