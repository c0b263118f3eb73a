/**
 * An in-process LSP client for tests: the real server over a pair of streams, on a copy of a
 * workspace in a temp folder. It answers the server's requests as an editor would (settings,
 * registrations, progress, applyEdit) and records what the server publishes.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { createConnection } from 'vscode-languageserver/node';
import {
  CancellationTokenSource,
  type CodeAction,
  type CodeLens,
  createProtocolConnection,
  type Diagnostic,
  FileChangeType,
  type Hover,
  type Location,
  type ProtocolConnection,
  type Range,
  StreamMessageReader,
  StreamMessageWriter,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { type ServerOptions, type ServerSetup, startServer } from '../../server/src/lsp/session';
import { STATUS_NOTIFICATION, type StatusParams } from '../../shared/protocol';

/** The servers' cache folder in place of the user's, removed when the tests end. */
export const CACHE_HOME = mkdtempSync(path.join(os.tmpdir(), 'djcache-lsp-cache-'));
process.on('exit', () => rmSync(CACHE_HOME, { recursive: true, force: true }));

export interface Settings {
  enable?: boolean;
  rules?: { select?: string[]; ignore?: string[] };
  severity?: Record<string, string>;
  exclude?: string[];
}

/** How a test starts the server: by default every edit is analysed at once (debounce 0) on the system clock. */
export interface TestServer extends Pick<ServerSetup, 'clock' | 'onAnalysis'> {
  initializationOptions?: ServerOptions;
}

export class TestClient {
  readonly diagnostics = new Map<string, Diagnostic[]>();
  readonly statuses: StatusParams[] = [];
  readonly progress: unknown[] = [];
  readonly logs: string[] = [];
  /** The messages shown to the user (window/showMessageRequest, as showWarningMessage sends them). */
  readonly shown: string[] = [];
  settings: Settings = {};
  private readonly versions = new Map<string, number>();
  private listeners: (() => void)[] = [];

  private constructor(
    readonly roots: string[],
    private readonly conn: ProtocolConnection,
  ) {
    conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      this.diagnostics.set(p.uri, p.diagnostics);
      this.notify();
    });
    conn.onNotification(STATUS_NOTIFICATION, (s: StatusParams) => {
      this.statuses.push(s);
      this.notify();
    });
    conn.onNotification('$/progress', (p: unknown) => void this.progress.push(p));
    conn.onNotification('window/logMessage', (p: { message: string }) => void this.logs.push(p.message));
    conn.onNotification('window/showMessage', (p: { message: string }) => void this.logs.push(p.message));
    conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => this.settings));
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('window/showMessageRequest', (p: { message: string }) => {
      this.shown.push(p.message);
      return null;
    });
    conn.onRequest('workspace/applyEdit', (p: { edit: WorkspaceEdit }) => {
      this.applyEdit(p.edit);
      return { applied: true };
    });
  }

  /** Copies each source tree to a temp folder and starts the server on those folders. */
  static async start(sources: string[], settings: Settings = {}, server: TestServer = {}): Promise<TestClient> {
    const roots = sources.map((src) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'djcache-lsp-'));
      cpSync(src, dir, { recursive: true });
      return dir;
    });
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    startServer(createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient)), {
      cacheHome: CACHE_HOME,
      clock: server.clock,
      onAnalysis: server.onAnalysis,
    });
    const conn = createProtocolConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    const client = new TestClient(roots, conn);
    client.settings = settings;
    conn.listen();
    await conn.sendRequest('initialize', {
      processId: null,
      rootUri: null,
      workspaceFolders: roots.map((r) => ({ uri: URI.file(r).toString(), name: path.basename(r) })),
      initializationOptions: server.initializationOptions ?? { debounceMs: 0 },
      capabilities: {
        window: { workDoneProgress: true },
        workspace: {
          workspaceFolders: true,
          configuration: true,
          didChangeWatchedFiles: { dynamicRegistration: true },
          workspaceEdit: { documentChanges: true, resourceOperations: ['create'] },
        },
        textDocument: {
          publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true },
        },
      },
    });
    await conn.sendNotification('initialized', {});
    await client.until(() => client.statuses.some((s) => s.state === 'ready'), 'the first analysis');
    return client;
  }

  uri(rel: string, root = 0): string {
    return URI.file(path.join(this.roots[root], rel)).toString();
  }

  file(rel: string, root = 0): string {
    return path.join(this.roots[root], rel);
  }

  read(rel: string, root = 0): string {
    return readFileSync(this.file(rel, root), 'utf8');
  }

  /** Diagnostics of one file as `CODE@line` (1-based), sorted. */
  codes(rel: string, root = 0): string[] {
    return (this.diagnostics.get(this.uri(rel, root)) ?? []).map((d) => `${d.code}@${d.range.start.line + 1}`).sort();
  }

  allCodes(root = 0): string[] {
    const prefix = URI.file(this.roots[root]).toString() + '/';
    return [...this.diagnostics]
      .filter(([uri]) => uri.startsWith(prefix))
      .flatMap(([uri, ds]) => ds.map((d) => `${uri.slice(prefix.length)}:${d.range.start.line + 1}:${d.code}`))
      .sort();
  }

  /** Opens a file as an editor buffer and waits for the analysis that follows. */
  async open(rel: string, root = 0): Promise<void> {
    const uri = this.uri(rel, root);
    this.versions.set(uri, 1);
    await this.settled(() =>
      this.conn.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'python', version: 1, text: this.read(rel, root) },
      }),
    );
  }

  /** Resolves once the server has handled every message sent before it (a request it answers without analysing). */
  async handled(): Promise<void> {
    await this.conn.sendRequest('textDocument/hover', {
      textDocument: { uri: 'file:///outside-every-folder.py' },
      position: { line: 0, character: 0 },
    });
  }

  /** Replaces the open buffer's text without saving it. */
  async change(rel: string, text: string, root = 0): Promise<void> {
    const uri = this.uri(rel, root);
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
  }

  async close(rel: string, root = 0): Promise<void> {
    await this.settled(() =>
      this.conn.sendNotification('textDocument/didClose', { textDocument: { uri: this.uri(rel, root) } }),
    );
  }

  /** Writes a file on disk and tells the server, as a file watcher would. */
  async writeFile(rel: string, text: string, root = 0): Promise<void> {
    const existed = existsSync(this.file(rel, root));
    mkdirSync(path.dirname(this.file(rel, root)), { recursive: true });
    writeFileSync(this.file(rel, root), text);
    await this.watched([{ uri: this.uri(rel, root), type: existed ? FileChangeType.Changed : FileChangeType.Created }]);
  }

  async deleteFile(rel: string, root = 0): Promise<void> {
    rmSync(this.file(rel, root), { recursive: true });
    await this.watched([{ uri: this.uri(rel, root), type: FileChangeType.Deleted }]);
  }

  async watched(changes: { uri: string; type: FileChangeType }[]): Promise<void> {
    await this.conn.sendNotification('workspace/didChangeWatchedFiles', { changes });
  }

  async configure(settings: Settings): Promise<void> {
    this.settings = settings;
    const before = this.statuses.length;
    await this.conn.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await this.until(
      () => this.statuses.slice(before).some((s) => s.state === 'ready'),
      'analysis after a configuration change',
    );
  }

  hover(rel: string, line: number, character: number, root = 0): Promise<Hover | null> {
    return this.conn.sendRequest('textDocument/hover', {
      textDocument: { uri: this.uri(rel, root) },
      position: { line, character },
    });
  }

  codeActions(rel: string, range: Range, only?: string[], root = 0): Promise<CodeAction[]> {
    const diagnostics = (this.diagnostics.get(this.uri(rel, root)) ?? []).filter(
      (d) => d.range.start.line <= range.end.line && d.range.end.line >= range.start.line,
    );
    return this.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri: this.uri(rel, root) },
      range,
      context: { diagnostics, only },
    });
  }

  codeLens(rel: string, root = 0): Promise<CodeLens[]> {
    return this.conn.sendRequest('textDocument/codeLens', { textDocument: { uri: this.uri(rel, root) } });
  }

  definition(rel: string, line: number, character: number, root = 0): Promise<Location[]> {
    return this.conn.sendRequest('textDocument/definition', {
      textDocument: { uri: this.uri(rel, root) },
      position: { line, character },
    });
  }

  references(rel: string, line: number, character: number, root = 0): Promise<Location[]> {
    return this.conn.sendRequest('textDocument/references', {
      textDocument: { uri: this.uri(rel, root) },
      position: { line, character },
      context: { includeDeclaration: true },
    });
  }

  executeCommand(command: string, args: unknown[] = []): Promise<unknown> {
    return this.conn.sendRequest('workspace/executeCommand', { command, arguments: args });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params);
  }

  /** Sends a hover and cancels it at once; resolves with the server's answer or its error. */
  async cancelledHover(rel: string, line: number, character: number): Promise<unknown> {
    const source = new CancellationTokenSource();
    const answer = this.conn.sendRequest(
      'textDocument/hover',
      { textDocument: { uri: this.uri(rel) }, position: { line, character } },
      source.token,
    );
    source.cancel();
    return answer.then(
      (r) => r,
      (e: unknown) => e,
    );
  }

  /** Applies a WorkspaceEdit to the files on disk and tells the server, as an editor saving them would. */
  async applyAndNotify(edit: WorkspaceEdit): Promise<string[]> {
    const touched = this.applyEdit(edit);
    await this.watched(touched.map((uri) => ({ uri, type: FileChangeType.Changed })));
    return touched;
  }

  private applyEdit(edit: WorkspaceEdit): string[] {
    const touched: string[] = [];
    for (const change of edit.documentChanges ?? []) {
      if ('kind' in change) {
        if (change.kind !== 'create') throw new Error(`unexpected resource operation ${change.kind}`);
        const file = URI.parse(change.uri).fsPath;
        if (!existsSync(file)) writeFileSync(file, '');
        continue;
      }
      const file = URI.parse(change.textDocument.uri).fsPath;
      const doc = TextDocument.create(change.textDocument.uri, 'python', 0, readFileSync(file, 'utf8'));
      writeFileSync(
        file,
        TextDocument.applyEdits(
          doc,
          change.edits.filter((e): e is TextEdit => 'newText' in e),
        ),
      );
      touched.push(change.textDocument.uri);
    }
    return touched;
  }

  /** Waits until the condition holds after some server message; fails after a bound, never sleeps blindly. */
  until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
    });
  }

  /** Waits for the next 'ready' status after an action. */
  async settled(action: () => Promise<unknown>): Promise<void> {
    const before = this.statuses.length;
    await action();
    await this.until(() => this.statuses.slice(before).some((s) => s.state === 'ready'), 'the analysis after an edit');
  }

  dispose(): void {
    this.conn.dispose();
    for (const r of this.roots) rmSync(r, { recursive: true, force: true });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
