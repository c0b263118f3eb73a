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
 * - Every read of a file's content goes through the properties of its TrackedFacts, which note
 *   the file's path while a unit runs. A unit whose noted files are all unchanged, in an
 *   unchanged context and registry, would compute the same result, so its last one is reused.
 * - Anything else — a file added, deleted or given another module name, a template added or
 *   removed, settings, configuration, any change the registry sees — changes the context or
 *   the registry fingerprint, and every file is analysed again.
 * The registry is rebuilt only when an edit can change it (sameModels); the workspace-wide part
 * (entries, triggers, coverage) is recomputed from all files' parts.
 */
import type { Config } from '../config';
import type { ClassFact, FileFacts, FunctionFact, ImportFact, PythonFacts, Stmt, Suppression, TemplateFacts, TemplateNode } from '../facts/types';
import { ModelRegistry } from './models';
import { Workspace } from './workspace';
import { type Analysis, analyzeFacts, analyzeUnit, type FileAnalysis } from './workspaceAnalysis';

/** Paths read by the unit under analysis, each once; undefined when no unit runs. */
let readPaths: string[] | undefined;
/** Which unit's analysis readPaths belongs to, so that a file notes itself once per unit. */
let readSession = 0;

/**
 * Facts whose content notes the file's path when a unit's analysis reads it. The path (and a
 * Python file's module and isPackage) are not noted: they name the file, and the context
 * fingerprint holds them for every file.
 */
abstract class ReadNoting {
  abstract readonly path: string;
  #session = 0;

  protected noteRead(): void {
    if (readPaths && this.#session !== readSession) {
      this.#session = readSession;
      readPaths.push(this.path);
    }
  }
}

class TrackedPythonFacts extends ReadNoting implements PythonFacts {
  readonly kind = 'python';
  readonly path: string;
  readonly module: string;
  readonly isPackage: boolean;

  constructor(readonly raw: PythonFacts) {
    super();
    ({ path: this.path, module: this.module, isPackage: this.isPackage } = raw);
  }

  get hash(): string { this.noteRead(); return this.raw.hash; }
  get lines(): number { this.noteRead(); return this.raw.lines; }
  get imports(): ImportFact[] { this.noteRead(); return this.raw.imports; }
  get body(): Stmt[] { this.noteRead(); return this.raw.body; }
  get functions(): FunctionFact[] { this.noteRead(); return this.raw.functions; }
  get classes(): ClassFact[] { this.noteRead(); return this.raw.classes; }
  get suppressions(): Suppression[] { this.noteRead(); return this.raw.suppressions; }
  get hasErrors(): boolean { this.noteRead(); return this.raw.hasErrors; }
}

class TrackedTemplateFacts extends ReadNoting implements TemplateFacts {
  readonly kind = 'template';
  readonly path: string;

  constructor(readonly raw: TemplateFacts) {
    super();
    this.path = raw.path;
  }

  get hash(): string { this.noteRead(); return this.raw.hash; }
  get lines(): number { this.noteRead(); return this.raw.lines; }
  get extends(): string | null { this.noteRead(); return this.raw.extends; }
  get loads(): string[] { this.noteRead(); return this.raw.loads; }
  get nodes(): TemplateNode[] { this.noteRead(); return this.raw.nodes; }
  get suppressions(): Suppression[] { this.noteRead(); return this.raw.suppressions; }
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

/** Kept per version, so that each edit serialises only the new one. */
const analysisInputs = new WeakMap<FileFacts, string>();

function analysisInput(f: FileFacts): string {
  let input = analysisInputs.get(f);
  if (input === undefined) analysisInputs.set(f, (input = JSON.stringify({ ...f, hash: undefined, lines: undefined })));
  return input;
}

function readsDuring<T>(run: () => T): { value: T; reads: string[] } {
  readPaths = [];
  readSession++;
  try {
    return { value: run(), reads: readPaths };
  } finally {
    readPaths = undefined;
  }
}

interface Reusable {
  context: string;
  facts: Map<string, TrackedFacts>;
  models: ModelRegistry;
  registry: string;
  /** Files that define a model or a manager class of the registry. */
  registryFiles: Set<string>;
  files: Map<string, { analysis: FileAnalysis; reads: string[] }>;
}

export interface IncrementalStats {
  /** Python files analysed again; the others' analyses were reused. */
  analysed: number;
  /** Why every file was analysed, when it was. */
  full?: string;
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
  analyze(facts: TrackedFacts[], changed: ReadonlySet<string>, config: Config): { analysis: Analysis; stats: IncrementalStats } {
    const ws = new Workspace(facts);
    const context = contextFingerprint(ws, config);
    const last = this.last?.context === context ? this.last : undefined;
    const registryReused = !!last && sameModels(last, ws, changed);
    const models = registryReused ? last.models.forWorkspace(ws) : new ModelRegistry(ws);
    const registry = registryReused ? last.registry : registryFingerprint(models);
    const full = !this.last ? 'first analysis' : !last ? 'modules, paths, settings or configuration changed' : last.registry !== registry ? 'models changed' : undefined;
    const files = new Map<string, { analysis: FileAnalysis; reads: string[] }>();
    let analysed = 0;
    for (const file of ws.python) {
      const before = full ? undefined : last?.files.get(file.path);
      if (before && !changed.has(file.path) && !before.reads.some((p) => changed.has(p))) files.set(file.path, before);
      else {
        const { value, reads } = readsDuring(() => analyzeUnit(ws, models, [file], config)[0]);
        files.set(file.path, { analysis: value, reads });
        analysed++;
      }
    }
    const registryFiles = registryReused ? last.registryFiles : filesDefiningModels(models);
    this.last = { context, facts: new Map(facts.map((f) => [f.path, f])), models, registry, registryFiles, files };
    const analysis = analyzeFacts(ws, config, { models, files: ws.python.map((f) => files.get(f.path)!.analysis) });
    return { analysis, stats: { analysed, full, registryReused } };
  }
}

/**
 * Would the registry built from `ws` equal the last one? Yes when every changed file defines no
 * model or manager and gives the registry the same input as before: the registry reads a file's
 * imports, module-level statements and classes (bases, bodies, Meta) and the names of its
 * functions, never a function body, and keeps no location but its models'. An edit inside a
 * function body, lines moved included, leaves that input as it was.
 */
function sameModels(last: Reusable, ws: Workspace, changed: ReadonlySet<string>): boolean {
  for (const path of changed) {
    const before = last.facts.get(path);
    const now = ws.byPath.get(path);
    if (before?.kind === 'template' && now?.kind === 'template') continue;
    if (before?.kind !== 'python' || now?.kind !== 'python' || last.registryFiles.has(path)) return false;
    if (registryInput(before) !== registryInput(now)) return false;
  }
  return true;
}

const registryInputs = new WeakMap<PythonFacts, string>();

function registryInput(f: PythonFacts): string {
  let input = registryInputs.get(f);
  if (input === undefined) {
    const signatures = f.functions.map(({ body: _body, ...signature }) => signature);
    input = JSON.stringify([f.imports, f.body, f.classes, signatures], (key, value) => (key === 'loc' || key === 'nameLoc' || key === 'line' ? undefined : value));
    registryInputs.set(f, input);
  }
  return input;
}

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
  return JSON.stringify([[...ws.byModule].map(([module, f]) => `${module}=${f.path}`), [...ws.byPath.keys()], ws.settings, config]);
}

/**
 * What a unit's analysis can read from the registry. Locations are left out (only the graph,
 * which is rebuilt from the current registry, shows them) and files are named by path: their
 * content is read through tracked facts.
 */
function registryFingerprint(models: ModelRegistry): string {
  return JSON.stringify([...models.byId.values()].map((m) => [
    m.id, m.name, m.app, m.appDir, m.table, m.file?.path, m.cls, m.abstract, m.proxy, m.parents, m.synthetic,
    [...m.fields], [...m.reverse], [...m.reverseQuery], [...m.managers].map(([name, c]) => [name, c && `${c.file.path}#${c.idx}`]),
    models.lineage(m.id).map((x) => x.id),
  ]));
}
