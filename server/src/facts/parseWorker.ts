/**
 * The worker thread of shareParsing (parallel.ts): parses the files it claims and sends their
 * trees back flattened. It builds no facts, so what it sends is a few typed arrays, moved, not copied.
 */
import { type MessagePort, parentPort } from 'worker_threads';
import { type FlatTree, flattenTree, loadPythonParser, parsePython } from '../syntax/parser';
import { CLAIMED, SENT, type ParseReply } from './parallel';

const parser = loadPythonParser();

parentPort?.once('message', async ({ texts, control, replies }: { texts: string[]; control: SharedArrayBuffer; replies: MessagePort }) => {
  const counters = new Int32Array(control);
  const p = await parser;
  for (;;) {
    const index = Atomics.add(counters, CLAIMED, 1);
    if (index >= texts.length) break;
    let tree: FlatTree | undefined;
    try {
      const live = parsePython(p, texts[index]);
      if (live) {
        try {
          tree = flattenTree(live);
        } finally {
          live.delete();
        }
      }
    } catch {
      // The main thread parses this file itself.
    }
    const reply: ParseReply = { index, tree };
    replies.postMessage(reply, tree ? [tree.nodes.buffer as ArrayBuffer] : []);
    Atomics.add(counters, SENT, 1);
    Atomics.notify(counters, SENT);
  }
  replies.close();
});
