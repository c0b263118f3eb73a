/** The Cache Map webview: asks the server for the graph, posts the rows to media/cacheMap.js, opens code on click. */
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { GraphResult } from '../../server/src/protocol';
import { buildCacheMapView, type CacheMapView, type SourceTarget } from './cacheMapModel';
import type { StatusView } from './status';

/** The e2e tests find the panel by this title. */
const CACHE_MAP_TITLE = 'djcache: Cache Map';

/** Messages the extension posts to the webview. */
type ToWebview =
  | { type: 'view'; view: CacheMapView }
  | { type: 'status'; text: string }
  | { type: 'error'; message: string };

/** Messages the webview posts back. */
type FromWebview = { type: 'ready' } | { type: 'open'; target: SourceTarget };

export class CacheMapPanel {
  private static current: CacheMapPanel | undefined;

  static show(extensionUri: vscode.Uri, fetchGraph: () => Promise<GraphResult>): void {
    if (CacheMapPanel.current) {
      CacheMapPanel.current.panel.reveal();
      void CacheMapPanel.current.refresh();
      return;
    }
    const panel = vscode.window.createWebviewPanel('djcache.cacheMap', CACHE_MAP_TITLE, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
    });
    CacheMapPanel.current = new CacheMapPanel(panel, extensionUri, fetchGraph);
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

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly fetchGraph: () => Promise<GraphResult>,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html(extensionUri);
    panel.webview.onDidReceiveMessage((message: FromWebview) => this.onMessage(message), undefined, this.disposables);
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
  }

  private async onMessage(message: FromWebview): Promise<void> {
    if (message.type === 'ready') await this.refresh();
    else if (message.type === 'open') await openTarget(message.target);
  }

  private async refresh(): Promise<void> {
    try {
      this.post({ type: 'view', view: buildCacheMapView(await this.fetchGraph()) });
    } catch (error) {
      this.post({ type: 'error', message: `Could not get the cache graph from the server: ${error instanceof Error ? error.message : String(error)}` });
    }
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
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

async function openTarget(target: SourceTarget): Promise<void> {
  const uri = vscode.Uri.joinPath(vscode.Uri.parse(target.folderUri), target.path);
  const position = new vscode.Position(target.line, target.character);
  // Beside the map, so that the map stays in view for the next click.
  await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, selection: new vscode.Range(position, position) });
}
