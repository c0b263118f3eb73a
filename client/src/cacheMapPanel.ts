/**
 * The Cache Map webview: asks the server for the graph, posts the rows to media/cacheMap.js, opens code
 * on click, and while visible polls the runtime's stats view (djcache.statsUrl) and posts live numbers.
 */
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { GraphResult } from '../../shared/protocol';
import {
  buildCacheMapView,
  buildLiveStatsView,
  LIVE_WINDOW_SECONDS,
  notConnectedView,
  type CacheMapView,
  type LiveStatsView,
  type SourceTarget,
  type StatsSample,
} from './cacheMapModel';
import { fetchRuntimeStats, StatsUnavailable } from './statsClient';
import { statsSettings, statsUrl } from './statsSettings';
import type { StatsTokenGate } from './statsToken';
import type { StatusView } from './status';

/** The e2e tests find the panel by this title. */
const CACHE_MAP_TITLE = 'djcache: Cache Map';

/** Messages the extension posts to the webview. */
type ToWebview =
  | { type: 'view'; view: CacheMapView }
  | { type: 'live'; live: LiveStatsView }
  | { type: 'status'; text: string }
  | { type: 'error'; message: string };

/** Messages the webview posts back. */
type FromWebview = { type: 'ready' } | { type: 'open'; target: SourceTarget };

export class CacheMapPanel {
  private static current: CacheMapPanel | undefined;

  static show(extensionUri: vscode.Uri, tokens: StatsTokenGate, fetchGraph: () => Promise<GraphResult>): void {
    if (CacheMapPanel.current) {
      CacheMapPanel.current.panel.reveal();
      void CacheMapPanel.current.refresh();
      return;
    }
    const panel = vscode.window.createWebviewPanel('djcache.cacheMap', CACHE_MAP_TITLE, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
    });
    CacheMapPanel.current = new CacheMapPanel(panel, extensionUri, tokens, fetchGraph);
  }

  /** The stats URL, its refresh interval or the token changed: start the live numbers afresh. */
  static onStatsSettingsChanged(): void {
    const current = CacheMapPanel.current;
    if (!current) return;
    current.samples = [];
    current.schedulePolling();
  }

  /** Called on each server status: re-read the graph once the server is ready, otherwise say what it is doing. */
  static onServerStatus(status: StatusView, ready: boolean): void {
    const current = CacheMapPanel.current;
    if (!current) return;
    if (ready) void current.refresh();
    else if (status.error) current.post({ type: 'error', message: `${status.text}: ${status.detail}` });
    else current.post({ type: 'status', text: status.text });
  }

  private readonly disposables: vscode.Disposable[] = [];
  /** The entries of the last graph, for matching stats families to them. */
  private entries: { id: string; key: string }[] = [];
  /** Stats answers of the current window, oldest first. */
  private samples: StatsSample[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  /** A poll in flight: a slow stats view never gets a second request on top. */
  private polling = false;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly tokens: StatsTokenGate,
    private readonly fetchGraph: () => Promise<GraphResult>,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html(extensionUri);
    panel.webview.onDidReceiveMessage((message: FromWebview) => this.onMessage(message), undefined, this.disposables);
    panel.onDidChangeViewState(() => this.schedulePolling(), undefined, this.disposables);
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
  }

  private async onMessage(message: FromWebview): Promise<void> {
    if (message.type === 'ready') {
      await this.refresh();
      this.schedulePolling();
    } else if (message.type === 'open') {
      await openTarget(message.target);
    }
  }

  private async refresh(): Promise<void> {
    try {
      const graph = await this.fetchGraph();
      this.entries = graph.folders.flatMap((folder) =>
        folder.graph.entries.map((entry) => ({ id: entry.id, key: entry.key })),
      );
      this.post({ type: 'view', view: buildCacheMapView(graph) });
      if (this.samples.length) this.postLive();
    } catch (error) {
      this.post({
        type: 'error',
        message: `Could not get the cache graph from the server: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /** Polls now and then every djcache.statsRefreshSeconds while the map is visible; stops while it is hidden. */
  private schedulePolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    if (!this.panel.visible) return;
    void this.poll();
    const seconds = Math.max(2, statsSettings().get<number>('statsRefreshSeconds', 10));
    this.pollTimer = setInterval(() => void this.poll(), seconds * 1000);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    const { url, source } = statsUrl();
    if (!url) {
      this.post({
        type: 'live',
        live: notConnectedView(
          "Live stats: not connected — set djcache.statsUrl to the runtime's stats view, e.g. http://127.0.0.1:8000/djcache/",
        ),
      });
      return;
    }
    this.polling = true;
    // Until the user has answered whether the token may go to a new origin, nothing is fetched.
    let withheld: string | undefined;
    try {
      const access = await this.tokens.accessFor(url, source);
      withheld = access.withheld;
      const families = await fetchRuntimeStats(url, access.token);
      const receivedAt = Date.now();
      this.samples = [
        ...this.samples.filter((sample) => sample.receivedAt >= receivedAt - LIVE_WINDOW_SECONDS * 1000),
        { receivedAt, families },
      ];
      this.postLive(url, withheld);
    } catch (error) {
      this.samples = [];
      const reason = error instanceof StatsUnavailable ? error.message : `could not read ${url}: ${String(error)}`;
      this.post({ type: 'live', live: notConnectedView(withNote(`Live stats: ${reason}`, withheld)) });
    } finally {
      this.polling = false;
    }
  }

  private postLive(url = statsUrl().url, withheld?: string): void {
    const live = buildLiveStatsView(this.samples, this.entries, url, LIVE_WINDOW_SECONDS);
    this.post({ type: 'live', live: { ...live, note: withNote(live.note, withheld) } });
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private html(extensionUri: vscode.Uri): string {
    const webview = this.panel.webview;
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', name));
    const nonce = crypto.randomBytes(16).toString('base64');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src ${webview.cspSource};">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('cacheMap.css')}">
<title>${CACHE_MAP_TITLE}</title>
</head>
<body>
<script nonce="${nonce}" src="${asset('cacheMap.js')}"></script>
</body>
</html>`;
  }

  private dispose(): void {
    CacheMapPanel.current = undefined;
    clearInterval(this.pollTimer);
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

/** The note above the map, and why the token did not go with the request. */
function withNote(note: string, withheld: string | undefined): string {
  return withheld ? `${note} · ${withheld}` : note;
}

async function openTarget(target: SourceTarget): Promise<void> {
  const uri = vscode.Uri.joinPath(vscode.Uri.parse(target.folderUri), target.path);
  const position = new vscode.Position(target.line, target.character);
  // Beside the map, so that the map stays in view for the next click.
  await vscode.window.showTextDocument(uri, {
    viewColumn: vscode.ViewColumn.Beside,
    selection: new vscode.Range(position, position),
  });
}
