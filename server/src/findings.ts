import type { HoleSource } from './analysis/domain/keys';
import type { Loc } from './syntax/ir';
import type { ChangeKind } from '../../shared/graph';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Location { path: string; loc: Loc }

export interface RelatedLocation extends Location { message: string }

/** How a receiver of the changed model computes one hole from its `instance`. */
export type HoleRebuild =
  /** One value: `instance.<attr>`. */
  | { hole: string; attr: string; at: Location }
  /** Every value of `instance.<accessor>.values_list("<field>", flat=True)`: rows reached through a reverse foreign key or a many-to-many. */
  | { hole: string; accessor: string; field: string; at: Location };

/**
 * A hole of an m2m_changed receiver's key: the primary key of the relation's owner side (the model
 * declaring the field) or target side; `accessor` leads from an instance of the other side to these rows.
 */
export interface M2mHole { hole: string; side: 'owner' | 'target'; accessor: string; at: Location }

/** How a fix rebuilds an entry's key when a model changes, or why it cannot; `H` is how a hole is computed. */
export type KeyRebuild<H = HoleRebuild> =
  | { kind: 'constant'; key: string }
  /** The key reads a version stored under this constant key of `alias`; bumping it retires every key of the namespace. */
  | { kind: 'version'; versionKey: string; alias: string }
  /** An f-string of the key's literal text and rebuilt holes. */
  | { kind: 'holes'; parts: ({ lit: string } | H)[] }
  /** A call of the module-level function that built the key, with rebuilt arguments: `product_cache_key(instance.pk)`. */
  | { kind: 'call'; module: string; path: string; name: string; args: ({ lit: string } | H)[]; kwargs: [string, { lit: string } | H][] }
  | { kind: 'none'; reason: string };

/** One entry's key as fixes need it. */
export interface KeyData {
  entryId: string;
  key?: string;
  alias: string;
  /** The entry's `version=` argument: null when absent, '?' when not a constant. */
  version: string | null;
  /** The key's parts: literal text, or a hole with where its value comes from. */
  keyParts?: ({ lit: string } | { hole: string; source: HoleSource })[];
  /** How to rebuild the key from an instance of the finding's model. */
  rebuild: KeyRebuild;
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

/** Each rule's finding data: plain data, which quick-fixes read back. */
export interface DataByCode {
  /** `uncovered` (the change kinds no invalidation follows) and `writeSite` are absent when nothing in the code writes the models. */
  DJC101: EntryData & { uncovered?: ChangeKind[]; writeSite?: string; declareTags?: DeclareTagsData };
  DJC102: EntryData & { uncovered: ChangeKind[]; coveredEntries: string[]; declareTags?: DeclareTagsData };
  /** `keys`: each stale entry's key, rebuilt from an instance of `model`. */
  DJC103: { model: string; writeKind: string; entries: string[]; keys: KeyData[] };
  DJC104: { key: string; alias: string; suggestion: string | undefined };
  DJC105: { key: string | undefined; alias: string };
  DJC106: EntryData & { uncovered: ChangeKind[]; models: string[] };
  /** `locs`: the deletes of the run, in order. */
  DJC107: { alias: string; keys: string[]; locs: Loc[] };
  DJC108: EntryData & { tags: TagFixData };
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

export type FindingData = Finding['data'];

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
