/** What a cache tag declaration of the djcache runtime says (tags.ts reads them from the code). */
import type { Loc } from '../../syntax/ir';

export interface TagItem {
  model: string;
  /** The item as written: `Product` or `"shop.Product"`. */
  text: string;
  /** Python items only; a template declaration is one string. */
  loc: Loc | null;
}

export interface TagDeclaration {
  /** `"auto"`: the runtime records the tables the value reads, so every read model is declared. */
  auto: boolean;
  items: TagItem[];
  /** An item the engine cannot resolve to a model: it may declare anything, so nothing is reported. */
  opaque: boolean;
  /** How the items are spelled, for fixes that add one. */
  style: 'class' | 'label';
  path: string;
  /** The declaration: `tagged(...)` or `depends_on=...` in Python, the `{% tagged_cache %}` tag in a template. */
  loc: Loc;
  /** Not written at the entry: `DJCACHE["AUTO_TAG"]` names its cache alias (zero-code mode); path and loc are the setting's. */
  zeroCode?: { alias: string };
}
