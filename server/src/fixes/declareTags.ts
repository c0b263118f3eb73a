/**
 * "Declare cache tags" on DJC101/DJC102: the entry moves to the djcache runtime's API for its
 * shape, declaring every model the engine found it reading, so the runtime invalidates it on any
 * write: `cache.get_or_set`/`set` → `tagged(...)`, Django's `cache_page` → `djcache.cache_page`,
 * `{% cache %}` → `{% tagged_cache %}`, a project memoize decorator → `djcache.memoize`. Where the
 * runtime would not do what the code does, the action is listed disabled with the reason.
 */
import type { Node } from 'web-tree-sitter';
import type { DeclareTagsData, Finding } from '../findings';
import { splitArgs, TOKEN_RE } from '../syntax/template';
import { dropImport, moduleNames, planImports } from './imports';
import { cacheMethod, getOrSetRewrite } from './getOrSet';
import { argsOf, indentOf, namedKids, nodeAt, parsesCleanly, withSyntax } from './pythonSyntax';
import { pyString, pythonStyle, type PythonStyle } from './pythonStyle';
import { applyEdits, changedLines, insertAt, lineTextBefore, offsetAt, replaceSpan, type TextEdit } from './text';
import type { Fix, SourceFiles } from './types';

/** The findings that carry this fix's data. */
type DeclareTagsFinding = Extract<Finding, { code: 'DJC101' | 'DJC102' }>;

/** Edits of the finding's file, or why the runtime's API would change what the code does. */
type Rewrite = TextEdit[] | { unavailable: string } | undefined;

const TITLE = 'Declare cache tags';
const DJANGO_CACHE_PAGE = 'django.views.decorators.cache:cache_page';
/** Why a cache alias cannot be carried over: the runtime's `using=` is a database alias. */
const ENTRIES_CACHE =
  'djcache keeps its entries in the DJCACHE["CACHE"] cache and its using= names a database, so the alias has no equivalent';

export function declareTagsFix(finding: Finding, files: SourceFiles): Fix | undefined {
  if (finding.code !== 'DJC101' && finding.code !== 'DJC102') return undefined;
  const d = finding.data.declareTags;
  if (!d || !d.models.length) return undefined;
  const fix = (title: string, changes: Fix['changes'], explanation?: string): Fix => ({
    title,
    code: finding.code,
    preferred: false,
    safe: false,
    changes,
    ...(explanation ? { explanation } : {}),
  });
  const text = files.read(finding.path);
  const rewrite = text === undefined ? undefined : rewriteOf(finding, d, text, files);
  // Installing djcache would not help an entry the runtime cannot take as it is.
  if (rewrite && 'unavailable' in rewrite) return fix(`${TITLE} (unavailable here)`, [], rewrite.unavailable);
  if (!d.installed) {
    return fix(
      `${TITLE} (install djcache first)`,
      [],
      `djcache is not installed in this project. After \`pip install djcache\` and adding "djcache" to INSTALLED_APPS, this action rewrites the entry to ${target(d)}, which the runtime invalidates on every write to those tables.`,
    );
  }
  if (!rewrite) return undefined;
  // A rewrite to another caching API is a choice, not something fix-all should make.
  return fix(TITLE, [{ kind: 'edit', path: finding.path, edits: rewrite }]);
}

/** What the entry becomes, for the explanation. */
function target(d: DeclareTagsData): string {
  const labels = d.models.map((m) => JSON.stringify(m)).join(', ');
  switch (d.shape) {
    case 'cache':
      return `tagged(${labels})`;
    case 'page':
      return `djcache.cache_page(timeout, depends_on=[${labels}])`;
    case 'memoize':
      return `djcache.memoize(timeout, depends_on=[${labels}])`;
    case 'fragment':
      return `{% tagged_cache timeout name depends_on="${d.models.join(' ')}" %}`;
  }
}

function rewriteOf(finding: DeclareTagsFinding, d: DeclareTagsData, text: string, files: SourceFiles): Rewrite {
  if (d.shape === 'fragment') return fragmentEdits(finding, d, text);
  if (!finding.path.endsWith('.py')) return undefined;
  if (d.shape === 'cache') return valueCacheEdits(finding, d, text);
  if (d.shape === 'page') return pageEdits(finding, d, text);
  return memoizeEdits(finding, d, text, files);
}

/**
 * `cache.get_or_set(k, ...)` → `tagged(...).get_or_set(k, ...)`. A `cache.set(k, v, t)` with its
 * `cache.get(k)` becomes one `tagged(...).get_or_set(k, compute, t)` where the code's shape allows
 * (getOrSet.ts); elsewhere the set and each `cache.get(k)` of the same key text in the function go
 * through `tagged(...)`, with a comment above the set saying that the pair is racy.
 * `cache` must be Django's default cache.
 */
function valueCacheEdits(finding: DeclareTagsFinding, d: DeclareTagsData, text: string): Rewrite {
  return withSyntax(text, (root): Rewrite => {
    const call = nodeAt(root, 'call', finding.loc);
    const method = call && cacheMethod(call);
    if (!call || !method || (method.name !== 'get_or_set' && method.name !== 'set')) return undefined;
    const names = moduleNames(root, text);
    if (names.bound.get('cache') !== 'django.core.cache:cache') return undefined;
    const style = pythonStyle(root, text);
    const imports = planImports(text, names, [{ module: 'djcache', name: 'tagged' }], style);
    if ('conflict' in imports) return undefined;
    const tagged = `tagged(${d.models.map((m) => pyString(m, style)).join(', ')}${rowArgument(d, finding, call, text)})`;
    const retagged = (nodes: Node[]) => nodes.map((o) => replaceSpan(text, o.startIndex, o.endIndex, tagged));
    const checked = (edits: TextEdit[]) => (parsesCleanly(applyEdits(text, edits)) ? edits : undefined);
    const untaken = argumentsTaggedLacks(call, method.name);
    if (untaken) return untaken;
    if (method.name === 'get_or_set') return checked([...imports, ...retagged([method.object])]);
    const key = method.key?.text;
    const gets = enclosing(call)
      .descendantsOfType('call')
      .filter((c): c is Node => !!c)
      .filter((c) => {
        const m = cacheMethod(c);
        return m?.name === 'get' && m.key?.text === key;
      });
    // A set without its get would cache through tags while reading around them.
    if (!key || !gets.length) return undefined;
    for (const get of gets) {
      const lacking = argumentsTaggedLacks(get, 'get');
      if (lacking) return lacking;
    }
    const rewrite = getOrSetRewrite(text, call, tagged, style);
    const others = rewrite ? gets.filter((g) => g.id !== rewrite.getCall.id) : gets;
    if (rewrite && others.every((g) => g.endIndex <= rewrite.span[0] || g.startIndex >= rewrite.span[1])) {
      const edits = checked([...imports, rewrite.edit, ...retagged(others.map((g) => cacheMethod(g)!.object))]);
      if (edits) return edits;
    }
    const lineStart = call.startIndex - lineTextBefore(text, call.startIndex).length;
    const racy = insertAt(text, lineStart, `${indentOf(text.slice(lineStart))}${RACY_PAIR}${style.eol}`);
    return checked([...imports, racy, ...retagged([method.object, ...gets.map((g) => cacheMethod(g)!.object)])]);
  });
}

/**
 * `, pk=<expr>` when the entry reads one row whose primary key its key is built from, written
 * inside this call (so the expression means the same there): the runtime then invalidates the
 * entry on writes to that row only.
 */
function rowArgument(d: DeclareTagsData, finding: DeclareTagsFinding, call: Node, text: string): string {
  const at = d.row?.pk;
  if (!at || at.path !== finding.path) return '';
  const start = offsetAt(text, at.loc[0], at.loc[1]);
  const end = offsetAt(text, at.loc[2], at.loc[3]);
  return start >= call.startIndex && end <= call.endIndex && end > start ? `, pk=${text.slice(start, end)}` : '';
}

/** Django's parameters of the cache methods the fix moves, and those tagged(...)'s methods take too (runtime/djcache/core.py). */
const CACHE_PARAMETERS: Record<string, { django: string[]; tagged: string[] }> = {
  get: { django: ['key', 'default', 'version'], tagged: ['key', 'default'] },
  set: { django: ['key', 'value', 'timeout', 'version'], tagged: ['key', 'value', 'timeout'] },
  get_or_set: { django: ['key', 'default', 'timeout', 'version'], tagged: ['key', 'default', 'timeout'] },
};

/** Why tagged(...) cannot take this call's arguments (`version`, above all), or undefined when it can. */
function argumentsTaggedLacks(call: Node, name: string): { unavailable: string } | undefined {
  const params = CACHE_PARAMETERS[name];
  const args = argsOf(call);
  if (!args)
    return {
      unavailable: `cache.${name}(...) passes arguments through * or **, which tagged(...).${name} may not take.`,
    };
  const passed = [...args.positional.map((_, i) => params.django[i] ?? `argument ${i + 1}`), ...args.kw.keys()];
  const lacking = passed.filter((p) => !params.tagged.includes(p));
  return lacking.length
    ? {
        unavailable: `tagged(...).${name} takes no ${lacking.join(' or ')}: its entries live under keys of their own, and writes to the tables they read invalidate them.`,
      }
    : undefined;
}

/** Above a set whose get/set pair cannot become one get_or_set (runtime/README.md: set() captures the tag versions when called). */
export const RACY_PAIR = '# djcache: get/set is racy (a write while computing is missed); use get_or_set where you can';

function enclosing(n: Node): Node {
  let cur: Node = n;
  while (cur.parent && cur.type !== 'function_definition') cur = cur.parent;
  return cur;
}

function dependsOn(d: DeclareTagsData, style: PythonStyle): string {
  return `depends_on=[${d.models.map((m) => pyString(m, style)).join(', ')}]`;
}

/**
 * Django's `cache_page(timeout, key_prefix=...)` → `djcache.cache_page(timeout, depends_on=[...], key_prefix=...)`, as a
 * decorator, inside `method_decorator(...)` or applied in urls.py. A `cache=` alias other than the default has no equivalent.
 */
function pageEdits(finding: DeclareTagsFinding, d: DeclareTagsData, text: string): Rewrite {
  const plan = withSyntax(
    text,
    (root): { span: [number, number]; text: string; name: string } | { unavailable: string } | undefined => {
      const names = moduleNames(root, text);
      const outer = nodeAt(root, 'call', finding.loc);
      const isCachePage = (c: Node) => {
        const fn = c.childForFieldName('function');
        return fn?.type === 'identifier' && names.bound.get(fn.text) === DJANGO_CACHE_PAGE;
      };
      // descendantsOfType starts with the node itself.
      const call = outer
        ?.descendantsOfType('call')
        .filter((c): c is Node => !!c)
        .find(isCachePage);
      const args = call && argsOf(call);
      if (
        !call ||
        !args ||
        args.positional.length > 1 ||
        [...args.kw.keys()].some((k) => !['timeout', 'cache', 'key_prefix'].includes(k))
      )
        return undefined;
      const timeout = args.positional[0] ?? args.kw.get('timeout');
      if (!timeout) return undefined;
      if (timeout.type === 'none') {
        return {
          unavailable:
            "cache_page(None) takes each page's timeout from its Cache-Control max-age or CACHE_MIDDLEWARE_SECONDS, while djcache.cache_page(None) never expires.",
        };
      }
      const alias = args.kw.get('cache');
      if (alias && !/^(["'])default\1$/.test(alias.text))
        return {
          unavailable: `cache_page(..., cache=${alias.text}) caches the view outside the default cache; ${ENTRIES_CACHE}.`,
        };
      const prefix = args.kw.get('key_prefix');
      const parts = [
        timeout.text,
        dependsOn(d, pythonStyle(root, text)),
        ...(prefix ? [`key_prefix=${prefix.text}`] : []),
      ];
      return {
        span: [call.startIndex, call.endIndex],
        text: `djcache.cache_page(${parts.join(', ')})`,
        name: call.childForFieldName('function')!.text,
      };
    },
  );
  if (!plan || 'unavailable' in plan) return plan;
  return swapped(text, plan.span, plan.text, plan.name);
}

/**
 * `@memoize(...)` of a project decorator → `@djcache.memoize(timeout, depends_on=[...])`, when the
 * decorator's definition shows the runtime would do the same: one write to the default cache whose
 * timeout is a literal or the parameter the call passes, and no attribute on the wrapper but an
 * `invalidate` that drops the entry the same arguments cache (as the runtime's does).
 */
function memoizeEdits(finding: DeclareTagsFinding, d: DeclareTagsData, text: string, files: SourceFiles): Rewrite {
  const dec = d.decorator;
  const source = dec && files.read(dec.path);
  if (!dec || source === undefined) return undefined;
  if (finding.data.alias !== 'default')
    return { unavailable: `${dec.qual} caches in the "${finding.data.alias}" cache; ${ENTRIES_CACHE}.` };
  const def = withSyntax(source, (root) => decoratorDefinition(root, dec));
  if (!def || 'unavailable' in def) return def;
  const plan = withSyntax(
    text,
    (
      root,
    ): { span: [number, number]; text: string; name: string | undefined } | { unavailable: string } | undefined => {
      const site =
        nodeAt(root, 'call', finding.loc) ??
        nodeAt(root, 'identifier', finding.loc) ??
        nodeAt(root, 'attribute', finding.loc);
      if (!site) return undefined;
      const fn = site.type === 'call' ? site.childForFieldName('function')! : site;
      const args = site.type === 'call' ? argsOf(site) : { positional: [], kw: new Map<string, Node>() };
      if (!args || args.positional.length > def.params.length) return undefined;
      const bound = new Map<string, string>([
        ...args.positional.map((a, i): [string, string] => [def.params[i].name, a.text]),
        ...[...args.kw].map(([k, v]): [string, string] => [k, v.text]),
      ]);
      const other = [...bound.keys()].find((p) => p !== def.timeoutParam);
      if (other) return { unavailable: `${dec.qual}(${other}=...) has no djcache.memoize equivalent.` };
      const param = def.params.find((p) => p.name === def.timeoutParam);
      const timeout = def.timeout ?? bound.get(def.timeoutParam!) ?? param?.default;
      if (timeout === undefined) return undefined;
      if (!LITERAL.test(timeout) && !bound.has(def.timeoutParam!)) {
        return {
          unavailable: `${dec.qual}'s default timeout (${timeout}) is written in terms of its own module, which the decorated function's module may not see.`,
        };
      }
      return {
        span: [site.startIndex, site.endIndex],
        text: `djcache.memoize(${timeout}, ${dependsOn(d, pythonStyle(root, text))})`,
        name: fn.type === 'identifier' ? fn.text : undefined,
      };
    },
  );
  if (!plan || 'unavailable' in plan) return plan;
  return swapped(text, plan.span, plan.text, plan.name);
}

/** A number, None or arithmetic on numbers: text that means the same in any module. */
const LITERAL = /^(None|[\d_.eE\s()+\-*/]+)$/;

interface DecoratorDefinition {
  params: { name: string; default: string | undefined }[];
  /** The parameter the write's timeout is, or the literal it is. */
  timeoutParam?: string;
  timeout?: string;
}

/** What the project decorator's definition says, or why djcache.memoize cannot stand in for it. */
function decoratorDefinition(
  root: Node,
  dec: NonNullable<DeclareTagsData['decorator']>,
): DecoratorDefinition | { unavailable: string } | undefined {
  const name = nodeAt(root, 'identifier', dec.nameLoc);
  const factory = name?.parent?.type === 'function_definition' ? name.parent : undefined;
  const params = factory && paramsOf(factory);
  if (!factory || !params) return undefined;
  const write = factory
    .descendantsOfType('call')
    .filter((c): c is Node => !!c)
    .find((c) => {
      const fn = c.childForFieldName('function');
      return fn?.type === 'attribute' && ['set', 'add', 'get_or_set'].includes(fn.childForFieldName('attribute')!.text);
    });
  const writeArgs = write && argsOf(write);
  const wrapper = write && enclosing(write);
  if (!write || !writeArgs || !wrapper || wrapper.id === factory.id || !writeArgs.positional[0]) return undefined;
  const timeout = writeArgs.positional[2] ?? writeArgs.kw.get('timeout');
  if (!timeout)
    return {
      unavailable: `${dec.qual} stores without a timeout, so the cache's TIMEOUT applies; djcache.memoize would apply DJCACHE["DEFAULT_TIMEOUT"].`,
    };
  const timeoutParam =
    timeout.type === 'identifier' && params.some((p) => p.name === timeout.text) ? timeout.text : undefined;
  if (!timeoutParam && !LITERAL.test(timeout.text))
    return { unavailable: `${dec.qual} computes its timeout (${timeout.text}), which djcache.memoize cannot repeat.` };
  const key = keyText(wrapper, writeArgs.positional[0]);
  const wrapperName = wrapper.childForFieldName('name')!.text;
  for (const a of factory.descendantsOfType('assignment').filter((x): x is Node => !!x)) {
    const left = a.childForFieldName('left');
    if (left?.type !== 'attribute' || left.childForFieldName('object')?.text !== wrapperName) continue;
    const attr = left.childForFieldName('attribute')!.text;
    if (attr !== 'invalidate')
      return { unavailable: `${dec.qual} gives the function a .${attr} attribute, which djcache.memoize does not.` };
    const value = a.childForFieldName('right');
    const inv =
      value?.type === 'identifier'
        ? factory
            .descendantsOfType('function_definition')
            .find((f) => f?.childForFieldName('name')?.text === value.text)
        : undefined;
    const same =
      inv &&
      inv.childForFieldName('parameters')?.text === wrapper.childForFieldName('parameters')?.text &&
      inv.descendantsOfType('call').some((c) => {
        const fn = c?.childForFieldName('function');
        const arg = c && argsOf(c)?.positional[0];
        return (
          fn?.type === 'attribute' &&
          fn.childForFieldName('attribute')!.text === 'delete' &&
          arg &&
          keyText(inv, arg) === key
        );
      });
    if (!same)
      return {
        unavailable: `${dec.qual}'s .invalidate(...) does not drop exactly the entry the same arguments cache, as djcache.memoize's .invalidate(...) does, so its callers would change behaviour.`,
      };
  }
  return { params, ...(timeoutParam ? { timeoutParam } : { timeout: timeout.text }) };
}

/** A function's parameters with their default's text; undefined with `*args`/`**kwargs`, which make the mapping unknowable. */
function paramsOf(fn: Node): DecoratorDefinition['params'] | undefined {
  const out: DecoratorDefinition['params'] = [];
  for (const p of namedKids(fn.childForFieldName('parameters')!)) {
    if (p.type === 'identifier') out.push({ name: p.text, default: undefined });
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter')
      out.push({ name: p.childForFieldName('name')!.text, default: p.childForFieldName('value')!.text });
    else if (p.type === 'typed_parameter' && p.firstNamedChild?.type === 'identifier')
      out.push({ name: p.firstNamedChild.text, default: undefined });
    else if (p.type !== 'keyword_separator' && p.type !== 'positional_separator') return undefined;
  }
  return out;
}

/** The key expression's text, through one local `key = ...` assignment of the function. */
function keyText(fn: Node, key: Node): string {
  if (key.type !== 'identifier') return key.text;
  const assign = fn.descendantsOfType('assignment').find((a) => a?.childForFieldName('left')?.text === key.text);
  return assign?.childForFieldName('right')?.text ?? key.text;
}

/**
 * `span` of `text` becomes `replacement`, which uses `djcache.`: `import djcache` is added, and the
 * import of `oldName` dropped when nothing else uses it. The imports are planned on the text with
 * the call replaced, so that a dropped line and an added one do not meet as overlapping edits.
 */
function swapped(
  text: string,
  span: [number, number],
  replacement: string,
  oldName: string | undefined,
): TextEdit[] | undefined {
  const step1 = text.slice(0, span[0]) + replacement + text.slice(span[1]);
  const step2 = withSyntax(step1, (root) => {
    const drop =
      oldName && !usesName(root, oldName)
        ? dropImport(step1, moduleNames(root, step1), oldName, pythonStyle(root, step1))
        : undefined;
    return drop ? applyEdits(step1, [drop]) : step1;
  });
  const step3 =
    step2 === undefined
      ? undefined
      : withSyntax(step2, (root) => {
          const imports = planImports(
            step2,
            moduleNames(root, step2),
            [{ module: 'djcache' }],
            pythonStyle(root, step2),
          );
          return 'conflict' in imports ? undefined : applyEdits(step2, imports);
        });
  if (step3 === undefined || !parsesCleanly(step3)) return undefined;
  const call = replaceSpan(text, span[0], span[1], replacement);
  if (step3 === step1) return [call];
  // Import lines above the call are at the same offsets in `text` and `step1`.
  const imports = changedLines(step1, step3);
  return offsetAt(step1, imports.range[2], imports.range[3]) <= span[0] ? [imports, call] : [changedLines(text, step3)];
}

/** Is `name` read anywhere outside imports (attribute names and keyword names are not reads of it)? */
function usesName(root: Node, name: string): boolean {
  return root.descendantsOfType('identifier').some((n) => {
    const p = n?.parent;
    if (!n || n.text !== name || !p) return false;
    if (p.type === 'dotted_name' || p.type === 'aliased_import') return false;
    return !(
      (p.type === 'attribute' && p.childForFieldName('attribute')?.id === n.id) ||
      (p.type === 'keyword_argument' && p.childForFieldName('name')?.id === n.id)
    );
  });
}

/**
 * `{% cache timeout name vary... %}...{% endcache %}` → `{% tagged_cache timeout name vary... depends_on="..." %}...{% endtagged_cache %}`,
 * and `djcache` loaded beside `cache` (in its place when no other `{% cache %}` is left).
 */
function fragmentEdits(finding: DeclareTagsFinding, d: DeclareTagsData, text: string): Rewrite {
  if (finding.data.alias !== 'default')
    return { unavailable: `{% cache %} stores this fragment in the "${finding.data.alias}" cache; ${ENTRIES_CACHE}.` };
  const tags = [...text.matchAll(TOKEN_RE)]
    .map((m) => ({ start: m.index!, end: m.index! + m[0].length, bits: bitsOf(m[0]) }))
    .filter((t) => t.bits.length);
  const open = tags.findIndex(
    (t) => t.start === offsetAt(text, finding.loc[0], finding.loc[1]) && t.bits[0] === 'cache',
  );
  if (open < 0) return undefined;
  let depth = 0;
  const close = tags.findIndex(
    (t, i) => i > open && (depth += t.bits[0] === 'cache' ? 1 : t.bits[0] === 'endcache' ? -1 : 0) < 0,
  );
  let args = tags[open].bits.slice(1);
  if (args[args.length - 1]?.startsWith('using=')) args = args.slice(0, -1);
  // tagged_cache reads every `x=y` after the name as an option.
  if (close < 0 || args.length < 2 || args.slice(2).some((a) => a.includes('='))) return undefined;
  const edits = [
    replaceSpan(
      text,
      tags[open].start,
      tags[open].end,
      `{% tagged_cache ${args.join(' ')} depends_on="${d.models.join(' ')}" %}`,
    ),
    replaceSpan(text, tags[close].start, tags[close].end, '{% endtagged_cache %}'),
  ];
  const loads = tags.filter((t) => t.bits[0] === 'load' && !t.bits.includes('from'));
  if (loads.some((t) => t.bits.includes('djcache'))) return edits;
  const load = loads.find((t) => t.bits.includes('cache'));
  const othersLeft = tags.some((t, i) => i !== open && t.bits[0] === 'cache');
  if (!load) {
    // `cache` is a builtin here: the new library is loaded first thing after any {% extends %}.
    const ext = tags.find((t) => t.bits[0] === 'extends');
    const at = ext ? text.indexOf('\n', ext.end) + 1 || text.length : 0;
    return [...edits, replaceSpan(text, at, at, `${ext && at === text.length ? '\n' : ''}{% load djcache %}\n`)];
  }
  const libraries = load.bits.slice(1).map((b) => (b === 'cache' && !othersLeft ? 'djcache' : b));
  return [
    ...edits,
    replaceSpan(
      text,
      load.start,
      load.end,
      `{% load ${[...libraries, ...(othersLeft ? ['djcache'] : [])].join(' ')} %}`,
    ),
  ];
}

/** The words of a `{% ... %}` tag, quotes kept together as Django's split_contents does; none for other tokens. */
function bitsOf(token: string): string[] {
  return token.startsWith('{%') ? splitArgs(token.slice(2, -2)).map((a) => a.text) : [];
}
