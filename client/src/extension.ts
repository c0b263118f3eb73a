/** Activation: starts the language server, shows its status, and implements the djcache commands. */
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  NotificationType,
  RequestType0,
  State,
  TransportKind,
  type LanguageClientOptions,
  type Location as LspLocation,
  type Position as LspPosition,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  CLIENT_COMMANDS,
  COMMANDS,
  GRAPH_REQUEST,
  STATUS_NOTIFICATION,
  type GraphResult,
  type StatusParams,
} from '../../shared/protocol';
import { CacheMapPanel } from './cacheMapPanel';
import { createTokenGate, setStatsToken, STATS_TOKEN_SECRET } from './statsSettings';
import { describeClientPhase, describeStatus, type ClientPhase, type StatusView } from './status';

/** Python files and Django templates; plain-HTML templates count when they sit under a templates/ folder. */
const DOCUMENTS = [
  { scheme: 'file', language: 'python' },
  { scheme: 'file', language: 'django-html' },
  { scheme: 'file', language: 'html', pattern: '**/templates/**' },
];

const COMMAND_IDS = {
  restartServer: 'djcache.restartServer',
  showOutput: 'djcache.showOutput',
  fixAll: 'djcache.fixAll',
  revalidate: 'djcache.revalidate',
  setStatsToken: 'djcache.setStatsToken',
} as const;

const statusNotification = new NotificationType<StatusParams>(STATUS_NOTIFICATION);
const graphRequest = new RequestType0<GraphResult, void>(GRAPH_REQUEST);

let extension: DjcacheExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new DjcacheExtension(context);
  await extension.startOrStop();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
}

class DjcacheExtension {
  private client: LanguageClient | undefined;
  /** Starts, stops and restarts run one after another, so that two settings changes cannot start two servers. */
  private lifecycle: Promise<void> = Promise.resolve();
  private readonly output = vscode.window.createOutputChannel('djcache', { log: true });
  private readonly statusItem = vscode.languages.createLanguageStatusItem('djcache.status', DOCUMENTS);

  constructor(private readonly context: vscode.ExtensionContext) {
    this.statusItem.name = 'djcache';
    this.statusItem.command = { title: 'Show Output', command: COMMAND_IDS.showOutput };
    this.showStatus(describeClientPhase('starting'));
    const tokens = createTokenGate(context.secrets);
    const register = (id: string, run: (...args: any[]) => unknown) => vscode.commands.registerCommand(id, run);
    context.subscriptions.push(
      this.output,
      this.statusItem,
      register(COMMAND_IDS.restartServer, () => this.restart()),
      register(COMMAND_IDS.showOutput, () => this.output.show()),
      register(COMMAND_IDS.fixAll, () => this.fixAll()),
      register(COMMAND_IDS.revalidate, () => this.executeServerCommand(COMMANDS.revalidate, [])),
      register(CLIENT_COMMANDS.showCacheMap, () =>
        CacheMapPanel.show(context.extensionUri, tokens, () => this.fetchGraph()),
      ),
      register(COMMAND_IDS.setStatsToken, () => setStatsToken(context.secrets, tokens)),
      register(CLIENT_COMMANDS.openRuleDoc, (url: string) => openRuleDoc(url)),
      register(CLIENT_COMMANDS.showLocations, (uri: string, position: LspPosition, locations: LspLocation[]) =>
        showLocations(uri, position, locations),
      ),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('djcache.enable')) void this.startOrStop();
        if (
          event.affectsConfiguration('djcache.statsUrl') ||
          event.affectsConfiguration('djcache.statsRefreshSeconds')
        ) {
          CacheMapPanel.onStatsSettingsChanged();
        }
      }),
      context.secrets.onDidChange((event) => {
        if (event.key === STATS_TOKEN_SECRET) CacheMapPanel.onStatsSettingsChanged();
      }),
    );
  }

  /** Runs the server while djcache.enable is on for some folder; the server honours it per folder. */
  startOrStop(): Promise<void> {
    return this.serialize(() => this.applyEnablement());
  }

  stop(): Promise<void> {
    return this.serialize(() => this.stopClient());
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    this.lifecycle = this.lifecycle.then(step).catch((error) => this.output.error(`djcache: ${errorMessage(error)}`));
    return this.lifecycle;
  }

  private async applyEnablement(): Promise<void> {
    if (!isEnabledAnywhere()) {
      await this.stopClient();
      this.showStatus(describeClientPhase('disabled'));
    } else if (!this.client) {
      await this.start();
    }
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.needsStop()) await client.stop();
  }

  private async start(): Promise<void> {
    const client = this.createClient();
    this.client = client;
    client.onNotification(statusNotification, (params) => {
      const view = describeStatus(params);
      this.showStatus(view);
      CacheMapPanel.onServerStatus(view, params.state === 'ready');
    });
    client.onDidChangeState(({ newState }) => {
      if (this.client !== client) return;
      const phase: ClientPhase | undefined =
        newState === State.Starting ? 'starting' : newState === State.Stopped ? 'stopped' : undefined;
      if (phase) this.showStatus(describeClientPhase(phase));
    });
    try {
      await client.start();
    } catch (error) {
      this.output.error(`djcache: the language server did not start: ${errorMessage(error)}`);
      this.showStatus(describeClientPhase('stopped'));
    }
  }

  private createClient(): LanguageClient {
    const serverOptions: ServerOptions = {
      module: this.context.asAbsolutePath('dist/server.js'),
      transport: TransportKind.ipc,
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENTS,
      // No `synchronize`: the server registers its file watchers and the 'djcache' settings
      // section itself, and pulls settings per folder with workspace/configuration.
      outputChannel: this.output,
      diagnosticCollectionName: 'djcache',
      // Hovers may link to these commands.
      markdown: { isTrusted: { enabledCommands: Object.values(CLIENT_COMMANDS) } },
    };
    return new LanguageClient('djcache', 'djcache', serverOptions, clientOptions);
  }

  private restart(): Promise<void> {
    return this.serialize(async () => {
      if (!this.client) {
        void vscode.window.showInformationMessage('djcache is turned off by the djcache.enable setting.');
        return;
      }
      this.output.info('djcache: restarting the language server');
      await this.stopClient();
      await this.start();
    });
  }

  private showStatus(view: StatusView): void {
    this.statusItem.text = view.text;
    this.statusItem.detail = view.detail;
    this.statusItem.busy = view.busy;
    this.statusItem.severity = view.error
      ? vscode.LanguageStatusSeverity.Error
      : vscode.LanguageStatusSeverity.Information;
  }

  private runningClient(): LanguageClient {
    if (!this.client?.isRunning()) throw new Error('the djcache language server is not running');
    return this.client;
  }

  private fetchGraph(): Promise<GraphResult> {
    return this.runningClient().sendRequest(graphRequest);
  }

  private async executeServerCommand(command: string, args: unknown[]): Promise<void> {
    try {
      await this.runningClient().sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (error) {
      void vscode.window.showErrorMessage(`djcache: ${errorMessage(error)}`);
    }
  }

  private async fixAll(): Promise<void> {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || !vscode.languages.match(DOCUMENTS, document)) {
      void vscode.window.showInformationMessage('djcache: open a Python file or a Django template to fix.');
      return;
    }
    await this.executeServerCommand(COMMANDS.fixAll, [document.uri.toString()]);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isEnabledAnywhere(): boolean {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) return vscode.workspace.getConfiguration('djcache').get('enable', true);
  return folders.some((folder) => vscode.workspace.getConfiguration('djcache', folder.uri).get('enable', true));
}

/** The code lens target: a peek view of the locations (an entry's invalidations, or an invalidation's entries). */
async function showLocations(uri: string, position: LspPosition, locations: LspLocation[]): Promise<void> {
  const toPosition = (p: LspPosition) => new vscode.Position(p.line, p.character);
  await vscode.commands.executeCommand(
    'editor.action.showReferences',
    vscode.Uri.parse(uri),
    toPosition(position),
    locations.map(
      (l) =>
        new vscode.Location(
          vscode.Uri.parse(l.uri),
          new vscode.Range(toPosition(l.range.start), toPosition(l.range.end)),
        ),
    ),
  );
}

/** Rule docs ship inside the extension as markdown (file: URLs); anything else opens in the browser. */
async function openRuleDoc(url: string): Promise<void> {
  const uri = vscode.Uri.parse(url);
  if (uri.scheme !== 'file') {
    await vscode.env.openExternal(uri);
  } else if (uri.path.endsWith('.md')) {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } else {
    await vscode.window.showTextDocument(uri);
  }
}
