/**
 * The stats token is bound to the origin (scheme://host:port) it was given for. A cloned repository
 * can point djcache.statsUrl anywhere (in a trusted workspace), so the token goes to another origin
 * only after the user says so in a modal that spells that origin out. No VS Code imports: the
 * extension passes its SecretStorage and its modal in as `TokenPorts`.
 */

/** What SecretStorage holds under STATS_TOKEN_SECRET: JSON of this. */
export interface StoredStatsToken {
  token: string;
  /** Where the token may go; undefined for a token stored before tokens were bound. */
  origin: string | undefined;
}

/** Which settings layer djcache.statsUrl's value comes from. */
export type UrlSource = 'default' | 'user' | 'workspace' | 'workspace folder';

export interface SendQuestion {
  /** The origin djcache.statsUrl points to now. */
  origin: string;
  /** The origin the token was given for. */
  boundOrigin: string | undefined;
  source: UrlSource;
}

export interface TokenPorts {
  /** The raw secret. */
  read(): Promise<string | undefined>;
  write(raw: string): Promise<void>;
  /** A modal; true only on an explicit "send". */
  ask(question: SendQuestion): Promise<boolean>;
}

/** The token for one request, or why none goes with it (for the Cache Map's note). */
export interface TokenAccess {
  token: string | undefined;
  withheld?: string;
}

/** `scheme://host:port` with the port always written, or undefined for anything but http(s). */
export function originOf(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.protocol}//${parsed.hostname}:${port}`;
}

export function serializeStatsToken(stored: StoredStatsToken): string {
  return JSON.stringify(stored);
}

/** A plain string is a token stored before binding: it has no origin and is sent nowhere unasked. */
export function parseStoredStatsToken(raw: string | undefined): StoredStatsToken | undefined {
  if (!raw) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object') {
      const { token, origin } = value as Record<string, unknown>;
      if (typeof token === 'string' && token && typeof origin === 'string') return { token, origin };
    }
  } catch {
    // Not JSON: the old format.
  }
  return { token: raw, origin: undefined };
}

/** The layer the effective value comes from; a layer whose value VS Code ignores (Restricted Mode) does not count. */
export function urlSourceOf(
  inspected:
    | {
        globalValue?: string;
        workspaceValue?: string;
        workspaceFolderValue?: string;
      }
    | undefined,
  effective: string,
): UrlSource {
  if (!effective) return 'default';
  if (inspected?.workspaceFolderValue?.trim() === effective) return 'workspace folder';
  if (inspected?.workspaceValue?.trim() === effective) return 'workspace';
  if (inspected?.globalValue?.trim() === effective) return 'user';
  return 'default';
}

function describeSource(source: UrlSource): string {
  switch (source) {
    case 'workspace':
      return "this workspace's settings (.vscode/settings.json)";
    case 'workspace folder':
      return "a workspace folder's settings (.vscode/settings.json)";
    case 'user':
      return 'your user settings';
    case 'default':
      return 'the default';
  }
}

/** The modal's words: the new origin spelled out, where the URL comes from, and where the token was given for. */
export function sendQuestionText(question: SendQuestion): {
  message: string;
  detail: string;
  send: string;
  dontSend: string;
} {
  const given = question.boundOrigin
    ? `Your djcache stats token was given for ${question.boundOrigin}.`
    : 'Your djcache stats token was stored before djcache bound tokens to the URL they were given for.';
  return {
    message: `Send your djcache stats token to ${question.origin}?`,
    detail:
      `${given} djcache.statsUrl, set in ${describeSource(question.source)}, now points to ${question.origin}. ` +
      'Send the token there only if you trust that server with it; djcache reads the stats without the token otherwise.',
    send: `Send to ${question.origin}`,
    dontSend: "Don't Send",
  };
}

export class StatsTokenGate {
  /** Origins the user declined this session: not asked again until the token is set anew. */
  private readonly declined = new Set<string>();
  /** One question per origin at a time, however many polls ask. */
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(private readonly ports: TokenPorts) {}

  /** The token to send to `url`, asking the user first when the URL is not on the token's origin. */
  async accessFor(url: string, source: UrlSource): Promise<TokenAccess> {
    const stored = parseStoredStatsToken(await this.ports.read());
    if (!stored) return { token: undefined };
    const origin = originOf(url);
    if (!origin) return { token: undefined, withheld: 'the stats token is only sent to http(s) URLs' };
    if (stored.origin === origin) return { token: stored.token };
    if (!this.declined.has(origin) && (await this.askOnce({ origin, boundOrigin: stored.origin, source }))) {
      await this.ports.write(serializeStatsToken({ token: stored.token, origin }));
      return { token: stored.token };
    }
    this.declined.add(origin);
    const given = stored.origin ? `it was given for ${stored.origin}` : 'it is not bound to a URL yet';
    return {
      token: undefined,
      withheld: `stats token not sent to ${origin}: ${given} (run "djcache: Set Stats Token" to give one for this URL)`,
    };
  }

  /** The token was set anew: earlier answers no longer hold. */
  forgetAnswers(): void {
    this.declined.clear();
  }

  private askOnce(question: SendQuestion): Promise<boolean> {
    let pending = this.asking.get(question.origin);
    if (!pending) {
      pending = this.ports.ask(question).finally(() => this.asking.delete(question.origin));
      this.asking.set(question.origin, pending);
    }
    return pending;
  }
}
