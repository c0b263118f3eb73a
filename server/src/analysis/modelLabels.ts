/**
 * Model labels ('app.Model') that code names without a class: a literal, a setting, a getattr of
 * settings with its default, swapper's names; and the calls that return a model from one
 * (`get_user_model()`, `apps.get_model(...)`, `swapper.load_model(...)`).
 */
import type { PythonFacts } from '../facts/types';
import type { Expr } from '../syntax/ir';
import { GET_MODEL, GET_USER_MODEL, SETTINGS } from './django';
import { SWAPPER_LOAD_MODEL, SWAPPER_MODEL_NAME, swapperSetting } from './libraries';
import { staticSym, type Workspace } from './workspace';

/** The label an expression spells without running anything; undefined when it does not. */
export function staticModelLabel(ws: Workspace, file: PythonFacts, e: Expr): string | undefined {
  if (e.t === 'str') return e.v;
  if (e.t === 'attr' && isSettings(ws, file, e.obj)) return setting(ws, e.name);
  if (e.t !== 'call') return undefined;
  const q = qualified(ws, file, e.fn);
  const strings = e.args.map((a) => (a.t === 'str' ? a.v : undefined));
  if (q === 'builtins.getattr' && e.args[0] && isSettings(ws, file, e.args[0]) && strings[1] !== undefined) {
    // The default counts only where no settings file assigns the name.
    if (Object.hasOwn(ws.settings.strings, strings[1]) || strings[1] === 'AUTH_USER_MODEL')
      return setting(ws, strings[1]);
    return e.args[2] && staticModelLabel(ws, file, e.args[2]);
  }
  if (q === SWAPPER_MODEL_NAME && strings[0] !== undefined && strings[1] !== undefined)
    return swappedLabel(ws, strings[0], strings[1]);
  return undefined;
}

/**
 * The label of the model a call returns: `get_user_model()`, `apps.get_model("app", "Model")`,
 * `apps.get_model(settings.X)`, `swapper.load_model("app", "Model")`. `label` reads an argument
 * (the interpreter also follows local names).
 */
export function calledModelLabel(
  ws: Workspace,
  q: string,
  args: Expr[],
  label: (e: Expr) => string | undefined,
): string | undefined {
  if (q === GET_USER_MODEL) return ws.settings.authUserModel;
  if (q === GET_MODEL) {
    const parts = args.slice(0, 2).map(label);
    if (!parts.length || parts.some((p) => p === undefined)) return undefined;
    return parts.join('.');
  }
  if (q === SWAPPER_LOAD_MODEL) {
    const [app, model] = args.map(label);
    return app !== undefined && model !== undefined ? swappedLabel(ws, app, model) : undefined;
  }
  return undefined;
}

/** The model label a static expression names or a static call returns. */
export function modelLabelOf(ws: Workspace, file: PythonFacts, e: Expr): string | undefined {
  const named = staticModelLabel(ws, file, e);
  if (named !== undefined || e.t !== 'call') return named;
  const q = qualified(ws, file, e.fn);
  return q ? calledModelLabel(ws, q, e.args, (a) => staticModelLabel(ws, file, a)) : undefined;
}

function swappedLabel(ws: Workspace, app: string, model: string): string | undefined {
  const name = swapperSetting(app, model);
  return Object.hasOwn(ws.settings.strings, name) ? setting(ws, name) : `${app}.${model}`;
}

/** A setting's literal text; undefined when it is not assigned a literal. */
function setting(ws: Workspace, name: string): string | undefined {
  if (name === 'AUTH_USER_MODEL') return ws.settings.authUserModel;
  return ws.settings.strings[name] ?? undefined;
}

function isSettings(ws: Workspace, file: PythonFacts, e: Expr): boolean {
  return qualified(ws, file, e) === SETTINGS;
}

function qualified(ws: Workspace, file: PythonFacts, e: Expr): string | undefined {
  const sym = staticSym(ws, file, e);
  return sym?.k === 'ext' ? sym.q : undefined;
}
