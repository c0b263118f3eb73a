/**
 * The other names a module is imported by. A file has one module name, given by its package chain
 * below the innermost source root (engine: `packageDirsOf`), so it reads the same whichever folder
 * the analysis starts from. Python can still import it as another name when more than one folder
 * above it is on sys.path; as pyright does, absolute imports resolve against each of those roots:
 * - the folders above its source root that are packages too (tabbycat/tabbycat holds manage.py, so
 *   `tournaments.models` is also `tabbycat.tournaments.models` from the repository root);
 * - a folder that absolute imports show is on sys.path: an import of `a.b` that names no module of
 *   the workspace, where exactly one package `D/a` holds every module the imports of `a` name,
 *   makes D a root (a run from the repository root that does not see the manage.py folder).
 */
import type { FileFacts, PythonFacts } from '../facts/types';

/** Other names of modules, and the name the project's own imports use for a module when it is not its file's. */
export interface ModuleAliases {
  /** Each alias with its file; never a name some module already has. */
  aliases: Map<string, PythonFacts>;
  /** The name a root that imports show gives a file: what findings and fixes call its module. */
  importedAs: Map<PythonFacts, string>;
}

export function moduleAliases(python: readonly PythonFacts[], byPath: ReadonlyMap<string, FileFacts>): ModuleAliases {
  const known = new Map<string, PythonFacts>();
  for (const f of python) if (!known.has(f.module)) known.set(f.module, f);
  const aliases = new Map<string, PythonFacts>();
  const add = (name: string, file: PythonFacts) => {
    if (!known.has(name)) {
      known.set(name, file);
      aliases.set(name, file);
    }
  };
  for (const f of python) for (const name of namesAboveRoot(f, byPath)) add(name, f);
  const importedAs = new Map<PythonFacts, string>();
  for (const [name, file] of rootsImportsShow(python, known)) {
    add(name, file);
    if (aliases.get(name) === file) importedAs.set(file, name);
  }
  return { aliases, importedAs };
}

/** The file's module named from each package folder above its source root, nearest first. */
function namesAboveRoot(file: PythonFacts, byPath: ReadonlyMap<string, FileFacts>): string[] {
  if (file.module === '') return [];
  const folders = file.path.split('/');
  folders.pop();
  // The module's own package folders: one per dotted part, less the file itself unless it is an __init__.py.
  const own = file.module.split('.').length - (file.isPackage ? 0 : 1);
  let root = folders.slice(0, folders.length - own);
  const names: string[] = [];
  let name = file.module;
  while (root.length && byPath.has(`${root.join('/')}/__init__.py`)) {
    name = `${root[root.length - 1]}.${name}`;
    names.push(name);
    root = root.slice(0, -1);
  }
  return names;
}

/**
 * Aliases from the roots imports show: for each top-level name `a` of absolute imports that no
 * module has, the one package named `a` (its module `P.a`) that holds every module those imports
 * name gives each of its modules `P.a.x` the name `a.x`. Two candidates, or an import the
 * candidate lacks (an installed `a` of the same name), give none.
 */
function rootsImportsShow(
  python: readonly PythonFacts[],
  known: ReadonlyMap<string, PythonFacts>,
): Map<string, PythonFacts> {
  const importedBy = new Map<string, Set<string>>();
  for (const f of python) {
    for (const imp of f.imports) {
      const top = imp.module.split('.')[0];
      if (!top || known.has(top)) continue;
      let modules = importedBy.get(top);
      if (!modules) importedBy.set(top, (modules = new Set()));
      modules.add(imp.module);
    }
  }
  const packagesNamed = new Map<string, PythonFacts[]>();
  for (const f of python) {
    const top = f.module.slice(f.module.lastIndexOf('.') + 1);
    if (f.isPackage && f.module.includes('.') && importedBy.has(top)) {
      packagesNamed.set(top, [...(packagesNamed.get(top) ?? []), f]);
    }
  }
  const aliases = new Map<string, PythonFacts>();
  for (const [top, candidates] of packagesNamed) {
    if (candidates.length !== 1) continue;
    const prefix = candidates[0].module.slice(0, -top.length);
    if (![...importedBy.get(top)!].every((m) => known.has(prefix + m))) continue;
    for (const f of python) {
      if (f.module === prefix + top || f.module.startsWith(`${prefix}${top}.`))
        aliases.set(f.module.slice(prefix.length), f);
    }
  }
  return aliases;
}
