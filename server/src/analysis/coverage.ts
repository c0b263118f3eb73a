/** Coverage: for each (entry, model it reads), which writes of the model an invalidation reaches and which leave the entry stale. */
import type { ChangeKind, Cover } from '../../../shared/graph';
import type { CacheopsDeclaration, Entry, EntryCoverage, Invalidation, Trigger } from './analysis';
import { triggerText } from './analysis';
import type { CallerSite, Reach } from './callGraph';
import { type CacheOp, opPlace, type Pos, runsBefore, type WriteSite } from './domain/events';
import { countedModels, type KeyPattern, matchKeys, shownToMatch, versionKeys } from './domain/keys';
import { KeyIndex } from './domain/keyIndex';
import { groupBy } from './domain/groups';
import { modelName, type ModelRegistry } from './models';
import { guardRunsOn } from './guards';
import { declares, sameRows, type TagDeclaration } from './tags';
import { productionFirst } from './writeOrigin';
import { type Dep, fnId, fnIndex } from './domain/values';
import { sameVersion } from './domain/versions';
import { bumpsEntry } from './versionRows';
import { NO_WRITE_ONCE, type WriteOnce } from './writeOnce';

/**
 * Each entry's coverage per model it reads, and whether any invalidation reaches the entry at all.
 * Immutable entries have none.
 */
export function coverEntries(
  entries: Entry[],
  invalidations: Invalidation[],
  writes: WriteSite[],
  models: ModelRegistry,
  reach: Reach,
  instantiated: ReadonlySet<string | undefined> = new Set(),
  callers: Callers = NO_CALLERS,
  writeOnce: WriteOnce = NO_WRITE_ONCE,
): { coverage: EntryCoverage[]; invalidatedAtAll: Map<string, boolean> } {
  const coverage: EntryCoverage[] = [];
  const invalidatedAtAll = new Map<string, boolean>();
  // Findings quote the first write: production code before commands, sample data and tests (what
  // the team acts on), then writes that may change any column (a reviewer agrees with those at
  // once; a `save(update_fields=[...])` of another column may not matter).
  const ranked = productionFirst([...writes].sort((x, y) => Number(!!x.columns) - Number(!!y.columns)));
  const writesOf = groupBy(ranked, (w) => w.model);
  const byKey = new KeyIndex(
    invalidations,
    (inv) => inv.key,
    (inv) => inv.method === 'clear',
  );
  // Version rows' bumps are writes, not keyed deletes: every entry looks at them.
  const rowBumps = invalidations.filter((inv) => inv.bumpsRow);
  for (const entry of entries) {
    if (entry.immutable) continue;
    const ownVersionKeys = entry.versionCounter
      ? [...versionKeys(entry.key), entry.versionCounter]
      : versionKeys(entry.key);
    const matching = [...new Set([...byKey.candidates([entry.key, ...ownVersionKeys], true), ...rowBumps])].filter(
      (inv) => invalidates(inv, entry, ownVersionKeys, instantiated),
    );
    if (entry.cacheops) matching.push(cacheopsInvalidation(entry, entry.cacheops, models));
    // A new row among those the key counts makes a new key: the old entry is never read again.
    const counted = countedModels(entry.key);
    const covs = entry.deps.map((dep) => {
      const relevant = (writesOf.get(dep.model) ?? []).filter(
        (w) =>
          changesColumns(w, dep, writeOnce) &&
          !(w.insertsOnly && dep.pointedTo) &&
          !(w.kind === 'delete' && entry.rowKeyed?.includes(w.model)) &&
          !orphansOnly(w, entry, dep, models),
      );
      const newKey = relevant.filter((w) => w.insertsOnly && counted.includes(w.model));
      const changing = newKey.length ? relevant.filter((w) => !newKey.includes(w)) : relevant;
      const cov =
        entry.tags && declares(entry.tags, dep.model, models)
          ? declaredCoverage(entry, dep, entry.tags, changing)
          : coverEntry(entry, dep, matching, changing, reach, callers);
      return newKey.length ? { ...cov, newKeyOnInsert: newKey } : cov;
    });
    // A delete or refresh of the key in another function is deliberate invalidation, even when
    // the engine cannot tell which write it follows: the entry does not rely on its timeout alone.
    const elsewhere = matching.some(
      (inv) => inv.fnId !== entry.fnId && (!!inv.bumpsRow || matchKeys(entry.key, inv.key) !== 'conservative'),
    );
    invalidatedAtAll.set(
      entry.id,
      elsewhere || covs.some((c) => c.coveredBy.length > 0 || Object.values(c.byKind).some((k) => k.state === 'yes')),
    );
    coverage.push(...covs);
  }
  return { coverage, invalidatedAtAll };
}

/**
 * Whether the op of `inv` is shown to drop or refresh what `entry` holds (alias, key and version
 * agree; `entryVersionKeys` are the version keys the entry's key and `version=` read). A key the engine cannot resolve, on either side, shows nothing: it is no coverage.
 * A version key a wrapper builds from its parameters (`"gen:" + namespace(key)`) names one
 * namespace per call: where calls of the wrapper were worked out (`instantiated`), those bump
 * versions, and its own pattern, which would match every namespace, does not.
 */
function invalidates(
  inv: Invalidation,
  entry: Entry,
  entryVersionKeys: KeyPattern[],
  instantiated: ReadonlySet<string | undefined>,
): boolean {
  if (inv.bumpsRow) return bumpsEntry(inv, entry);
  if (inv.alias !== entry.alias && inv.alias !== '?' && entry.alias !== '?') return false;
  if (inv.method === 'clear') return true;
  // add() never replaces a counter that is there: it starts one, it does not bump it.
  const bumpsVersion =
    inv.key &&
    inv.method !== 'add' &&
    !(inv.derived && instantiated.has(opPlace(inv))) &&
    entryVersionKeys.some((vk) => shownToMatch(matchKeys(vk, inv.key)));
  if (bumpsVersion) return true;
  if (inv.method === 'incr' || inv.method === 'decr') return false;
  if (!sameVersion(entry, inv)) return false;
  return shownToMatch(matchKeys(entry.key, inv.key));
}

/**
 * An invalidation of `matching` that runs in the same request as the write at `at` in function
 * `fn` (or, with `call`, as the statement that calls the writing function): in `fn` or a
 * callee (a save() or delete() override included), preferably after the write; one before it
 * counts too when it runs on every path to the write (only a concurrent reader between the two
 * sees old rows, the race DJC105 describes for transactions). A delete, or a call reaching one, in
 * a branch the write may be reached without is no coverage. Inside a called function, a delete's
 * own conditions count as they do in receivers and overrides (`if not self.is_public():` is that
 * function's decision of when its entries go stale).
 */
function inSameRequest(
  fn: string,
  at: Pos,
  matching: Invalidation[],
  reach: Reach,
  call?: Pos,
): { op: CacheOp; after: boolean } | undefined {
  // What a caller reaches through its call of the writing function runs in that function, not after it.
  const ops = reach(fn).filter(
    (r) => r.pos !== call && matching.some((m) => m.file === r.op.file && m.loc === r.op.loc),
  );
  // A version row's bump is a write, not a cache op: reach does not list it, its own function does.
  for (const m of matching) if (m.bumpsRow && m.fnId === fn) ops.push({ op: m, pos: m.pos });
  ops.sort((x, y) => x.pos.line - y.pos.line);
  const after = ops.find((r) => r.pos.line >= at.line);
  if (after) return { op: after.op, after: true };
  const before = ops.filter((r) => runsBefore(r.pos, at));
  return before.length ? { op: before[before.length - 1].op, after: false } : undefined;
}

/** Calls between functions, as coverage credits them (workspaceAnalysis.ts builds them). */
export interface Callers {
  of: (fnId: string) => CallerSite[];
  /** Functions whose every call the engine sees: form save() methods Django does not call itself (formSaves.ts). */
  creditable: ReadonlySet<string>;
  name: (fnId: string) => string;
}

const NO_CALLERS: Callers = { of: () => [], creditable: new Set(), name: (id) => id };

/** How many callers up coverage looks for an invalidation after a call of a writing function. */
const CALLER_LEVELS = 3;

/**
 * An invalidation of `matching` that runs in every caller of function `fn`, after (or, on every
 * path, before) its call: the writes in `fn` are then covered in the same request. Only for a
 * function whose every call the engine sees (`creditable`), called at least once and never
 * deferred; a caller that is itself such a function may leave it to its own callers.
 */
function afterEveryCall(
  fn: string,
  matching: Invalidation[],
  reach: Reach,
  callers: Callers,
  level = 1,
): { op: CacheOp; caller: string } | undefined {
  if (!callers.creditable.has(fn)) return undefined;
  const calls = callers.of(fn);
  if (!calls.length || calls.some((c) => c.deferred)) return undefined;
  let first: { op: CacheOp; caller: string } | undefined;
  for (const c of calls) {
    const found = inSameRequest(c.from, c.pos, matching, reach, c.pos);
    const covered = found
      ? { op: found.op, caller: c.from }
      : level < CALLER_LEVELS
        ? afterEveryCall(c.from, matching, reach, callers, level + 1)
        : undefined;
    if (!covered) return undefined;
    first ??= covered;
  }
  return first;
}

/**
 * Whether a write can change what a dep reads: unless both name their columns and share none (a
 * foreign key `x` is column `x_id`), or the dep reads only write-once columns of rows that exist
 * (it reads rows others point to), which a save() writes back as it loaded them.
 */
function changesColumns(w: WriteSite, dep: Dep, writeOnce: WriteOnce): boolean {
  if (w.kind === 'save' && dep.pointedTo && dep.columns?.every((c) => writeOnce(dep.model, c))) return false;
  if (!w.columns || !dep.columns) return true;
  const column = (c: string) => c.replace(/_id$/, '');
  return w.columns.some((c) => dep.columns!.some((d) => column(d) === column(c)));
}

/**
 * Deleting the one row a model's method caches, under a key holding that row's primary key,
 * leaves an entry nobody asks for again (the method needs the row to build the key): orphaned,
 * not stale.
 */
function orphansOnly(w: WriteSite, entry: Entry, dep: Dep, models: ModelRegistry): boolean {
  if (w.kind !== 'delete' || !dep.oneRow) return false;
  return !!entry.key?.parts.some(
    (p) =>
      'hole' in p &&
      p.source.kind === 'field' &&
      models.isOrInherits(dep.model, p.source.model) &&
      (p.source.field === 'id' || p.source.field === 'pk'),
  );
}

/**
 * An invalidation in the override's own body. One reached through its callees may be another
 * row's (`story.save()` in `File.delete()` reaching `File.save()` of a new photo) or may run only
 * for some rows: a write skipping the override is known to escape only the override's own.
 */
function overrideOwnInvalidation(inv: Invalidation, t: Extract<Trigger, { t: 'override' }>): boolean {
  const fn = inv.file.functions[fnIndex(inv.fnId)];
  return !!fn && inv.file.path === t.path && fn.nameLoc[0] === t.loc[0] && fn.nameLoc[1] === t.loc[1];
}

/** `inv` is the own-body invalidation of the override a write skipping it (`QuerySet.delete()`) bypasses. */
export function skippedOverrideInvalidation(inv: Invalidation, w: WriteSite): boolean {
  return (
    !!w.skipsOverride &&
    inv.triggers.some(
      (t) => t.t === 'override' && t.model === w.model && t.kind === w.kind && overrideOwnInvalidation(inv, t),
    )
  );
}

function coverEntry(
  entry: Entry,
  dep: Dep,
  matching: Invalidation[],
  writes: WriteSite[],
  reach: Reach,
  callers: Callers,
): EntryCoverage {
  const coveredBy: { inv: Invalidation; how: string }[] = [];
  const triggerCovers = (t: Trigger, w: WriteSite, inv: Invalidation): boolean => {
    const sender = t.t === 'signal' && (t.senders === null || t.senders.includes(w.model));
    // cacheops' own invalidation (`by`) also runs on its invalidated_update(), which sends no signal.
    if (t.t === 'signal' && t.by && w.cacheopsInvalidated) return sender;
    if (t.t === 'signal') return w.signals && t.kind === w.kind && sender;
    if (t.t === 'override')
      return (
        t.model === w.model &&
        t.kind === w.kind &&
        w.kind !== 'bulk' &&
        w.kind !== 'm2m' &&
        // A write skipping the override escapes what the override's own body invalidates; one its
        // callees reach may be other rows' and is given the benefit of the doubt.
        !(w.skipsOverride && overrideOwnInvalidation(inv, t))
      );
    return !!w.owner && t.owner === fnId(w.owner.file, w.owner.idx);
  };
  for (const inv of matching) {
    for (const t of inv.triggers) {
      const relevant =
        t.t === 'signal'
          ? t.senders === null || t.senders.includes(dep.model)
          : t.t === 'override'
            ? t.model === dep.model
            : false;
      if (relevant && !coveredBy.some((c) => c.inv === inv)) coveredBy.push({ inv, how: triggerText(t) });
    }
  }
  const uncovered: WriteSite[] = [];
  const bypassing: WriteSite[] = [];
  const byKind: Record<ChangeKind, Cover> = {
    save: { state: 'none' },
    delete: { state: 'none' },
    m2m: { state: 'none' },
    bulk: { state: 'none' },
  };
  // A direct write to a through model bypasses the m2m_changed receivers that cover the relation.
  const m2mReceiver = matching.some((inv) =>
    inv.triggers.some(
      (t) => t.t === 'signal' && t.kind === 'm2m' && (t.senders === null || t.senders.includes(dep.model)),
    ),
  );
  // The save of the row a form writes first (an admin inline's parent) runs in the same request.
  const parentSave = (w: WriteSite): WriteSite | undefined =>
    w.savedWith ? { ...w, model: w.savedWith, kind: 'save', signals: true } : undefined;
  // A guarded invalidation covers only the saves that change the columns its test checks.
  const coveringTrigger = (inv: Invalidation, w: WriteSite): { t: Trigger; withParent: boolean } | undefined => {
    if (inv.guard && !guardRunsOn(inv.guard, w, dep)) return undefined;
    const own = inv.triggers.find((t) => triggerCovers(t, w, inv));
    if (own) return { t: own, withParent: false };
    const parent = parentSave(w);
    const viaParent = parent && inv.triggers.find((t) => triggerCovers(t, parent, inv));
    return viaParent ? { t: viaParent, withParent: true } : undefined;
  };
  for (const w of writes) {
    const cover = byKind[w.kind];
    const bySignal = matching.map((inv) => ({ inv, trigger: coveringTrigger(inv, w) })).find((m) => m.trigger);
    const atSite = w.fnId && w.pos ? inSameRequest(w.fnId, w.pos, matching, reach) : undefined;
    const byCaller = !bySignal && !atSite && w.fnId ? afterEveryCall(w.fnId, matching, reach, callers) : undefined;
    if (bySignal || atSite || byCaller) {
      const by = bySignal?.inv ?? atSite?.op ?? byCaller!.op;
      if (cover.state !== 'no') {
        cover.state = 'yes';
        cover.by ??= [];
        const how = bySignal
          ? `${triggerText(bySignal.trigger!.t)}${bySignal.trigger!.withParent ? `, with the ${modelName(w.savedWith!)} saved by the same form` : ''}`
          : byCaller
            ? `in ${callers.name(byCaller.caller)}(), which calls ${callers.name(w.fnId!)}()`
            : atSite!.after
              ? 'right after the write'
              : 'just before the write, in the same function';
        if (!cover.by.some((b) => b.path === by.file.path && b.loc === by.loc))
          cover.by.push({ path: by.file.path, loc: by.loc, how });
      }
      continue;
    }
    cover.state = 'no';
    if (
      w.kind === 'bulk' ||
      (w.throughWrite && m2mReceiver) ||
      matching.some((inv) => skippedOverrideInvalidation(inv, w))
    )
      bypassing.push(w);
    else uncovered.push(w);
  }
  const cov: EntryCoverage = { entry, model: dep.model, dep, byKind, writes, uncovered, coveredBy, bypassing };
  const guardedBy = matching.flatMap((inv) =>
    inv.guard && uncovered.some((w) => inv.triggers.some((t) => triggerCovers(t, w, inv))) ? [inv.guard] : [],
  );
  return guardedBy.length ? { ...cov, guardedBy } : cov;
}

/**
 * cacheops invalidates its entries (`cached_as`, `.cache()`, the queries `CACHEOPS` caches) from
 * its own post_save, post_delete and m2m_changed receivers for the samples' models (and their m2m
 * through tables), and on its bulk_create() and invalidated_update(); QuerySet.update(),
 * bulk_update() and raw SQL send no signal and leave them stale, as for any receiver.
 */
function cacheopsInvalidation(entry: Entry, decl: CacheopsDeclaration, models: ModelRegistry): Invalidation {
  const senders = decl.opaque
    ? null
    : [...models.byId.keys()].filter((id) => decl.models.some((m) => sameRows(m, id, models)));
  const { file } = decl;
  const samples = decl.opaque ? '…' : decl.models.join(', ');
  const by =
    decl.decorator === 'auto'
      ? "cacheops' own receivers"
      : decl.decorator === 'cache'
        ? `cacheops .cache() of ${samples}`
        : `cacheops @${decl.decorator}(${samples})`;
  const triggers: Trigger[] = (['save', 'delete', 'm2m'] as const).map((kind) => ({
    t: 'signal',
    kind,
    senders,
    by,
    hookup: { file, loc: entry.loc, signal: { model: kind }, receiver: entry.fnId ?? entry.id, senders },
  }));
  return {
    file,
    loc: entry.loc,
    method: 'delete',
    alias: entry.alias,
    key: entry.key,
    value: null,
    timeout: 'default',
    version: entry.version,
    fnId: entry.fnId ?? entry.id,
    pos: { block: 0, index: 0, line: entry.loc[0] },
    inAtomic: false,
    triggers,
  };
}

/** A model the entry's tags declare: the runtime invalidates the entry on every kind of write to it. */
function declaredCoverage(entry: Entry, dep: Dep, tags: TagDeclaration, writes: WriteSite[]): EntryCoverage {
  const how = tags.zeroCode ? `zero-code mode (DJCACHE["AUTO_TAG"] names '${tags.zeroCode.alias}')` : 'tag declaration';
  const by = [{ path: tags.path, loc: tags.loc, how }];
  const yes = (): Cover => ({ state: 'yes', by });
  return {
    entry,
    model: dep.model,
    dep,
    byKind: { save: yes(), delete: yes(), m2m: yes(), bulk: yes() },
    writes,
    uncovered: [],
    coveredBy: [],
    bypassing: [],
    declaredBy: tags,
  };
}
