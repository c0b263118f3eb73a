/**
 * Parallel work for the facts phase: parsing on a worker thread as well (engine/readAhead.ts
 * reads the files ahead). The worker only parses; building facts stays on the caller's thread,
 * which takes flattened trees (docs/performance.md has why: extracting whole facts on a worker cost more than it saved).
 */
import * as path from 'path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import { type FlatTree, flatTreesWork } from '../syntax/parser';

/** Below this many files to parse, starting a worker costs more than it takes off. */
const MIN_SHARED_FILES = 64;

/** Whether parsing `count` files pays for a worker thread (the parser must be loaded). */
export function worthAWorker(count: number): boolean {
  return count >= MIN_SHARED_FILES && flatTreesWork();
}

/** Words of shareParsing's shared counters: the next index to claim, and replies sent. */
export const CLAIMED = 0;
export const SENT = 1;

/** What shareParsing sends the worker: texts to parse, the counters, and where to reply. */
export interface ParseRequest {
  texts: readonly string[];
  control: SharedArrayBuffer;
  replies: MessagePort;
}

/** A worker's answer for one file: its tree, or none when this thread must parse it. */
export interface ParseReply {
  index: number;
  tree?: FlatTree;
}

/**
 * With no reply for this long, the worker is taken for dead and this thread parses what it had
 * claimed: well over parsePython's budget for one file.
 */
const WORKER_SILENCE_MS = 20_000;

/**
 * Starts a thread that parses for shareParsing; it loads web-tree-sitter meanwhile (~50 ms), so
 * start it before reading files. End it with terminate(); it never keeps the process alive.
 */
export function startParseWorker(): Worker | undefined {
  try {
    const worker = new Worker(path.join(__dirname, 'parseWorker.js'));
    // A worker that fails leaves its files to this thread; its error must not end the process.
    worker.on('error', () => undefined);
    worker.unref();
    return worker;
  } catch {
    return undefined;
  }
}

/**
 * Calls `here(i)` or `there(i, tree)` once for every text, in no set order. `worker` (from
 * startParseWorker) parses some texts meanwhile, and `there` gets their trees; `here` parses on
 * this thread. Both threads claim the next index from a shared counter, so neither waits while
 * work is left, and this thread takes the worker's trees between its own files. `first` runs on
 * this thread once the worker has the texts: work of its own that does not wait for a file.
 */
export function shareParsing(
  texts: readonly string[],
  here: (index: number) => void,
  there: (index: number, tree: FlatTree) => void,
  worker: Worker | undefined,
  first?: () => void,
): void {
  if (!worker) {
    first?.();
    for (let i = 0; i < texts.length; i++) here(i);
    return;
  }
  const counters = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const { port1: replies, port2: workerEnd } = new MessageChannel();
  const answered = new Uint8Array(texts.length);
  let received = 0;
  const takeReplies = () => {
    for (let m = receiveMessageOnPort(replies); m; m = receiveMessageOnPort(replies)) {
      const { index, tree } = m.message as ParseReply;
      received++;
      answered[index] = 1;
      if (tree) there(index, tree);
      else here(index);
    }
  };
  try {
    const request: ParseRequest = { texts, control: counters.buffer as SharedArrayBuffer, replies: workerEnd };
    worker.postMessage(request, [workerEnd]);
    first?.();
    let own = 0;
    for (let i = Atomics.add(counters, CLAIMED, 1); i < texts.length; i = Atomics.add(counters, CLAIMED, 1)) {
      own++;
      here(i);
      answered[i] = 1;
      takeReplies();
    }
    while (received < texts.length - own) {
      if (
        Atomics.wait(counters, SENT, received, WORKER_SILENCE_MS) === 'timed-out' &&
        Atomics.load(counters, SENT) === received
      )
        break;
      takeReplies();
    }
    for (let i = 0; i < texts.length; i++) if (!answered[i]) here(i);
  } finally {
    // A silent worker may still be at work: its replies are not wanted, nor its claims on files parsed here.
    replies.close();
    Atomics.store(counters, CLAIMED, texts.length);
  }
}
