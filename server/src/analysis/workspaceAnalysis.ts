/**
 * Workspace analysis: runs the interpreter over every function, then builds the map
 * entry → models it reads → writes of those models → invalidations that reach the entry.
 */
import type { Config } from '../config/config';
import type { PythonFacts } from '../facts/types';
import type { Analysis, FileAnalysis, Invalidation, PageRoute } from './analysis';
import { fnIndex, type Shape } from './domain/values';
import { callEdges, callersOf, computeTriggers, DELETE_LIKE, methodTriggers, reachableOps } from './callGraph';
import { type Callers, coverEntries } from './coverage';
import { collectWhatMatters } from './demand';
import {
  cacheopsAutoEntries,
  cacheopsReads,
  fileEntries,
  fragmentEntries,
  holdsFragment,
  isStored,
  opEntries,
  renderedFragmentReads,
} from './entries';
import { inFile } from './fileError';
import { fieldGuardOf } from './guards';
import type { CacheOp, FnEvents } from './domain/events';
import { implicitWrites } from './implicitWrites';
import { formSaves, unseenFormSaves } from './formSaves';
import { expandKeyGroups } from './keyGroups';
import { Interpreter } from './interp';
import { ModelRegistry } from './models';
import { fileMemoDicts, memoDictMethods } from './memoDicts';
import { rowBumps } from './versionRows';
import { zeroCodeDeclaration } from './tags';
import type { Workspace } from './workspace';
import { writeOnceColumns } from './writeOnce';

/**
 * The analysis of a workspace. `parts` are the registry and each Python file's analysis, in
 * workspace order, when the caller has them (the language server reuses them between edits);
 * otherwise every file is analysed now by one interpreter.
 */
export function analyzeFacts(
  ws: Workspace,
  config: Config,
  parts?: { models: ModelRegistry; files: FileAnalysis[] },
): Analysis {
  const models = parts?.models ?? new ModelRegistry(ws);
  const files = parts?.files ?? analyzeWorkspaceUnit(ws, models, config);
  const events = new Map<string, FnEvents>();
  for (const f of files) for (const [id, ev] of f.events) events.set(id, ev);
  const ops = files.flatMap((f) => f.ops);
  const writes = [...files.flatMap((f) => f.writes), ...files.flatMap((f) => f.implicitWrites)];
  const adminRegistered = new Set(files.flatMap((f) => f.adminRegistered));

  const entries = [
    ...opEntries(ops),
    ...files.flatMap((f) => f.entries),
    ...fragmentEntries(ws, models, files),
    ...cacheopsAutoEntries(ws, models, files),
  ]
    .filter(isStored)
    .map((e) => {
      const tags = e.cacheops ? undefined : zeroCodeDeclaration(e, ws.settings.autoTag);
      return tags ? { ...e, tags } : e;
    });
  const edges = callEdges(events);
  const triggers = computeTriggers(events, files, edges);
  const invalidating = (o: CacheOp): Invalidation => {
    const guard = fieldGuardOf(o.file, o.fnId, o.loc[0]);
    return { ...o, triggers: triggers.get(o.fnId) ?? [], ...(guard && { guard }) };
  };
  const invalidates = (o: CacheOp) => DELETE_LIKE.has(o.method) || o.method === 'delete_pattern';
  const invalidations: Invalidation[] = expandKeyGroups(ops.filter(invalidates).map(invalidating), ops);
  // What wrappers' calls invalidate, with their arguments (instantiateWrapperOps): coverage only.
  const instances = files
    .flatMap((f) => f.instances)
    .filter(invalidates)
    .map(invalidating);
  const instantiated = new Set(instances.map((o) => o.instanceOf));

  const reach = reachableOps(events, edges);
  const bumps = rowBumps(entries, writes, triggers);
  // Form save() methods whose every call the engine sees: coverage may credit their callers.
  const unseen = new Set(files.flatMap((f) => f.formSaves.unseen));
  const callers: Callers = {
    of: callersOf(events),
    creditable: new Set(files.flatMap((f) => f.formSaves.own).filter((id) => !unseen.has(id))),
    name: (id) => fnQual(ws, id),
  };
  const { coverage, invalidatedAtAll } = coverEntries(
    entries,
    [...invalidations, ...instances, ...bumps],
    writes,
    models,
    reach,
    instantiated,
    callers,
    writeOnceColumns(ws.python, models),
  );
  return {
    ws,
    models,
    config,
    entries,
    invalidations,
    writes,
    adminRegistered,
    coverage,
    events,
    invalidatedAtAll,
    ops,
    failedWalks: files.flatMap((f) => f.failedWalks),
    memoDicts: files.flatMap((f) => f.memoDicts),
    modelPages: new Set(files.flatMap((f) => f.pageRoutes.map((p) => `${p.model} ${p.route}`))),
  };
}

/**
 * Analyses a group of files with one interpreter that starts from nothing. Inside the unit its
 * memos are shared (later files reuse what earlier ones worked out, so results may depend on the
 * order); nothing is shared with other units, so a unit's analyses are a function of the facts
 * it reads. The workspace and registry memos are cleared for the same reason.
 */
export function analyzeUnit(
  ws: Workspace,
  models: ModelRegistry,
  files: PythonFacts[],
  config: Config,
): FileAnalysis[] {
  const interp = freshInterpreter(ws, models);
  for (const file of files)
    inFile(file.path, () => {
      for (let idx = -1; idx < file.functions.length; idx++) interp.collect(file, idx);
    });
  return fileAnalyses(
    interp,
    models,
    files,
    files.map((file) => inFile(file.path, () => methodTriggers(models, file))),
    config,
    true,
  );
}

/**
 * The whole workspace as one unit, walking only the functions whose events can matter
 * (demand.ts): its analyses equal analyzeUnit's over every file.
 */
function analyzeWorkspaceUnit(ws: Workspace, models: ModelRegistry, config: Config): FileAnalysis[] {
  const interp = freshInterpreter(ws, models);
  const hooks = ws.python.map((file) => inFile(file.path, () => methodTriggers(models, file)));
  // Change hooks, and the methods of classes keeping memo caches (their writes are checked against their drops).
  const roots = [
    ...hooks.flat().map((m) => m.fnId),
    ...ws.python.flatMap((file) => inFile(file.path, () => memoDictMethods(file))),
  ];
  collectWhatMatters(interp, ws.python, new Set(roots));
  return fileAnalyses(
    interp,
    models,
    ws.python,
    hooks,
    config,
    ws.templates.some((t) => inFile(t.path, () => holdsFragment(t))),
  );
}

function freshInterpreter(ws: Workspace, models: ModelRegistry): Interpreter {
  ws.clearMemos();
  models.clearMemos();
  return new Interpreter(ws, models);
}

/**
 * Each file's analysis once its functions are walked; `hooks` are methodTriggers of each file.
 * Fragment reads are worked out only when `fragments` (some template may hold a fragment entry).
 */
function fileAnalyses(
  interp: Interpreter,
  models: ModelRegistry,
  files: PythonFacts[],
  hooks: FileAnalysis['methodTriggers'][],
  config: Config,
  fragments: boolean,
): FileAnalysis[] {
  const admin = files.map(() => new Set<string>());
  const implicit = files.map((file, i) => inFile(file.path, () => implicitWrites(interp, models, file, admin[i])));
  const entries = files.map((file) => inFile(file.path, () => fileEntries(interp, file, config)));
  const cacheops = files.map((file) => inFile(file.path, () => cacheopsReads(interp, file)));
  const memoDicts = files.map((file) => inFile(file.path, () => fileMemoDicts(interp, file)));
  return files.map((file, i) =>
    inFile(file.path, () => {
      const events = interp.walkedEvents(file);
      return {
        events,
        ...opsAndWrites(events),
        entries: entries[i],
        implicitWrites: implicit[i],
        adminRegistered: [...admin[i]],
        fragmentReads: fragments ? renderedFragmentReads(interp, file, events) : new Map(),
        methodTriggers: hooks[i],
        failedWalks: interp.failedWalks.filter((f) => f.path === file.path),
        cacheopsReads: cacheops[i],
        memoDicts: memoDicts[i],
        pageRoutes: interp.ws.settings.siteCache ? modelPageRoutes(interp, models, file) : [],
        formSaves: { own: formSaves(models, file), unseen: unseenFormSaves(interp, models, file) },
      };
    }),
  );
}

/**
 * The routes of each model's own pages: the URL names its `get_absolute_url()` reverses. The
 * per-site cache's page of such a route shows that model's row (`Analysis.modelPages`).
 */
function modelPageRoutes(interp: Interpreter, models: ModelRegistry, file: PythonFacts): PageRoute[] {
  const out: PageRoute[] = [];
  file.classes.forEach((cls, idx) => {
    const model = models.modelOfClass(file, idx);
    const method = cls.methods.get_absolute_url;
    if (!model || method === undefined) return;
    const self: Shape = { k: 'inst', model: model.id, via: [`${model.name} instance`] };
    for (const s of interp.returns({ file, idx: method }, null, self).shapes)
      if (s.k === 'str' && s.key.route !== undefined) out.push({ model: model.id, route: s.key.route });
  });
  return out;
}

function opsAndWrites(events: Map<string, FnEvents>): Pick<FileAnalysis, 'ops' | 'instances' | 'writes'> {
  const all = [...events.values()];
  const ops = all.flatMap((e) => e.ops).filter((o) => !o.template);
  return {
    ops: ops.filter((o) => !o.instanceOf),
    instances: ops.filter((o) => o.instanceOf),
    writes: all.flatMap((e) => e.writes),
  };
}

/** `Class.method` of a function id, for messages. */
function fnQual(ws: Workspace, id: string): string {
  const file = ws.byPath.get(id.slice(0, id.lastIndexOf('#')));
  const fn = file && 'functions' in file ? file.functions[fnIndex(id)] : undefined;
  return fn?.qual ?? id;
}
