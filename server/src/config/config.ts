/** How loud a finding is; the configuration may set it per rule. */
export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** Settings from pyproject.toml [tool.djcache], the CLI and the editor, merged. */
export interface Config {
  /** Rule codes or prefixes to report ("DJC1" selects DJC101..DJC199); empty means all. */
  select: string[];
  ignore: string[];
  severity: Record<string, Severity>;
  /** Glob patterns (relative to the workspace root) of files never read. */
  exclude: string[];
  /** Extra names that refer to Django cache objects: "myproject.cache.redis_cache" (module path of a module-level name). */
  cacheAliases: string[];
  /** Extra memoize decorators, dotted paths: "myproject.utils.memoize". */
  memoizeDecorators: string[];
  /** Extra invalidation helpers, dotted paths: "myproject.utils.bust_cache". */
  invalidationHelpers: string[];
  /**
   * Folders (relative to the workspace root) of the team's own library stubs: Python packages
   * that say what a library outside the workspace does with the cache (docs/stubs.md).
   */
  stubPaths: string[];
  /** DJC106 reports an entry whose explicit timeout is at most this many seconds as information, not a warning. */
  shortTimeout: number;
}

export const defaultConfig: Config = {
  select: [],
  ignore: [],
  severity: {},
  exclude: ['**/node_modules/**', '**/.git/**', '**/.venv/**', '**/venv/**', '**/site-packages/**', '**/migrations/**'],
  cacheAliases: [],
  memoizeDecorators: [],
  invalidationHelpers: [],
  stubPaths: [],
  shortTimeout: 300,
};
