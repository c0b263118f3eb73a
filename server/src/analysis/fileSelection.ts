/**
 * Which files an analysis reads. Test code is not the product: its cache entries and writes are
 * not the app's, and its receivers, admin registrations and signal hookups run only under the test
 * runner, so counting them would hide real findings (its settings too: a tests/settings.py
 * describes the test run, not the product). A file under a test path still counts when code that
 * counts imports it (an app named `testing`, a helper product code uses), and then it is product
 * code like any other. The CLI never parses the rest (docs/performance.md).
 */
import type { FileFacts } from '../facts/types';

/** Test code by the usual layouts: tests/ and testing/ folders, test_*.py, *_tests.py, tests.py, conftest.py. */
export function isTestPath(path: string): boolean {
  return /(^|\/)(tests?|testing)(\/|$)|(^|\/)(test_[^/]*|[^/]*_tests?|conftest|tests?)\.py$/.test(path);
}

/**
 * Splits `items` into those an analysis counts from the start and the deferred ones by module
 * name (the first of a module wins), which count once counted code imports them.
 */
export function splitDeferred<T>(
  items: Iterable<T>,
  pathOf: (item: T) => string,
  moduleOf: (item: T) => string | undefined,
): { counted: T[]; deferred: Map<string, T> } {
  const counted: T[] = [];
  const deferred = new Map<string, T>();
  for (const item of items) {
    const module = moduleOf(item);
    if (!isTestPath(pathOf(item))) counted.push(item);
    else if (module !== undefined && !deferred.has(module)) deferred.set(module, item);
  }
  return { counted, deferred };
}

/**
 * Removes from `pending` (deferred files by module name) the ones that `facts` import, and
 * returns them: importing `a.b` or `from a import b` can load module `a.b`.
 */
export function takeImported<T>(facts: Iterable<FileFacts>, pending: Map<string, T>): T[] {
  const taken: T[] = [];
  const take = (module: string) => {
    const item = pending.get(module);
    if (item === undefined) return;
    pending.delete(module);
    taken.push(item);
  };
  for (const f of facts) {
    if (f.kind !== 'python' || !pending.size) continue;
    for (const imp of f.imports) {
      take(imp.module);
      if (imp.name) take(`${imp.module}.${imp.name}`);
    }
  }
  return taken;
}

/** The facts of `all` that an analysis counts, in their order (see the top of this file). */
export function analysedFacts<F extends FileFacts>(all: readonly F[]): F[] {
  const { counted, deferred: pending } = splitDeferred(
    all,
    (f) => f.path,
    (f) => (f.kind === 'python' ? f.module : undefined),
  );
  const chosen = new Set(counted);
  if (chosen.size === all.length) return [...all];
  for (let frontier: F[] = [...chosen]; frontier.length;) {
    frontier = takeImported(frontier, pending);
    for (const f of frontier) chosen.add(f);
  }
  return all.filter((f) => chosen.has(f));
}
