/**
 * `djcache check` and `djcache graph`. Exit codes: 0 clean, 1 findings, 2 usage, configuration
 * or internal error (one line on stderr, never a stack trace).
 */
import { promises as fsp, readFileSync } from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { parseArgs } from 'util';
import type { Config, Severity } from './config/config';
import { ConfigError, loadConfig, ruleEnabled } from './config/configLoader';
import { describeFailed } from './analysis/fileError';
import { type AnalysisResult, analyzeWorkspace, type Progress } from './engine/engine';
import type { SkippedPath, WorkspaceFs } from './engine/types';
import { defaultCacheDir, DiskFactCache, osCacheHome } from './engine/factCache';
import { createNodeFs } from './engine/nodeFs';
import { type Finding, findingEntryId, type RuleMeta } from './findings';
import { renderDot } from './report/dot';
import { unifiedDiff } from './report/diff';
import { type FixedFile, fixedFiles, type SourceFiles } from './fixes';
import { BaselineError, createBaseline, filterBaseline, parseBaseline, type LineText } from './report/baseline';
import { formatJson } from './report/json';
import { formatSarif } from './report/sarif';
import { describeSkip, formatText } from './report/text';
import { ruleMetas } from './rules';

/** What the CLI needs from its surroundings; tests replace parts of it. */
export interface CliEnv {
  out(text: string): void;
  err(text: string): void;
  /** Progress is drawn only for a person watching a terminal. */
  errIsTTY: boolean;
  cwd: string;
  analyze: typeof analyzeWorkspace;
  rules: RuleMeta[];
  /** The user's cache folder (osCacheHome()); the fact cache of a root is a folder below it. */
  cacheHome: string;
}

/** A mistake in the command line; reported in one line with exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const HELP = `djcache: finds Django cache entries that nothing invalidates.

Usage:
  djcache check [paths...] [options]
  djcache graph [paths...] [--format json|dot] [--config FILE]
  djcache --version | --help

The workspace root is the first path if it is a folder. Given files (as pre-commit passes
them), it is the nearest folder above them holding manage.py, pyproject.toml or .git, or else
their common folder; the whole project is analysed. With paths below the root, findings are
limited to those in them or whose entry or a write they name is in them. Paths default to ".".

check options:
  --format text|json|sarif   output format (default: text)
  --select CODES             only these rule codes or prefixes, comma-separated (DJC1,DJC201)
  --ignore CODES             skip these rule codes or prefixes
  --baseline FILE            hide findings recorded in FILE
  --write-baseline FILE      record the current findings in FILE and exit 0
  --fail-on error|warning|info
                             the lowest severity that makes the exit code 1 (default: warning)
  --exit-zero                exit 0 even when there are findings
  --statistics               text: the count of findings per rule, not each finding
  --quiet                    text: the findings only, nothing else
  --fix                      apply the safe quick-fixes the editor offers (not noqa comments),
                             write the files, say what changed, and report what is left
  --diff                     print the safe fixes as a unified diff without writing them;
                             exit 1 when there is something to fix
  --cache-dir DIR            keep the fact cache in DIR (default: a folder under the user's
                             cache folder, e.g. ~/.cache/djcache/, keyed by the root's path)
  --no-cache                 parse every file again and keep no cache
  --config FILE              pyproject.toml to read [tool.djcache] from (default: <root>/pyproject.toml)

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or configuration error.
`;

export async function main(argv: string[], overrides: Partial<CliEnv> = {}): Promise<number> {
  const env: CliEnv = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
    analyze: analyzeWorkspace,
    rules: ruleMetas,
    cacheHome: osCacheHome(),
    ...overrides,
  };
  try {
    return await run(argv, env);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof BaselineError ||
      isParseArgsError(error)
    ) {
      env.err(`djcache: error: ${(error as Error).message}\n`);
    } else {
      env.err(`djcache: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return 2;
  }
}

function isParseArgsError(error: unknown): boolean {
  return error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
}

async function run(argv: string[], env: CliEnv): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return check(rest, env);
    case 'graph':
      return graph(rest, env);
    case '--version':
    case '-V':
      env.out(`djcache ${packageVersion()}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      env.out(HELP);
      return 0;
    case undefined:
      env.err(HELP);
      return 2;
    default:
      throw new UsageError(`unknown command '${command}' (expected check or graph; see djcache --help)`);
  }
}

interface PackageJson {
  version: string;
  repository: { url: string };
}

function packageJson(): PackageJson {
  // Compiled to out/server/src/cli.js; package.json is at the repository root.
  return JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as PackageJson;
}

function packageVersion(): string {
  return packageJson().version;
}

/** Where this version's rule docs are on the web: the repository at the release's tag. */
function docsBaseUri(pkg: PackageJson = packageJson()): string {
  const repository = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
  return `${repository}/blob/v${pkg.version}/`;
}

async function check(args: string[], env: CliEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      select: { type: 'string', multiple: true },
      ignore: { type: 'string', multiple: true },
      baseline: { type: 'string' },
      'write-baseline': { type: 'string' },
      'exit-zero': { type: 'boolean', default: false },
      'fail-on': { type: 'string', default: 'warning' },
      statistics: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      fix: { type: 'boolean', default: false },
      diff: { type: 'boolean', default: false },
      config: { type: 'string' },
      'cache-dir': { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    env.out(HELP);
    return 0;
  }
  const format = oneOf(values.format, ['text', 'json', 'sarif'] as const, '--format');
  const failOn = oneOf(values['fail-on'], ['error', 'warning', 'info'] as const, '--fail-on');
  if (values.fix && values.diff) throw new UsageError('--fix and --diff cannot be used together');
  const workspace = await openWorkspace(
    positionals,
    values.config,
    {
      select: codeList(values.select),
      ignore: codeList(values.ignore),
    },
    env,
  );
  let result = await analyze(env, workspace, values);
  if (values.diff || values.fix) {
    const fixed = await fixUntilSettled(env, workspace, result, values);
    if (values.diff) {
      for (const change of fixed.changes) env.out(unifiedDiff(change.path, change.before, change.after));
      const n = fixed.changes.length;
      env.err(`djcache: ${n} ${n === 1 ? 'file' : 'files'} would be changed\n`);
      return n > 0 ? 1 : 0;
    }
    for (const change of fixed.changes) {
      await fsp.mkdir(path.dirname(path.join(workspace.root, change.path)), { recursive: true });
      await fsp.writeFile(path.join(workspace.root, change.path), change.after);
      env.err(`djcache: ${change.before === undefined ? 'created' : 'fixed'} ${change.path}\n`);
    }
    result = fixed.result;
  }
  const findings = await reported(result, workspace, workspace.fs, values.baseline, env);
  const lineText = await loadLineText(workspace.fs, findings);

  if (values['write-baseline'] !== undefined) {
    const target = path.resolve(env.cwd, values['write-baseline']);
    await fsp.writeFile(target, JSON.stringify(createBaseline(findings, lineText), null, 2) + '\n');
    env.err(
      `djcache: wrote ${findings.length} ${findings.length === 1 ? 'finding' : 'findings'} to ${values['write-baseline']}\n`,
    );
    return 0;
  }

  switch (format) {
    case 'text':
      env.out(
        formatText(findings, env.rules, {
          statistics: values.statistics,
          quiet: values.quiet,
          summary: { ...result.stats, skipped: result.skipped },
        }),
      );
      break;
    case 'json':
      env.out(formatJson(findings, env.rules, lineText, { files: result.stats.files, skipped: result.skipped }));
      break;
    case 'sarif':
      env.out(
        formatSarif(findings, env.rules, lineText, {
          toolVersion: packageVersion(),
          helpBaseUri: docsBaseUri(),
          srcRootUri: pathToFileURL(workspace.root).href.replace(/\/?$/, '/'),
          skipped: result.skipped,
        }),
      );
      break;
  }
  // The text report lists them; machine output holds them where a person reading a CI log will not look.
  if (format !== 'text' && result.skipped.length)
    warnSkipped(env, result.skipped, format === 'json' ? 'stats.skipped' : 'invocations[0].toolExecutionNotifications');
  const failing = findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]);
  return failing && !values['exit-zero'] ? 1 : 0;
}

/** How serious a severity is, for --fail-on: a hint counts as info. */
const SEVERITY_RANK: Record<Severity, number> = { error: 2, warning: 1, info: 0, hint: 0 };

/** The findings the user asked about: in the paths given, of enabled rules, and not in the baseline. */
async function reported(
  result: AnalysisResult,
  workspace: Workspace,
  fs: WorkspaceFs,
  baselineFile: string | undefined,
  env: CliEnv,
): Promise<Finding[]> {
  const findings = result.findings.filter((f) => workspace.concerns(f) && ruleEnabled(workspace.config, f.code));
  if (baselineFile === undefined) return findings;
  const baseline = parseBaseline(await readUserFile(env, baselineFile, 'baseline'));
  return filterBaseline(findings, baseline, await loadLineText(fs, findings));
}

/** Fixes can bring new findings to light (a receiver's write of another model): ruff's bound on rounds. */
const MAX_FIX_ROUNDS = 10;

/**
 * The safe fixes, applied in memory round after round, each analysing the texts the previous one
 * left, until a round changes nothing. Returns each changed file and the analysis of the result.
 */
async function fixUntilSettled(
  env: CliEnv,
  workspace: Workspace,
  result: AnalysisResult,
  options: { baseline?: string; 'cache-dir'?: string; 'no-cache': boolean },
): Promise<{ changes: FixedFile[]; result: AnalysisResult }> {
  const disk = diskFiles(workspace.root);
  const texts = new Map<string, string>();
  const files: SourceFiles = { read: (p) => (texts.has(p) ? texts.get(p) : disk.read(p)) };
  const fs = overlayFs(workspace.fs, texts);
  for (let round = 0; round < MAX_FIX_ROUNDS; round++) {
    const changes = fixedFiles(await reported(result, workspace, fs, options.baseline, env), files);
    if (!changes.length) break;
    for (const change of changes) texts.set(change.path, change.after);
    result = await analyze(env, workspace, options, fs);
  }
  const changes = [...texts]
    .map(([p, after]) => ({ path: p, before: disk.read(p), after }))
    .filter((change) => change.before !== change.after)
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  return { changes, result };
}

/** The workspace's files with some texts replaced or added in memory. */
function overlayFs(base: WorkspaceFs, texts: Map<string, string>): WorkspaceFs {
  return {
    ...base,
    list: async (skip) => [...new Set([...(await base.list(skip)), ...texts.keys()])].sort(),
    read: async (relPath) => {
      const text = texts.get(relPath);
      return text !== undefined ? new TextEncoder().encode(text) : base.read(relPath);
    },
  };
}

/** The files on disk, as the fixes read them; undefined for a file that does not exist or cannot be read. */
function diskFiles(root: string): SourceFiles {
  return {
    read: (relPath) => {
      try {
        return readFileSync(path.join(root, relPath), 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

async function graph(args: string[], env: CliEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'json' },
      config: { type: 'string' },
      'cache-dir': { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    env.out(HELP);
    return 0;
  }
  const format = oneOf(values.format, ['json', 'dot'] as const, '--format');
  const workspace = await openWorkspace(positionals, values.config, {}, env);
  const result = await analyze(env, workspace, values);
  env.out(format === 'dot' ? renderDot(result.graph) : JSON.stringify(result.graph, null, 2) + '\n');
  if (result.skipped.length) warnSkipped(env, result.skipped, '`djcache check`');
  return 0;
}

/**
 * Runs the engine with the root's fact cache, so unchanged files are not parsed again. Fails
 * when none of the paths asked about could be read.
 */
async function analyze(
  env: CliEnv,
  workspace: Workspace,
  options: { 'cache-dir'?: string; 'no-cache': boolean },
  fs: WorkspaceFs = workspace.fs,
): Promise<AnalysisResult> {
  if (options['cache-dir'] !== undefined && options['no-cache'])
    throw new UsageError('--cache-dir and --no-cache cannot be used together');
  const dir =
    options['cache-dir'] !== undefined
      ? path.resolve(env.cwd, options['cache-dir'])
      : defaultCacheDir(workspace.root, env.cacheHome);
  const cache = options['no-cache'] ? undefined : new DiskFactCache(dir);
  const result = await env.analyze(fs, workspace.config, progressReporter(env), cache);
  cache?.save();
  if (cache?.notUsed) env.err(`djcache: note: the cache was not used: ${cache.notUsed}\n`);
  const { failed } = result.stats;
  if (failed.length) env.err(`djcache: ${describeFailed(failed)}\n`);
  const unread = workspace.targets.map((target) => skipOf(target, result.skipped));
  if (unread.every((skip) => skip)) {
    throw new UsageError(
      unread.map((skip, i) => `cannot check ${workspace.paths[i]} (${describeSkip(skip!)})`).join('; '),
    );
  }
  return result;
}

/** The skip that left out a root-relative path ('' for the root): its own, or its folder's. */
function skipOf(target: string, skipped: SkippedPath[]): SkippedPath | undefined {
  return skipped.find((s) => s.path === '.' || s.path === target || target.startsWith(s.path + '/'));
}

/** One line on stderr: how many paths were skipped and why, and where the output lists them. */
function warnSkipped(env: CliEnv, skipped: SkippedPath[], listedIn: string): void {
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(describeSkip(s), (counts.get(describeSkip(s)) ?? 0) + 1);
  const reasons = [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
  env.err(
    `djcache: warning: ${skipped.length} ${skipped.length === 1 ? 'path was' : 'paths were'} skipped (${reasons}); see ${listedIn}\n`,
  );
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${option} must be one of ${allowed.join(', ')}, not '${value}'`);
  }
  return value as T;
}

/** `--select A,B --select C` → [A, B, C]; undefined when the option was not given. */
function codeList(values: string[] | undefined): string[] | undefined {
  return values
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export interface Workspace {
  root: string;
  /** The paths asked about, as given on the command line. */
  paths: string[];
  /** The same paths relative to the root, '/'-separated ('' for the root itself). */
  targets: string[];
  config: Config;
  fs: WorkspaceFs;
  /** Whether a finding is in a path the user asked about, or its entry or a write it names is. */
  concerns(finding: Finding): boolean;
}

/** Resolves the root and targets from the paths, loads the configuration, and opens the file system. */
export async function openWorkspace(
  paths: string[],
  configFile: string | undefined,
  cli: Partial<Config>,
  env: Pick<CliEnv, 'cwd'>,
): Promise<Workspace> {
  const absolute = (paths.length ? paths : ['.']).map((p) => path.resolve(env.cwd, p));
  const stats = await Promise.all(absolute.map((p) => fsp.stat(p).catch(() => null)));
  stats.forEach((stat, i) => {
    if (!stat) throw new UsageError(`no such file or directory: ${paths[i]}`);
  });
  const root = stats[0]!.isDirectory()
    ? absolute[0]
    : await projectRoot(commonFolder(absolute.map((p, i) => (stats[i]!.isDirectory() ? p : path.dirname(p)))));
  const targets = absolute.map((p, i) => {
    const rel = path.relative(root, p);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new UsageError(
        `${paths[i]} is outside the workspace root ${path.relative(env.cwd, root) || '.'} (the first path)`,
      );
    }
    return rel.split(path.sep).join('/');
  });

  const pyprojectPath =
    configFile !== undefined ? path.resolve(env.cwd, configFile) : path.join(root, 'pyproject.toml');
  const pyproject = await fsp.readFile(pyprojectPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (configFile !== undefined)
      throw new UsageError(`cannot read config ${configFile}: ${error.code ?? error.message}`);
    return undefined;
  });
  const config = loadConfig({ pyproject }, cli, { source: 'cli' });
  const everything = targets.includes('');
  return {
    root,
    paths: paths.length ? paths : ['.'],
    targets,
    config,
    fs: createNodeFs(root, config),
    concerns: (finding) => {
      const contains = (rel: string) => everything || targets.some((t) => rel === t || rel.startsWith(t + '/'));
      const entryPath = findingEntryId(finding)?.replace(/:\d+:\d+$/, '');
      return (
        contains(finding.path) ||
        (entryPath !== undefined && contains(entryPath)) ||
        finding.related.some((r) => contains(r.path))
      );
    },
  };
}

/** What marks a Django project's root, as tools run on changed files (pre-commit) find it. */
const PROJECT_MARKERS = ['manage.py', 'pyproject.toml', '.git'];

/** The nearest folder at or above `start` holding a project marker; `start` itself when none does. */
async function projectRoot(start: string): Promise<string> {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const found = await Promise.all(
      PROJECT_MARKERS.map((m) =>
        fsp.stat(path.join(dir, m)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (found.some(Boolean)) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

/** The deepest folder holding all these folders. */
function commonFolder(folders: string[]): string {
  return folders.reduce((common, folder) => {
    while (folder !== common && !folder.startsWith(common.endsWith(path.sep) ? common : common + path.sep))
      common = path.dirname(common);
    return common;
  });
}

async function readUserFile(env: CliEnv, file: string, what: string): Promise<string> {
  try {
    return await fsp.readFile(path.resolve(env.cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Loads the files that have findings so fingerprints can hash their lines. */
async function loadLineText(fs: WorkspaceFs, findings: Finding[]): Promise<LineText> {
  const lines = new Map<string, string[]>();
  await Promise.all(
    [...new Set(findings.map((f) => f.path))].map(async (file) => {
      const bytes = await fs.read(file).catch(() => null);
      if (bytes) lines.set(file, Buffer.from(bytes).toString('utf8').split(/\r?\n/));
    }),
  );
  return (file, line) => lines.get(file)?.[line];
}

function progressReporter(env: CliEnv): Progress | undefined {
  if (!env.errIsTTY) return undefined;
  let last = 0;
  return (done, total, phase) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    env.err(done < total ? `\r\x1b[Kdjcache: ${phase} ${done}/${total}` : '\r\x1b[K');
  };
}
