/**
 * Incremental analysis for the language server: after an edit, only the files whose analysis
 * the edit can change are analysed again.
 *
 * Why a reused file analysis is exactly what a full analysis would compute:
 * - Each Python file is a unit of its own (analyzeUnit): a fresh interpreter, with the
 *   workspace's and the registry's memos cleared, so nothing another file's analysis worked out
 *   reaches it. (One interpreter shared by all files is faster, but what it memoises depends on
 *   which file asked first: reversing the file order changes the events of 98 of netbox's 8,760
 *   functions, so no reuse across edits could be shown equal to it.)
 * - A unit's result is then a function of three things only: the facts it reads; the workspace
 *   context (which file each module name means, which paths exist, the settings, the
 *   configuration); and the model registry.
 * - Every read of a file's facts goes through the properties of its TrackedFacts, which note
 *   the file's path while a unit runs: under `content` for a function's or class's details, a
 *   template, and the like; under `names` for what resolving a name reads (imports, module-level
 *   statements, names of functions and classes). A name the workspace looks up is noted as
 *   itself instead (Workspace.lookups), for it depends only on that name's bindings in the
 *   module, and on its star imports when it has none there. A unit is reused when its content
 *   reads are all of unchanged files, its names reads of files whose namesInput is unchanged,
 *   and its lookups of names whose bindings are unchanged, in an unchanged context and registry:
 *   it would compute the same result.
 * - Anything else — a file added, deleted or given another module name, a template added or
 *   removed, settings, configuration, any change the registry sees — changes the context or
 *   the registry fingerprint, and every file is analysed again.
 * The registry is rebuilt only when an edit can change it (editedModelFiles: its input, or a name
 * it looked up); the workspace-wide part (entries, triggers, coverage) is recomputed from all
 * files' parts.
 */
import type { Config } from '../config/config';
import type { FileFacts, PythonFacts, TemplateFacts } from '../facts/types';
import type {
  ClassFact,
  Expr,
  FunctionFact,
  GlobalAssign,
  ImportFact,
  Kwarg,
  Loc,
  Param,
  Stmt,
  Suppression,
  TemplateNode,
} from '../syntax/ir';
import { analysedFacts } from './fileSelection';
import { byPath, type FailedFile, failedExtractions, withoutFailingFiles } from './fileError';
import { ModelRegistry } from './models';
import { moduleBindings, type NameLookups, Workspace } from './workspace';
import type { Analysis, FileAnalysis } from './analysis';
import { analyzeFacts, analyzeUnit } from './workspaceAnalysis';

/** What the unit under analysis has read so far; undefined when no unit runs. */
let reading: UnitReads | undefined;
/** Which unit's analysis `reading` belongs to, so that a file notes itself once per unit. */
let readSession = 0;
/** Inside a name lookup of the workspace, whose reads the lookup itself stands for. */
let lookingUp = 0;

/**
 * What a unit read. `lookups`: names it looked up in modules (path → names). `names`: files of
 * which it read, other than through a lookup, what a lookup can read (namesInput). `content`:
 * files of which it read anything else.
 */
export interface UnitReads {
  lookups: Map<string, Set<string>>;
  names: string[];
  content: string[];
}

/** Notes the names each unit looks up, in place of the reads of the modules' facts they make. */
const nameLookups: NameLookups = {
  lookedUp(file, name) {
    if (!reading) return;
    const names = reading.lookups.get(file.path);
    if (names) names.add(name);
    else reading.lookups.set(file.path, new Set([name]));
  },
  during(lookup) {
    lookingUp++;
    try {
      return lookup();
    } finally {
      lookingUp--;
    }
  },
};

/**
 * Facts that note the file's path when a unit's analysis reads them. The path (and a Python
 * file's module and isPackage) are not noted: they name the file, and the context fingerprint
 * holds them for every file.
 */
abstract class ReadNoting {
  abstract readonly path: string;
  #namesSession = 0;
  #contentSession = 0;

  noteNames(): void {
    if (reading && !lookingUp && this.#namesSession !== readSession) {
      this.#namesSession = readSession;
      reading.names.push(this.path);
    }
  }

  noteContent(): void {
    if (reading && this.#contentSession !== readSession) {
      this.#contentSession = readSession;
      reading.content.push(this.path);
    }
  }
}

/**
 * Resolving a name through a module reads its imports, its module-level statements and the
 * names of its functions and classes: those reads are noted apart, so that an edit inside a
 * function body does not make every module that imports through this one be analysed again.
 */
class TrackedPythonFacts extends ReadNoting implements PythonFacts {
  readonly kind = 'python';
  readonly path: string;
  readonly module: string;
  readonly isPackage: boolean;
  readonly #functions: FunctionFact[];
  readonly #classes: ClassFact[];

  constructor(readonly raw: PythonFacts) {
    super();
    ({ path: this.path, module: this.module, isPackage: this.isPackage } = raw);
    this.#functions = raw.functions.map((f) => new TrackedFunctionFact(f, this));
    this.#classes = raw.classes.map((c) => new TrackedClassFact(c, this));
  }

  get imports(): ImportFact[] {
    this.noteNames();
    return this.raw.imports;
  }
  get body(): Stmt[] {
    this.noteNames();
    return this.raw.body;
  }
  get functions(): FunctionFact[] {
    this.noteNames();
    return this.#functions;
  }
  get classes(): ClassFact[] {
    this.noteNames();
    return this.#classes;
  }
  get hash(): string {
    this.noteContent();
    return this.raw.hash;
  }
  get lines(): number {
    this.noteContent();
    return this.raw.lines;
  }
  get suppressions(): Suppression[] {
    this.noteContent();
    return this.raw.suppressions;
  }
  get hasErrors(): boolean {
    this.noteContent();
    return this.raw.hasErrors;
  }
  /** Not noted: the workspace reads it of every file, and the context fingerprint holds the result. */
  get python2(): true | undefined {
    return this.raw.python2;
  }
}

/** A function or class of a tracked file: its name is a name the module binds, the rest is content. */
abstract class TrackedMember<T extends { name: string }> {
  readonly name: string;
  readonly #raw: T;
  readonly #file: ReadNoting;

  constructor(raw: T, file: ReadNoting) {
    this.name = raw.name;
    this.#raw = raw;
    this.#file = file;
  }

  /** The member's facts, its file's content noted as read. */
  protected content(): T {
    this.#file.noteContent();
    return this.#raw;
  }

  /** The member's facts for what a module's names show of it, noted as such. */
  protected names(): T {
    this.#file.noteNames();
    return this.#raw;
  }
}

class TrackedFunctionFact extends TrackedMember<FunctionFact> implements FunctionFact {
  get qual(): string {
    return this.content().qual;
  }
  get cls(): number | null {
    return this.content().cls;
  }
  get parent(): number | null {
    return this.content().parent;
  }
  get params(): Param[] {
    return this.content().params;
  }
  get decorators(): Expr[] {
    return this.content().decorators;
  }
  get async(): boolean {
    return this.content().async;
  }
  get body(): Stmt[] {
    return this.content().body;
  }
  get loc(): Loc {
    return this.content().loc;
  }
  get nameLoc(): Loc {
    return this.content().nameLoc;
  }
  /** The module's names it binds (`global x`): read by lookups, so part of the module's names. */
  get globalAssigns(): GlobalAssign[] | undefined {
    return this.names().globalAssigns;
  }
}

class TrackedClassFact extends TrackedMember<ClassFact> implements ClassFact {
  get qual(): string {
    return this.content().qual;
  }
  get parent(): number | null {
    return this.content().parent;
  }
  get bases(): Expr[] {
    return this.content().bases;
  }
  get keywords(): Kwarg[] {
    return this.content().keywords;
  }
  get decorators(): Expr[] {
    return this.content().decorators;
  }
  get body(): Stmt[] {
    return this.content().body;
  }
  get nested(): Record<string, number> {
    return this.content().nested;
  }
  get methods(): Record<string, number> {
    return this.content().methods;
  }
  get loc(): Loc {
    return this.content().loc;
  }
  get nameLoc(): Loc {
    return this.content().nameLoc;
  }
}

class TrackedTemplateFacts extends ReadNoting implements TemplateFacts {
  readonly kind = 'template';
  readonly path: string;

  constructor(readonly raw: TemplateFacts) {
    super();
    this.path = raw.path;
  }

  get hash(): string {
    this.noteContent();
    return this.raw.hash;
  }
  get lines(): number {
    this.noteContent();
    return this.raw.lines;
  }
  get extends(): string | null {
    this.noteContent();
    return this.raw.extends;
  }
  get loads(): string[] {
    this.noteContent();
    return this.raw.loads;
  }
  get nodes(): TemplateNode[] {
    this.noteContent();
    return this.raw.nodes;
  }
  get suppressions(): Suppression[] {
    this.noteContent();
    return this.raw.suppressions;
  }
}

export type TrackedFacts = TrackedPythonFacts | TrackedTemplateFacts;

/** The facts as the incremental analysis needs them: the same data, with reads noted. */
export function trackFacts(f: FileFacts): TrackedFacts {
  return f.kind === 'python' ? new TrackedPythonFacts(f) : new TrackedTemplateFacts(f);
}

/**
 * Do two versions of a file give the analysis the same input? Only the content hash and the
 * line count may differ: an edit inside a comment, or blank lines at the end.
 */
export function sameAnalysisInput(a: TrackedFacts, b: FileFacts): boolean {
  return analysisInput(a.raw) === analysisInput(b);
}

/**
 * `compute` kept per version of a file's facts (one facts object), so that each edit works it out
 * only for the new version.
 */
function perVersion<F extends FileFacts, T>(compute: (f: F) => T): (f: F) => T {
  const kept = new WeakMap<F, T>();
  return (f) => {
    let value = kept.get(f);
    if (value === undefined) kept.set(f, (value = compute(f)));
    return value;
  };
}

const analysisInput = perVersion((f: FileFacts) => JSON.stringify({ ...f, hash: undefined, lines: undefined }));

function readsDuring<T>(run: () => T): { value: T; reads: UnitReads } {
  const reads: UnitReads = { lookups: new Map(), names: [], content: [] };
  reading = reads;
  readSession++;
  try {
    return { value: run(), reads };
  } finally {
    reading = undefined;
  }
}

/** Can a unit that read only the names of a changed file see the change? */
function namesDiffer(before: FileFacts | undefined, now: FileFacts | undefined): boolean {
  return before?.kind !== 'python' || now?.kind !== 'python' || namesInput(before) !== namesInput(now);
}

/** All that reading a module's names can see: its imports, module-level statements and the names of its functions and classes. */
const namesInput = perVersion((f: PythonFacts) => {
  const raw = untracked(f);
  return JSON.stringify([
    raw.imports,
    raw.body,
    raw.functions.map((fn) => [fn.name, fn.globalAssigns]),
    raw.classes.map((c) => c.name),
  ]);
});

/**
 * What changed among a changed module's names: the names whose bindings differ (added and
 * removed ones included), and whether its star imports did (which matters to names it does not
 * bind). Undefined when that cannot be told: every lookup in it counts as changed.
 */
interface BindingChanges {
  names: Set<string>;
  starImports: boolean;
  bound: (name: string) => boolean;
}

function changedBindings(before: FileFacts | undefined, now: FileFacts | undefined): BindingChanges | undefined {
  if (before?.kind !== 'python' || now?.kind !== 'python') return undefined;
  const [a, b] = [bindingsByName(before), bindingsByName(now)];
  const names = new Set([...a.byName.keys(), ...b.byName.keys()].filter((n) => a.byName.get(n) !== b.byName.get(n)));
  return { names, starImports: a.starImports !== b.starImports, bound: (n) => a.byName.has(n) && b.byName.has(n) };
}

function lookedUpChanged(lookups: Map<string, Set<string>>, changes: Map<string, BindingChanges | undefined>): boolean {
  for (const [path, names] of lookups) {
    if (!changes.has(path)) continue;
    const c = changes.get(path);
    if (!c) return true;
    for (const name of names) if (c.names.has(name) || (c.starImports && !c.bound(name))) return true;
  }
  return false;
}

const bindingsByName = perVersion((f: PythonFacts): { byName: Map<string, string>; starImports: string } => {
  const raw = untracked(f);
  return {
    byName: new Map([...moduleBindings(raw)].map(([name, b]) => [name, JSON.stringify(b)])),
    starImports: JSON.stringify(raw.imports.filter((imp) => imp.name === '*')),
  };
});

function untracked(f: PythonFacts): PythonFacts {
  return f instanceof TrackedPythonFacts ? f.raw : f;
}

interface Reusable {
  context: string;
  /** The workspace's files by path (Workspace.byPath). */
  facts: ReadonlyMap<string, FileFacts>;
  models: ModelRegistry;
  registry: string;
  /** Files that define a model or a manager class of the registry. */
  registryFiles: Set<string>;
  /** The names building the registry looked up in modules (path → names). */
  registryLookups: Map<string, Set<string>>;
  files: Map<string, { analysis: FileAnalysis; reads: UnitReads }>;
}

export interface IncrementalStats {
  /** Python files analysed again; the others' analyses were reused. */
  analysed: string[];
  /** Why every file was analysed, when it was. */
  full?: string;
  /** Files left out because of an internal error (ours). */
  failed: FailedFile[];
  registryReused: boolean;
}

export class IncrementalAnalysis {
  private last: Reusable | undefined;

  /** Forgets every earlier result: the next analysis is a full one. */
  reset(): void {
    this.last = undefined;
  }

  /**
   * Analyses `facts` (every file of the workspace, in path order), reusing the analysis of each
   * file that `changed` — the paths set or deleted since the previous call — cannot affect.
   */
  analyze(
    facts: TrackedFacts[],
    changed: ReadonlySet<string>,
    config: Config,
    libraries: readonly PythonFacts[] = [],
  ): { analysis: Analysis; stats: IncrementalStats } {
    const { result, failed } = withoutFailingFiles(facts, failedExtractions(facts.map((f) => f.raw)), (kept, dropped) =>
      this.analyzeOnce(kept, dropped.length ? new Set([...changed, ...dropped]) : changed, config, libraries),
    );
    return {
      analysis: result.analysis,
      stats: { ...result.stats, failed: byPath([...failed, ...result.analysis.failedWalks]) },
    };
  }

  private analyzeOnce(
    facts: readonly TrackedFacts[],
    changed: ReadonlySet<string>,
    config: Config,
    libraries: readonly PythonFacts[],
  ): { analysis: Analysis; stats: Omit<IncrementalStats, 'failed'> } {
    // Every file's facts are kept, so an edit that starts importing a test module brings it in.
    const ws = new Workspace(analysedFacts(facts), libraries, config.stubPaths);
    ws.lookups = nameLookups;
    const context = contextFingerprint(ws, config);
    const last = this.last?.context === context ? this.last : undefined;
    const namesChanged = new Set([...changed].filter((p) => !last || namesDiffer(last.facts.get(p), ws.byPath.get(p))));
    const bindingChanges = new Map(
      [...namesChanged].map((p) => [p, last && changedBindings(last.facts.get(p), ws.byPath.get(p))]),
    );
    const editedModels = last && editedModelFiles(last, ws, changed, bindingChanges);
    const { models, registry, registryFiles, registryLookups } = editedModels
      ? { ...last, models: last.models.forWorkspace(ws, editedModels) }
      : freshRegistry(ws);
    const full = !this.last
      ? 'first analysis'
      : !last
        ? 'modules, paths, settings or configuration changed'
        : last.registry !== registry
          ? 'models changed'
          : undefined;
    const files = new Map<string, { analysis: FileAnalysis; reads: UnitReads }>();
    const analysed: string[] = [];
    for (const file of ws.python) {
      const before = full ? undefined : last?.files.get(file.path);
      const unaffected =
        before &&
        !changed.has(file.path) &&
        !before.reads.content.some((p) => changed.has(p)) &&
        !before.reads.names.some((p) => namesChanged.has(p)) &&
        !lookedUpChanged(before.reads.lookups, bindingChanges);
      if (unaffected) files.set(file.path, before);
      else {
        const { value, reads } = readsDuring(() => analyzeUnit(ws, models, [file], config)[0]);
        files.set(file.path, { analysis: value, reads });
        analysed.push(file.path);
      }
    }
    this.last = { context, facts: ws.byPath, models, registry, registryFiles, registryLookups, files };
    const analysis = analyzeFacts(ws, config, { models, files: ws.python.map((f) => files.get(f.path)!.analysis) });
    return { analysis, stats: { analysed, full, registryReused: !!editedModels } };
  }
}

/** A registry built from `ws`, with what the incremental analysis keeps of it. */
function freshRegistry(ws: Workspace): Pick<Reusable, 'models' | 'registry' | 'registryFiles' | 'registryLookups'> {
  const { value: models, reads } = readsDuring(() => new ModelRegistry(ws));
  return {
    models,
    registry: registryFingerprint(models),
    registryFiles: filesDefiningModels(models),
    registryLookups: reads.lookups,
  };
}

/**
 * Would the registry built from `ws` equal the last one? Yes when every changed file gives the
 * registry the same input as before: the registry reads a file's imports, module-level
 * statements and classes (bases, bodies, Meta), never a function body, and keeps no location
 * but its models' class names; of the module's other names (its functions) it sees only those
 * it looks up, so a function added, removed or renamed matters only when building the registry
 * looked that name up. An edit inside a function body, lines moved included, leaves it all as it
 * was. Returns the changed files that define models or managers (their models take the new
 * facts), or undefined when the registry must be rebuilt.
 */
function editedModelFiles(
  last: Reusable,
  ws: Workspace,
  changed: ReadonlySet<string>,
  bindingChanges: Map<string, BindingChanges | undefined>,
): Set<string> | undefined {
  if (lookedUpChanged(last.registryLookups, bindingChanges)) return undefined;
  const edited = new Set<string>();
  for (const path of changed) {
    const before = last.facts.get(path);
    const now = ws.byPath.get(path);
    if (before?.kind === 'template' && now?.kind === 'template') continue;
    if (before?.kind !== 'python' || now?.kind !== 'python' || registryInput(before) !== registryInput(now))
      return undefined;
    if (last.registryFiles.has(path)) edited.add(path);
  }
  return edited;
}

const registryInput = perVersion((f: PythonFacts) => {
  const raw = untracked(f);
  // A module-level def only binds its name, which the registry's lookups account for.
  const statements = raw.body.filter((s) => s.t !== 'def');
  return JSON.stringify([raw.imports, statements, raw.classes], (key, value) =>
    key === 'loc' || key === 'nameLoc' || key === 'line' ? undefined : value,
  );
});

function filesDefiningModels(models: ModelRegistry): Set<string> {
  const paths = new Set<string>();
  for (const m of models.byId.values()) {
    if (m.file) paths.add(m.file.path);
    for (const c of m.managers.values()) if (c) paths.add(c.file.path);
  }
  return paths;
}

/** Everything about the workspace as a whole that a unit's analysis may depend on. */
function contextFingerprint(ws: Workspace, config: Config): string {
  return JSON.stringify([
    [...ws.byModule].map(([module, f]) => `${module}=${f.path}`),
    [...ws.byPath.keys()],
    ws.settings,
    ws.python2,
    config,
  ]);
}

/**
 * What a unit's analysis can read from the registry. Locations are left out (only the graph,
 * which is rebuilt from the current registry, shows them) and files are named by path: their
 * content is read through tracked facts.
 */
function registryFingerprint(models: ModelRegistry): string {
  return JSON.stringify(
    [...models.byId.values()].map((m) => [
      m.id,
      m.name,
      m.app,
      m.appDir,
      m.table,
      m.file?.path,
      m.cls,
      m.abstract,
      m.proxy,
      m.parents,
      m.synthetic,
      [...m.fields],
      [...m.reverse],
      [...m.reverseQuery],
      [...m.managers].map(([name, c]) => [name, c && `${c.file.path}#${c.idx}`]),
      models.lineage(m.id).map((x) => x.id),
    ]),
  );
}
