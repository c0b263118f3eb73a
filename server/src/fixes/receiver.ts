/**
 * DJC101/DJC102: a plain-Django receiver that deletes the entry's key when its model changes, in
 * the app's signals.py (wired into AppConfig.ready()), or at the end of the model's file when the
 * app has no AppConfig.
 */
import type { Finding } from '../findings';
import type { Location } from '../../../shared/loc';
import type { HoleRebuild, KeyRebuild, M2mHole } from '../analysis/keyRebuild';
import { modelName } from '../wording';
import { wireSignals } from './appConfig';
import { type ImportNeed, importFrom, moduleNames, planImports } from './imports';
import { bumpVersion, cacheRef, formattedHole, keyExpression, rebuiltHoles, versionArg } from './invalidation';
import { parsesCleanly, withSyntax } from './pythonSyntax';
import { DEFAULT_STYLE, identifierOf, indentLines, pyString, type PythonStyle, pythonStyle } from './pythonStyle';
import { applyEdits, insertAt, type TextEdit } from './text';
import type { Change, Fix, SourceFiles } from './types';

/** The findings a receiver answers: their data name the model, its app and the entry's key. */
type ReceiverFinding = Extract<Finding, { code: 'DJC101' | 'DJC102' }>;
type Data = ReceiverFinding['data'];

/** Which receivers the finding needs: for saves and deletes of the model, for changes of its m2m relation. */
function needed(d: Data): { onSave: boolean; onM2m: boolean } {
  const uncovered = new Set(d.uncovered);
  return { onSave: uncovered.has('save') || uncovered.has('delete'), onM2m: uncovered.has('m2m') };
}

/**
 * Why the receiver fix is not offered for a DJC101/DJC102 finding. From the finding alone, the
 * reasons its key and model give; with `files`, also those of the code (a formatted hole, a name
 * the receiver's file already uses for something else).
 */
export function receiverUnavailable(finding: Finding, files?: SourceFiles): string | undefined {
  const reason = dataReason(finding, files);
  if (reason || !files || (finding.code !== 'DJC101' && finding.code !== 'DJC102')) return reason;
  const built = buildReceiver(finding, files);
  return built && 'reason' in built ? built.reason : undefined;
}

/** The receiver fix, or undefined when it is unavailable or already applied. */
export function receiverFix(finding: Finding, files: SourceFiles): Fix | undefined {
  if ((finding.code !== 'DJC101' && finding.code !== 'DJC102') || dataReason(finding, files)) return undefined;
  const built = buildReceiver(finding, files);
  return built && 'changes' in built ? built : undefined;
}

/** Why the finding's model and key rule the receiver out (with `files`, also a hole the key formats). */
function dataReason(finding: Finding, files?: SourceFiles): string | undefined {
  if (finding.code !== 'DJC101' && finding.code !== 'DJC102') return undefined;
  const d = finding.data;
  const name = modelName(d.model ?? '');
  if (!d.model || !d.app)
    return `${d.model ?? 'the model'} is not defined in this project, so there is no app to add a receiver to`;
  // The info finding for models no code writes names them all but carries the first: a receiver for it alone would not settle it.
  if (!d.uncovered) return `nothing in this code writes ${name}, so there is no change for a receiver to follow`;
  const { onSave, onM2m } = needed(d);
  if (!onSave && !onM2m)
    return `only signal-less writes change ${name}, and no receiver sees them (invalidate at the write, DJC103)`;
  const rebuilds: KeyRebuild<{ hole: string; at: Location }>[] = [];
  if (onSave) {
    if (!d.sender) return `${name} has no model class to connect post_save to`;
    rebuilds.push(d.rebuild ?? { kind: 'none', reason: 'the key is not known' });
  }
  if (onM2m) {
    if (!d.m2m) return `${name} is not a many-to-many through table`;
    rebuilds.push(d.m2m.rebuild);
  }
  for (const r of rebuilds) {
    if (r.kind === 'none') return r.reason;
    const formatted = files && formattedHole(r, files);
    if (formatted) return formatted;
  }
  return undefined;
}

/** The fix, or why the code does not take it; undefined when the receiver is already there. */
function buildReceiver(finding: ReceiverFinding, files: SourceFiles): Fix | { reason: string } | undefined {
  const d = finding.data;
  const app = d.app!;
  const appsText = files.read(app.apps);
  const wiring = appsText === undefined ? undefined : wireSignals(appsText);
  // Without an AppConfig to import signals.py from, the receiver goes beside the model.
  const signalsPackage = `${app.dir ? `${app.dir}/` : ''}signals/__init__.py`;
  const signals =
    files.read(app.signals) === undefined && files.read(signalsPackage) !== undefined ? signalsPackage : app.signals;
  const path = wiring ? signals : app.models;
  const text = files.read(path);
  if (!wiring && text === undefined) return { reason: `${path} is not in the workspace` };
  const file = withSyntax(text ?? '', (root) => ({
    names: moduleNames(root, text ?? ''),
    style: pythonStyle(root, text ?? ''),
  }));
  if (!file) return { reason: 'the Python parser is not loaded yet' };
  const { names } = file;
  // A file still to be created is written in the style of the model's file.
  const modelsText = text === undefined ? files.read(app.models) : undefined;
  const style =
    modelsText === undefined
      ? file.style
      : (withSyntax(modelsText, (root) => pythonStyle(root, modelsText)) ?? DEFAULT_STYLE);
  const modelModule = d.sender?.module ?? d.m2m!.owner.module;
  const context: Context = {
    d,
    style,
    cacheOf: (alias) => cacheRef(alias, names, style),
    imports: (module, file, name) => importFrom(path, module, module === modelModule ? app.models : file, name),
  };
  const { onSave, onM2m } = needed(d);
  const receivers = [...(onSave ? [saveReceiver(context)] : []), ...(onM2m ? [m2mReceiver(context)] : [])];
  if (receivers.some((r) => !r)) return { reason: `${path} uses the names cache and caches for something else` };
  const fresh = (receivers as Receiver[]).filter((r) => !names.bound.has(r.name));

  const changes: Change[] = [];
  if (fresh.length) {
    const needs = [
      { module: 'django.db', name: 'transaction' },
      { module: 'django.dispatch', name: 'receiver' },
      ...fresh.flatMap((r) => r.needs),
    ];
    const importEdits = planImports(text ?? '', names, needs, style);
    if ('conflict' in importEdits)
      return { reason: `${path} uses the name ${importEdits.conflict} for something else` };
    const code = fresh.map((r) => indentLines(r.lines, '', style)).join(style.eol.repeat(3));
    const before = text ?? '';
    const edits: TextEdit[] = [
      ...importEdits,
      insertAt(before, before.length, `${separator(applyEdits(before, importEdits), style)}${code}${style.eol}`),
    ];
    const after = applyEdits(before, edits);
    if (!parsesCleanly(after) && (text === undefined || parsesCleanly(text)))
      return { reason: `the receiver would not parse in ${path}` };
    changes.push(text === undefined ? { kind: 'create', path, text: after } : { kind: 'edit', path, edits });
  }
  if (wiring?.edits.length) {
    if (!parsesCleanly(applyEdits(appsText!, wiring.edits)) && parsesCleanly(appsText!))
      return { reason: `ready() in ${app.apps} cannot take the signals import` };
    changes.push({ kind: 'edit', path: app.apps, edits: wiring.edits });
  }
  if (!changes.length) return undefined;
  const what = onSave ? modelName(d.model!) : `${d.m2m!.owner.name}.${d.m2m!.field}`;
  return {
    title: `Invalidate '${d.key}' when ${what} changes`,
    code: finding.code,
    preferred: true,
    safe: true,
    changes,
  };
}

/** What the receiver builders share: the finding's data, the file's style, its cache objects and imports. */
interface Context {
  d: Data;
  style: PythonStyle;
  /** The cache object of an alias in the receiver's file; undefined when its name is taken. */
  cacheOf: (alias: string) => { expr: string; need: ImportNeed } | undefined;
  /** The imports that make `name` of `module` (defined in `file`, when known) usable in the receiver's file. */
  imports: (module: string, file: string | undefined, name: string) => ImportNeed[];
}

/** Blank lines that put new top-level code two blank lines below the file's last line. */
function separator(text: string, style: PythonStyle): string {
  if (!text.trim()) return '';
  const trailing = (/(\r?\n[ \t]*)*$/.exec(text)![0].match(/\n/g) ?? []).length;
  return style.eol.repeat(Math.max(0, 3 - trailing));
}

interface Receiver {
  name: string;
  lines: string[];
  needs: ImportNeed[];
}

/** Body lines that delete (or version-bump) the key once the transaction commits, and the imports they need. */
function invalidation<H extends object>(
  r: Exclude<KeyRebuild<H>, { kind: 'none' }>,
  { d, style, cacheOf, imports }: Context,
  holeExpr: (h: H) => string,
  keysLine?: (key: string) => string,
): { lines: string[]; needs: ImportNeed[] } | undefined {
  const cache = cacheOf(r.kind === 'version' ? r.alias : d.alias!);
  if (!cache) return undefined;
  const version = versionArg(d.version);
  if (r.kind === 'version') return { lines: bumpVersion(cache.expr, r.versionKey, style), needs: [cache.need] };
  if (r.kind === 'constant')
    return {
      lines: [`transaction.on_commit(lambda: ${cache.expr}.delete(${pyString(r.key, style)}${version}))`],
      needs: [cache.need],
    };
  const key = keyExpression(r, holeExpr, style);
  const needs = [cache.need, ...(r.kind === 'call' ? imports(r.module, r.path, r.name) : [])];
  if (keysLine)
    return {
      lines: [keysLine(key), `transaction.on_commit(lambda: ${cache.expr}.delete_many(keys${version}))`],
      needs,
    };
  return { lines: [`transaction.on_commit(lambda: ${cache.expr}.delete(${key}${version}))`], needs };
}

function receiverName(d: Data, changed: string): string {
  return `invalidate_${identifierOf(d.key ?? 'key')}_on_${identifierOf(changed)}_change`;
}

/** post_save and post_delete of the model; pre_delete instead when keys come from related rows, which a delete may detach first. */
function saveReceiver(context: Context): Receiver | undefined {
  const { d, style, imports } = context;
  const r = d.rebuild as Exclude<KeyRebuild, { kind: 'none' }>;
  const model = d.sender!.name;
  const name = receiverName(d, model);
  const many = rebuiltHoles(r).find((p): p is Extract<HoleRebuild, { accessor: string }> => 'accessor' in p);
  const loopVar =
    many && /^[a-z_]\w*$/.test(many.field) && !['instance', 'sender', 'kwargs', 'keys'].includes(many.field)
      ? many.field
      : 'value';
  const body = invalidation(
    r,
    context,
    (h) => ('accessor' in h ? loopVar : `instance.${h.attr}`),
    many &&
      ((key) =>
        `keys = [${key} for ${loopVar} in instance.${many.accessor}.values_list(${pyString(many.field, style)}, flat=True)]`),
  );
  if (!body) return undefined;
  const signals = ['post_save', many ? 'pre_delete' : 'post_delete'];
  return {
    name,
    lines: [
      `@receiver([${signals.join(', ')}], sender=${model})`,
      `def ${name}(sender, instance, **kwargs):`,
      ...body.lines.map((l) => `    ${l}`),
    ],
    needs: [
      ...signals.map((s) => ({ module: 'django.db.models.signals', name: s })),
      ...imports(d.sender!.module, undefined, model),
      ...body.needs,
    ],
  };
}

/**
 * m2m_changed of `Owner.field.through`: after add/remove the changed rows are in pk_set; before a
 * clear they are still related and read from the instance. `reverse` says which side the instance is.
 */
function m2mReceiver(context: Context): Receiver | undefined {
  const { d, style, imports } = context;
  const { owner, field } = d.m2m!;
  const r = d.m2m!.rebuild as Exclude<KeyRebuild<M2mHole>, { kind: 'none' }>;
  const name = receiverName(d, `${owner.name}_${field}`);
  const hole = rebuiltHoles(r)[0];
  const body = invalidation(r, context, () => 'pk', hole && ((key) => `keys = [${key} for pk in pks]`));
  if (!body) return undefined;
  const related =
    hole && `instance.${hole.accessor}.values_list(${pyString('pk', style)}, flat=True) if pk_set is None else pk_set`;
  const pks = hole
    ? [
        'if reverse:',
        `    pks = ${hole.side === 'owner' ? related : '[instance.pk]'}`,
        'else:',
        `    pks = ${hole.side === 'owner' ? '[instance.pk]' : related}`,
      ]
    : [];
  const actions = ['post_add', 'post_remove', 'pre_clear'].map((a) => pyString(a, style)).join(', ');
  return {
    name,
    lines: [
      `@receiver(m2m_changed, sender=${owner.name}.${field}.through)`,
      `def ${name}(sender, instance, action, reverse, pk_set, **kwargs):`,
      `    if action not in (${actions}):`,
      '        return',
      ...[...pks, ...body.lines].map((l) => `    ${l}`),
    ],
    needs: [
      { module: 'django.db.models.signals', name: 'm2m_changed' },
      ...imports(owner.module, undefined, owner.name),
      ...body.needs,
    ],
  };
}
