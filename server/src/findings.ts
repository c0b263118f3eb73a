import type { HoleSource } from './analysis/domain/keys';
import type { Loc } from './facts/types';

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

/** Machine-readable details a quick-fix needs; every field is plain data. */
export interface FindingData extends Partial<KeyData> {
  model?: string;
  /** The app that owns the model: its folder, signals.py and apps.py paths, and the file defining the model. */
  app?: { label: string; dir: string; signals: string; apps: string; models: string };
  /** The model class a post_save receiver names as `sender`; absent for auto-created through tables and built-in models. */
  sender?: { module: string; name: string };
  /** Set when the model is a many-to-many through table: the model declaring the field, and the key rebuilt for m2m_changed. */
  m2m?: { owner: { module: string; name: string }; field: string; rebuild: KeyRebuild<M2mHole> };
  /** Which change kinds are not covered: save, delete, m2m, bulk. */
  uncovered?: string[];
  writeKind?: string;
  [extra: string]: unknown;
}

export interface Finding extends Location {
  code: string;
  severity: Severity;
  message: string;
  related: RelatedLocation[];
  data: FindingData;
}

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
