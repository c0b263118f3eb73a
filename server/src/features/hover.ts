/**
 * Hover text: which cache entries depend on what, and what invalidates them. Markdown with links;
 * the caller turns (path, loc) into a link target, so this stays free of URIs and protocol types.
 */
import { display } from '../analysis/domain/keys';
import type { ModelInfo } from '../analysis/models';
import { usesCachalot } from '../analysis/libraries';
import { type Analysis, type Entry, type EntryCoverage, entryKeyText, type Invalidation } from '../analysis/analysis';
import type { WriteSite } from '../analysis/domain/events';
import type { Loc } from '../syntax/ir';
import type { ChangeKind } from '../../../shared/graph';
import { timeoutText, writeVerb } from '../wording';
import {
  CHANGE_KINDS,
  coverageOf,
  entriesReachedBy,
  entryAt,
  invalidationAt,
  isUncovered,
  type KeySite,
  keySiteAt,
  modelAt,
  type Position,
  receiverAt,
  sameKeySites,
  unique,
  writeAt,
} from './locate';

export type Linker = (path: string, loc: Loc) => string;

export interface HoverText {
  markdown: string;
  range: Loc;
}

const KIND_TEXT: Record<ChangeKind, string> = {
  save: 'save',
  delete: 'delete',
  m2m: 'm2m change',
  bulk: 'signal-less write',
};

/**
 * The hover at a position, first match wins: an entry, an invalidation, a get of a cached key,
 * a write, a model class, a receiver. `fixUnavailable` says why no invalidation fix is offered.
 */
export function hoverAt(
  a: Analysis,
  path: string,
  p: Position,
  link: Linker,
  fixUnavailable?: (entry: Entry, model: string) => string | undefined,
): HoverText | undefined {
  const md = new Markdown(link);
  const probes: (() => Loc | undefined)[] = [
    () =>
      found(
        entryAt(a, path, p),
        (entry) => describeEntry(md, a, entry, fixUnavailable),
        (entry) => entry.loc,
      ),
    () =>
      found(
        invalidationAt(a, path, p),
        (inv) => describeInvalidation(md, a, inv),
        (inv) => inv.loc,
      ),
    () =>
      found(
        keySiteAt(a, path, p),
        (site) => describeKeySite(md, a, site),
        (site) => site.loc,
      ),
    () =>
      found(
        writeAt(a, path, p),
        (w) => describeWrite(md, a, w),
        (w) => w.loc,
      ),
    () =>
      found(
        modelAt(a, path, p),
        (m) => describeModel(md, a, m),
        (m) => m.file!.classes[m.cls!].nameLoc,
      ),
    () =>
      found(
        receiverAt(a, path, p),
        (r) => describeReceiver(md, a, r.id, r.name),
        (r) => r.loc,
      ),
  ];
  for (const probe of probes) {
    const range = probe();
    if (range) return { markdown: md.text(), range };
  }
  return undefined;
}

/** Describes the thing when there is one at the position, and gives the range the hover covers. */
function found<T>(thing: T | undefined, describe: (t: T) => void, rangeOf: (t: T) => Loc): Loc | undefined {
  if (thing === undefined) return undefined;
  describe(thing);
  return rangeOf(thing);
}

function describeEntry(
  md: Markdown,
  a: Analysis,
  entry: Entry,
  fixUnavailable?: (entry: Entry, model: string) => string | undefined,
): void {
  md.line(`**djcache** · ${kindText(entry)} ${code(entryKeyText(entry))}`);
  md.line(
    `alias ${code(entry.alias)} · timeout ${entry.timeout === 'unknown' ? 'set at run time' : timeoutText(a, entry)}`,
  );
  const zeroCode = entry.tags?.zeroCode;
  if (zeroCode)
    md.line(
      `Zero-code mode: ${code('DJCACHE["AUTO_TAG"]')} names alias ${code(zeroCode.alias)} (${md.at(entry.tags!.path, entry.tags!.loc)}), so the djcache runtime tags this value with the tables and rows its computation reads and every write to them invalidates it.`,
    );
  const covs = coverageOf(a, entry);
  if (!covs.length) {
    md.line('Its value reads no model the engine can see.');
    return;
  }
  md.line('Depends on:');
  for (const c of covs) {
    md.item(`**${c.model}**, read through ${code(c.dep.via.join(' → ') || c.model)} (${md.at(c.dep.path, c.dep.loc)})`);
    for (const kind of CHANGE_KINDS) {
      const line = coverLine(md, c, kind);
      if (line) md.subItem(line);
    }
    const why = isUncovered(c) ? fixUnavailable?.(entry, c.model) : undefined;
    if (why) md.subItem(`no quick-fix: ${why}`);
  }
  if (usesCachalot(a.ws.settings.installedApps))
    md.line(
      'django-cachalot serves these queries from its cache and drops them on every write to their tables; the value stored here is a copy cachalot never deletes, so it needs its own invalidation.',
    );
  const models = new Set(covs.map((c) => c.model));
  const sharing = unique(a.coverage.filter((c) => c.entry !== entry && models.has(c.model)).map((c) => c.entry));
  if (sharing.length) {
    md.line('Shares these tables with:');
    for (const other of sharing.slice(0, 8)) {
      const shared = unique(
        coverageOf(a, other)
          .map((c) => c.model)
          .filter((m) => models.has(m)),
      );
      md.item(`${code(entryKeyText(other))} (${md.at(other.path, other.loc)}) reads ${shared.join(', ')}`);
    }
    if (sharing.length > 8) md.item(`and ${sharing.length - 8} more`);
  }
}

function coverLine(md: Markdown, c: EntryCoverage, kind: ChangeKind): string | undefined {
  const cover = c.byKind[kind];
  if (cover.state === 'none') return undefined;
  if (cover.state === 'yes') {
    const by = cover.by?.[0];
    return `✓ ${KIND_TEXT[kind]}: ${by ? `${by.how} deletes it (${md.at(by.path, by.loc)})` : 'invalidated'}`;
  }
  if (cover.state === 'unknown') return `? ${KIND_TEXT[kind]}: not proven either way`;
  const written = [...c.uncovered, ...c.bypassing].filter((w) => w.kind === kind);
  const where = written
    .slice(0, 3)
    .map((w) => `${w.how} ${writeVerb(w)} it (${md.at(w.file.path, w.loc)})`)
    .join('; ');
  return `✗ ${KIND_TEXT[kind]}: not invalidated; ${where || 'the code writes it'}${written.length > 3 ? `; and ${written.length - 3} more` : ''}`;
}

function describeInvalidation(md: Markdown, a: Analysis, inv: Invalidation): void {
  const target =
    inv.method === 'clear'
      ? `clears the whole ${code(inv.alias)} cache`
      : `${inv.method} ${code(display(inv.key))} on ${code(inv.alias)}`;
  md.line(`**djcache** · invalidation: ${target}`);
  const triggers = unique(
    inv.triggers.map((t) =>
      t.t === 'signal' ? `${signalName(t.kind)}(${t.senders?.join(', ') ?? 'any model'})` : t.name,
    ),
  );
  md.line(
    triggers.length
      ? `Runs on: ${triggers.map(code).join(', ')}`
      : 'Runs only where it is called; no model change is known to trigger it.',
  );
  entryList(md, a, entriesReachedBy(a, inv), 'Invalidates:', 'It reaches no cache entry the engine can see.');
}

function describeKeySite(md: Markdown, a: Analysis, site: KeySite): void {
  md.line(`**djcache** · ${site.method} ${code(display(site.key))} on ${code(site.alias)}`);
  const stores = new Set(sameKeySites(a, site).map((s) => `${s.path}:${s.loc.join(':')}`));
  const entries = a.entries.filter((e) => !e.immutable && stores.has(`${e.path}:${e.loc.join(':')}`));
  entryList(md, a, entries, 'Stored by:', 'No cache entry of the workspace stores this key.');
}

function describeWrite(md: Markdown, a: Analysis, w: WriteSite): void {
  md.line(
    `**djcache** · ${code(w.how)} writes **${w.model}** · ${w.signals ? 'sends signals' : '**sends no signals**'}`,
  );
  const covs = a.coverage.filter((c) => c.model === w.model);
  const stale = unique(covs.filter((c) => c.uncovered.includes(w) || c.bypassing.includes(w)).map((c) => c.entry));
  const fresh = unique(covs.map((c) => c.entry)).filter((e) => !stale.includes(e));
  if (!covs.length) {
    md.line(`No cache entry reads ${w.model}.`);
    return;
  }
  entryList(md, a, fresh, 'Invalidates:', '');
  entryList(md, a, stale, 'Leaves stale:', '');
}

function describeModel(md: Markdown, a: Analysis, m: ModelInfo): void {
  const covs = a.coverage.filter((c) => c.model === m.id);
  const entries = unique(covs.map((c) => c.entry));
  const writes = a.writes.filter((w) => w.model === m.id);
  md.line(`**djcache** · model **${m.id}** · table ${code(m.table)}`);
  md.line(
    `${writes.length} write site${writes.length === 1 ? '' : 's'}${a.adminRegistered.has(m.id) ? ', admin-registered' : ''}`,
  );
  if (!entries.length) {
    md.line('No cache entry reads it.');
    return;
  }
  md.line(`${entries.length} cached entr${entries.length === 1 ? 'y depends' : 'ies depend'} on it:`);
  for (const e of entries) {
    const c = covs.find((x) => x.entry === e)!;
    md.item(`${code(entryKeyText(e))} (${md.at(e.path, e.loc)}): ${kindSummary(c)}`);
  }
}

function describeReceiver(md: Markdown, a: Analysis, receiver: string, name: string): void {
  const reached = a.invalidations.filter((inv) =>
    inv.triggers.some((t) => t.t === 'signal' && t.hookup.receiver === receiver),
  );
  const hookups = unique(
    [...a.events.values()]
      .flatMap((e) => e.hookups)
      .filter((h) => h.receiver === receiver)
      .map((h) =>
        'model' in h.signal
          ? `${signalName(h.signal.model as ChangeKind)}(${h.senders?.join(', ') ?? 'any model'})`
          : h.signal.custom,
      ),
  );
  md.line(`**djcache** · receiver ${code(name)} for ${hookups.map(code).join(', ')}`);
  entryList(
    md,
    a,
    unique(reached.flatMap((inv) => entriesReachedBy(a, inv))),
    'Invalidates:',
    'It reaches no cache entry the engine can see.',
  );
}

function entryList(md: Markdown, a: Analysis, entries: Entry[], title: string, none: string): void {
  if (!entries.length) {
    if (none) md.line(none);
    return;
  }
  md.line(title);
  for (const e of entries.slice(0, 12)) {
    const models = unique(coverageOf(a, e).map((c) => c.model));
    md.item(`${code(entryKeyText(e))} (${md.at(e.path, e.loc)})${models.length ? `, reads ${models.join(', ')}` : ''}`);
  }
  if (entries.length > 12) md.item(`and ${entries.length - 12} more`);
}

function kindSummary(c: EntryCoverage): string {
  return (
    CHANGE_KINDS.filter((k) => c.byKind[k].state !== 'none')
      .map((k) => `${c.byKind[k].state === 'yes' ? '✓' : c.byKind[k].state === 'no' ? '✗' : '?'} ${KIND_TEXT[k]}`)
      .join(', ') || 'never written'
  );
}

function kindText(e: Entry): string {
  if (e.cacheops?.decorator === 'auto') return 'cacheops query cache';
  return {
    cache: 'cache entry',
    page: 'cached view',
    fragment: 'template fragment',
    memoize: 'memoized function',
    tagged: 'tagged entry',
  }[e.kind];
}

function signalName(kind: ChangeKind): string {
  return kind === 'save' ? 'post_save' : kind === 'delete' ? 'post_delete' : kind === 'm2m' ? 'm2m_changed' : kind;
}

function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text}${fence}`;
}

/** Markdown lines with links to source locations. */
class Markdown {
  private readonly lines: string[] = [];

  constructor(private readonly link: Linker) {}

  line(text: string): void {
    this.lines.push(this.lines.length ? `\n${text}` : text);
  }

  item(text: string): void {
    this.lines.push(`- ${text}`);
  }

  subItem(text: string): void {
    this.lines.push(`  - ${text}`);
  }

  at(path: string, loc: Loc): string {
    return `[${path}:${loc[0] + 1}](${this.link(path, loc)})`;
  }

  text(): string {
    return this.lines.join('\n');
  }
}
