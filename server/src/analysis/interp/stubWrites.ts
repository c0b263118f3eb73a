/**
 * What a library writes is stub code (server/stubs): a stub method that saves or updates rows
 * (django-mptt's `move_to()` renumbers the tree with `update()` and saves the node) writes them at
 * the project call that runs it. Stubs are never walked by themselves, so the stub's body is walked
 * with the call's arguments and its writes become the call's own: at the call, in the caller's
 * statement, so that an invalidation written after the call follows them.
 */
import type { PythonFacts } from '../../facts/types';
import { eachCall } from '../../facts/walk';
import type { FunctionFact } from '../../syntax/ir';
import { exprText, fnId, type Scope } from '../domain/values';
import { INSTANCE_WRITES, M2M_WRITES, QS_WRITES } from '../django';
import type { Call, FnShape, InterpreterApi, Walk } from './api';

export function recordStubWrites(interp: InterpreterApi, s: FnShape, e: Call, scope: Scope, walk: Walk): void {
  if (!interp.ws.stubs.has(s.fn.file) || !mayWrite(interp, s)) return;
  const how = `${exprText(e.fn)}()`;
  for (const w of interp.boundEvents(s, e, scope)?.writes ?? [])
    walk.events.writes.push({ ...w, file: scope.file, loc: e.loc, how, fnId: walk.id, pos: walk.pos });
}

/** Whether the stub function calls a write method itself: most stubs (markdown's, caching decorators) never do. */
function mayWrite(interp: InterpreterApi, s: FnShape): boolean {
  return interp.memoized('stubWrites', fnId(s.fn.file, s.fn.idx), false, () =>
    callsWriteMethod(s.fn.file.functions[s.fn.idx]),
  );
}

function callsWriteMethod(fn: FunctionFact): boolean {
  let writes = false;
  eachCall(fn.body, (call) => {
    const name = call.fn.t === 'attr' ? call.fn.name : undefined;
    if (name && (INSTANCE_WRITES[name] || QS_WRITES[name] || M2M_WRITES.has(name))) writes = true;
  });
  return writes;
}

/** Names of the stub functions that write: a project function that calls one has writes of its own (demand.ts). */
export function writingStubNames(stubs: Iterable<PythonFacts>): string[] {
  const names: string[] = [];
  for (const file of stubs) for (const fn of file.functions) if (callsWriteMethod(fn)) names.push(fn.name);
  return names;
}
