import type { KeyData, KeyRebuild, M2mHole } from './analysis/keyRebuild';
import type { Severity } from './config/config';
import type { Location } from '../../shared/loc';
import type { Loc } from './syntax/ir';
import type { ChangeKind } from '../../shared/graph';

export interface RelatedLocation extends Location {
  message: string;
}

/** An entry and one model it reads, as the receiver, tag and "Declare cache tags" fixes need them. */
export interface EntryData extends KeyData {
  model: string;
  /** The app that owns the model: its folder, signals.py and apps.py paths, and the file defining the model. */
  app?: { label: string; dir: string; signals: string; apps: string; models: string };
  /** The model class a post_save receiver names as `sender`; absent for auto-created through tables and built-in models. */
  sender?: { module: string; name: string };
  /** Set when the model is a many-to-many through table: the model declaring the field, and the key rebuilt for m2m_changed. */
  m2m?: { owner: { module: string; name: string }; field: string; rebuild: KeyRebuild<M2mHole> };
}

/** What DJC101/DJC102 findings carry for "Declare cache tags". */
export interface DeclareTagsData {
  /** djcache is in INSTALLED_APPS or imported somewhere in the project. */
  installed: boolean;
  /** The entry: a value cache, a cached view, a template fragment, a memoized function. */
  shape: 'cache' | 'page' | 'fragment' | 'memoize';
  /** Every model the entry reads, sorted. */
  models: string[];
  /** The project decorator of a memoized function: its file, dotted name and name's position. */
  decorator?: { path: string; qual: string; nameLoc: Loc };
  /** The entry reads one row of its one model and its key holds that row's primary key (the expression at `pk`): the tags can name that row. */
  row?: { pk: { path: string; loc: Loc } };
}

/** A tag declaration as the DJC108 fixes edit it: how its items are spelled, where it is, and the model to add or remove. */
export interface TagFixData {
  style: 'class' | 'label';
  path: string;
  loc: Loc;
  items: { model: string; text: string; loc: Loc | null }[];
  add?: string;
  remove?: string;
}

/**
 * A write that leaves an entry stale: which model, where (`path:line`, in function `fn` when
 * inside one), how (`submission.save()`) and what it does to the rows (an admin both saves and deletes).
 */
export interface StaleWrite {
  model: string;
  at: string;
  fn?: string;
  how: string;
  kind: ChangeKind;
}

/** Each rule's finding data: plain data, which quick-fixes read back. */
export interface DataByCode {
  /** `uncovered` (the change kinds no invalidation follows) and `writes` are absent when nothing in the code writes the models. */
  DJC101: EntryData & { uncovered?: ChangeKind[]; writes?: StaleWrite[]; declareTags?: DeclareTagsData };
  DJC102: EntryData & {
    uncovered: ChangeKind[];
    writes: StaleWrite[];
    coveredEntries: string[];
    declareTags?: DeclareTagsData;
  };
  /** `keys`: each stale entry's key, rebuilt from an instance of `model`. */
  /** `invalidatedUpdate`: an `update()` whose stale entries are all cacheops', which its `invalidated_update()` drops. */
  DJC103: {
    model: string;
    writeKind: string;
    writes: StaleWrite[];
    entries: string[];
    keys: KeyData[];
    invalidatedUpdate?: true;
  };
  DJC104: { key: string; alias: string; suggestion: string | undefined };
  DJC105: { key: string | undefined; alias: string };
  DJC106: EntryData & { uncovered: ChangeKind[]; writes: StaleWrite[]; models: string[] };
  /** `locs`: the deletes of the run, in order. */
  DJC107: { alias: string; keys: string[]; locs: Loc[] };
  DJC108: EntryData & { tags: TagFixData };
  /** `key`: `Class.attr` of the dict; `entryId`: where `__init__` makes it; `writes`: the object's writes it keeps old rows after. */
  DJC109: { key: string; model: string; entryId: string; writes: StaleWrite[] };
}

export type RuleCode = keyof DataByCode;

/** A finding of rule `C`, with the data its code stands for. */
export interface FindingOf<C extends RuleCode> extends Location {
  code: C;
  severity: Severity;
  message: string;
  related: RelatedLocation[];
  data: DataByCode[C];
}

/** Any rule's finding: a union discriminated by `code`, so that reading `data` after a test of the code needs no cast. */
export type Finding = { [C in RuleCode]: FindingOf<C> }[RuleCode];

/** The model a finding is about, when its rule names one. */
export function findingModel(f: Finding): string | undefined {
  return 'model' in f.data ? f.data.model : undefined;
}

/** The cache entry a finding is about, when its data names one. */
export function findingEntryId(f: Finding): string | undefined {
  return 'entryId' in f.data ? f.data.entryId : undefined;
}

/** A finding as reports and baselines read it, whatever its rule: its code, place and message, and its data as it is. */
export type ReportedFinding = Omit<Finding, 'code' | 'data'> & { code: string; data: object };

export interface RuleMeta {
  code: string;
  name: string;
  summary: string;
  defaultSeverity: Severity;
}

/** Rule docs live beside the code; editors turn this relative path into a link. */
export function ruleDocPath(code: string): string {
  return `docs/rules/${code}.md`;
}
