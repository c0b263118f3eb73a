/**
 * The engine's public face: files in, findings and the dependency graph out.
 * No LSP or VS Code imports; all I/O goes through WorkspaceFs so tests can pass in-memory trees.
 */
import type { Analysis } from '../analysis/analysis';
import { analyzeFacts } from '../analysis/workspaceAnalysis';
import { Workspace } from '../analysis/workspace';
import { byPath, type FailedFile, failedExtractions, withoutFailingFiles } from '../analysis/fileError';
import type { Config } from '../config/config';
import { isExcluded, ruleEnabled } from '../config/configLoader';
import {
  contentHash,
  decodeSource,
  extractFacts,
  isTemplatePath,
  moduleNameFor,
  parsedIR,
  pythonFacts,
} from '../facts/extract';
import { shareParsing, startParseWorker, worthAWorker } from '../facts/parallel';
import { readAhead } from './readAhead';
import {
  type FactCache,
  MAX_FILE_BYTES,
  type SkippedPath,
  type SkipReason,
  type StoredResult,
  type StubFile,
  type WorkspaceFs,
} from './types';
import { analysedFacts, splitDeferred, takeImported } from '../analysis/fileSelection';
import { buildGraph } from '../analysis/graphBuilder';
import { allRules } from '../rules';
import { loadPythonParser } from '../syntax/parser';
import { buildPythonIRFromFlat, type PythonIR } from '../syntax/python';
import type { Parser } from 'web-tree-sitter';
import type { Worker } from 'worker_threads';
import type { Finding } from '../findings';
import type { FileFacts, PythonFacts } from '../facts/types';
import type { Graph } from '../../../shared/graph';

export interface EngineOptions {
  /** false parses every file on the caller's thread; by default a big workspace is parsed on a worker thread too. */
  parseWorker?: boolean;
}

export interface Progress {
  (done: number, total: number, phase: 'facts' | 'analysis'): void;
}

export interface AnalysisResult {
  findings: Finding[];
  graph: Graph;
  /** `unimportedTests`: test files no counted code imports, so never read. */
  /** `failed`: files left out, whole or in part, because of an internal error (ours). */
  stats: {
    files: number;
    lines: number;
    unimportedTests: number;
    failed: FailedFile[];
    factMs: number;
    analysisMs: number;
  };
  /** Paths that could not be listed or read, sorted by path. */
  skipped: SkippedPath[];
}

/** Where bundled stubs seem to live in findings and the graph: no workspace path starts so. */
const STUB_ROOT = '<djcache stubs>';

const stubFactsMemo = new WeakMap<readonly StubFile[], PythonFacts[]>();

/** The facts of the bundled library stubs, built once per list. */
export function stubFacts(parser: Parser, stubs: readonly StubFile[]): PythonFacts[] {
  let facts = stubFactsMemo.get(stubs);
  if (facts) return facts;
  const packageDirs = packageDirsOf(stubs.map((s) => s.path));
  facts = stubs.map((stub) => {
    const { module, isPackage } = moduleNameFor(stub.path, (d) => packageDirs.has(d));
    const path = `${STUB_ROOT}/${stub.path}`;
    const bytes = new TextEncoder().encode(stub.text);
    return pythonFacts(path, stub.text, module, isPackage, contentHash(bytes), () =>
      parsedIR(parser, stub.text, module, isPackage),
    );
  });
  stubFactsMemo.set(stubs, facts);
  return facts;
}

/** Which files are read at all: Python sources and Django templates. */
export function isRelevantPath(path: string): boolean {
  return path.endsWith('.py') || isTemplatePath(path);
}

/** Which files an analysis under `config` reads: relevant ones its excludes leave in. */
export function isAnalysedPath(config: Config, path: string): boolean {
  return isRelevantPath(path) && !isExcluded(config, path);
}

/** The module of a Python file given the workspace's package folders; undefined for templates. */
function moduleOf(path: string, packageDirs: ReadonlySet<string>): { module: string; isPackage: boolean } | undefined {
  return path.endsWith('.py') ? moduleNameFor(path, (d) => packageDirs.has(d)) : undefined;
}

function factKey(path: string, module: string | undefined, hash: string): string {
  return `${path}:${module ?? ''}:${hash}`;
}

/** Facts of one file, parsed on this thread; undefined for a file too big to read. */
export function factsForFile(
  parser: Parser,
  path: string,
  bytes: Uint8Array,
  packageDirs: ReadonlySet<string>,
): FileFacts | undefined {
  const keyed = factKeyOf(path, bytes, packageDirs);
  return keyed && extractFacts(parser, path, bytes, keyed.module, keyed.hash);
}

/** A file's fact key with the module and hash it is made of; undefined for a file too big to read. */
function factKeyOf(
  path: string,
  bytes: Uint8Array,
  packageDirs: ReadonlySet<string>,
): { key: string; module: { module: string; isPackage: boolean } | undefined; hash: string } | undefined {
  if (bytes.length > MAX_FILE_BYTES) return undefined;
  const module = moduleOf(path, packageDirs);
  const hash = contentHash(bytes);
  return { key: factKey(path, module?.module, hash), module, hash };
}

/** The folder an __init__.py makes a package, or undefined for any other file. */
function packageDirOf(path: string): string | undefined {
  return fileDirOf(path, '__init__.py');
}

/** The folder of a file named `name`, '' at the root; undefined for a file of another name. */
function fileDirOf(path: string, name: string): string | undefined {
  if (path === name) return '';
  return path.endsWith(`/${name}`) ? path.slice(0, -name.length - 1) : undefined;
}

/** The folder whose part in module names a file decides: a package's __init__.py, a source root's manage.py. */
export function layoutDirOf(path: string): string | undefined {
  return packageDirOf(path) ?? fileDirOf(path, 'manage.py');
}

/**
 * Folders that name the modules below them: packages (an __init__.py) that are not source roots.
 * A folder holding manage.py is a source root: Django runs with it on sys.path, so the packages
 * in it are top-level even when it is a package itself (tabbycat/tabbycat/manage.py makes
 * `tournaments.models` of tabbycat/tournaments/models.py, as a run from that folder would).
 * Any other folder that is not a package is a source root already (src/, project/).
 */
export function packageDirsOf(paths: Iterable<string>): Set<string> {
  const packages = new Set<string>();
  const roots = new Set<string>();
  for (const p of paths) {
    const dir = packageDirOf(p);
    if (dir !== undefined) packages.add(dir);
    const root = fileDirOf(p, 'manage.py');
    if (root !== undefined) roots.add(root);
  }
  for (const root of roots) packages.delete(root);
  return packages;
}

/**
 * Facts of `paths`, each read by `read(i)`: from `cache` where it has them, else extracted and
 * cached. Python files are parsed on the worker `workerFor(n)` gives for n files to parse as
 * well as on this thread. `got` is called once per path, in no set order, with its fact key and
 * facts, or with none: then `skipped` says why when the file could not be read or is too big.
 */
export async function extractAll(
  parser: Parser,
  paths: readonly string[],
  read: (i: number) => Promise<Uint8Array | undefined>,
  packageDirs: ReadonlySet<string>,
  cache: FactCache | undefined,
  workerFor: (files: number) => Worker | undefined,
  got: (path: string, keyed?: { key: string; facts: FileFacts }, skipped?: SkipReason) => void,
): Promise<void> {
  const extracted = (path: string, key: string, facts: FileFacts | undefined) => {
    if (!facts) return got(path);
    cache?.set(key, facts);
    got(path, { key, facts });
  };
  const toParse: PythonSource[] = [];
  const templates: (() => void)[] = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i];
    const bytes = await read(i);
    const keyed = bytes && factKeyOf(path, bytes, packageDirs);
    const cached = keyed && cache?.get(keyed.key);
    if (!keyed) got(path, undefined, bytes ? 'too-big' : 'unreadable');
    else if (cached) got(path, { key: keyed.key, facts: cached });
    else if (keyed.module)
      toParse.push({ path, text: decodeSource(bytes), module: keyed.module, hash: keyed.hash, key: keyed.key });
    else templates.push(() => extracted(path, keyed.key, extractFacts(parser, path, bytes, undefined, keyed.hash)));
  }
  const parsed = (i: number, ir: (text: string, module: string, isPackage: boolean) => PythonIR | undefined) => {
    const { path, text, module, hash, key } = toParse[i];
    extracted(
      path,
      key,
      pythonFacts(path, text, module.module, module.isPackage, hash, () => ir(text, module.module, module.isPackage)),
    );
  };
  const language = parser.language!;
  shareParsing(
    toParse.map((p) => p.text),
    (i) => parsed(i, (text, module, isPackage) => parsedIR(parser, text, module, isPackage)),
    (i, tree) => parsed(i, (text, module, isPackage) => buildPythonIRFromFlat(tree, language, text, module, isPackage)),
    toParse.length ? workerFor(toParse.length) : undefined,
    // Templates are this thread's alone: done while the worker parses, they take nobody's turn.
    () => templates.forEach((extractTemplate) => extractTemplate()),
  );
}

/**
 * Reads every file through fs, extracts facts, analyses the workspace and runs the rules. Test
 * files are read only when counted code imports them (analysis/fileSelection.ts), so the facts are those
 * `analysedFacts` would choose from every file's. With a cache, the last run's result is returned
 * as it is when none of its inputs changed.
 */
export async function analyzeWorkspace(
  fs: WorkspaceFs,
  config: Config,
  progress?: Progress,
  cache?: FactCache,
  options: EngineOptions = {},
): Promise<AnalysisResult> {
  const parser = await loadPythonParser();
  const t0 = Date.now();
  const listingSkipped: SkippedPath[] = [];
  const paths = (await fs.list((s) => listingSkipped.push(s))).filter((p) => isAnalysedPath(config, p)).sort();
  const packageDirs = packageDirsOf(paths);
  const { counted, deferred } = splitDeferred(
    paths,
    (p) => p,
    (p) => moduleOf(p, packageDirs)?.module,
  );
  const libraries = stubFacts(parser, (await fs.stubs?.()) ?? []);
  // A stub that changes (an upgrade of djcache) changes the result as a setting would.
  const configText = JSON.stringify([config, libraries.map((f) => f.hash)]);
  const last = cache?.lastResult();
  if (last && last.config === configText && (await unchanged(fs, last, counted, packageDirs))) {
    return {
      findings: last.findings,
      graph: last.graph,
      stats: { ...last.stats, factMs: Date.now() - t0, analysisMs: 0 },
      skipped: allSkipped(config, listingSkipped, last.inputs),
    };
  }

  // Without a stored result to check, a big workspace is parsed on two threads: the worker loads meanwhile.
  const workerPays = (files: number) => options.parseWorker !== false && worthAWorker(files);
  let worker = !last && workerPays(counted.length) ? startParseWorker() : undefined;
  const facts: FileFacts[] = [];
  const inputs: [string, string][] = [];
  let done = 0;
  let total = counted.length;
  const extract = async (batch: string[]): Promise<FileFacts[]> => {
    const out: FileFacts[] = [];
    await extractAll(
      parser,
      batch,
      readAhead(fs, batch),
      packageDirs,
      cache,
      (files) => (workerPays(files) ? (worker ??= startParseWorker()) : undefined),
      (path, keyed, skipped) => {
        progress?.(done++, total, 'facts');
        inputs.push([path, keyed ? keyed.key : skipped ? skipKey(skipped) : NO_FACTS]);
        if (keyed) out.push(keyed.facts);
      },
    );
    facts.push(...out);
    return out;
  };
  try {
    for (let batch = counted; batch.length; total += batch.length) batch = takeImported(await extract(batch), deferred);
  } finally {
    void worker?.terminate();
  }
  facts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const t1 = Date.now();
  progress?.(0, 1, 'analysis');
  const { findings, graph, failed } = analyzeFactsToFindings(facts, config, libraries);
  progress?.(1, 1, 'analysis');
  const lines = facts.reduce((n, f) => n + f.lines, 0);
  const stats = { files: facts.length, lines, unimportedTests: paths.length - inputs.length, failed };
  cache?.storeResult({ config: configText, inputs, findings, graph, stats });
  return {
    findings,
    graph,
    stats: { ...stats, factMs: t1 - t0, analysisMs: Date.now() - t1 },
    skipped: allSkipped(config, listingSkipped, inputs),
  };
}

/** A Python file to parse, with its fact key. */
interface PythonSource {
  path: string;
  text: string;
  module: { module: string; isPackage: boolean };
  hash: string;
  key: string;
}

/** The key of a file that was read but gave no facts. */
const NO_FACTS = '-';
/** The key of a file that could not be read or is too big, with the reason: a run reading it the same way gives the same result. */
const SKIPPED_KEY = '-skipped:';

function skipKey(reason: SkipReason): string {
  return SKIPPED_KEY + reason;
}

/** The skipped paths of a run, from what the listing skipped and the keys of the files it read. */
function allSkipped(config: Config, listed: SkippedPath[], inputs: [path: string, key: string][]): SkippedPath[] {
  const read = inputs
    .filter(([, key]) => key.startsWith(SKIPPED_KEY))
    .map(([path, key]) => ({ path, reason: key.slice(SKIPPED_KEY.length) as SkipReason }));
  return reportedSkips(config, listed, read);
}

/**
 * The paths to report as skipped, sorted: the listing's (a file among them only if the analysis
 * would read it) and the files that could not be read.
 */
export function reportedSkips(config: Config, listed: SkippedPath[], read: SkippedPath[]): SkippedPath[] {
  const listedWanted = listed.filter((s) => s.reason !== 'too-big' || isAnalysedPath(config, s.path));
  return [...listedWanted, ...read].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Would the analysis read exactly what it read last time? The counted files must be the ones it
 * read, with the same keys; the test files it brought in must be unchanged too (while no counted
 * file changes, the same ones are brought in).
 */
async function unchanged(
  fs: WorkspaceFs,
  last: StoredResult,
  counted: string[],
  packageDirs: ReadonlySet<string>,
): Promise<boolean> {
  const lastKeys = new Map(last.inputs);
  const countedSet = new Set(counted);
  const toCheck = [...counted, ...last.inputs.map(([p]) => p).filter((p) => !countedSet.has(p))];
  if (toCheck.length !== lastKeys.size) return false;
  const read = readAhead(fs, toCheck);
  for (let i = 0; i < toCheck.length; i++) {
    const path = toCheck[i];
    const bytes = await read(i);
    const keyed = bytes && factKeyOf(path, bytes, packageDirs);
    if (lastKeys.get(path) !== (keyed ? keyed.key : skipKey(bytes ? 'too-big' : 'unreadable'))) return false;
  }
  return true;
}

/**
 * The pure half: facts in, findings and graph out. Suppressions and severities from config apply
 * here. A file whose facts could not be built, or that the analysis fails on, is left out and
 * listed in `failed`; the others are analysed as they would be without it.
 */
export function analyzeFactsToFindings(
  facts: FileFacts[],
  config: Config,
  libraries: readonly PythonFacts[] = [],
): { findings: Finding[]; graph: Graph; analysis: Analysis; failed: FailedFile[] } {
  const { result, failed } = withoutFailingFiles(facts, failedExtractions(facts), (kept) =>
    findingsOf(analyzeFacts(new Workspace(analysedFacts([...kept]), libraries, config.stubPaths), config), config),
  );
  return { ...result, failed: byPath([...failed, ...result.analysis.failedWalks]) };
}

/** The rules over an analysis, with suppressions and severities applied, and its graph. */
export function findingsOf(
  analysis: Analysis,
  config: Config,
): { findings: Finding[]; graph: Graph; analysis: Analysis } {
  const suppressed = new Map<string, Map<number, string[]>>();
  for (const f of analysis.ws.byPath.values())
    suppressed.set(f.path, new Map(f.suppressions.map((s) => [s.line, s.codes])));
  const findings: Finding[] = [];
  for (const rule of allRules) {
    if (!ruleEnabled(config, rule.meta.code)) continue;
    let found: Finding[];
    try {
      found = rule.check(analysis);
    } catch {
      // One rule failing on odd input must not hide the others' findings.
      continue;
    }
    for (const f of found) {
      const codes = suppressed.get(f.path)?.get(f.loc[0]);
      if (codes && (codes.length === 0 || codes.includes(f.code))) continue;
      findings.push({ ...f, severity: config.severity[f.code] ?? f.severity });
    }
  }
  findings.sort(
    (a, b) =>
      a.path.localeCompare(b.path) || a.loc[0] - b.loc[0] || a.loc[1] - b.loc[1] || a.code.localeCompare(b.code),
  );
  return { findings, graph: buildGraph(analysis), analysis };
}
