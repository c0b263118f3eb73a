/**
 * Reads `[tool.djcache]` from pyproject.toml, merges it with CLI values, and answers the two
 * questions every caller has: is this rule on, and is this file excluded.
 */
import picomatch from 'picomatch';
import { parse, TomlError } from 'smol-toml';
import { defaultConfig, type Config } from './config';
import type { Severity } from './config';
import { ruleMetas } from '../rules';
import { nameTable } from '../text/nameTable';

/** A configuration the user must fix; the CLI reports its message and exits with 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];
/** "DJC1" selects DJC100..DJC199; "ALL" selects everything, as in ruff. */
const SELECTOR_RE = /^(ALL|DJC\d{0,3})$/;
const CODE_RE = /^DJC\d{3}$/;
const RULE_CODES = ruleMetas.map((r) => r.code);
const RULES_NAMED = `the rules are ${RULE_CODES[0]} to ${RULE_CODES[RULE_CODES.length - 1]}`;

/** Where loadConfig's override values come from, to name them in messages. */
export type OverrideSource = 'cli' | 'editor';
const OVERRIDE_NAMES: Record<OverrideSource, Record<'select' | 'ignore', string>> = {
  cli: { select: '--select', ignore: '--ignore' },
  editor: { select: 'djcache.rules.select', ignore: 'djcache.rules.ignore' },
};

export interface LoadOptions {
  source?: OverrideSource;
  /**
   * Given, a rule selector that names no rule is left out and told here (the language server
   * warns and goes on); otherwise it is a ConfigError (the CLI exits 2). A selection that leaves
   * every rule off is told the same way.
   */
  onRuleProblem?: (message: string) => void;
}

type ListKey =
  'select' | 'ignore' | 'exclude' | 'cacheAliases' | 'memoizeDecorators' | 'invalidationHelpers' | 'stubPaths';

/** Accepted spellings in pyproject.toml: kebab-case as documented, snake_case as ruff also allows. */
const LIST_KEYS = nameTable<ListKey>({
  select: 'select',
  ignore: 'ignore',
  exclude: 'exclude',
  'cache-aliases': 'cacheAliases',
  'memoize-decorators': 'memoizeDecorators',
  'invalidation-helpers': 'invalidationHelpers',
  'stub-paths': 'stubPaths',
});

/**
 * Merges defaults, `[tool.djcache]` and CLI values; a CLI value replaces the file's value.
 * `exclude` adds to the default excludes (virtualenvs, node_modules, migrations) instead of
 * replacing them, since nobody wants those read.
 */
export function loadConfig(rootFiles: { pyproject?: string }, cli: Partial<Config>, options: LoadOptions = {}): Config {
  const problem =
    options.onRuleProblem ??
    ((message: string) => {
      throw new ConfigError(message);
    });
  const file = rootFiles.pyproject === undefined ? {} : readPyproject(rootFiles.pyproject, problem);
  const overrides = definedOnly(cli);
  const names = OVERRIDE_NAMES[options.source ?? 'cli'];
  for (const field of ['select', 'ignore'] as const) {
    const given = overrides[field];
    if (given) overrides[field] = knownSelectors(given, names[field], problem);
  }
  const merged: Config = { ...defaultConfig, ...file, ...overrides };
  merged.exclude = [...defaultConfig.exclude, ...(cli.exclude ?? file.exclude ?? [])];
  if (!RULE_CODES.some((code) => ruleEnabled(merged, code))) {
    problem(
      `no rule is enabled: select [${merged.select.join(', ')}] with ignore [${merged.ignore.join(', ')}] turns every rule off`,
    );
  }
  return merged;
}

/** The selectors that name some rule; each other one is a problem. */
function knownSelectors(selectors: string[], where: string, problem: (message: string) => void): string[] {
  return selectors.filter((selector) => {
    const message = selectorProblem(selector, where);
    if (message) problem(message);
    return !message;
  });
}

function selectorProblem(selector: string, where: string): string | undefined {
  if (!SELECTOR_RE.test(selector))
    return `unknown rule selector '${selector}' in ${where} (expected a code like DJC101, a prefix like DJC1, or ALL)`;
  if (selector !== 'ALL' && !RULE_CODES.some((code) => code.startsWith(selector)))
    return `'${selector}' in ${where} matches no rule (${RULES_NAMED})`;
  return undefined;
}

/** Why `code` cannot be a key of a severity table, or undefined when it is a rule's code. */
export function severityCodeProblem(code: string, where: string): string | undefined {
  if (!CODE_RE.test(code)) return `${where}: '${code}' is not a rule code like DJC101`;
  if (!RULE_CODES.includes(code)) return `${where}: '${code}' matches no rule (${RULES_NAMED})`;
  return undefined;
}

function definedOnly(values: Partial<Config>): Partial<Config> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

function readPyproject(text: string, problem: (message: string) => void): Partial<Config> {
  let document: Record<string, unknown>;
  try {
    document = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ConfigError(
        `pyproject.toml:${error.line}:${error.column}: invalid TOML: ${error.message.split('\n')[0]}`,
      );
    }
    throw error;
  }
  const tool = document.tool;
  if (!isTable(tool) || tool.djcache === undefined) return {};
  if (!isTable(tool.djcache)) throw new ConfigError('[tool.djcache] must be a table');

  const config: Partial<Config> = {};
  for (const [rawKey, value] of Object.entries(tool.djcache)) {
    const key = rawKey.replace(/_/g, '-');
    const where = `[tool.djcache] ${rawKey}`;
    if (key === 'severity') {
      config.severity = readSeverity(value, where, problem);
      continue;
    }
    if (key === 'short-timeout') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
        throw new ConfigError(`${where} must be a whole number of seconds (0 or more)`);
      config.shortTimeout = value;
      continue;
    }
    const field = LIST_KEYS[key];
    if (!field)
      throw new ConfigError(
        `unknown key '${rawKey}' in [tool.djcache] (known: ${[...Object.keys(LIST_KEYS), 'severity', 'short-timeout'].join(', ')})`,
      );
    if (config[field]) throw new ConfigError(`${where} is given twice (kebab-case and snake_case)`);
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw new ConfigError(`${where} must be an array of strings`);
    }
    config[field] =
      field === 'select' || field === 'ignore'
        ? knownSelectors(value as string[], where, problem)
        : (value as string[]);
  }
  return config;
}

function readSeverity(value: unknown, where: string, problem: (message: string) => void): Record<string, Severity> {
  if (!isTable(value))
    throw new ConfigError(`${where} must be a table of rule code = "error" | "warning" | "info" | "hint"`);
  const severity: Record<string, Severity> = {};
  for (const [code, level] of Object.entries(value)) {
    if (typeof level !== 'string' || !SEVERITIES.includes(level as Severity)) {
      throw new ConfigError(`${where}.${code} must be one of ${SEVERITIES.map((s) => `"${s}"`).join(', ')}`);
    }
    const codeProblem = severityCodeProblem(code, where);
    if (codeProblem) problem(codeProblem);
    else severity[code] = level as Severity;
  }
  return severity;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Ruff's rule selection: the most specific matching selector wins, and on a tie ignore wins.
 * An empty select list means ALL.
 */
export function ruleEnabled(config: Config, code: string): boolean {
  const select = config.select.length ? config.select : ['ALL'];
  const selected = longestMatch(select, code);
  return selected !== -1 && selected > longestMatch(config.ignore, code);
}

/** Length of the longest selector that matches code (ALL counts as 0), or -1. */
function longestMatch(selectors: string[], code: string): number {
  let best = -1;
  for (const selector of selectors) {
    if (selector === 'ALL') best = Math.max(best, 0);
    else if (code.startsWith(selector)) best = Math.max(best, selector.length);
  }
  return best;
}

const matchers = new WeakMap<Config, (path: string) => boolean>();

/**
 * True when relPath ('/'-separated, relative to the root) or one of its folders matches an
 * exclude pattern. Patterns without a slash match a name at any depth, as in .gitignore.
 */
export function isExcluded(config: Config, relPath: string): boolean {
  let matches = matchers.get(config);
  if (!matches) {
    const anywhere = config.exclude.filter((p) => !p.includes('/'));
    const rooted = config.exclude.filter((p) => p.includes('/'));
    const byName = anywhere.length ? picomatch(anywhere, { dot: true, basename: true }) : () => false;
    const byPath = rooted.length ? picomatch(rooted, { dot: true }) : () => false;
    matches = (path) => byName(path) || byPath(path);
    matchers.set(config, matches);
  }
  const parts = relPath.split('/');
  for (let end = parts.length; end > 0; end--) {
    if (matches(parts.slice(0, end).join('/'))) return true;
  }
  return false;
}
