/**
 * Which modules are the project's Django settings: the ones DJANGO_SETTINGS_MODULE names in
 * product code (manage.py, wsgi.py, asgi.py) with the modules they star-import, and modules named
 * like settings that are not an app's own module (an app named `settings`, an app's `settings.py`
 * of defaults). Never test code: a tests/settings.py describes the test run, not the product.
 */
import type { FileFacts, PythonFacts } from '../facts/types';
import type { Expr, Stmt } from '../syntax/ir';
import { nestedBlocks } from '../facts/walk';
import { isTestPath } from './fileSelection';

const SETTINGS_VARIABLE = 'DJANGO_SETTINGS_MODULE';
/** Files that make their folder a Django app. */
const APP_FILES = ['models.py', 'models/__init__.py', 'apps.py', 'views.py', 'views/__init__.py', 'admin.py'];

/** `settings`, `settings_*`-style dotted names or anything in a settings/ package, outside test code. */
function isSettingsName(module: string, path: string): boolean {
  return (/(^|\.)settings(\.[a-z_0-9]+)?$/.test(module) || /(^|\/)settings\//.test(path)) && !isTestPath(path);
}

/** The settings files of a workspace, in the order given. */
export function settingsFiles(
  python: readonly PythonFacts[],
  byModule: ReadonlyMap<string, PythonFacts>,
  byPath: ReadonlyMap<string, FileFacts>,
): PythonFacts[] {
  const named = namedSettings(python, byModule);
  const isApp = (folder: string) => APP_FILES.some((name) => byPath.has(folder ? `${folder}/${name}` : name));
  return python.filter((f) => named.has(f) || (isSettingsName(f.module, f.path) && !isApp(settingsFolder(f.path))));
}

/** The folder a settings-like file speaks for: its settings/ package, else its own folder. */
function settingsFolder(path: string): string {
  const inPackage = /^(.*?)(?:^|\/)settings\//.exec(path);
  if (inPackage) return inPackage[1] ? `${inPackage[1]}/settings` : 'settings';
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
}

/** Modules DJANGO_SETTINGS_MODULE names in product code, with every module they star-import. */
function namedSettings(python: readonly PythonFacts[], byModule: ReadonlyMap<string, PythonFacts>): Set<PythonFacts> {
  const found = new Set<PythonFacts>();
  const add = (module: string) => {
    const file = byModule.get(module);
    if (!file || found.has(file) || isTestPath(file.path)) return;
    found.add(file);
    for (const imp of file.imports) if (imp.name === '*') add(imp.module);
  };
  // Module-level statements only (wsgi.py, asgi.py, a manage.py without main()): the workspace reads no function body.
  for (const f of python) {
    if (isTestPath(f.path)) continue;
    for (const blocks = [f.body]; blocks.length;) {
      for (const s of blocks.pop()!) {
        settingsNamed(s, add);
        blocks.push(...nestedBlocks(s));
      }
    }
  }
  return found;
}

/** `os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'x')` or `os.environ['DJANGO_SETTINGS_MODULE'] = 'x'`. */
function settingsNamed(s: Stmt, found: (module: string) => void): void {
  if (s.t === 'expr' && s.value.t === 'call' && isEnviron(s.value.fn, 'setdefault')) {
    const [name, value] = s.value.args;
    if (name?.t === 'str' && name.v === SETTINGS_VARIABLE && value?.t === 'str') found(value.v);
  } else if (s.t === 'assign' && s.value.t === 'str') {
    for (const t of s.targets) {
      if (t.t === 'sub' && t.idx.t === 'str' && t.idx.v === SETTINGS_VARIABLE && isEnviron(t.obj)) found(s.value.v);
    }
  }
}

/** `os.environ` or `environ`, or its method `method`. */
function isEnviron(e: Expr, method?: string): boolean {
  if (method !== undefined) return e.t === 'attr' && e.name === method && isEnviron(e.obj);
  return (e.t === 'attr' && e.name === 'environ') || (e.t === 'name' && e.id === 'environ');
}
