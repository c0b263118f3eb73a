/**
 * What a module-private helper's parameters hold, read from its calls in its module: django-wiki's
 * `_clear_ancestor_cache(article)` is called from an Article receiver with `instance` and from an
 * ArticleForObject one with `instance.article`, so `article` is a row of Article there, and
 * `ancestor.article.clear_cache()` in its loop is a call of `Article.clear_cache()`. A name with a
 * leading underscore says the module's own code calls it, so its calls there are all there is to
 * read. Only rows and querysets go in, by position and keyword, and only their types, not what
 * looking them up read. A call that spreads its arguments fills no parameter; a cycle sees none.
 */
import type { PythonFacts } from '../../facts/types';
import { eachCall } from '../../facts/walk';
import { fnId, isRowOrRows, mergeByName, v, type V } from '../domain/values';
import type { Call, InterpreterApi } from './api';
import { argumentFor, spreadsArguments } from './bindings';

interface CallSite {
  file: PythonFacts;
  idx: number;
  call: Call;
}

/** The parameters of the module-private function `idx` of `file` that its module's calls pass rows or querysets to, by name. */
export function callerParams(interp: InterpreterApi, file: PythonFacts, idx: number): Map<string, V> {
  const fact = file.functions[idx];
  if (!fact.name.startsWith('_') || fact.name.startsWith('__')) return new Map();
  if (fact.cls !== null || fact.parent !== null || fact.decorators.length || !fact.params.length) return new Map();
  return interp.memoized('callerParams', fnId(file, idx), new Map<string, V>(), () => {
    const found = new Map<string, V[]>();
    for (const site of callSites(interp, file).get(fact.name) ?? []) {
      if (spreadsArguments(site.call)) continue;
      const callee = interp.eval(site.call.fn, interp.moduleScope(site.file));
      if (!callee.shapes.some((s) => s.k === 'fn' && s.fn.file === file && s.fn.idx === idx && !s.self)) continue;
      const scope = site.idx >= 0 ? interp.functionScope(site.file, site.idx) : interp.moduleScope(site.file);
      for (const p of fact.params) {
        const arg = p.kind === 'plain' ? argumentFor(fact, site.call, p.name) : undefined;
        const rows = arg ? interp.eval(arg, scope).shapes.filter(isRowOrRows) : [];
        if (rows.length) found.set(p.name, [...(found.get(p.name) ?? []), v(rows)]);
      }
    }
    return mergeByName(found);
  });
}

/** The calls of one module by the name they call (`f(...)`, `mod.f(...)`), found once. */
function callSites(interp: InterpreterApi, file: PythonFacts): Map<string, CallSite[]> {
  const memo = interp.memoTable<Map<string, CallSite[]>>('callerParamSites');
  const known = memo.get(file.path);
  if (known) return known;
  const sites = new Map<string, CallSite[]>();
  const visit = (idx: number, body: unknown) =>
    eachCall(body, (call) => {
      const name = call.fn.t === 'name' ? call.fn.id : call.fn.t === 'attr' ? call.fn.name : undefined;
      if (!name) return;
      const list = sites.get(name);
      if (list) list.push({ file, idx, call });
      else sites.set(name, [{ file, idx, call }]);
    });
  visit(-1, file.body);
  file.functions.forEach((fn, idx) => visit(idx, fn.body));
  memo.set(file.path, sites);
  return sites;
}
