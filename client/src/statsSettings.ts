/** djcache.statsUrl and the stats token on the VS Code side: where the URL comes from, the modal, "Set Stats Token". */
import * as vscode from 'vscode';
import {
  originOf,
  sendQuestionText,
  serializeStatsToken,
  StatsTokenGate,
  urlSourceOf,
  type SendQuestion,
  type UrlSource,
} from './statsToken';

/** The SecretStorage key of the token sent to the stats view (JSON: the token and its origin). */
export const STATS_TOKEN_SECRET = 'djcache.statsToken';

export function statsSettings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('djcache');
}

/** The effective djcache.statsUrl and the layer it comes from (inspect: a workspace value and a user value look alike to get()). */
export function statsUrl(): { url: string; source: UrlSource } {
  const settings = statsSettings();
  const url = settings.get<string>('statsUrl', '').trim();
  return { url, source: urlSourceOf(settings.inspect<string>('statsUrl'), url) };
}

export function createTokenGate(secrets: vscode.SecretStorage): StatsTokenGate {
  return new StatsTokenGate({
    read: async () => secrets.get(STATS_TOKEN_SECRET),
    write: async (raw) => secrets.store(STATS_TOKEN_SECRET, raw),
    ask: askToSend,
  });
}

async function askToSend(question: SendQuestion): Promise<boolean> {
  const text = sendQuestionText(question);
  // "Don't Send" takes the place of the modal's Cancel: Escape and closing the dialog answer it too.
  const send: vscode.MessageItem = { title: text.send };
  const answer = await vscode.window.showWarningMessage(text.message, { modal: true, detail: text.detail }, send, {
    title: text.dontSend,
    isCloseAffordance: true,
  });
  return answer === send;
}

/**
 * Kept in SecretStorage, not in settings, so that it never lands in a settings.json under version
 * control; stored with the origin of djcache.statsUrl (asked for when unset), the only one it is sent to unasked.
 */
export async function setStatsToken(secrets: vscode.SecretStorage, gate: StatsTokenGate): Promise<void> {
  let { url, source } = statsUrl();
  if (!originOf(url)) {
    const typed = await vscode.window.showInputBox({
      title: 'djcache: Stats URL',
      prompt:
        "The djcache runtime's stats view, e.g. http://127.0.0.1:8000/djcache/. The token will be sent to this origin only.",
      value: url,
      ignoreFocusOut: true,
      validateInput: (value) => (originOf(value) ? undefined : 'An http:// or https:// URL.'),
    });
    if (typed === undefined) return;
    url = typed.trim();
    source = 'user';
    await statsSettings().update('statsUrl', url, vscode.ConfigurationTarget.Global);
  }
  const origin = originOf(url)!;
  const where = source === 'workspace' || source === 'workspace folder' ? ', set by this workspace' : '';
  const token = await vscode.window.showInputBox({
    title: 'djcache: Stats Token',
    prompt: `The runtime's DJCACHE["STATS_TOKEN"], sent as "Authorization: Bearer …" only to ${origin} (djcache.statsUrl${where}). Empty removes it.`,
    password: true,
    ignoreFocusOut: true,
  });
  if (token === undefined) return;
  gate.forgetAnswers();
  if (token.trim()) await secrets.store(STATS_TOKEN_SECRET, serializeStatsToken({ token: token.trim(), origin }));
  else await secrets.delete(STATS_TOKEN_SECRET);
}
