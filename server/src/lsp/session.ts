/**
 * The language server: wires an LSP connection to one Folder per workspace folder. Handlers only
 * convert between protocol and engine types; every request is isolated, so an error is logged,
 * answered with an empty result, and the server lives on.
 */
import {
  type CancellationToken,
  type CodeAction,
  type CodeLens,
  type Connection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  type Hover,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type WorkspaceFolder,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import type { Parser } from 'web-tree-sitter';
import { describeFailed } from '../analysis/fileError';
import { codeLenses } from '../features/codeLens';
import { hoverAt } from '../features/hover';
import { definitionsAt, referencesAt } from '../features/navigation';
import { type Finding, findingEntryId, findingModel } from '../findings';
import { fixAll, receiverUnavailable } from '../fixes';
import { codeActions, FIX_ALL_KIND } from '../features/codeActions';
import type { SourceFiles } from '../fixes/types';
import {
  CLIENT_COMMANDS,
  COMMANDS,
  GRAPH_REQUEST,
  type GraphResult,
  STATUS_NOTIFICATION,
  type StatusParams,
} from '../../../shared/protocol';
import type { Snapshot } from '../engine/projectIndex';
import { osCacheHome } from '../engine/factCache';
import { loadPythonParser } from '../syntax/parser';
import { AnalysisScheduler, type Clock } from './analysisScheduler';
import {
  fileUri,
  fromRange,
  locationLink,
  quickFix,
  ruleDocUri,
  toDiagnostic,
  toLocation,
  toRange,
  toWorkspaceEdit,
} from './convert';
import { defaultSettings, type EditorSettings, Folder } from './folder';

export interface ServerOptions {
  /**
   * Edits closer together than this (typing) are analysed once this long after the last of them;
   * a lone edit is analysed at once (see AnalysisScheduler). 0: every edit at once.
   */
  debounceMs?: number;
}

/** How the process starting the server sets it up: not the client's to choose. */
export interface ServerSetup {
  /** The user's cache folder (default osCacheHome()); each workspace folder's fact cache is a folder below it. */
  cacheHome?: string;
  /** The debounce's time source (default: the system's); tests step a fake one by hand. */
  clock?: Clock;
  /**
   * Called after each analysis of a folder, before it is published or dropped as stale; publishing
   * waits for the returned promise. Tests count and pace analyses with it.
   */
  onAnalysis?: (folderUri: string) => Promise<void> | void;
}

/** ServerOptions.debounceMs when the client sets none: typing is a key every few hundred milliseconds or faster. */
export const DEFAULT_DEBOUNCE_MS = 200;

export function startServer(connection: Connection, setup: ServerSetup = {}): void {
  const documents = new TextDocuments(TextDocument);
  const folders = new Map<string, Folder>();
  /** What was last published per folder, so unchanged files are not sent again and cleared ones are. */
  const published = new Map<Folder, Map<string, string>>();
  const findingCounts = new Map<Folder, number>();
  const schedulers = new Map<Folder, AnalysisScheduler>();
  let parser: Parser;
  let debounceMs = DEFAULT_DEBOUNCE_MS;
  let caps = {
    progress: false,
    watchers: false,
    configuration: false,
    configurationRegistration: false,
    folderEvents: false,
  };

  const log = (message: string) => connection.console.log(message);
  const logFailure = (what: string, error: unknown) =>
    log(`${what} failed: ${error instanceof Error ? error.stack : String(error)}`);
  const host = {
    openText: (uri: string) => documents.get(uri)?.getText(),
    log,
    cacheHome: setup.cacheHome ?? osCacheHome(),
  };
  /** Configuration warnings already shown: each is shown once, not on every reload. */
  const warned = new Set<string>();

  connection.onInitialize(async (params) => {
    parser = await loadPythonParser();
    debounceMs = (params.initializationOptions as ServerOptions | undefined)?.debounceMs ?? debounceMs;
    const c = params.capabilities;
    caps = {
      progress: !!c.window?.workDoneProgress,
      watchers: !!c.workspace?.didChangeWatchedFiles?.dynamicRegistration,
      configuration: !!c.workspace?.configuration,
      configurationRegistration: !!c.workspace?.didChangeConfiguration?.dynamicRegistration,
      folderEvents: !!c.workspace?.workspaceFolders,
    };
    const initial: WorkspaceFolder[] =
      params.workspaceFolders ??
      (params.rootUri
        ? [{ uri: params.rootUri, name: URI.parse(params.rootUri).path.split('/').pop() ?? 'root' }]
        : []);
    for (const f of initial) addFolder(f);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix', FIX_ALL_KIND] },
        codeLensProvider: { resolveProvider: false },
        definitionProvider: true,
        referencesProvider: true,
        executeCommandProvider: { commands: [COMMANDS.revalidate, COMMANDS.fixAll] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'djcache' },
    };
  });

  connection.onInitialized(async () => {
    if (caps.watchers) {
      await connection.client
        .register(DidChangeWatchedFilesNotification.type, {
          watchers: [
            { globPattern: '**/*.py' },
            { globPattern: '**/*.{html,txt,xml}' },
            { globPattern: '**/pyproject.toml' },
            { globPattern: '**/' },
          ],
        })
        .catch((e) => log(`file watchers not registered: ${e}`));
    }
    if (caps.configurationRegistration)
      await connection.client
        .register(DidChangeConfigurationNotification.type, { section: 'djcache' })
        .catch(() => undefined);
    if (caps.folderEvents) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const f of e.removed) removeFolder(f.uri);
        void reload(e.added.map(addFolder));
      });
    }
    await reload([...folders.values()]);
  });

  function addFolder(f: WorkspaceFolder): Folder {
    const folder = new Folder(URI.parse(f.uri), f.name, parser, host);
    folders.set(f.uri, folder);
    schedulers.set(folder, new AnalysisScheduler(() => analyzeAndPublish(folder), debounceMs, setup.clock));
    return folder;
  }

  function removeFolder(uri: string): void {
    const folder = folders.get(uri);
    if (!folder) return;
    folders.delete(uri);
    schedulers.get(folder)?.dispose();
    schedulers.delete(folder);
    for (const uri of published.get(folder)?.keys() ?? []) void connection.sendDiagnostics({ uri, diagnostics: [] });
    published.delete(folder);
    findingCounts.delete(folder);
  }

  /** The folder a file belongs to: the innermost one holding it. */
  function folderOf(uri: string): { folder: Folder; path: string } | undefined {
    let best: { folder: Folder; path: string } | undefined;
    for (const folder of folders.values()) {
      const rel = folder.relPath(uri);
      if (rel !== undefined && (!best || folder.root.length > best.folder.root.length)) best = { folder, path: rel };
    }
    return best;
  }

  async function readSettings(folder: Folder): Promise<EditorSettings> {
    if (!caps.configuration) return defaultSettings;
    const raw = await connection.workspace
      .getConfiguration({ scopeUri: folder.uri.toString(), section: 'djcache' })
      .catch(() => null);
    const s = (raw ?? {}) as Partial<EditorSettings>;
    return {
      enable: s.enable ?? true,
      rules: { select: s.rules?.select ?? [], ignore: s.rules?.ignore ?? [] },
      severity: s.severity ?? {},
      exclude: s.exclude ?? [],
    };
  }

  /** Re-reads settings and every file of the given folders, with progress, then publishes. */
  async function reload(targets: Folder[]): Promise<void> {
    const progress = caps.progress
      ? await connection.window.createWorkDoneProgress().catch(() => undefined)
      : undefined;
    progress?.begin('djcache', 0, 'Indexing Django project', false);
    let lastReport = 0;
    try {
      for (const folder of targets) {
        folder.settings = await readSettings(folder);
        await folder.reload((done, total) => {
          const now = Date.now();
          if (now - lastReport < 100 && done !== total) return;
          lastReport = now;
          const message = `Indexing Django project ${done}/${total} files`;
          progress?.report(total ? Math.round((100 * done) / total) : 100, message);
          status({ state: 'indexing', done, total, message });
        });
        if (folder.configError)
          void connection.window.showWarningMessage(`djcache: pyproject.toml: ${folder.configError}`);
        for (const warning of folder.configWarnings) {
          log(`${folder.name}: ${warning}; left out`);
          if (!warned.has(warning)) void connection.window.showWarningMessage(`djcache: ${warning}; left out`);
          warned.add(warning);
        }
      }
    } finally {
      progress?.done();
    }
    await Promise.all(targets.flatMap((folder) => schedulers.get(folder)?.now() ?? []));
  }

  function status(s: StatusParams): void {
    void connection.sendNotification(STATUS_NOTIFICATION, s);
  }

  async function analyzeAndPublish(folder: Folder): Promise<void> {
    if (!folders.has(folder.uri.toString())) return;
    let snap: Snapshot;
    try {
      snap = await folder.snapshot();
    } catch (error) {
      logFailure(`analysis of ${folder.name}`, error);
      status({ state: 'error', message: `analysis failed: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    await setup.onAnalysis?.(folder.uri.toString());
    // A newer edit arrived meanwhile: the scheduler's next run publishes.
    if (folder.isStale(snap)) return;
    const { failed } = snap.stats;
    if (failed.length) log(`${folder.name}: ${describeFailed(failed)}`);
    publish(folder, folder.settings.enable ? snap.findings : []);
    const total = [...findingCounts.values()].reduce((n, c) => n + c, 0);
    const skipped = [...folders.values()].reduce((n, f) => n + f.skipped().length, 0);
    const message = `${total} finding${total === 1 ? '' : 's'}${skipped ? `; ${skipped} path${skipped === 1 ? '' : 's'} skipped (see the output)` : ''}`;
    status({ state: 'ready', findings: total, skipped, message });
  }

  function publish(folder: Folder, findings: Finding[]): void {
    const byUri = new Map<string, ReturnType<typeof toDiagnostic>[]>();
    for (const f of findings) {
      const uri = fileUri(folder, f.path);
      const list = byUri.get(uri) ?? [];
      list.push(toDiagnostic(folder, f));
      byUri.set(uri, list);
    }
    const before = published.get(folder) ?? new Map<string, string>();
    const after = new Map<string, string>();
    for (const [uri, diagnostics] of byUri) {
      const text = JSON.stringify(diagnostics);
      after.set(uri, text);
      if (before.get(uri) !== text) void connection.sendDiagnostics({ uri, diagnostics });
    }
    for (const uri of before.keys()) if (!after.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
    published.set(folder, after);
    findingCounts.set(folder, findings.length);
  }

  /** A file's content may differ from what the index holds: re-read it before the next analysis. */
  function fileChanged(at: { folder: Folder; path: string }): void {
    at.folder.touch(at.path);
    schedulers.get(at.folder)?.edited();
  }

  documents.onDidChangeContent((e) => {
    const at = folderOf(e.document.uri);
    if (at) fileChanged(at);
  });

  // A closed buffer may have held unsaved text: the disk is the truth again.
  documents.onDidClose((e) => {
    const at = folderOf(e.document.uri);
    if (at) fileChanged(at);
  });

  connection.onDidChangeWatchedFiles((e) => {
    const reloads = new Set<Folder>();
    for (const change of e.changes) {
      const at = folderOf(change.uri);
      if (!at) continue;
      if (at.path === 'pyproject.toml') reloads.add(at.folder);
      else fileChanged(at);
    }
    if (reloads.size) void reload([...reloads]);
  });

  connection.onDidChangeConfiguration(() => void reload([...folders.values()]));

  /** Runs a request against the current analysis of the document's folder, isolated and cancellable. */
  function request<P extends { textDocument: { uri: string } }, R>(
    name: string,
    empty: R,
    handler: (params: P, at: { folder: Folder; path: string }, snap: Snapshot, token: CancellationToken) => R,
  ) {
    return async (params: P, token: CancellationToken): Promise<R | ResponseError<void>> => {
      try {
        const at = folderOf(params.textDocument.uri);
        if (!at || !at.folder.settings.enable) return empty;
        const snap = await at.folder.snapshot();
        if (token.isCancellationRequested)
          return new ResponseError(LSPErrorCodes.RequestCancelled, `${name} cancelled`);
        return handler(params, at, snap, token);
      } catch (error) {
        logFailure(name, error);
        return empty;
      }
    };
  }

  connection.onHover(
    request('hover', null as Hover | null, (params, { folder, path }, snap) => {
      const unavailable = (entryId: string, model: string) => {
        const f = snap.findings.find(
          (x) =>
            findingEntryId(x) === entryId && findingModel(x) === model && (x.code === 'DJC101' || x.code === 'DJC102'),
        );
        return f ? receiverUnavailable(f, sourceFiles(folder)) : undefined;
      };
      const h = hoverAt(
        snap.analysis,
        path,
        { line: params.position.line, col: params.position.character },
        (p, loc) => locationLink(folder, p, loc),
        (entry, model) => unavailable(entry.id, model),
      );
      return h ? { contents: { kind: 'markdown' as const, value: h.markdown }, range: toRange(h.range) } : null;
    }),
  );

  connection.onCodeAction(
    request('codeAction', [] as CodeAction[], (params, { folder, path }, snap) => {
      const actions: CodeAction[] = [];
      for (const plan of codeActions(
        snap.findings,
        path,
        fromRange(params.range),
        params.context.only,
        sourceFiles(folder),
      )) {
        if (plan.kind === 'fixAll') {
          actions.push({
            title: 'djcache: fix all',
            kind: FIX_ALL_KIND,
            edit: toWorkspaceEdit(folder, plan.changes, versionOf),
          });
          continue;
        }
        const diagnostic = toDiagnostic(folder, plan.finding);
        if (plan.kind === 'disabled')
          actions.push({
            title: plan.fix.title,
            kind: 'quickfix',
            diagnostics: [diagnostic],
            disabled: { reason: plan.reason },
          });
        else if (plan.kind === 'quickfix')
          actions.push(
            quickFix(
              plan.fix.title,
              [diagnostic],
              toWorkspaceEdit(folder, plan.fix.changes, versionOf),
              plan.fix.preferred,
            ),
          );
        else {
          const code = plan.finding.code;
          const href = ruleDocUri(code);
          if (href)
            actions.push({
              title: `Show documentation for ${code}`,
              kind: 'quickfix',
              diagnostics: [diagnostic],
              command: {
                title: `Show documentation for ${code}`,
                command: CLIENT_COMMANDS.openRuleDoc,
                arguments: [href],
              },
            });
        }
      }
      return actions;
    }),
  );

  connection.onCodeLens(
    request('codeLens', [] as CodeLens[], (params, { folder, path }, snap) =>
      codeLenses(snap.analysis, path).map((lens) => ({
        range: toRange(lens.range),
        command: {
          title: lens.title,
          command: CLIENT_COMMANDS.showLocations,
          arguments: [
            params.textDocument.uri,
            toRange(lens.range).start,
            lens.targets.map((t) => toLocation(folder, t)),
          ],
        },
      })),
    ),
  );

  connection.onDefinition(
    request('definition', [] as ReturnType<typeof toLocation>[], (params, { folder, path }, snap) =>
      definitionsAt(snap.analysis, path, { line: params.position.line, col: params.position.character }).map((l) =>
        toLocation(folder, l),
      ),
    ),
  );

  connection.onReferences(
    request('references', [] as ReturnType<typeof toLocation>[], (params, { folder, path }, snap) =>
      referencesAt(snap.analysis, path, { line: params.position.line, col: params.position.character }).map((l) =>
        toLocation(folder, l),
      ),
    ),
  );

  connection.onExecuteCommand(async (params) => {
    try {
      if (params.command === COMMANDS.revalidate) await reload([...folders.values()]);
      else if (params.command === COMMANDS.fixAll) {
        const uri = String(params.arguments?.[0] ?? '');
        const at = folderOf(uri);
        if (!at) return;
        const snap = await at.folder.snapshot();
        const changes = fixAll(
          snap.findings.filter((f) => f.path === at.path),
          sourceFiles(at.folder),
        );
        if (changes.length)
          await connection.workspace.applyEdit({
            label: 'djcache: fix all',
            edit: toWorkspaceEdit(at.folder, changes, versionOf),
          });
      }
    } catch (error) {
      logFailure(`command ${params.command}`, error);
    }
  });

  connection.onRequest(GRAPH_REQUEST, async (): Promise<GraphResult> => {
    const result: GraphResult = { folders: [] };
    for (const folder of folders.values()) {
      try {
        const snap = await folder.snapshot();
        result.folders.push({
          uri: folder.uri.toString(),
          name: folder.name,
          graph: snap.graph,
          findings: snap.findings.map((f) => ({
            code: f.code,
            path: f.path,
            line: f.loc[0] + 1,
            message: f.message,
            entryId: findingEntryId(f),
            model: findingModel(f),
          })),
        });
      } catch (error) {
        logFailure(`graph of ${folder.name}`, error);
      }
    }
    return result;
  });

  function versionOf(uri: string): number | null {
    return documents.get(uri)?.version ?? null;
  }

  function sourceFiles(folder: Folder): SourceFiles {
    return { read: (p) => folder.readText(p) };
  }

  documents.listen(connection);
  connection.listen();
}
