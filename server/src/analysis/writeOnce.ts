/**
 * Write-once columns: set when the row is inserted, never changed after. A save() of a row that
 * exists writes back the value it loaded for such a column, so it cannot change what a reader of
 * that column alone holds. Which attributes code may set is judged by name over the whole
 * workspace: a receiver's model is not asked, so any `x.uuid = …` counts for every model's uuid.
 */
import type { PythonFacts } from '../facts/types';
import type { Expr, Kwarg, Target } from '../syntax/ir';
import type { ModelRegistry } from './models';

export type WriteOnce = (model: string, column: string) => boolean;

export const NO_WRITE_ONCE: WriteOnce = () => false;

/** Whether a column of a model is write-once: declared so, and set by no code of `files` on a loaded row. */
export function writeOnceColumns(files: readonly PythonFacts[], models: ModelRegistry): WriteOnce {
  const set = attributesSet(files, models);
  return (model, column) => {
    const declared = models.writeOnceDeclaration(model, column);
    if (declared === 'key') return true;
    return declared === 'notEditable' && set !== 'any' && !set.has(column);
  };
}

/**
 * Attribute names code may set on a model instance: assignment targets (`x.uuid = …`),
 * `setattr(x, "uuid", …)`, the `defaults` of update_or_create(), a constructor given a primary
 * key with the field (it may name a row that exists), and fields a serializer or form declares
 * writable (their save() sets them). `any` when a name is not literal, or when code gives an
 * instance a key (`x.pk = …`, not None): it may then overwrite a row that exists with any field.
 */
function attributesSet(files: readonly PythonFacts[], models: ModelRegistry): Set<string> | 'any' {
  const names = new Set<string>();
  let any = false;
  const target = (t: Target | null) => {
    if (t?.t === 'attr') names.add(t.name);
    else if (t?.t === 'tuple') t.items.forEach(target);
  };
  const literalKeys = (e: Expr | undefined) => {
    if (e?.t !== 'dict') {
      any = true;
      return;
    }
    for (const item of e.items) {
      if (item.key?.t === 'str') names.add(item.key.v);
      else any = true;
    }
  };
  const kw = (kws: Kwarg[], name: string) => kws.find((k) => k.name === name)?.value;
  const call = (c: Extract<Expr, { t: 'call' }>) => {
    const fn = c.fn.t === 'name' ? c.fn.id : c.fn.t === 'attr' ? c.fn.name : undefined;
    if (fn === 'setattr') {
      const name = c.args[1];
      if (name?.t === 'str') names.add(name.v);
      else any = true;
    } else if (fn === 'update_or_create' || fn === 'aupdate_or_create') {
      if (c.kw.some((k) => !k.name)) any = true;
      else if (kw(c.kw, 'defaults')) literalKeys(kw(c.kw, 'defaults'));
    } else if (c.kw.some((k) => k.name === 'pk' || k.name === 'id')) {
      for (const k of c.kw) if (k.name) names.add(k.name);
    }
  };
  const visit = (node: unknown, depth: number): void => {
    if (depth > 80 || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const x of node) visit(x, depth + 1);
      return;
    }
    const o = node as { t?: unknown } & Record<string, unknown>;
    if (o.t === 'assign') {
      const targets = o.targets as Target[];
      targets.forEach(target);
      // An instance given the key of a row that exists overwrites that row with all it holds.
      const value = o.value as Expr;
      if (targets.some(givesKey) && !(value.t === 'const' && value.v === 'None')) any = true;
    } else if (o.t === 'for') target(o.target as Target);
    else if (o.t === 'with') (o.items as { as: Target | null }[]).forEach((i) => target(i.as));
    else if (o.t === 'call') call(o as Extract<Expr, { t: 'call' }>);
    for (const [k, val] of Object.entries(o)) if (k !== 'loc' && typeof val === 'object') visit(val, depth + 1);
  };
  for (const file of files) {
    visit(file.body, 0);
    for (const fn of file.functions) visit(fn.body, 0);
    file.classes.forEach((cls, i) => {
      visit(cls.body, 0);
      if (models.modelOfClass(file, i)) return;
      for (const s of cls.body) if (s.t === 'assign' && s.value.t === 'call') declaredField(s.targets, s.value);
    });
  }
  return any ? 'any' : names;

  function givesKey(t: Target): boolean {
    return t.t === 'attr' ? t.name === 'pk' || t.name === 'id' : t.t === 'tuple' && t.items.some(givesKey);
  }

  /** A serializer's or form's field (`uuid = serializers.UUIDField()`) that is not read-only: its save() may set it. */
  function declaredField(targets: Target[], value: Extract<Expr, { t: 'call' }>): void {
    const readOnly = kw(value.kw, 'read_only');
    if (readOnly?.t === 'const' && readOnly.v === 'True') return;
    const source = kw(value.kw, 'source');
    if (source?.t === 'str') names.add(source.v);
    else for (const t of targets) if (t.t === 'name') names.add(t.id);
  }
}
