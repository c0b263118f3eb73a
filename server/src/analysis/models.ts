/** Models of the workspace and of django.contrib: apps, tables, relations both ways, managers. */
import type { PythonFacts } from '../facts/types';
import type { ClassFact, Expr, Kwarg, Loc } from '../syntax/ir';
import {
  BUILTIN_MODEL_NAMES,
  BUILTIN_MODELS,
  GENERIC_FK,
  GENERIC_RELATION,
  LIBRARY_MODEL_BASES,
  MODEL_BASE,
  MODEL_META_OPTIONS,
  PACKAGE_MODEL_NAME,
  RELATION_FIELDS,
  WITH_METACLASS,
  FROM_QUERYSET,
  PERMISSIONS_RELATIONS,
} from './django';
import { TAGGIT } from './libraries';
import { isTestPath } from './fileSelection';
import { modelLabelOf } from './modelLabels';
import { staticSym, type Sym, type Workspace } from './workspace';

export interface Relation {
  name: string;
  kind: 'fk' | 'o2o' | 'm2m';
  target: string;
  /** For m2m: the through model (auto-created ones get an id like `shop.Product_tags`). */
  through?: string;
  relatedName: string | null;
  relatedQueryName: string | null;
  onDelete: string | null;
  /** `db_constraint=False` (or not a literal True): the key may point at a row that does not exist yet. */
  unconstrained?: boolean;
}

export interface ReverseRelation {
  /** The model that holds the field. */
  model: string;
  field: string;
  kind: 'fk' | 'o2o' | 'm2m';
  through?: string;
}

export interface ModelInfo {
  id: string;
  name: string;
  app: string;
  appDir: string;
  table: string;
  file?: PythonFacts;
  cls?: number;
  loc: Loc;
  abstract: boolean;
  proxy: boolean;
  /** Concrete parents for multi-table inheritance; a proxy's concrete model. */
  parents: string[];
  fields: Map<string, Relation>;
  /** Accessor on instances → the relation seen from the other side. */
  reverse: Map<string, ReverseRelation>;
  /** Lookup names used in filters (`related_query_name`) → the relation seen from the other side. */
  reverseQuery: Map<string, ReverseRelation>;
  /** Manager attribute → the class defining its custom methods, when known. */
  managers: Map<string, { file: PythonFacts; idx: number } | null>;
  /** Auto-created m2m through tables, and built-ins, have no class of their own. */
  synthetic: boolean;
  /** GenericForeignKey attributes (`content_object`). */
  genericFks: Set<string>;
}

/** A model's class name from its id: `catalog.Product` → `Product`. */
export function modelName(id: string): string {
  return id.slice(id.lastIndexOf('.') + 1);
}

export class ModelRegistry {
  readonly byId = new Map<string, ModelInfo>();
  readonly byClass = new Map<string, string>();
  readonly byTable = new Map<string, string>();
  private readonly appLabels = new Map<string, string>();
  /** Model id → the models that declare a GenericRelation to it. */
  private readonly genericRelations = new Map<string, string[]>();
  private readonly memo = new Map<string, boolean>();

  constructor(private readonly ws: Workspace) {
    this.readAppConfigs();
    for (const b of BUILTIN_MODELS) {
      const m = this.libraryModel(b);
      for (const r of b.relations)
        m.fields.set(r.name, {
          ...r,
          relatedQueryName: null,
          onDelete: 'CASCADE',
          through: r.kind === 'm2m' ? this.autoThrough(m, r.name) : undefined,
        });
    }
    const pending: [PythonFacts, number][] = [];
    for (const file of ws.python) {
      file.classes.forEach((_, i) => {
        if (this.isModelClass(file, i)) pending.push([file, i]);
      });
    }
    for (const [file, i] of pending) this.register(file, i);
    for (const [file, i] of pending) this.readFields(file, i);
    for (const [file, i] of pending) this.readPermissionRelations(file, i, this.modelOfClass(file, i)!);
    for (const m of [...this.byId.values()]) this.linkReverse(m);
    this.lineages = new Map();
    this.columns = new Map();
  }

  classKey(file: PythonFacts, idx: number): string {
    return `${file.path}#${idx}`;
  }

  modelOfClass(file: PythonFacts, idx: number): ModelInfo | undefined {
    const id = this.byClass.get(this.classKey(file, idx));
    return id ? this.byId.get(id) : undefined;
  }

  /** A model id from a symbol: a workspace model class or a django.contrib one. */
  modelOfSym(sym: Sym | undefined): ModelInfo | undefined {
    if (!sym) return undefined;
    if (sym.k === 'class') return this.modelOfClass(sym.file, sym.idx);
    if (sym.k === 'ext') {
      const id = BUILTIN_MODEL_NAMES[sym.q];
      return id ? this.byId.get(id) : undefined;
    }
    return undefined;
  }

  /** 'shop.Product', 'Product' (same app as `from`), or 'self'. */
  byLabel(label: string, from?: ModelInfo): ModelInfo | undefined {
    if (label === 'self') return from;
    if (label.includes('.')) {
      const direct = this.byId.get(label);
      if (direct) return direct;
      const [app, name] = [label.slice(0, label.lastIndexOf('.')), label.slice(label.lastIndexOf('.') + 1)];
      const last = app.split('.').pop();
      // Django matches a label's model name case-insensitively (`apps.get_model("shop", "product")`).
      for (const m of this.byId.values())
        if (
          m.name.toLowerCase() === name.toLowerCase() &&
          (m.app === last || m.app.toLowerCase() === app.toLowerCase())
        )
          return m;
      return undefined;
    }
    if (from) {
      const same = this.byId.get(`${from.app}.${label}`);
      if (same) return same;
    }
    const candidates = [...this.byId.values()].filter((m) => m.name === label);
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  /**
   * The models the GenericForeignKey `name` of model `id` points to: those that declare a
   * GenericRelation to `id` (the project's own word for which rows hang off it); undefined when
   * `name` is no such key or no model declares one.
   */
  genericTargets(id: string, name: string): string[] | undefined {
    for (const m of this.lineage(id)) {
      if (!m.genericFks.has(name)) continue;
      const targets = this.genericRelations.get(m.id);
      return targets?.length ? targets : undefined;
    }
    return undefined;
  }

  /** The relation `name` on model `id`, forward or reverse (accessor names). */
  relation(
    id: string,
    name: string,
  ): { target: string; kind: 'fk' | 'o2o' | 'm2m'; many: boolean; through?: string; field?: string } | undefined {
    for (const m of this.lineage(id)) {
      const f = m.fields.get(name);
      if (f) return { target: f.target, kind: f.kind, many: f.kind === 'm2m', through: f.through };
      const r = m.reverse.get(name);
      if (r) return { target: r.model, kind: r.kind, many: r.kind !== 'o2o', through: r.through, field: r.field };
    }
    return undefined;
  }

  /**
   * The model a foreign key or one-to-one field `name` declared on `id` points to, when the database
   * holds it to existing rows: a row reached through it exists already, so inserting rows of its
   * model cannot change which row it is (only saving the pointing row can). `db_constraint=False`
   * lets the key name a row inserted later.
   */
  pointsTo(id: string, name: string): string | undefined {
    const rel = this.lookupRelation(id, name);
    return rel?.forward && rel.kind !== 'm2m' && !rel.unconstrained ? rel.target : undefined;
  }

  /** The relation named in a lookup path segment (`category__name`, `reviews__rating`). */
  lookupRelation(
    id: string,
    name: string,
  ):
    | {
        target: string;
        kind: 'fk' | 'o2o' | 'm2m';
        through?: string;
        /** Declared on `id` (a foreign key column there), or on the target (`field` points back). */
        forward: boolean;
        onDelete?: string | null;
        unconstrained?: boolean;
        field?: string;
      }
    | undefined {
    for (const m of this.lineage(id)) {
      const f = m.fields.get(name);
      if (f)
        return {
          target: f.target,
          kind: f.kind,
          through: f.through,
          forward: true,
          onDelete: f.onDelete,
          unconstrained: f.unconstrained,
        };
      const r = m.reverseQuery.get(name);
      if (r) return { target: r.model, kind: r.kind, through: r.through, forward: false, field: r.field };
    }
    return undefined;
  }

  private managerOwners: Map<string, ModelInfo> | undefined;

  /** The model whose manager or queryset is this workspace class, if any. */
  managedModel(file: PythonFacts, idx: number): ModelInfo | undefined {
    if (!this.managerOwners) {
      this.managerOwners = new Map();
      for (const m of this.byId.values()) {
        for (const mgr of m.managers.values())
          if (mgr && !this.managerOwners.has(this.classKey(mgr.file, mgr.idx)))
            this.managerOwners.set(this.classKey(mgr.file, mgr.idx), m);
      }
    }
    return this.managerOwners.get(this.classKey(file, idx));
  }

  /** The ManyToManyField whose through table this model is, with the model that declares it. */
  m2mOf(through: string): { owner: ModelInfo; field: Relation } | undefined {
    for (const owner of this.byId.values()) {
      for (const field of owner.fields.values())
        if (field.kind === 'm2m' && field.through === through) return { owner, field };
    }
    return undefined;
  }

  /** Is this model the `through=` of some ManyToManyField? */
  isExplicitThrough(id: string): boolean {
    if (!this.explicitThroughs) {
      this.explicitThroughs = new Set();
      for (const m of this.byId.values())
        for (const f of m.fields.values())
          if (f.through && !this.byId.get(f.through)?.synthetic) this.explicitThroughs.add(f.through);
    }
    return this.explicitThroughs.has(id);
  }

  private explicitThroughs: Set<string> | undefined;

  /** Lineages by model once the registry is built (lookups ask for the same few models again and again). */
  private lineages: Map<string, readonly ModelInfo[]> | undefined;

  /** The model and its parents (abstract ones included, for inherited fields). */
  lineage(id: string): readonly ModelInfo[] {
    const known = this.lineages?.get(id);
    if (known) return known;
    const out: ModelInfo[] = [];
    const seen = new Set<string>();
    const walk = (mid: string) => {
      if (seen.has(mid)) return;
      seen.add(mid);
      const m = this.byId.get(mid);
      if (!m) return;
      out.push(m);
      m.parents.forEach(walk);
      (this.abstractParents.get(mid) ?? []).forEach(walk);
    };
    walk(id);
    this.lineages?.set(id, out);
    return out;
  }

  private readonly abstractParents = new Map<string, string[]>();

  /** A plain field declared in the model's class body or its parents' (`data = models.JSONField()`), relations excluded. */
  hasColumn(id: string, name: string): boolean {
    const key = `${id}.${name}`;
    const known = this.columns?.get(key);
    if (known !== undefined) return known;
    const has = this.lineage(id).some((m) => !m.fields.has(name) && fieldDeclarations(m, name).length > 0);
    this.columns?.set(key, has);
    return has;
  }

  /**
   * Why a column may be written only when its row is inserted: `key`, the primary key (a save()
   * with another key updates or inserts that row, never this one's key); `notEditable`, a field
   * declared `editable=False`, which neither model forms nor the admin write (whether code sets
   * it is writeOnce.ts's question).
   */
  writeOnceDeclaration(id: string, name: string): 'key' | 'notEditable' | undefined {
    if (name === 'id' || name === 'pk') return 'key';
    const flag = (k: Kwarg, name: string, v: 'True' | 'False') =>
      k.name === name && k.value.t === 'const' && k.value.v === v;
    for (const m of this.lineage(id))
      for (const call of fieldDeclarations(m, name)) {
        if (call.kw.some((k) => flag(k, 'primary_key', 'True'))) return 'key';
        if (call.kw.some((k) => flag(k, 'editable', 'False'))) return 'notEditable';
      }
    return undefined;
  }

  /** hasColumn's answers once the registry is built: instance attributes ask it on every read. */
  private columns: Map<string, boolean> | undefined;

  /** Whether `model` is `id` or inherits it (an abstract parent's fields and methods are the model's own). */
  isOrInherits(model: string, id: string): boolean {
    return model === id || this.lineage(model).some((m) => m.id === id);
  }

  /** The abstract model every one of `ids` inherits (their methods' `self`), when there is one. */
  sharedAbstractParent(ids: string[]): string | undefined {
    return this.lineage(ids[0]).find((p) => p.abstract && ids.every((id) => this.isOrInherits(id, p.id)))?.id;
  }

  /** The concrete models that inherit an abstract one (a project's `Category(AbstractCategory)`), test models left out. */
  concreteOf(id: string): ModelInfo[] {
    return [...this.byId.values()].filter(
      (m) =>
        !m.abstract &&
        m.id !== id &&
        !(m.file && isTestPath(m.file.path)) &&
        this.lineage(m.id).some((p) => p.id === id),
    );
  }

  private add(m: ModelInfo): void {
    this.byId.set(m.id, m);
    if (!m.abstract) this.byTable.set(m.table.toLowerCase(), m.id);
  }

  private isModelClass(file: PythonFacts, idx: number, depth = 0): boolean {
    const key = this.classKey(file, idx);
    const cached = this.memo.get(key);
    if (cached !== undefined) return cached;
    if (depth > 30) return false;
    this.memo.set(key, false);
    const cls = file.classes[idx];
    let result = false;
    let unresolvedBase = false;
    for (const b of classBases(cls)) {
      const sym = staticSym(this.ws, file, b);
      if (
        sym?.k === 'ext' &&
        (sym.q === MODEL_BASE ||
          BUILTIN_MODEL_NAMES[sym.q] ||
          LIBRARY_MODEL_BASES.test(sym.q) ||
          PACKAGE_MODEL_NAME.test(sym.q))
      )
        result = true;
      else if (sym?.k === 'class' && this.isModelClass(sym.file, sym.idx, depth + 1)) result = true;
      else if (sym?.k === 'ext' && !sym.q.startsWith('django.') && !sym.q.startsWith('builtins.'))
        unresolvedBase = true;
      if (result) break;
    }
    // A class over an installed package's base that declares model fields or a model's Meta is a model.
    if (!result && unresolvedBase) result = this.declaresModelParts(file, cls);
    this.memo.set(key, result);
    return result;
  }

  /** Django model fields (`models.CharField(...)`, relations) or a Meta with model options in the class body. */
  private declaresModelParts(file: PythonFacts, cls: ClassFact): boolean {
    const meta = cls.nested.Meta !== undefined ? file.classes[cls.nested.Meta] : undefined;
    if (
      meta &&
      !classAssign(meta, 'model') &&
      meta.body.some((s) => s.t === 'assign' && s.targets.some((t) => t.t === 'name' && MODEL_META_OPTIONS.has(t.id)))
    )
      return true;
    return cls.body.some((s) => {
      if (s.t !== 'assign' || s.value.t !== 'call') return false;
      const sym = staticSym(this.ws, file, s.value.fn);
      return sym?.k === 'ext' && (!!RELATION_FIELDS[sym.q] || /^django\.db\.models\.\w+Field$/.test(sym.q));
    });
  }

  private readAppConfigs(): void {
    for (const file of this.ws.python) {
      if (!file.path.endsWith('apps.py')) continue;
      const dir = file.path.slice(0, file.path.lastIndexOf('/') + 1).replace(/\/$/, '');
      for (const cls of file.classes) {
        const label = classLiteral(cls, 'label');
        const name = classLiteral(cls, 'name');
        if (!label && !name) continue;
        // The app is the package `name` names: one apps.py may configure several (django-wiki's plugins).
        const app = name === undefined ? undefined : this.ws.byModule.get(name);
        const appDir = app?.isPackage ? app.path.slice(0, app.path.lastIndexOf('/') + 1).replace(/\/$/, '') : dir;
        this.appLabels.set(appDir, label ?? name!.split('.').pop()!);
      }
    }
  }

  private appFor(path: string): { label: string; dir: string } {
    const parts = path.split('/');
    parts.pop();
    // models/ packages belong to the app above them.
    if (parts[parts.length - 1] === 'models') parts.pop();
    for (let i = parts.length; i > 0; i--) {
      const dir = parts.slice(0, i).join('/');
      const label = this.appLabels.get(dir);
      if (label) return { label, dir };
      if (this.ws.byPath.has(`${dir}/models.py`) || this.ws.byPath.has(`${dir}/models/__init__.py`))
        return { label: parts[i - 1], dir };
    }
    return { label: parts[parts.length - 1] ?? 'app', dir: parts.join('/') };
  }

  private register(file: PythonFacts, idx: number): void {
    const cls = file.classes[idx];
    const meta = cls.nested.Meta !== undefined ? file.classes[cls.nested.Meta] : undefined;
    const app = this.appFor(file.path);
    const label = (meta && classLiteral(meta, 'app_label')) ?? app.label;
    const abstract = !!meta && classConst(meta, 'abstract') === true;
    const proxy = !!meta && classConst(meta, 'proxy') === true;
    const id = `${label}.${cls.name}`;
    const table = (meta && classLiteral(meta, 'db_table')) ?? `${label}_${cls.name.toLowerCase()}`;
    this.byClass.set(this.classKey(file, idx), id);
    this.add({
      id,
      name: cls.name,
      app: label,
      appDir: app.dir,
      table,
      file,
      cls: idx,
      loc: cls.nameLoc,
      abstract,
      proxy,
      parents: [],
      fields: new Map(),
      reverse: new Map(),
      reverseQuery: new Map(),
      managers: new Map(),
      synthetic: false,
      genericFks: new Set(),
    });
  }

  private readFields(file: PythonFacts, idx: number): void {
    const cls = file.classes[idx];
    const model = this.modelOfClass(file, idx)!;
    for (const b of classBases(cls)) {
      const parent = this.modelOfSym(staticSym(this.ws, file, b));
      if (!parent) continue;
      if (parent.abstract) {
        const list = this.abstractParents.get(model.id) ?? [];
        list.push(parent.id);
        this.abstractParents.set(model.id, list);
      } else model.parents.push(parent.id);
    }
    for (const s of cls.body) {
      if (s.t !== 'assign' || s.targets[0]?.t !== 'name' || s.value.t !== 'call') continue;
      const name = s.targets[0].id;
      const call = s.value;
      const sym = staticSym(this.ws, file, call.fn);
      const q = sym?.k === 'ext' ? sym.q : '';
      if (q === TAGGIT.manager || (sym?.k === 'class' && this.inherits(sym.file, sym.idx, TAGGABLE_MANAGER))) {
        model.fields.set(name, this.readTagRelation(file, model, name, call));
        continue;
      }
      const kind = RELATION_FIELDS[q];
      if (kind) {
        const rel = this.readRelation(file, model, name, kind, call);
        if (rel) model.fields.set(name, rel);
        continue;
      }
      if (GENERIC_FK.has(q)) {
        model.genericFks.add(name);
        continue;
      }
      if (GENERIC_RELATION.has(q)) {
        const target = call.args[0] && this.modelFromExpr(file, call.args[0], model);
        if (target) this.genericRelations.set(target.id, [...(this.genericRelations.get(target.id) ?? []), model.id]);
        continue;
      }
      const manager = this.readManager(file, call);
      if (manager !== undefined) model.managers.set(name, manager);
    }
  }

  /** django-taggit's manager: tags through TaggedItem, or through the model `through=` names. */
  private readTagRelation(
    file: PythonFacts,
    model: ModelInfo,
    name: string,
    call: Extract<Expr, { t: 'call' }>,
  ): Relation {
    const throughExpr = call.kw.find((x) => x.name === 'through')?.value;
    const through = (throughExpr && this.modelFromExpr(file, throughExpr, model)) ?? this.libraryModel(TAGGIT.through);
    return {
      name,
      kind: 'm2m',
      target: this.libraryModel(TAGGIT.tag).id,
      through: through.id,
      relatedName: null,
      relatedQueryName: null,
      onDelete: null,
    };
  }

  /** A django.contrib or library model by label: the workspace's copy when it has one, else a synthetic one. */
  private libraryModel(m: { id: string; table: string }): ModelInfo {
    const known = this.byId.get(m.id);
    if (known) return known;
    const [app, name] = m.id.split('.');
    const info = syntheticModel(m.id, name, app, m.table);
    this.add(info);
    return info;
  }

  /**
   * `groups` and `user_permissions` of a custom user model that inherits PermissionsMixin (or
   * AbstractUser), each through its auto-created table.
   */
  private readPermissionRelations(file: PythonFacts, idx: number, model: ModelInfo): void {
    const bases = this.externalBases(file, idx);
    if (![...bases].some((q) => PERMISSIONS_RELATIONS.bases.has(q))) return;
    for (const r of PERMISSIONS_RELATIONS.relations) {
      if (model.fields.has(r.name)) continue;
      model.fields.set(r.name, {
        ...r,
        relatedQueryName: null,
        onDelete: 'CASCADE',
        through: this.autoThrough(model, r.name),
      });
    }
  }

  /** The table Django creates for a ManyToManyField without `through=`. */
  private autoThrough(model: ModelInfo, field: string): string {
    const info: ModelInfo = {
      ...syntheticModel(
        `${model.app}.${model.name}_${field}`,
        `${model.name}_${field}`,
        model.app,
        `${model.table}_${field}`,
      ),
      appDir: model.appDir,
      file: model.file,
      cls: model.cls,
      loc: model.loc,
    };
    this.add(info);
    return info.id;
  }

  private readRelation(
    file: PythonFacts,
    model: ModelInfo,
    name: string,
    kind: 'fk' | 'o2o' | 'm2m',
    call: Extract<Expr, { t: 'call' }>,
  ): Relation | undefined {
    const kw = (k: string) => call.kw.find((x) => x.name === k)?.value;
    const toExpr = call.args[0] ?? kw('to');
    const target = toExpr && this.modelFromExpr(file, toExpr, model);
    if (!target) return undefined;
    const str = (e: Expr | undefined) => (e?.t === 'str' ? e.v : null);
    const rel: Relation = {
      name,
      kind,
      target: target.id,
      relatedName: str(kw('related_name')),
      relatedQueryName: str(kw('related_query_name')),
      onDelete: (() => {
        const d = kw('on_delete') ?? call.args[1];
        return d?.t === 'attr' ? d.name : d?.t === 'name' ? d.id : null;
      })(),
    };
    const constraint = kw('db_constraint');
    if (constraint && !(constraint.t === 'const' && constraint.v === 'True')) rel.unconstrained = true;
    if (kind === 'm2m') {
      const through = kw('through');
      const t = through ? this.modelFromExpr(file, through, model) : undefined;
      rel.through = t ? t.id : this.autoThrough(model, name);
    }
    return rel;
  }

  /** The model an expression names: a class, 'app.Model', 'self', a setting or a call returning a model (modelLabels.ts). */
  modelFromExpr(file: PythonFacts, e: Expr, from?: ModelInfo): ModelInfo | undefined {
    // settings.AUTH_USER_MODEL however settings was imported.
    if (e.t === 'attr' && e.name === 'AUTH_USER_MODEL') return this.byLabel(this.ws.settings.authUserModel, from);
    const label = modelLabelOf(this.ws, file, e);
    return label !== undefined ? this.byLabel(label, from) : this.modelOfSym(staticSym(this.ws, file, e));
  }

  /** `X.as_manager()`, `Manager.from_queryset(QS)()`, `CustomManager()`; undefined when not a manager. */
  private readManager(
    file: PythonFacts,
    call: Extract<Expr, { t: 'call' }>,
  ): { file: PythonFacts; idx: number } | null | undefined {
    const fn = call.fn;
    if (fn.t === 'attr' && fn.name === 'as_manager') {
      const s = staticSym(this.ws, file, fn.obj);
      return s?.k === 'class' ? { file: s.file, idx: s.idx } : null;
    }
    if (fn.t === 'call' && isFromQueryset(fn)) return this.querysetClass(file, fn);
    const s = staticSym(this.ws, file, fn);
    // `PostManager = Manager.from_queryset(PostQuerySet)` at module level, called in the class body.
    const made = s?.k === 'value' ? s.exprs[s.exprs.length - 1] : undefined;
    if (s?.k === 'value' && made?.t === 'call' && isFromQueryset(made)) return this.querysetClass(s.file, made);
    // A package's manager (`InheritanceManager()`): a manager of the model, its own methods unknown.
    if (s?.k === 'ext' && /Manager$/.test(s.q)) return null;
    if (s?.k === 'class' && this.inherits(s.file, s.idx, /\.(Manager|BaseManager|QuerySet)$/))
      return { file: s.file, idx: s.idx };
    return undefined;
  }

  /** The queryset class `Manager.from_queryset(QS)` takes its methods from, when it is a workspace class. */
  private querysetClass(
    file: PythonFacts,
    call: Extract<Expr, { t: 'call' }>,
  ): { file: PythonFacts; idx: number } | null {
    const s = call.args[0] ? staticSym(this.ws, file, call.args[0]) : undefined;
    return s?.k === 'class' ? { file: s.file, idx: s.idx } : null;
  }

  /** Does a workspace class inherit (transitively) from an external class matching `re`? */
  inherits(file: PythonFacts, idx: number, re: RegExp): boolean {
    for (const q of this.externalBases(file, idx)) if (re.test(q)) return true;
    return false;
  }

  private readonly basesMemo = new Map<string, Set<string>>();

  /** Forgets the bases worked out lazily, for the same reason as Workspace.clearMemos. */
  clearMemos(): void {
    this.basesMemo.clear();
  }

  /**
   * These models over another workspace whose files define the same ones, so that an edit which
   * cannot change the models does not rebuild them (analysis/incremental.ts decides when).
   * `edited` are files of models or managers that have new facts: their models take them, and
   * their classes' new locations.
   */
  forWorkspace(ws: Workspace, edited: ReadonlySet<string> = new Set()): ModelRegistry {
    const now = (f: PythonFacts) => (edited.has(f.path) ? (ws.byPath.get(f.path) as PythonFacts) : f);
    const byId = new Map<string, ModelInfo>();
    for (const [id, m] of this.byId) {
      const moved =
        (m.file && edited.has(m.file.path)) || [...m.managers.values()].some((c) => c && edited.has(c.file.path));
      if (!moved) byId.set(id, m);
      else {
        const file = m.file && now(m.file);
        const managers = new Map([...m.managers].map(([name, c]) => [name, c && { file: now(c.file), idx: c.idx }]));
        byId.set(id, { ...m, file, loc: file && m.cls !== undefined ? file.classes[m.cls].nameLoc : m.loc, managers });
      }
    }
    return Object.assign(Object.create(ModelRegistry.prototype) as ModelRegistry, this, {
      ws,
      byId,
      basesMemo: new Map<string, Set<string>>(),
      managerOwners: undefined,
      lineages: new Map(),
      columns: new Map(),
    });
  }

  /** Every external class a workspace class inherits from, through workspace bases. */
  externalBases(file: PythonFacts, idx: number, depth = 0): Set<string> {
    const key = this.classKey(file, idx);
    const memo = this.basesMemo.get(key);
    if (memo) return memo;
    const out = new Set<string>();
    this.basesMemo.set(key, out);
    if (depth > 20) return out;
    for (const b of classBases(file.classes[idx])) {
      const s = staticSym(this.ws, file, b);
      if (s?.k === 'ext') out.add(s.q);
      else if (s?.k === 'class') for (const q of this.externalBases(s.file, s.idx, depth + 1)) out.add(q);
    }
    return out;
  }

  /** Whether workspace class `sub` is `base` or inherits from it through workspace bases. */
  isOrSubclassOf(
    sub: { file: PythonFacts; idx: number },
    base: { file: PythonFacts; idx: number },
    depth = 0,
  ): boolean {
    if (sub.file === base.file && sub.idx === base.idx) return true;
    if (depth > 20) return false;
    return classBases(sub.file.classes[sub.idx]).some((b) => {
      const s = staticSym(this.ws, sub.file, b);
      return s?.k === 'class' && this.isOrSubclassOf(s, base, depth + 1);
    });
  }

  /**
   * The method `name` a workspace class inherits from its workspace bases (mixins, abstract
   * models), depth first and left to right as Python's MRO mostly finds it; undefined when the
   * class defines it itself or no workspace base does.
   */
  inheritedMethod(
    file: PythonFacts,
    idx: number,
    name: string,
    depth = 0,
  ): { file: PythonFacts; fn: number; owner: string } | undefined {
    if (depth > 20) return undefined;
    for (const b of classBases(file.classes[idx])) {
      const s = staticSym(this.ws, file, b);
      if (s?.k !== 'class') continue;
      const own = s.file.classes[s.idx].methods[name];
      if (own !== undefined) return { file: s.file, fn: own, owner: s.file.classes[s.idx].name };
      const further = this.inheritedMethod(s.file, s.idx, name, depth + 1);
      if (further) return further;
    }
    return undefined;
  }

  private linkReverse(m: ModelInfo): void {
    const lower = m.name.toLowerCase();
    for (const f of m.fields.values()) {
      const target = this.byId.get(f.target);
      if (!target || f.relatedName === '+' || f.relatedName?.endsWith('+')) continue;
      const rel: ReverseRelation = { model: m.id, field: f.name, kind: f.kind, through: f.through };
      const accessor = f.relatedName ?? (f.kind === 'o2o' ? lower : `${lower}_set`);
      target.reverse.set(accessor.replace('%(class)s', lower).replace('%(app_label)s', m.app), rel);
      target.reverseQuery.set(
        (f.relatedQueryName ?? f.relatedName ?? lower).replace('%(class)s', lower).replace('%(app_label)s', m.app),
        rel,
      );
    }
  }
}

/** A class statement's bases, with those given through `six.with_metaclass(Meta, *bases)` spelled out. */
export function classBases(cls: ClassFact): Expr[] {
  return cls.bases.flatMap((b) => {
    if (b.t !== 'call') return [b];
    if ((b.fn.t === 'name' ? b.fn.id : b.fn.t === 'attr' ? b.fn.name : '') === WITH_METACLASS) return b.args.slice(1);
    // `Manager.from_queryset(QS)` makes a manager class with the queryset's methods.
    if (isFromQueryset(b) && b.fn.t === 'attr') return [b.fn.obj, ...b.args.slice(0, 1)];
    return [b];
  });
}

function isFromQueryset(call: Extract<Expr, { t: 'call' }>): boolean {
  return call.fn.t === 'attr' && call.fn.name === FROM_QUERYSET;
}

/** django-taggit's manager as an external base: project subclasses of it are tag relations too. */
const TAGGABLE_MANAGER = new RegExp(`^${TAGGIT.manager.replace(/\./g, '\\.')}$`);

/** A model without a class of its own: a library's, or an auto-created m2m table. */
/** The calls that declare field `name` in model `m`'s own class body (`name = models.X(...)`). */
function fieldDeclarations(m: ModelInfo, name: string): Extract<Expr, { t: 'call' }>[] {
  if (!m.file || m.cls === undefined) return [];
  return m.file.classes[m.cls].body.flatMap((s) =>
    s.t === 'assign' && s.value.t === 'call' && s.targets.some((t) => t.t === 'name' && t.id === name) ? [s.value] : [],
  );
}

function syntheticModel(id: string, name: string, app: string, table: string): ModelInfo {
  return {
    id,
    name,
    app,
    appDir: '',
    table,
    loc: [0, 0, 0, 0],
    abstract: false,
    proxy: false,
    parents: [],
    fields: new Map(),
    reverse: new Map(),
    reverseQuery: new Map(),
    managers: new Map(),
    synthetic: true,
    genericFks: new Set(),
  };
}

function classAssign(cls: ClassFact, name: string): Expr | undefined {
  for (const s of cls.body) {
    if (s.t === 'assign' && s.targets.some((t) => t.t === 'name' && t.id === name)) return s.value;
  }
  return undefined;
}

function classLiteral(cls: ClassFact, name: string): string | undefined {
  const v = classAssign(cls, name);
  return v?.t === 'str' ? v.v : undefined;
}

function classConst(cls: ClassFact, name: string): boolean | undefined {
  const v = classAssign(cls, name);
  return v?.t === 'const' ? v.v === 'True' : undefined;
}
