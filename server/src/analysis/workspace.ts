/** The workspace index: files by module, module-level bindings, import resolution, settings. */
import type { FileFacts, PythonFacts, TemplateFacts } from '../facts/types';
import type { Expr, ImportFact, Loc, Stmt } from '../syntax/ir';
import { nestedBlocks } from '../facts/walk';
import { canonical, installsSiteCache } from './django';
import { type CacheopsProfile, cacheopsProfile } from './libraries';
import { moduleAliases } from './sourceRoots';
import { settingsFiles } from './settingsModules';

/** Modules one name's resolution may pass through (re-exports, star imports). */
const MAX_RESOLVE_STEPS = 500;
export type Sym =
  | { k: 'fn'; file: PythonFacts; idx: number }
  | { k: 'class'; file: PythonFacts; idx: number }
  | { k: 'mod'; module: string; file: PythonFacts | undefined }
  | { k: 'ext'; q: string }
  /** `inFn`: for each of `exprs`, the function whose `global` assignment it is (its names are that function's), or null. */
  | { k: 'value'; file: PythonFacts; name: string; exprs: Expr[]; inFn: (number | null)[] };

export type Binding =
  /** `fn`: the function that assigns it after `global name`. */
  | { k: 'assign'; value: Expr; index: number | null; fn?: number }
  | { k: 'def'; idx: number }
  | { k: 'class'; idx: number }
  | { k: 'import'; imp: ImportFact };

/** A literal Python value from settings: what `literal()` can read without running code. */
export type Literal = string | number | boolean | null | Literal[] | { [k: string]: Literal } | undefined;

export interface Settings {
  caches: Record<string, { timeout: number | null | undefined; keyPrefix: string; backend: string }>;
  installedApps: string[];
  authUserModel: string;
  atomicRequests: boolean;
  cacheMiddlewareSeconds: number | undefined;
  cacheMiddlewareAlias: string;
  cacheMiddlewareKeyPrefix: string;
  /** Where a settings module's MIDDLEWARE installs the per-site cache (its first such assignment). */
  siteCache: { path: string; line: number } | undefined;
  /** TEMPLATES of each settings file that assigns it, in the order Django tries the backends. */
  templateConfigs: TemplateBackend[][];
  /** Upper-case settings by name: the string literal assigned (`BLOG_POST_MODEL = "blog.Post"`), null when not a literal. */
  strings: Record<string, string | null>;
  /** `DJCACHE["AUTO_TAG"]`: cache aliases the djcache runtime tags in zero-code mode, and where DJCACHE is assigned. */
  autoTag: { aliases: string[]; path: string; loc: Loc } | undefined;
  /**
   * Each `CACHEOPS` setting assigned with literal keys (one per assignment), with `cacheops` in
   * INSTALLED_APPS; none when `CACHEOPS_ENABLED` is False wherever it is assigned.
   */
  cacheops: CacheopsProfile[][];
}

/** One TEMPLATES backend, as far as settings say without running them. */
export interface TemplateBackend {
  backend: string | undefined;
  /** Trailing literal path of each DIRS item (`os.path.join(BASE_DIR, 'templates')` → 'templates'); undefined when unknown. */
  dirs: (string | undefined)[] | undefined;
  appDirs: boolean | undefined;
  options: { [k: string]: Literal } | undefined;
}

/** Told of the names an analysis looks up in modules (analysis/incremental.ts). */
export interface NameLookups {
  /** `name` is looked up among `file`'s module-level names: its bindings there, its star imports when it has none. */
  lookedUp(file: PythonFacts, name: string): void;
  /** Runs a lookup; the lookedUp calls stand for the reads of module facts it makes. */
  during<T>(lookup: () => T): T;
}

function isUnder(path: string, folders: readonly string[]): boolean {
  return folders.some((d) => path.startsWith(`${d.replace(/\/+$/, '')}/`));
}

export class Workspace {
  readonly python: PythonFacts[] = [];
  readonly templates: TemplateFacts[] = [];
  readonly byModule = new Map<string, PythonFacts>();
  readonly byPath = new Map<string, FileFacts>();
  /** Library stubs in use: bundled ones and the team's. */
  readonly stubs = new Set<PythonFacts>();
  private readonly globalsMemo = new Map<PythonFacts, Map<string, Binding[]>>();
  settings: Settings;
  lookups: NameLookups | undefined;
  private readonly importedAs: ReadonlyMap<PythonFacts, string>;
  /** Some project file uses Python 2 statements: imports are resolved as Python 2 does (importedModule). */
  readonly python2: boolean;

  /**
   * `libraries`: the bundled library stubs. Files under `stubPaths` are the team's own stubs. A
   * stub module is used where no project file defines that module; it is analysed where project
   * code calls into it, and never walked or reported on by itself.
   */
  constructor(facts: FileFacts[], libraries: readonly PythonFacts[] = [], stubPaths: readonly string[] = []) {
    const teamStubs: PythonFacts[] = [];
    for (const f of facts) {
      if (f.kind === 'python' && isUnder(f.path, stubPaths)) {
        teamStubs.push(f);
        continue;
      }
      this.byPath.set(f.path, f);
      if (f.kind === 'python') {
        this.python.push(f);
        // First one wins, so a module shadowed by a same-named copy (vendored trees) stays stable.
        if (!this.byModule.has(f.module)) this.byModule.set(f.module, f);
      } else this.templates.push(f);
    }
    const { aliases, importedAs } = moduleAliases(this.python, this.byPath);
    for (const [name, file] of aliases) this.byModule.set(name, file);
    this.importedAs = importedAs;
    this.python2 = this.python.some((f) => f.python2);
    for (const stub of [...teamStubs, ...libraries]) {
      if (this.byModule.has(stub.module)) continue;
      this.byModule.set(stub.module, stub);
      this.byPath.set(stub.path, stub);
      this.stubs.add(stub);
    }
    this.settings = this.readSettings();
  }

  /**
   * The module name of a file as findings and fixes write it: the name the project's imports use
   * when a root they show names it otherwise (analysis/sourceRoots.ts), so that it is the same
   * whichever folder the analysis starts from.
   */
  moduleName(file: PythonFacts): string {
    return this.importedAs.get(file) ?? file.module;
  }

  globals(file: PythonFacts): Map<string, Binding[]> {
    let g = this.globalsMemo.get(file);
    if (!g) this.globalsMemo.set(file, (g = moduleBindings(file)));
    return g;
  }

  private readonly resolved = new Map<PythonFacts, Map<string, Sym | undefined>>();

  /**
   * Forgets every binding and resolution worked out so far. Each file's analysis starts from
   * here, so that what it finds never depends on which file was analysed before it, and every
   * fact it depends on is read while it runs (see analysis/incremental.ts).
   */
  clearMemos(): void {
    this.globalsMemo.clear();
    this.resolved.clear();
  }

  /**
   * What `name` refers to at module level in `file`; import cycles, and chains of re-exports
   * longer than MAX_RESOLVE_STEPS (followed by recursion), resolve to nothing.
   */
  resolveGlobal(file: PythonFacts, name: string, seen?: Set<string>): Sym | undefined {
    let memo = this.resolved.get(file);
    if (!memo) this.resolved.set(file, (memo = new Map()));
    if (memo.has(name)) return memo.get(name);
    const key = `${file.module}:${name}`;
    seen ??= new Set();
    if (seen.has(key) || seen.size >= MAX_RESOLVE_STEPS) return undefined;
    seen.add(key);
    this.lookups?.lookedUp(file, name);
    const sym = this.lookups
      ? this.lookups.during(() => this.resolveUncached(file, name, seen))
      : this.resolveUncached(file, name, seen);
    // Only a resolution that finished outside any cycle is final.
    if (seen.size === 1 || sym) memo.set(name, sym);
    return sym;
  }

  private resolveUncached(file: PythonFacts, name: string, seen: Set<string>): Sym | undefined {
    const bindings = this.globals(file).get(name);
    if (!bindings?.length) {
      // Star imports may provide it.
      for (const imp of file.imports) {
        if (imp.name !== '*') continue;
        const target = this.byModule.get(this.importedModule(file, imp.module));
        const r = target ? this.resolveGlobal(target, name, seen) : undefined;
        if (r) return r;
      }
      return undefined;
    }
    // The last definition wins for defs/classes/imports; assignments are kept together.
    const last = bindings[bindings.length - 1];
    if (last.k === 'def') return { k: 'fn', file, idx: last.idx };
    if (last.k === 'class') return { k: 'class', file, idx: last.idx };
    if (last.k === 'import')
      return this.resolveImport({ ...last.imp, module: this.importedModule(file, last.imp.module) }, seen);
    const assigns = bindings.filter((b): b is Extract<Binding, { k: 'assign' }> => b.k === 'assign');
    return { k: 'value', file, name, exprs: assigns.map((b) => b.value), inFn: assigns.map((b) => b.fn ?? null) };
  }

  /**
   * The module an import of `module` in `file` loads. Python 2 tries the importing file's own
   * package first (`from article import *` in wiki/models/__init__.py is wiki.models.article); a
   * module never imports itself that way, and Python 3 code imports absolutely.
   */
  private importedModule(file: PythonFacts, module: string): string {
    if (!this.python2 || this.byModule.has(module.split('.')[0])) return module;
    const parts = file.module.split('.');
    const pkg = (file.isPackage ? parts : parts.slice(0, -1)).join('.');
    const sibling = pkg && `${pkg}.${module}`;
    return sibling && sibling !== file.module && this.byModule.has(`${pkg}.${module.split('.')[0]}`) ? sibling : module;
  }

  resolveImport(imp: ImportFact, seen = new Set<string>()): Sym | undefined {
    if (imp.name === null) return this.moduleSym(imp.module);
    const sub = `${imp.module}.${imp.name}`;
    const target = this.byModule.get(imp.module);
    if (target) {
      const r = this.resolveGlobal(target, imp.name, seen);
      if (r) return r;
      if (this.byModule.has(sub)) return this.moduleSym(sub);
      return undefined;
    }
    if (this.byModule.has(sub)) return this.moduleSym(sub);
    return { k: 'ext', q: canonical(sub) };
  }

  moduleSym(module: string): Sym {
    const file = this.byModule.get(module);
    return file ? { k: 'mod', module, file } : { k: 'ext', q: module };
  }

  /** Attribute of a module: a global of a workspace module, a submodule, or an external name. */
  moduleAttr(module: string, file: PythonFacts | undefined, attr: string): Sym | undefined {
    if (file) {
      const r = this.resolveGlobal(file, attr);
      if (r) return r;
    }
    const sub = `${module}.${attr}`;
    if (this.byModule.has(sub)) return this.moduleSym(sub);
    return file ? undefined : { k: 'ext', q: canonical(sub) };
  }

  private templatesByName: Map<string, TemplateFacts> | undefined;

  /** Templates by the name views use: the path after a `templates/` or `jinja2/` folder; the first one wins. */
  findTemplate(name: string): TemplateFacts | undefined {
    if (!this.templatesByName) {
      this.templatesByName = new Map();
      for (const t of this.templates) {
        for (const m of t.path.matchAll(/(?:^|\/)(?:templates|jinja2)\//g)) {
          const suffix = t.path.slice(m.index + m[0].length);
          if (!this.templatesByName.has(suffix)) this.templatesByName.set(suffix, t);
        }
      }
    }
    return this.templatesByName.get(name);
  }

  private settingsFiles(): PythonFacts[] {
    return settingsFiles(this.python, this.byModule, this.byPath);
  }

  private readSettings(): Settings {
    const s: Settings = {
      caches: {},
      installedApps: [],
      authUserModel: 'auth.User',
      atomicRequests: false,
      cacheMiddlewareSeconds: undefined,
      cacheMiddlewareAlias: 'default',
      cacheMiddlewareKeyPrefix: '',
      siteCache: undefined,
      templateConfigs: [],
      strings: {},
      autoTag: undefined,
      cacheops: [],
    };
    const files = this.settingsFiles();
    for (const file of files) {
      const g = this.globals(file);
      const value = (name: string): Literal => {
        const b = g.get(name)?.filter((x) => x.k === 'assign');
        const last = b?.[b.length - 1];
        return last && last.k === 'assign' ? literal(last.value) : undefined;
      };
      const caches = value('CACHES');
      if (caches && typeof caches === 'object' && !Array.isArray(caches)) {
        for (const [alias, conf] of Object.entries(caches)) {
          const c = (conf && typeof conf === 'object' && !Array.isArray(conf) ? conf : {}) as Record<string, Literal>;
          s.caches[alias] = {
            timeout:
              'TIMEOUT' in c
                ? typeof c.TIMEOUT === 'number'
                  ? c.TIMEOUT
                  : c.TIMEOUT === null
                    ? null
                    : undefined
                : 300,
            keyPrefix: typeof c.KEY_PREFIX === 'string' ? c.KEY_PREFIX : '',
            backend: typeof c.BACKEND === 'string' ? c.BACKEND : '',
          };
        }
      }
      // Any settings module that installs the per-site cache may be the one production runs.
      const mw = [...(g.get('MIDDLEWARE') ?? []), ...(g.get('MIDDLEWARE_CLASSES') ?? [])].filter(
        (b) => b.k === 'assign',
      );
      const installing = mw.find((b) => installsSiteCache(listedStrings(b.value)));
      if (installing && !s.siteCache) s.siteCache = { path: file.path, line: installing.value.loc[0] };
      const apps = value('INSTALLED_APPS');
      if (Array.isArray(apps)) s.installedApps.push(...apps.filter((x): x is string => typeof x === 'string'));
      for (const name of g.keys()) {
        if (!/^[A-Z][A-Z0-9_]*$/.test(name)) continue;
        const text = value(name);
        s.strings[name] = typeof text === 'string' ? text : null;
      }
      const user = value('AUTH_USER_MODEL');
      if (typeof user === 'string') s.authUserModel = user;
      const dbs = value('DATABASES');
      if (dbs && typeof dbs === 'object' && !Array.isArray(dbs)) {
        s.atomicRequests ||= Object.values(dbs).some(
          (d) =>
            !!d &&
            typeof d === 'object' &&
            !Array.isArray(d) &&
            (d as Record<string, Literal>).ATOMIC_REQUESTS === true,
        );
      }
      const seconds = value('CACHE_MIDDLEWARE_SECONDS');
      if (typeof seconds === 'number') s.cacheMiddlewareSeconds = seconds;
      const alias = value('CACHE_MIDDLEWARE_ALIAS');
      if (typeof alias === 'string') s.cacheMiddlewareAlias = alias;
      const prefix = value('CACHE_MIDDLEWARE_KEY_PREFIX');
      if (typeof prefix === 'string') s.cacheMiddlewareKeyPrefix = prefix;
      const djcache = value('DJCACHE');
      const autoTag = djcache && typeof djcache === 'object' && !Array.isArray(djcache) ? djcache.AUTO_TAG : undefined;
      const djcacheSite = g.get('DJCACHE')?.find((x) => x.k === 'assign');
      if (Array.isArray(autoTag) && djcacheSite?.k === 'assign')
        s.autoTag = {
          aliases: autoTag.filter((x): x is string => typeof x === 'string'),
          path: file.path,
          loc: djcacheSite.value.loc,
        };
      const templates = g.get('TEMPLATES')?.filter((x) => x.k === 'assign');
      const lastTemplates = templates?.[templates.length - 1];
      if (lastTemplates?.k === 'assign') s.templateConfigs.push(templateBackends(lastTemplates.value));
    }
    if (s.installedApps.includes('cacheops')) s.cacheops = this.cacheopsSettings(files);
    return s;
  }

  /** `CACHEOPS` of each settings file that assigns it, merged over the `CACHEOPS_DEFAULTS` it sees. */
  private cacheopsSettings(files: PythonFacts[]): CacheopsProfile[][] {
    const assigned = (file: PythonFacts, name: string) =>
      (this.globals(file).get(name) ?? []).flatMap((b) => (b.k === 'assign' ? [b.value] : []));
    const enabled = files.flatMap((f) => assigned(f, 'CACHEOPS_ENABLED'));
    if (enabled.length && enabled.every((e) => literal(e) === false)) return [];
    const defaultsIn = (file: PythonFacts): Record<string, unknown> | undefined | null => {
      const exprs = assigned(file, 'CACHEOPS_DEFAULTS');
      if (!exprs.length) return null;
      const d = literal(exprs[exprs.length - 1]);
      return d && typeof d === 'object' && !Array.isArray(d) ? d : undefined;
    };
    // Defaults assigned in another settings file (a base one star-imported) apply when the file has none.
    const shared = files.map(defaultsIn).filter((d) => d !== null);
    const out: CacheopsProfile[][] = [];
    for (const file of files) {
      const own = defaultsIn(file);
      const defaults = own !== null ? own : shared.length === 1 ? shared[0] : shared.length ? undefined : {};
      for (const e of assigned(file, 'CACHEOPS')) {
        if (e.t !== 'dict') continue;
        const items = e.items.flatMap((it) => (it.key?.t === 'str' ? [{ key: it.key, value: it.value }] : []));
        // A key that is not a string literal may name any model: such a setting says nothing.
        if (items.length !== e.items.length) continue;
        out.push(items.map((it) => cacheopsProfile(it.key.v, literal(it.value), defaults, file.path, it.key.loc)));
      }
    }
    return out;
  }
}

/** A module's names: imports, then what its statements bind. */
export function moduleBindings(file: PythonFacts): Map<string, Binding[]> {
  const g = new Map<string, Binding[]>();
  for (const imp of file.imports) push(g, imp.local, { k: 'import', imp });
  collectBindings(file.body, g, file);
  // A function's `global` assignments bind the module's name too (after its own assignments: it runs later).
  file.functions.forEach((fn, idx) => {
    for (const a of fn.globalAssigns ?? []) push(g, a.name, { k: 'assign', value: a.value, index: a.index, fn: idx });
  });
  return g;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Module-level (or function-level) bindings, looking inside if/try/with/for blocks. */
function collectBindings(body: Stmt[], into: Map<string, Binding[]>, file: PythonFacts): void {
  const rec = (b: Stmt[]) => collectBindings(b, into, file);
  for (const s of body) {
    switch (s.t) {
      case 'assign':
        for (const t of s.targets) {
          if (t.t === 'name') push(into, t.id, { k: 'assign', value: s.value, index: null });
          else if (t.t === 'tuple') {
            t.items.forEach((item, i) => {
              if (item.t === 'name') push(into, item.id, { k: 'assign', value: s.value, index: i });
            });
          }
        }
        break;
      case 'def':
        push(into, file.functions[s.fn].name, { k: 'def', idx: s.fn });
        break;
      case 'class':
        push(into, file.classes[s.cls].name, { k: 'class', idx: s.cls });
        break;
      default:
        nestedBlocks(s).forEach(rec);
        break;
    }
  }
}

/** TEMPLATES backends: literal options, and the folder names that end each DIRS path. */
function templateBackends(e: Expr): TemplateBackend[] {
  if (e.t !== 'seq') return [{ backend: undefined, dirs: undefined, appDirs: undefined, options: undefined }];
  return e.items.map((item) => {
    const field = (name: string) =>
      item.t === 'dict' ? item.items.find((i) => i.key?.t === 'str' && i.key.v === name)?.value : undefined;
    const backend = field('BACKEND');
    const dirs = field('DIRS');
    const appDirs = field('APP_DIRS');
    const options = field('OPTIONS') && literal(field('OPTIONS')!);
    return {
      backend: backend?.t === 'str' ? backend.v : undefined,
      dirs: dirs === undefined ? [] : dirs.t === 'seq' ? dirs.items.map(pathTail) : undefined,
      appDirs: appDirs === undefined ? false : appDirs.t === 'const' ? appDirs.v === 'True' : undefined,
      options:
        field('OPTIONS') === undefined
          ? {}
          : options && typeof options === 'object' && !Array.isArray(options)
            ? options
            : undefined,
    };
  });
}

/** The literal end of a path expression: `os.path.join(BASE_DIR, 'a', 'b')`, `BASE_DIR / 'a' / 'b'`, `str(...)` → 'a/b'. */
function pathTail(e: Expr): string | undefined {
  const parts: string[] = [];
  let x = e.t === 'call' && e.fn.t === 'name' && e.fn.id === 'str' && e.args.length === 1 ? e.args[0] : e;
  if (x.t === 'call' && x.fn.t === 'attr' && x.fn.name === 'join') {
    for (const arg of [...x.args].reverse()) {
      if (arg.t !== 'str') break;
      parts.unshift(arg.v);
    }
  } else {
    for (; x.t === 'bin' && x.op === '/' && x.r.t === 'str'; x = x.l) parts.unshift(x.r.v);
    if (x.t === 'str') parts.unshift(x.v);
  }
  return parts.join('/').split('/').filter(Boolean).join('/') || undefined;
}

/** Reads literal data (settings dicts and lists) without running anything. */
function literal(e: Expr): Literal {
  switch (e.t) {
    case 'str':
      return e.v;
    case 'num':
      return e.v;
    case 'const':
      return e.v === 'None' ? null : e.v === 'True';
    case 'seq':
      return e.items.map(literal);
    case 'dict': {
      const out: { [k: string]: Literal } = {};
      for (const it of e.items) {
        if (it.key && it.key.t === 'str') out[it.key.v] = literal(it.value);
      }
      return out;
    }
    case 'bin': {
      const l = literal(e.l);
      const r = literal(e.r);
      if (e.op === '*' && typeof l === 'number' && typeof r === 'number') return l * r;
      if (e.op === '+' && typeof l === 'number' && typeof r === 'number') return l + r;
      if (e.op === '+' && Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Static meaning of a dotted name expression (no calls): `models.ForeignKey`, `shop.models.Product`. */
export function staticSym(ws: Workspace, file: PythonFacts, e: Expr): Sym | undefined {
  if (e.t === 'name') return ws.resolveGlobal(file, e.id) ?? builtinSym(e.id);
  if (e.t === 'attr') {
    const base = staticSym(ws, file, e.obj);
    if (!base) return undefined;
    if (base.k === 'mod') return ws.moduleAttr(base.module, base.file, e.name);
    if (base.k === 'ext') return { k: 'ext', q: canonical(`${base.q}.${e.name}`) };
  }
  return undefined;
}

/** An unresolved lower-case name is taken for a Python builtin (`list`, `super`, `enumerate`). */
export function builtinSym(name: string): Sym | undefined {
  return /^[a-z_]+$/.test(name) ? { k: 'ext', q: `builtins.${name}` } : undefined;
}

/** The string items of a list or tuple, and of each list a `+` concatenates (`[a] + BASE + [b]`): the rest is not known. */
function listedStrings(e: Expr): string[] {
  if (e.t === 'seq') return e.items.flatMap((x) => (x.t === 'str' ? [x.v] : []));
  if (e.t === 'bin' && e.op === '+') return [...listedStrings(e.l), ...listedStrings(e.r)];
  return [];
}
