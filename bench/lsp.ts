/**
 * `npm run bench:lsp -- <dir>...`: the language server as an editor sees it, in its own process
 * over stdio: start to first diagnostics, one-file edit to fresh diagnostics, hover and code
 * action latency (p50/p95), and the server's RSS. Each edit changes code (a function's body), not
 * just a comment, as unsaved buffer changes, so the project on disk is not touched.
 *
 * Edits are measured as a client on the default settings gets them (the server's own debounce):
 * lone edits, each well after the one before, and bursts of keystrokes at typing pace, from the
 * last keystroke to the diagnostics that follow it. Beside them, the same lone edits on a server
 * started with the debounce off (`debounceMs: 0`, what earlier versions of this bench measured).
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { setTimeout as sleep } from 'timers/promises';
import {
  createProtocolConnection,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { URI } from 'vscode-uri';
import { STATUS_NOTIFICATION, type StatusParams, GRAPH_REQUEST, type GraphResult } from '../shared/protocol';
import { DEFAULT_DEBOUNCE_MS, type ServerOptions } from '../server/src/lsp/session';

/** The servers' cache folder ($XDG_CACHE_HOME): the bench's own, so a cold start can empty it. */
const CACHE_HOME = mkdtempSync(path.join(tmpdir(), 'djcache-bench-cache-'));
const EDITS = 40;
const QUERIES = 60;
/** Lone edits come this long after the previous one: more than the debounce window, as a user who pauses. */
const LONE_EDIT_GAP_MS = DEFAULT_DEBOUNCE_MS + 100;
const BURSTS = 10;
const KEYSTROKES = 10;
/** Typing pace: a key every 80 ms (about 12 characters a second), well inside the window. */
const KEYSTROKE_GAP_MS = 80;
/** A burst is over when no analysis has been published for this long after its last keystroke's window. */
const SETTLE_MS = 1_000;

interface Percentiles {
  p50: number;
  p95: number;
}

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

/** A server process on one folder, started and indexed. */
class Session {
  /** When each analysis was published ('ready' or 'error' status), in performance.now() time. */
  readonly published: number[] = [];
  files = 0;
  firstDiagnosticsMs = 0;
  private waiters: (() => void)[] = [];
  private version = 1;

  private constructor(
    readonly root: string,
    private readonly server: ReturnType<typeof spawn>,
    readonly conn: ProtocolConnection,
  ) {
    conn.onNotification(STATUS_NOTIFICATION, (s: StatusParams) => {
      if (s.state === 'indexing' && s.total) this.files = s.total;
      if (s.state === 'indexing') return;
      this.published.push(performance.now());
      for (const w of this.waiters.splice(0)) w();
    });
    conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('client/registerCapability', () => null);
    conn.listen();
  }

  static async start(dir: string, options: ServerOptions): Promise<Session> {
    const root = path.resolve(dir);
    const server = spawn(process.execPath, [path.join(__dirname, '..', 'server', 'src', 'server.js'), '--stdio'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, XDG_CACHE_HOME: CACHE_HOME },
    });
    const session = new Session(
      root,
      server,
      createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!)),
    );
    const start = performance.now();
    await session.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      workspaceFolders: [{ uri: URI.file(root).toString(), name: path.basename(root) }],
      initializationOptions: options,
      capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true } },
    });
    const first = session.ready();
    await session.conn.sendNotification('initialized', {});
    await first;
    session.firstDiagnosticsMs = performance.now() - start;
    return session;
  }

  /** The next published analysis. */
  ready(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends the file's next version as an unsaved buffer change. */
  change(uri: string, text: string): Promise<void> {
    return this.conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: ++this.version },
      contentChanges: [{ text }],
    });
  }

  memory(): { rssMb: number; peakRssMb: number } {
    return memoryOf(this.server.pid!);
  }

  stop(): void {
    this.conn.dispose();
    this.server.kill();
  }
}

/** The file with the most cache entries, the one a user edits while fixing findings, opened. */
async function openTarget(
  session: Session,
): Promise<{ uri: string; text: string; spots: { line: number; character: number }[] }> {
  const { folders } = await session.conn.sendRequest<GraphResult>(GRAPH_REQUEST, {});
  const entries = folders[0]?.graph.entries ?? [];
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.path, (counts.get(e.path) ?? 0) + 1);
  const target = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!target) throw new Error(`${session.root}: no cache entries to edit around`);
  const uri = URI.file(path.join(session.root, target)).toString();
  const text = readFileSync(path.join(session.root, target), 'utf8');
  const opened = session.ready();
  await session.conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
  await opened;
  return {
    uri,
    text,
    spots: entries.filter((e) => e.path === target).map((e) => ({ line: e.loc[0], character: e.loc[1] })),
  };
}

const edited = (text: string, i: number) => `${text}\n\ndef _bench_edit():\n    return ${i}\n`;

/**
 * Edit → fresh diagnostics for EDITS edits, each sent LONE_EDIT_GAP_MS after the previous one's
 * diagnostics, with the debounce on or off alike: back to back, a busy shared machine schedules
 * the server later than after it has slept (docs/performance.md).
 */
async function loneEdits(session: Session, uri: string, text: string): Promise<Percentiles> {
  const ms: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    await sleep(LONE_EDIT_GAP_MS);
    const done = session.ready();
    const t = performance.now();
    await session.change(uri, edited(text, i));
    await done;
    ms.push(performance.now() - t);
  }
  return percentiles(ms);
}

/** Bursts of keystrokes at typing pace: last keystroke → the last diagnostics it brings, and analyses published per burst. */
async function bursts(
  session: Session,
  uri: string,
  text: string,
): Promise<{ latency: Percentiles; analyses: Percentiles }> {
  const latency: number[] = [];
  const analyses: number[] = [];
  for (let b = 0; b < BURSTS; b++) {
    await sleep(LONE_EDIT_GAP_MS);
    const before = session.published.length;
    let last = 0;
    for (let k = 0; k < KEYSTROKES; k++) {
      if (k) await sleep(KEYSTROKE_GAP_MS);
      last = performance.now();
      await session.change(uri, edited(text, b * KEYSTROKES + k));
    }
    for (;;) {
      const settled = sleep(DEFAULT_DEBOUNCE_MS + SETTLE_MS).then(() => 'quiet' as const);
      if ((await Promise.race([settled, session.ready().then(() => 'published' as const)])) === 'quiet') break;
    }
    const after = session.published.slice(before);
    if (!after.length || after[after.length - 1] < last)
      throw new Error(`${session.root}: a burst's last keystroke was never analysed`);
    latency.push(after[after.length - 1] - last);
    analyses.push(after.length);
  }
  return { latency: percentiles(latency), analyses: percentiles(analyses) };
}

async function queries(
  session: Session,
  uri: string,
  spots: { line: number; character: number }[],
): Promise<{ hover: Percentiles; codeAction: Percentiles }> {
  const hoverMs: number[] = [];
  const actionMs: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const position = spots[i % spots.length];
    let t = performance.now();
    await session.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position });
    hoverMs.push(performance.now() - t);
    t = performance.now();
    await session.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: position, end: position },
      context: { diagnostics: [] },
    });
    actionMs.push(performance.now() - t);
  }
  return { hover: percentiles(hoverMs), codeAction: percentiles(actionMs) };
}

const pair = (p: Percentiles, unit = ' ms') => `${p.p50} / ${p.p95}${unit}`;

async function benchProject(dir: string): Promise<string> {
  // Cold: no fact cache on disk; warm: the cache the cold start wrote.
  rmSync(path.join(CACHE_HOME, 'djcache'), { recursive: true, force: true });
  const cold = await Session.start(dir, {});
  cold.stop();

  const user = await Session.start(dir, {});
  const { uri, text, spots } = await openTarget(user);
  const lone = await loneEdits(user, uri, text);
  const typing = await bursts(user, uri, text);
  const { hover, codeAction } = await queries(user, uri, spots);
  const memory = user.memory();
  user.stop();

  const off = await Session.start(dir, { debounceMs: 0 });
  const offTarget = await openTarget(off);
  const debounceOff = await loneEdits(off, offTarget.uri, offTarget.text);
  off.stop();

  return `| ${path.basename(user.root)} | ${user.files} | ${Math.round(cold.firstDiagnosticsMs)} / ${Math.round(user.firstDiagnosticsMs)} ms | ${pair(lone)} | ${pair(debounceOff)} | ${pair(typing.latency)} (${pair(typing.analyses, '')}) | ${pair(hover)} | ${pair(codeAction)} | ${memory.rssMb} MB (${memory.peakRssMb} MB) |`;
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  if (!dirs.length) dirs.push(path.join(__dirname, '..', '..', 'examples', 'shop'));
  console.log(
    `Default settings (debounce window ${DEFAULT_DEBOUNCE_MS} ms) unless said; lone edits ${LONE_EDIT_GAP_MS} ms apart; bursts of ${KEYSTROKES} keystrokes ${KEYSTROKE_GAP_MS} ms apart.`,
  );
  console.log(
    '| project | files | start → first diagnostics, cold / warm | lone edit → diagnostics p50 / p95 | same, debounce off | typing burst: last keystroke → diagnostics p50 / p95 (analyses published per burst) | hover p50 / p95 | code action p50 / p95 | RSS (peak) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const dir of dirs) console.log(await benchProject(dir));
  rmSync(CACHE_HOME, { recursive: true, force: true });
}

void main();
