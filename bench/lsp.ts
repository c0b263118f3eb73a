/**
 * `npm run bench:lsp -- <dir>...`: the language server as an editor sees it, in its own process
 * over stdio: start to first diagnostics, one-file edit to fresh diagnostics, hover and code
 * action latency (p50/p95), and the server's RSS. Each edit changes code (a function's body), not
 * just a comment, as unsaved buffer changes, so the project on disk is not touched.
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { createProtocolConnection, type ProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { URI } from 'vscode-uri';
import { STATUS_NOTIFICATION, type StatusParams, GRAPH_REQUEST, type GraphResult } from '../shared/protocol';

/** The servers' cache folder ($XDG_CACHE_HOME): the bench's own, so a cold start can empty it. */
const CACHE_HOME = mkdtempSync(path.join(tmpdir(), 'djcache-bench-cache-'));
const EDITS = 40;
const QUERIES = 60;

interface Result {
  project: string;
  files: number;
  firstDiagnosticsMs: number;
  edit: Percentiles;
  hover: Percentiles;
  codeAction: Percentiles;
  rssMb: number;
  peakRssMb: number;
}

interface Percentiles { p50: number; p95: number }

function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: round(at(0.5)), p95: round(at(0.95)) };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

async function benchProject(dir: string): Promise<Result> {
  const root = path.resolve(dir);
  const server = spawn(process.execPath, [path.join(__dirname, '..', 'server', 'src', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, XDG_CACHE_HOME: CACHE_HOME } });
  const conn: ProtocolConnection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  let waiters: ((s: StatusParams) => void)[] = [];
  let files = 0;
  conn.onNotification(STATUS_NOTIFICATION, (s: StatusParams) => {
    if (s.state === 'indexing' && s.total) files = s.total;
    if (s.state !== 'indexing') for (const w of waiters.splice(0)) w(s);
  });
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  const ready = () => new Promise<StatusParams>((resolve) => waiters.push(resolve));

  const start = performance.now();
  await conn.sendRequest('initialize', {
    processId: process.pid, rootUri: null,
    workspaceFolders: [{ uri: URI.file(root).toString(), name: path.basename(root) }],
    initializationOptions: { debounceMs: 0 },
    capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true } },
  });
  const first = ready();
  await conn.sendNotification('initialized', {});
  await first;
  const firstDiagnosticsMs = performance.now() - start;

  // The file with the most cache entries is the one a user edits while fixing findings.
  const { folders } = await conn.sendRequest<GraphResult>(GRAPH_REQUEST, {});
  const entries = folders[0]?.graph.entries ?? [];
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.path, (counts.get(e.path) ?? 0) + 1);
  const target = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!target) throw new Error(`${dir}: no cache entries to edit around`);
  const uri = URI.file(path.join(root, target)).toString();
  const text = readFileSync(path.join(root, target), 'utf8');
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
  await ready();

  const editMs: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const done = ready();
    const t = performance.now();
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: i + 2 }, contentChanges: [{ text: `${text}\n\ndef _bench_edit():\n    return ${i}\n` }] });
    await done;
    editMs.push(performance.now() - t);
  }

  const spots = entries.filter((e) => e.path === target).map((e) => ({ line: e.loc[0], character: e.loc[1] }));
  const hoverMs: number[] = [];
  const actionMs: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const position = spots[i % spots.length];
    let t = performance.now();
    await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position });
    hoverMs.push(performance.now() - t);
    t = performance.now();
    await conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: { start: position, end: position }, context: { diagnostics: [] } });
    actionMs.push(performance.now() - t);
  }
  const memory = memoryOf(server.pid!);
  conn.dispose();
  server.kill();
  return { project: path.basename(root), files, firstDiagnosticsMs: Math.round(firstDiagnosticsMs), edit: percentiles(editMs), hover: percentiles(hoverMs), codeAction: percentiles(actionMs), ...memory };
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  if (!dirs.length) dirs.push(path.join(__dirname, '..', '..', 'examples', 'shop'));
  console.log('| project | files | start → first diagnostics, cold / warm | edit → diagnostics p50 / p95 | hover p50 / p95 | code action p50 / p95 | RSS (peak) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const dir of dirs) {
    // Cold: no fact cache on disk; warm: the cache the cold start wrote.
    rmSync(path.join(CACHE_HOME, 'djcache'), { recursive: true, force: true });
    const cold = await benchProject(dir);
    const r = await benchProject(dir);
    console.log(`| ${r.project} | ${r.files} | ${cold.firstDiagnosticsMs} / ${r.firstDiagnosticsMs} ms | ${r.edit.p50} / ${r.edit.p95} ms | ${r.hover.p50} / ${r.hover.p95} ms | ${r.codeAction.p50} / ${r.codeAction.p95} ms | ${r.rssMb} MB (${r.peakRssMb} MB) |`);
  }
  rmSync(CACHE_HOME, { recursive: true, force: true });
}

void main();
